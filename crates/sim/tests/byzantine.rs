//! Scenario 4: with f = floor((n-1)/3) byzantine validators of each kind, every lifecycle step
//! (genesis DKG, refresh, reshare on a join) and every request (signature, public and private
//! decryption) still completes, and the byzantine validators are named in blame events.
//! n = 7, f = 2.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, EncryptionKey};
use tss_crypto::{Encode, TransportSecret};
use tss_engine::types::{BlameReason, Delivery, Event, Membership, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Behavior, Network, ProposerFault, SimConfig};

const N: usize = 7;
const BYZANTINE: [usize; 2] = [2, 5];

fn network(seed: u64) -> Network {
    let params = Params { epoch_length: 15, ..Params::default() };
    Network::new(SimConfig { params, full_nodes: 1, ..SimConfig::new(N, seed) })
}

/// Runs the whole lifecycle and a batch of requests; returns the network for blame checks.
fn lifecycle(mut net: Network) -> Network {
    init_logs();
    assert!(net.run_until(14, |n| n.network_key().is_some()).unwrap(), "genesis DKG completes");
    let key = net.network_key().unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let enc = EncryptionKey::from_bytes(key, 0).unwrap();
    let requester_transport = TransportSecret::generate(&mut rng);

    let mut requests = Vec::new();
    for round in 0..2u64 {
        net.run(2).unwrap();
        let h = net.height + 1;
        for i in 0..6u8 {
            net.at(h).requests.push(sign_request(b"alice", 0, &[round as u8, i], None));
        }
        let ct = encrypt(&enc, &tss_crypto::encrypt::owned_label(b"bob", b"/x").unwrap(), b"public plaintext", &mut rng).unwrap().to_bytes();
        let ct2 = encrypt(&enc, &tss_crypto::encrypt::owned_label(b"bob", b"/y").unwrap(), b"private plaintext", &mut rng).unwrap().to_bytes();
        net.at(h).requests.push(RequestInput { requester: b"bob".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: ct, delivery: Delivery::Public } });
        net.at(h).requests.push(RequestInput {
            requester: b"bob".to_vec(),
            request: Request::Decrypt { keyset: 0, ciphertext: ct2.clone(), delivery: Delivery::Reencrypt { transport: requester_transport.public().to_bytes() } },
        });
        requests.push((h, ct2));
        assert!(net.run_until(16, |n| (0..8).all(|i| callback(n, request_id(n, h, i)).is_some())).unwrap(), "requests of round {round} finished");
        for i in 0..6usize {
            expect_signature(&net, request_id(&net, h, i), &[round as u8, i as u8]);
        }
        assert_eq!(callback(&net, request_id(&net, h, 6)).unwrap().1.outcome, Outcome::Plaintext(b"public plaintext".to_vec()));
        let Outcome::Reencrypted { u, v } = callback(&net, request_id(&net, h, 7)).unwrap().1.outcome else { panic!("private decryption failed") };
        let rk = tss_crypto::decrypt::ReencryptedKey {
            u: tss_crypto::group::decode_prime_order(u).unwrap(),
            v: tss_crypto::group::decode_prime_order(v).unwrap(),
        };
        let ct = tss_crypto::encrypt::Ciphertext::from_bytes(&requests.last().unwrap().1).unwrap();
        assert_eq!(tss_crypto::decrypt::open_reencrypted(&ct, &enc, &rk, &requester_transport).unwrap().as_slice(), b"private plaintext");
    }

    assert!(net.run_until(20, |n| completed_sessions(n, "refresh") >= 1).unwrap(), "a refresh completes");
    let h = net.height + 1;
    let joiner = net.validator_entry(N).unwrap();
    net.at(h).membership.push(Membership::Join(joiner));
    assert!(net.run_until(20, |n| n.events().any(|(_, e)| matches!(e, Event::ValidatorSetChanged { .. }))).unwrap(), "the reshare for a join completes");
    assert_eq!(net.network_key().unwrap(), key);
    net.run(3).unwrap();
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"alice", 0, b"after join", None));
    assert!(net.run_until(12, |n| callback(n, request_id(n, h, 0)).is_some()).unwrap());
    expect_signature(&net, request_id(&net, h, 0), b"after join");
    net
}

fn with_byzantine(behavior: Behavior, seed: u64) -> Network {
    let mut net = network(seed);
    for b in BYZANTINE {
        net.nodes[b].behavior = behavior;
    }
    lifecycle(net)
}

fn assert_blamed(net: &Network, reason: BlameReason) {
    for b in BYZANTINE {
        let reasons = blamed(net, &net.nodes[b].address);
        assert!(reasons.contains(&reason), "validator {b} not blamed for {reason:?}: {reasons:?}");
    }
    for (i, node) in net.nodes.iter().enumerate() {
        if !BYZANTINE.contains(&i) {
            assert!(blamed(net, &node.address).is_empty(), "honest validator {i} blamed: {:?}", blamed(net, &node.address));
        }
    }
}

