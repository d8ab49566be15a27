//! Share repair (review finding 3): a validator restored from an old backup (its transport key,
//! and shares of epochs the chain has since refreshed away) holds no share of the epoch in
//! force. It asks for a repair in its extension; the other members blind their shares and send
//! them sealed to it; it recovers its share, signs with it, and takes part in the next refresh.
//! Before repair existed it stayed without a share until the next reshare, and with one more
//! validator offline (n = 4, t = 3) nothing could be signed.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use tss_engine::types::{Event, Outcome};
use tss_engine::{LocalSecrets, Params};
use tss_sim::{Behavior, Network, SimConfig};

/// The epoch of the network key in force now, and its key set.
fn current_epoch(net: &Network) -> (u32, u64, tss_crypto::PublicKeySet) {
    let state = net.state();
    let keyset = &state.keysets[&0];
    let generation = keyset.current.unwrap();
    let (epoch, _) = keyset.generations[&generation].epoch_at(state.meta.height + 1).unwrap();
    (generation, epoch, state.public_key_set(0, generation, epoch).unwrap())
}

fn holds_current_share(net: &Network, node: usize) -> bool {
    let (generation, epoch, public) = current_epoch(net);
    net.nodes[node].local.share(&(0, generation, epoch)).is_some_and(|s| s.check(&public).is_ok())
}

/// Runs to the first refresh after a backup of `target` was taken, then restores the backup:
/// the target holds no share of the epoch in force.
fn restore_stale_backup(net: &mut Network, target: usize) {
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    let backup = net.nodes[target].persisted.clone();
    let (_, epoch_at_backup, _) = current_epoch(net);
    assert!(net.run_until(40, |n| current_epoch(n).1 >= epoch_at_backup + 2).unwrap(), "two refreshes");
    net.nodes[target].local = LocalSecrets::from_bytes(&backup, Some(net.state())).unwrap();
    assert!(!holds_current_share(net, target), "the stale backup holds no share of the epoch in force");
}

fn sign_now(net: &mut Network, message: &[u8]) -> Outcome {
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"alice", 0, message, None));
    assert!(net.run_until(20, |n| callback(n, request_id(n, h, 0)).is_some()).unwrap());
    callback(net, request_id(net, h, 0)).unwrap().1.outcome
}

#[test]
fn n4_a_validator_restored_from_an_old_backup_gets_its_share_back() {
    init_logs();
    let params = Params { epoch_length: 10, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(4, 91) });
    restore_stale_backup(&mut net, 2);
    let key = net.network_key().unwrap();
    let (_, epoch, _) = current_epoch(&net);
    assert!(net.run_until(12, |n| holds_current_share(n, 2)).unwrap(), "the share is repaired within 12 blocks");
    assert_eq!(current_epoch(&net).1, epoch, "no new epoch was needed");
    assert!(net.events().any(|(_, e)| matches!(e, Event::RepairDelivered { validator, contributions: 3, .. } if *validator == net.nodes[2].address)));
    // With validator 0 offline, any signature needs validator 2's repaired share.
    let h = net.height + 1;
    net.set_offline(0, h, h + 40);
    match sign_now(&mut net, b"repaired") {
        Outcome::Signature { signature, public_key } => assert!(verifies(&public_key, b"repaired", &signature)),
        other => panic!("signing with the repaired share failed: {other:?}"),
    }
    // The repaired share refreshes like any other, and the key never changed.
    assert!(net.run_until(15, |n| current_epoch(n).1 > epoch && holds_current_share(n, 2)).unwrap(), "the next refresh includes it");
    assert_eq!(net.network_key(), Some(key));
}

#[test]
fn n7_repair_survives_a_bad_blinding_dealer_and_a_garbage_helper() {
    init_logs();
    let params = Params { epoch_length: 12, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(7, 92) });
    net.nodes[3].behavior = Behavior::BadDealing;
    net.nodes[5].behavior = Behavior::GarbageItems;
    restore_stale_backup(&mut net, 1);
    assert!(net.run_until(16, |n| holds_current_share(n, 1)).unwrap(), "the share is repaired despite two byzantine helpers");
    // Validators 3 and 5 could not stop it; every other holder still signs.
    match sign_now(&mut net, b"after repair") {
        Outcome::Signature { signature, public_key } => assert!(verifies(&public_key, b"after repair", &signature)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn repair_requests_are_bounded_per_epoch() {
    init_logs();
    // Two garbage helpers leave 4 good blinded shares where 5 are needed: every repair fails,
    // and the target keeps asking. It gets `repair_attempts` sessions for the epoch, no more.
    let params = Params { epoch_length: 1000, repair_attempts: 2, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(7, 93) });
    net.nodes[4].behavior = Behavior::GarbageItems;
    net.nodes[5].behavior = Behavior::GarbageItems;
    let before_any_key = net.nodes[2].persisted.clone();
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    // Past the DKG session's retention (within it, the share would simply be computed again
    // from the dealings on chain).
    net.run(10).unwrap();
    net.nodes[2].local = LocalSecrets::from_bytes(&before_any_key, Some(net.state())).unwrap();
    net.run(60).unwrap();
    let started = net.events().filter(|(_, e)| matches!(e, Event::SessionStarted { kind, .. } if kind == "repair")).count();
    assert_eq!(started, 2, "repair sessions for one epoch");
    assert!(!holds_current_share(&net, 2));
}

#[test]
fn n4_a_validator_that_lost_its_disk_gets_a_new_transport_key_and_its_share_back() {
    init_logs();
    let params = Params { epoch_length: 10, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(4, 94) });
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    net.run(12).unwrap();
    // Everything gone: a new store, with a transport key the chain has never seen.
    let mut rng = <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::seed_from_u64(1);
    net.nodes[3].local = LocalSecrets::generate(&net.nodes[3].address, &mut rng).unwrap();
    let lost_at = net.height;
    assert!(net.run_until(25, |n| holds_current_share(n, 3)).unwrap(), "the share is back");
    let rotated = net.events().any(|(h, e)| h > lost_at && matches!(e, Event::TransportKeyRotated { validator, .. } if *validator == net.nodes[3].address));
    assert!(rotated, "the new transport key was registered");
    let h = net.height + 1;
    net.set_offline(0, h, h + 40);
    assert!(matches!(sign_now(&mut net, b"new disk"), Outcome::Signature { .. }));
}
