//! Claim rounds for public decryption (`tss_engine::apply::claims`): a block with shares for at
//! least `decryption_claim_min` requests of a key set opens a round; combiners claim their
//! slices, holders answer, and every request opens in h+4 without any node verifying a share.
//! With a combiner that claims wrong points, a holder whose share points are wrong and a holder
//! whose answers carry bad proofs, every request still opens with its plaintext; the wrong
//! combiner and the bad answerer are blamed, no honest validator is. n = 7, t = 5.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, owned_label, EncryptionKey};
use tss_crypto::Encode;
use tss_engine::state::ClaimStage;
use tss_engine::types::{BlameReason, Delivery, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Behavior, Network, SimConfig};

/// A network past its DKG with `count` public decryption requests submitted at the returned
/// height, each for plaintext `message {i}`.
fn with_requests(behaviors: &[(usize, Behavior)], count: usize, seed: u64) -> (Network, u64) {
    init_logs();
    let params = Params { decryption_claim_min: 4, epoch_length: 1000, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(7, seed) });
    for (node, behavior) in behaviors {
        net.nodes[*node].behavior = *behavior;
    }
    assert!(net.run_until(14, |n| n.network_key().is_some()).unwrap(), "genesis DKG completes");
    net.run(2).unwrap();
    let key = EncryptionKey::from_bytes(net.network_key().unwrap(), 0).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let h = net.height + 1;
    for i in 0..count {
        let ct = encrypt(&key, &owned_label(b"bob", b"/claims").unwrap(), format!("message {i}").as_bytes(), &mut rng).unwrap().to_bytes();
        net.at(h).requests.push(RequestInput { requester: b"bob".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: ct, delivery: Delivery::Public } });
    }
    (net, h)
}

fn expect_plaintexts(net: &Network, h: u64, count: usize) -> Vec<u64> {
    (0..count)
        .map(|i| {
            let id = request_id(net, h, i);
            let (at, cb) = callback(net, id).unwrap_or_else(|| panic!("request {i} not answered"));
            assert_eq!(cb.outcome, Outcome::Plaintext(format!("message {i}").into_bytes()), "request {i}");
            at
        })
        .collect()
}

#[test]
fn a_claim_round_opens_every_request_in_h_plus_4() {
    let (mut net, h) = with_requests(&[], 12, 71);
    net.run(3).unwrap();
    // Block h+2 brought the shares: a round, every request assigned, none opened.
    let ids: Vec<u64> = (0..12).map(|i| request_id(&net, h, i)).collect();
    for id in &ids {
        assert!(callback(&net, *id).is_none());
        assert!(matches!(net.state().requests[id].claim, Some(ClaimStage::Assigned { round, .. }) if round == h + 2));
    }
    net.run(1).unwrap();
    // Block h+3 recorded one claim per slice: seven holders sent batches, so slices of
    // ceil(12 / 7) = 2 requests, six of them.
    assert!(ids.iter().all(|id| matches!(net.state().requests[id].claim, Some(ClaimStage::Claimed { .. }))));
    assert_eq!(net.state().claims.len(), 6);
    net.run(1).unwrap();
    assert!(expect_plaintexts(&net, h, 12).iter().all(|at| *at == h + 4));
    assert!(net.state().claims.is_empty());
    for node in &net.nodes {
        assert!(blamed(&net, &node.address).is_empty(), "an honest validator was blamed");
    }
}

#[test]
fn fewer_requests_than_the_minimum_take_the_ordinary_path() {
    let (mut net, h) = with_requests(&[], 3, 72);
    net.run(3).unwrap();
    assert!(expect_plaintexts(&net, h, 3).iter().all(|at| *at == h + 2));
    assert!(net.state().claims.is_empty());
}

#[test]
fn wrong_claims_wrong_points_and_bad_answers_do_not_stop_a_round() {
    // Combiners take the first t shares and the chain the first t answers, in holder order:
    // the bad answerer is the first holder and the holder with wrong points the second, so both
    // are always among them.
    let nodes = Network::new(SimConfig::new(7, 73)).nodes;
    let mut by_id: Vec<usize> = (0..7).collect();
    by_id.sort_by_key(|i| tss_crypto::participant_id(&nodes[*i].address).unwrap());
    let (bad_answers, wrong_points, wrong_claim) = (by_id[0], by_id[1], by_id[4]);
    let behaviors = [(wrong_claim, Behavior::WrongClaim), (wrong_points, Behavior::WrongDecryptionPoints), (bad_answers, Behavior::WrongDecryptionShare)];
    let (mut net, h) = with_requests(&behaviors, 14, 73);
    net.run(5).unwrap();
    // Every slice but the wrong combiner's opened in h+4, although the combiners had to leave
    // out a holder whose points are wrong and the chain an answer whose proof is wrong.
    let opened: Vec<u64> = (0..14).filter_map(|i| callback(&net, request_id(&net, h, i)).map(|(at, _)| at)).collect();
    assert!(opened.len() >= 12 && opened.iter().all(|at| *at == h + 4), "opened in h+4: {opened:?}");
    assert!(blamed(&net, &net.nodes[wrong_claim].address).contains(&BlameReason::WrongDecryptionClaim));
    assert!(blamed(&net, &net.nodes[bad_answers].address).contains(&BlameReason::InvalidDecryptionShare));
    // The wrong combiner's requests go back and open on a later attempt.
    net.run(8).unwrap();
    expect_plaintexts(&net, h, 14);
    for (i, node) in net.nodes.iter().enumerate() {
        if i != wrong_claim {
            assert!(!blamed(&net, &node.address).contains(&BlameReason::WrongDecryptionClaim), "validator {i} blamed for a claim");
        }
        if ![bad_answers, wrong_points].contains(&i) {
            assert!(!blamed(&net, &node.address).contains(&BlameReason::InvalidDecryptionShare), "honest validator {i} blamed for a share");
        }
    }
}

#[test]
fn a_round_short_of_answers_waits_for_the_next_ones() {
    // ExtendVote(h+3) answers the claims recorded in h+3; with two holders offline there and
    // one answering with bad proofs, four valid answers of the five needed arrive in h+4. The
    // round waits. ExtendVote(h+4) sees five answers in the block it votes on and does not
    // answer again; ExtendVote(h+5) sees none, so the holders answer from committed state, and
    // every request opens in h+6.
    let nodes = Network::new(SimConfig::new(7, 74)).nodes;
    let bad = (0..7).min_by_key(|i| tss_crypto::participant_id(&nodes[*i].address).unwrap()).unwrap();
    let offline: Vec<usize> = (0..7).filter(|i| *i != bad).take(2).collect();
    let (mut net, h) = with_requests(&[(bad, Behavior::WrongDecryptionShare)], 8, 74);
    for o in &offline {
        net.set_offline(*o, h + 3, h + 3);
    }
    net.run(5).unwrap();
    for i in 0..8 {
        assert!(callback(&net, request_id(&net, h, i)).is_none(), "request {i} opened without t answers");
    }
    assert!(!net.state().claims.is_empty(), "the round waits");
    net.run(2).unwrap();
    assert!(expect_plaintexts(&net, h, 8).iter().all(|at| *at == h + 6));
}