#[test]
fn n7f2_honest_baseline_blames_nobody() {
    let net = lifecycle(network(40));
    assert!(net.events().all(|(_, e)| !matches!(e, Event::Blame { .. })));
}

#[test]
fn n7f2_bad_dealers_are_convicted_by_complaints() {
    let net = with_byzantine(Behavior::BadDealing, 41);
    assert_blamed(&net, BlameReason::BadShare);
}

/// Review finding 1 (the ephemeral-key oracle), end to end: dealers that reuse an honest
/// dealing's ephemeral key are refused at public verification, so no honest validator ever
/// complains about them (a complaint would reveal the Diffie-Hellman secret that opens the
/// honest dealing's share). Before dealings carried a proof of knowledge of their ephemeral
/// key, the copies were accepted and convicted only by those complaints (`BadShare`).
#[test]
fn n7f2_copied_ephemeral_keys_are_refused_before_anyone_complains() {
    let net = with_byzantine(Behavior::CopyEphemeral, 49);
    assert_blamed(&net, BlameReason::InvalidDealing);
    for b in BYZANTINE {
        let reasons = blamed(&net, &net.nodes[b].address);
        assert!(!reasons.contains(&BlameReason::BadShare), "validator {b}'s copied dealing drew complaints: {reasons:?}");
    }
}

#[test]
fn n7f2_false_complainers_are_blamed() {
    let net = with_byzantine(Behavior::FalseComplaint, 42);
    assert_blamed(&net, BlameReason::FalseComplaint);
}

#[test]
fn n7f2_wrong_signature_shares_are_named_and_signers_replaced() {
    let net = with_byzantine(Behavior::WrongSignatureShare, 43);
    assert_blamed(&net, BlameReason::InvalidSignatureShare);
}

#[test]
fn n7f2_wrong_decryption_shares_are_named_and_skipped() {
    let net = with_byzantine(Behavior::WrongDecryptionShare, 44);
    assert_blamed(&net, BlameReason::InvalidDecryptionShare);
}

#[test]
fn n7f2_garbage_items_are_blamed() {
    let net = with_byzantine(Behavior::GarbageItems, 45);
    assert_blamed(&net, BlameReason::InvalidDealing);
}

#[test]
fn n7f2_oversized_extensions_are_refused_and_their_authors_counted_missing() {
    let net = with_byzantine(Behavior::OversizedExtension, 46);
    assert_blamed(&net, BlameReason::MissingDealing);
}

#[test]
fn n7f2_offline_validators_are_counted_missing() {
    let mut net = network(47);
    for b in BYZANTINE {
        net.set_offline(b, 1, 1000);
    }
    let net = lifecycle(net);
    assert_blamed(&net, BlameReason::MissingDealing);
}

#[test]
fn byzantine_proposers_dropping_or_tampering_do_not_stop_anything() {
    let mut net = network(48);
    for h in 1..120 {
        match h % 3 {
            0 => net.byzantine_proposer(h, ProposerFault::Drop(2)),
            1 => net.byzantine_proposer(h, ProposerFault::Tamper),
            _ => {}
        }
    }
    let net = lifecycle(net);
    let tampered: Vec<u64> = (2..=net.height).filter(|h| h % 3 == 1).collect();
    let re_proposed: Vec<u64> = net.extra_rounds.iter().filter(|(_, r)| **r == 1).map(|(h, _)| *h).collect();
    assert_eq!(re_proposed, tampered, "every tampered proposal was rejected and re-proposed once");
}

/// Review finding 6: a proposer that stuffs the envelope with 65,535 aggregated signatures for
/// requests that are not open (each would cost every node a signature check and a tweak of the
/// key set) has its proposal refused in ProcessProposal; the next proposer's block goes through
/// and every request still completes.
#[test]
fn proposers_stuffing_aggregates_are_refused() {
    let mut net = network(50);
    let stuffed: Vec<u64> = (12..40).step_by(4).collect();
    for h in &stuffed {
        net.byzantine_proposer(*h, ProposerFault::StuffAggregates);
    }
    let net = lifecycle(net);
    let reached: Vec<u64> = stuffed.into_iter().filter(|h| *h <= net.height).collect();
    assert!(reached.len() >= 4, "the lifecycle ran through several stuffed heights: {reached:?}");
    let re_proposed: Vec<u64> = net.extra_rounds.iter().filter(|(_, r)| **r == 1).map(|(h, _)| *h).collect();
    assert_eq!(re_proposed, reached, "every stuffed proposal was refused and re-proposed once");
}

