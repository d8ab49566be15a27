//! 4 honest validators: genesis DKG, a signature and a decryption.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use tss_engine::types::{Delivery, Event, Outcome, Request, RequestInput};
use tss_sim::{Network, SimConfig};

#[test]
fn genesis_dkg_then_sign_and_decrypt() {
    init_logs();
    let mut net = Network::new(SimConfig::new(4, 1));
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap(), "genesis DKG did not complete");
    let dkg_blocks = net.events().find_map(|(_, e)| match e {
        Event::SessionCompleted { blocks, .. } => Some(*blocks),
        _ => None,
    });
    assert_eq!(dkg_blocks, Some(3));
    let group_key = net.network_key().unwrap();
    net.run(2).unwrap(); // nonce pools fill
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"alice", 0, b"hello", Some(b"path/0")));
    net.run(3).unwrap();
    let id = request_id(&net, h, 0);
    let (at, _) = callback(&net, id).expect("callback");
    assert_eq!(at, h + 2, "callback in block h+2");
    let derived = expect_signature(&net, id, b"hello");
    assert_ne!(derived, group_key);

    // Threshold decryption of a ciphertext whose label the requester owns.
    let key = tss_crypto::encrypt::EncryptionKey::from_bytes(group_key, 0).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let ct = tss_crypto::encrypt::encrypt(&key, &tss_crypto::encrypt::owned_label(b"alice", b"/bid-1").unwrap(), b"sealed 42", &mut rng).unwrap();
    use rand_chacha::rand_core::SeedableRng;
    use tss_crypto::Encode;
    let h = net.height + 1;
    net.at(h).requests.push(RequestInput { requester: b"alice".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: ct.to_bytes(), delivery: Delivery::Public } });
    net.run(3).unwrap();
    let id = request_id(&net, h, 0);
    let (at, cb) = callback(&net, id).unwrap();
    assert_eq!(cb.outcome, Outcome::Plaintext(b"sealed 42".to_vec()));
    assert_eq!(at, h + 2);
}
