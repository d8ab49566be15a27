//! Heights decided in a later round (review finding 4). CometBFT calls `ExtendVote` in every
//! round in which a validator precommits, and only the deciding round's extensions reach the
//! chain. Every item made in an earlier round must therefore be sent again, unchanged: the
//! signature share (its nonce is already spent), the decryption share, the dealing, the
//! complaint. Otherwise requests lose their shares, honest signers are blamed as missing and
//! retried, and complaints vanish.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, owned_label, EncryptionKey};
use tss_crypto::Encode;
use tss_engine::types::{BlameReason, Delivery, Event, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Behavior, Network, SimConfig};

/// Signatures and decryptions requested while every height needs `rounds` extra rounds: each
/// is called back two blocks after its request, as on a network with no failed rounds, and
/// nobody is blamed.
fn requests_survive_failed_rounds(n: usize, rounds: u32, seed: u64) {
    init_logs();
    let mut net = Network::new(SimConfig::new(n, seed));
    assert!(net.run_until(10, |x| x.network_key().is_some()).unwrap());
    net.run(2).unwrap();
    let key = net.network_key().unwrap();
    let enc = EncryptionKey::from_bytes(key, 0).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let h = net.height + 1;
    for i in 0..4u8 {
        net.at(h).requests.push(sign_request(b"alice", 0, &[i], None));
    }
    let ct = encrypt(&enc, &owned_label(b"bob", b"/1").unwrap(), b"plain", &mut rng).unwrap().to_bytes();
    net.at(h).requests.push(RequestInput { requester: b"bob".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: ct, delivery: Delivery::Public } });
    for height in h..h + 6 {
        net.slow_height(height, rounds);
    }
    net.run(4).unwrap();
    assert!(net.extra_rounds.len() >= 4, "the heights did take several rounds");
    for i in 0..4usize {
        let id = request_id(&net, h, i);
        let (at, _) = callback(&net, id).unwrap_or_else(|| panic!("request {i} got no callback"));
        assert_eq!(at, h + 2, "request {i} called back in block h+2 despite the failed rounds");
        expect_signature(&net, id, &[i as u8]);
    }
    let (at, cb) = callback(&net, request_id(&net, h, 4)).unwrap();
    assert_eq!((at, cb.outcome), (h + 2, Outcome::Plaintext(b"plain".to_vec())));
    let blame: Vec<_> = net.events().filter(|(_, e)| matches!(e, Event::Blame { .. })).collect();
    assert!(blame.is_empty(), "honest validators blamed: {blame:?}");
}

#[test]
fn n4_requests_complete_in_h_plus_2_when_heights_take_two_rounds() {
    requests_survive_failed_rounds(4, 1, 61);
}

#[test]
fn n7_requests_complete_in_h_plus_2_when_heights_take_three_rounds() {
    requests_survive_failed_rounds(7, 2, 62);
}

/// A bad dealer's dealing lands in a height whose first round failed: the complaint made in
/// that round is sent again in the deciding round, so the dealer is still convicted and every
/// honest validator ends with a share.
#[test]
fn n4_complaints_made_in_a_failed_round_are_sent_again() {
    init_logs();
    let params = Params { epoch_length: 1000, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(4, 63) });
    // Node 2 deals garbage; the failed round's proposal leaves out node 3's extension
    // (index h mod 4 at h = 3, where the dealings land), so every complaint is made in the
    // failed round.
    net.nodes[2].behavior = Behavior::BadDealing;
    for h in 1..12 {
        net.slow_height(h, 1);
    }
    assert!(net.run_until(12, |x| x.network_key().is_some()).unwrap(), "the DKG completes");
    assert!(blamed(&net, &net.nodes[2].address).contains(&BlameReason::BadShare), "the bad dealer is convicted");
    for i in [0, 1, 3] {
        assert!(blamed(&net, &net.nodes[i].address).is_empty(), "honest validator {i} blamed");
        assert_eq!(net.nodes[i].local.held_epochs().len(), 1, "honest validator {i} holds its share");
    }
}
