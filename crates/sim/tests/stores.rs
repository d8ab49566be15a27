//! The two stores a node keeps: chain state (saved and loaded through the key-value store) and
//! the local secret store (restored on restart, attacker-controlled as a file).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use tss_engine::{EngineState, LocalSecrets};
use tss_sim::{Network, SimConfig};

fn network_after_dkg() -> Network {
    init_logs();
    let mut net = Network::new(SimConfig::new(4, 61));
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    net.at(net.height + 1).requests.push(sign_request(b"a", 0, b"m", None));
    net.run(3).unwrap();
    net
}

#[test]
fn engine_state_survives_save_and_load_exactly() {
    let net = network_after_dkg();
    for (i, node) in net.nodes.iter().enumerate() {
        let loaded = EngineState::load(&node.store).unwrap().unwrap();
        assert_eq!(&loaded, net.state_of(i).unwrap());
    }
}

#[test]
fn local_store_restores_without_state_and_checks_shares_later() {
    let mut net = network_after_dkg();
    let node = &net.nodes[1];
    let held = node.local.held_epochs();
    assert!(!held.is_empty());
    let bytes = node.local.to_bytes();
    let restored = LocalSecrets::from_bytes(&bytes, None).unwrap();
    assert_eq!(restored.held_epochs(), held, "no share is dropped for want of state");
    assert_eq!(restored.unspent_nonces(), node.local.unspent_nonces());
    assert_eq!(restored.transport_public(), node.local.transport_public());
    let with_state = LocalSecrets::from_bytes(&bytes, Some(net.state())).unwrap();
    assert_eq!(with_state.held_epochs(), held);
    // A restored store keeps signing: replace node 1's secrets with the restored copy.
    net.nodes[1].local = restored;
    net.set_offline(0, net.height + 1, net.height + 20);
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"a", 0, b"after restore", None));
    net.run(3).unwrap();
    expect_signature(&net, request_id(&net, h, 0), b"after restore");
}

#[test]
fn local_store_refuses_trailing_bytes_and_tampered_shares() {
    let net = network_after_dkg();
    let node = &net.nodes[2];
    let mut bytes = node.local.to_bytes().to_vec();
    bytes.push(0);
    assert!(LocalSecrets::from_bytes(&bytes, None).is_err(), "trailing bytes");
    bytes.pop();
    // Find the share's 32 bytes in the store and flip one: the state check catches it.
    let epoch = node.local.held_epochs()[0];
    let secret = node.local.share(&epoch).unwrap().to_secret_bytes();
    let at = bytes.windows(32).position(|w| w == secret.as_slice()).unwrap();
    bytes[at] ^= 1;
    assert!(LocalSecrets::from_bytes(&bytes, Some(net.state())).is_err(), "a share that does not match its key set is refused");
    // Without state it is kept, then dropped at the first sync with state.
    let mut restored = LocalSecrets::from_bytes(&bytes, None).unwrap();
    let mut rng = <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(1);
    restored.sync(net.state(), &mut rng);
    assert!(restored.share(&epoch).is_none());
}
