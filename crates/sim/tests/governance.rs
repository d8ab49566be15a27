//! Governance's orders to the engine with byzantine validators present (n = 7, f = 2): a
//! rotation of the network key, a parameter change, a freeze and an unfreeze. The chain keeps
//! signing and decrypting through each; every node keeps the same state (checked by the
//! network at every height).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, owned_label, EncryptionKey};
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Event, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Behavior, Network, SimConfig};

fn network(seed: u64) -> Network {
    let params = Params { retirement_delay: 12, epoch_length: 20, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(7, seed) });
    net.nodes[5].behavior = Behavior::BadDealing;
    net.nodes[6].behavior = Behavior::WrongSignatureShare;
    net
}

/// Runs until request `id` is called back (a byzantine signer may spoil an attempt or two).
fn settle(net: &mut Network, height: u64, index: usize) -> u64 {
    if net.height < height {
        net.run(height - net.height).unwrap();
    }
    let id = request_id(net, height, index);
    assert!(net.run_until(16, |n| callback(n, id).is_some()).unwrap(), "request {id} was never called back");
    id
}

fn decrypt(ciphertext: Vec<u8>) -> RequestInput {
    RequestInput { requester: b"carol".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext, delivery: Delivery::Public } }
}

#[test]
fn n7f2_a_governance_rotation_serves_the_new_key_and_the_old_until_retirement() {
    init_logs();
    let mut net = network(71);
    assert!(net.run_until(12, |n| n.network_key().is_some()).unwrap());
    let g0 = net.network_key().unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let old = encrypt(&EncryptionKey::from_bytes(g0, 0).unwrap(), &owned_label(b"carol", b"/old").unwrap(), b"made for generation 0", &mut rng).unwrap().to_bytes();
    let h = net.height + 1;
    net.at(h).rotate = true;
    // Signing never pauses: a request in every block of the rotation.
    let mut asked = Vec::new();
    for _ in 0..8 {
        let h = net.height + 1;
        net.at(h).requests.push(sign_request(b"dave", 0, format!("during {h}").as_bytes(), None));
        asked.push(h);
        net.run(1).unwrap();
        if net.network_key() != Some(g0) {
            break;
        }
    }
    let g1 = net.network_key().unwrap();
    assert_ne!(g1, g0, "the rotation produced a new key");
    for h in &asked {
        let id = settle(&mut net, *h, 0);
        expect_signature(&net, id, format!("during {h}").as_bytes());
    }
    // The old generation still decrypts within the grace period; the new key serves too.
    let h = net.height + 1;
    net.at(h).requests.push(decrypt(old.clone()));
    net.at(h).requests.push(sign_request(b"dave", 0, b"after", None));
    let id = settle(&mut net, h, 0);
    assert_eq!(callback(&net, id).unwrap().1.outcome, Outcome::Plaintext(b"made for generation 0".to_vec()));
    let id = settle(&mut net, h, 1);
    let key = expect_signature(&net, id, b"after");
    assert_eq!(Some(key), tss_engine::apply::derived_public_key(&g1, 0, b"dave", &None), "signed by the new generation");
    // After the grace period: refused with a reason.
    assert!(net.run_until(20, |n| n.events().any(|(_, e)| matches!(e, Event::GenerationRetired { generation: 0, .. }))).unwrap());
    let h = net.height + 1;
    net.at(h).requests.push(decrypt(old));
    let id = settle(&mut net, h, 0);
    match callback(&net, id).unwrap().1.outcome {
        Outcome::Failed { reason } => assert!(reason.contains("retired"), "{reason}"),
        other => panic!("expected a refusal after retirement, got {other:?}"),
    }
    assert!(!blamed(&net, &net.nodes[5].address.clone()).is_empty(), "the bad dealer was named");
}

#[test]
fn n7f2_freeze_stops_a_keyset_unfreeze_restores_it_and_params_change_the_epoch() {
    init_logs();
    let mut net = network(72);
    assert!(net.run_until(12, |n| n.network_key().is_some()).unwrap());
    // Freeze: an open request fails now, a new one is refused.
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"dave", 0, b"in flight", None));
    net.at(h).freeze.push((0, true));
    net.run(1).unwrap();
    let h2 = net.height + 1;
    net.at(h2).requests.push(sign_request(b"dave", 0, b"while frozen", None));
    net.run(3).unwrap();
    for (height, what) in [(h, "in flight"), (h2, "while frozen")] {
        match callback(&net, request_id(&net, height, 0)).unwrap().1.outcome {
            Outcome::Failed { reason } => assert!(reason.contains("frozen"), "{what}: {reason}"),
            other => panic!("{what}: a frozen keyset signed: {other:?}"),
        }
    }
    assert!(net.events().any(|(_, e)| *e == Event::KeysetFrozen { keyset: 0, frozen: true }));
    // Unfreeze: it signs again.
    let h = net.height + 1;
    net.at(h).freeze.push((0, false));
    net.run(1).unwrap();
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"dave", 0, b"thawed", None));
    let id = settle(&mut net, h, 0);
    expect_signature(&net, id, b"thawed");
    // A parameter change: refreshes now come every 12 blocks; an invalid change is refused.
    let h = net.height + 1;
    net.at(h).params = Some(Params { epoch_length: 3, ..net.state().meta.params.clone() });
    net.run(1).unwrap();
    assert!(net.events().any(|(_, e)| matches!(e, Event::ParamsChanged { ok: false, .. })));
    assert_eq!(net.state().meta.params.epoch_length, 20, "an invalid change left the params alone");
    let h = net.height + 1;
    net.at(h).params = Some(Params { epoch_length: 12, ..net.state().meta.params.clone() });
    net.run(1).unwrap();
    assert_eq!(net.state().meta.params.epoch_length, 12);
    let next = net.height.div_ceil(12) * 12;
    let before = completed_sessions(&net, "refresh");
    net.run(next - net.height + 5).unwrap();
    assert!(completed_sessions(&net, "refresh") > before, "a refresh ran at the new epoch boundary {next}");
}
