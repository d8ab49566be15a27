//! Scenario 1: genesis DKG at n = 4, 7, 10, then 10 epochs of refresh, with signatures (network
//! key, derived per caller; and a contract's own keyset) and decryptions in between. Every
//! signature verifies with ed25519-dalek under the unchanged key.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, EncryptionKey};
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Network, SimConfig};

fn ten_epochs(n: usize, seed: u64) {
    init_logs();
    let params = Params { epoch_length: 8, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(n, seed) });
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap(), "genesis DKG");
    let network_key = net.network_key().unwrap();

    // A contract creates its own keyset.
    let h = net.height + 1;
    net.at(h).requests.push(RequestInput { requester: b"contract-1".to_vec(), request: Request::CreateKeyset { threshold: None } });
    net.run(5).unwrap();
    let create = request_id(&net, h, 0);
    let (_, cb) = callback(&net, create).expect("keyset ready");
    let Outcome::KeysetReady { keyset, public_key: contract_key } = cb.outcome else { panic!("{:?}", cb.outcome) };

    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let enc = EncryptionKey::from_bytes(network_key, 0).unwrap();
    let early = encrypt(&enc, &tss_crypto::encrypt::owned_label(b"bob", b"/early").unwrap(), b"made at genesis", &mut rng).unwrap();
    let mut derived_key = None;
    let mut signed = 0;
    for epoch in 0..10u64 {
        let h = net.height + 1;
        let msg = format!("epoch {epoch}").into_bytes();
        net.at(h).requests.push(sign_request(b"alice", 0, &msg, Some(b"wallet/0")));
        net.at(h).requests.push(sign_request(b"contract-1", keyset, &msg, None));
        net.at(h).requests.push(RequestInput { requester: b"bob".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: early.to_bytes(), delivery: Delivery::Public } });
        net.run(8).unwrap();
        let k = expect_signature(&net, request_id(&net, h, 0), &msg);
        assert_eq!(*derived_key.get_or_insert(k), k, "alice's derived key is stable across epochs");
        assert_eq!(Some(k), tss_engine::apply::derived_public_key(&network_key, 0, b"alice", &Some(b"wallet/0".to_vec())), "clients can compute it");
        assert_eq!(expect_signature(&net, request_id(&net, h, 1), &msg), contract_key);
        assert_eq!(callback(&net, request_id(&net, h, 2)).unwrap().1.outcome, Outcome::Plaintext(b"made at genesis".to_vec()));
        signed += 2;
    }
    assert_eq!(signed, 20);
    assert_eq!(net.network_key().unwrap(), network_key, "refresh never changes the group key");
    let refreshes = completed_sessions(&net, "refresh");
    assert!(refreshes >= 2 * 9, "both keysets refreshed every epoch ({refreshes} refreshes)");
    // Validators hold exactly the active epoch's share (and a staged newer one right after a
    // refresh): every older share was erased as soon as the newer epoch took over.
    let generation = &net.state().keysets[&0].generations[&0];
    let (active, _) = generation.epoch_at(net.height + 1).unwrap();
    assert!(active >= 9, "active epoch {active}");
    let expected: Vec<(u64, u32, u64)> = generation.epochs.keys().filter(|e| **e >= active).map(|e| (0, 0, *e)).collect();
    for node in &net.nodes {
        let held: Vec<_> = node.local.held_epochs().into_iter().filter(|(k, _, _)| *k == 0).collect();
        assert_eq!(held, expected, "node {:?}", String::from_utf8_lossy(&node.address));
    }
}

#[test]
fn n4_ten_epochs_of_refresh_with_requests() {
    ten_epochs(4, 11);
}

#[test]
fn n7_ten_epochs_of_refresh_with_requests() {
    ten_epochs(7, 12);
}

#[test]
fn n10_ten_epochs_of_refresh_with_requests() {
    ten_epochs(10, 13);
}
