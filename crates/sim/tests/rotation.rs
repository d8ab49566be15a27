//! Scenarios 3 and 6: rotation to a new key generation. A ciphertext for generation g still
//! decrypts after the rotation until g retires, then the request fails with a clear reason.
//! Departed members reaching the old threshold trigger a rotation on their own.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, EncryptionKey};
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Event, Membership, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Network, SimConfig};

fn decrypt(requester: &[u8], ciphertext: Vec<u8>) -> RequestInput {
    RequestInput { requester: requester.to_vec(), request: Request::Decrypt { keyset: 0, ciphertext, delivery: Delivery::Public } }
}

#[test]
fn old_generation_decrypts_until_retirement_then_fails_clearly() {
    init_logs();
    let params = Params { retirement_delay: 12, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(4, 31) });
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    let g0 = net.network_key().unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let ct = encrypt(&EncryptionKey::from_bytes(g0, 0).unwrap(), &tss_crypto::encrypt::owned_label(b"carol", b"/msg").unwrap(), b"generation zero", &mut rng).unwrap().to_bytes();

    let h = net.height + 1;
    net.at(h).rotate = true;
    assert!(net.run_until(8, |n| n.network_key() != Some(g0)).unwrap(), "rotation produced a new key");
    let g1 = net.network_key().unwrap();
    assert_ne!(g1, g0);
    assert_eq!(net.state().keysets[&0].current, Some(1));

    // Before retirement: generation 0 still decrypts.
    let h = net.height + 1;
    net.at(h).requests.push(decrypt(b"carol", ct.clone()));
    net.run(3).unwrap();
    assert_eq!(callback(&net, request_id(&net, h, 0)).unwrap().1.outcome, Outcome::Plaintext(b"generation zero".to_vec()));
    // New encryptions use generation 1.
    let ct1 = encrypt(&EncryptionKey::from_bytes(g1, 1).unwrap(), &tss_crypto::encrypt::owned_label(b"carol", b"/new").unwrap(), b"generation one", &mut rng).unwrap().to_bytes();

    // After retirement: a clear failure, and every validator erased generation 0's shares.
    assert!(net.run_until(20, |n| n.events().any(|(_, e)| matches!(e, Event::GenerationRetired { generation: 0, .. }))).unwrap());
    net.run(1).unwrap();
    for node in &net.nodes {
        assert!(node.local.held_epochs().iter().all(|(_, g, _)| *g == 1), "generation 0 shares erased");
    }
    let h = net.height + 1;
    net.at(h).requests.push(decrypt(b"carol", ct));
    net.at(h).requests.push(decrypt(b"carol", ct1));
    net.run(3).unwrap();
    match callback(&net, request_id(&net, h, 0)).unwrap().1.outcome {
        Outcome::Failed { reason } => assert!(reason.contains("generation 0") && reason.contains("retired"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(callback(&net, request_id(&net, h, 1)).unwrap().1.outcome, Outcome::Plaintext(b"generation one".to_vec()));
}

#[test]
fn departed_members_reaching_the_threshold_trigger_a_rotation() {
    init_logs();
    // 4 validators, threshold 3; three leave one by one while three full nodes join.
    let mut net = Network::new(SimConfig { full_nodes: 3, ..SimConfig::new(4, 32) });
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    let g0 = net.network_key().unwrap();
    for k in 0..3usize {
        let h = net.height + 1;
        let join = net.validator_entry(4 + k).unwrap();
        let leave = net.nodes[k].address.clone();
        net.at(h).membership.push(Membership::Join(join));
        net.at(h).membership.push(Membership::Leave { address: leave });
        let changes_before = net.events().filter(|(_, e)| matches!(e, Event::ValidatorSetChanged { .. })).count();
        assert!(net.run_until(15, |n| n.events().filter(|(_, e)| matches!(e, Event::ValidatorSetChanged { .. })).count() > changes_before).unwrap(), "handover {k}");
        net.run(3).unwrap();
        let scheduled = net.events().any(|(_, e)| matches!(e, Event::RotationScheduled { .. }));
        assert_eq!(scheduled, k == 2, "rotation is scheduled exactly when 3 (= t) members have left (after {} departures)", k + 1);
    }
    assert!(net.run_until(10, |n| n.network_key().is_some_and(|k| k != g0)).unwrap(), "the automatic rotation completed");
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"dave", 0, b"fresh key", None));
    net.run(4).unwrap();
    let key = expect_signature(&net, request_id(&net, h, 0), b"fresh key");
    let g1 = net.network_key().unwrap();
    assert_eq!(Some(key), tss_engine::apply::derived_public_key(&g1, 0, b"dave", &None), "signed by the new generation");
}
