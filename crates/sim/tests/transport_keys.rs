//! Transport keys rotate every epoch (review finding 2). Sealed sub-shares stay public on chain
//! forever; when a validator's transport key never changed, whoever stole its local store once
//! opened its sub-shares of every later refresh and so kept its *current* share, and a few such
//! thefts at different times added up to the key. Now every validator announces a new transport
//! key shortly before each epoch boundary and erases the old one once no session needs it: a
//! stolen store opens nothing sealed after the next rotation, and stores stolen in different
//! epochs hold shares of different epochs, which never combine.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rand_chacha::rand_core::SeedableRng;
use std::collections::{BTreeMap, BTreeSet};
use tss_engine::state::SessionStatus;
use tss_engine::types::Event;
use tss_engine::{LocalSecrets, Params};
use tss_sim::{Network, SimConfig};

const EPOCH: u64 = 10;

/// A thief's copy of one validator's store, kept up to date from public chain data as a thief
/// would: it computes every share its keys open and never erases anything.
struct Theft {
    node: usize,
    stolen_at: u64,
    store: LocalSecrets,
    /// Every epoch of the network key it ever held a share of.
    epochs: BTreeSet<u64>,
    /// Sessions (by start height) whose sub-shares for its validator it could open.
    opened: BTreeMap<u64, bool>,
}

fn network(seed: u64) -> Network {
    let params = Params { epoch_length: EPOCH, ..Params::default() };
    Network::new(SimConfig { params, ..SimConfig::new(4, seed) })
}

/// Steps the network, stealing `(node, at height)` stores, and follows every stolen store.
fn run_with_thefts(net: &mut Network, thefts: &[(usize, u64)], until: u64) -> Vec<Theft> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let mut stolen: Vec<Theft> = Vec::new();
    while net.height < until {
        net.step().unwrap();
        for (node, at) in thefts {
            if net.height == *at {
                let store = LocalSecrets::from_bytes(&net.nodes[*node].persisted, None).unwrap();
                stolen.push(Theft { node: *node, stolen_at: *at, store, epochs: BTreeSet::new(), opened: BTreeMap::new() });
            }
        }
        let state = net.state().clone();
        for t in &mut stolen {
            t.store.sync(&state, &mut rng);
            t.epochs.extend(t.store.held_epochs().iter().filter(|(k, _, _)| *k == 0).map(|(_, _, e)| *e));
            for (number, s) in &state.sessions {
                if s.keyset == 0 && s.status != SessionStatus::Collecting && !t.opened.contains_key(&s.started) {
                    t.opened.insert(s.started, t.store.opens_session(&state, *number, &mut rng));
                }
            }
        }
    }
    stolen
}

#[test]
fn a_stolen_store_opens_nothing_sealed_after_the_next_rotation() {
    init_logs();
    let mut net = network(61);
    // Stolen mid-epoch, away from the rotation and refresh windows.
    let thefts = run_with_thefts(&mut net, &[(1, 2 * EPOCH + 5)], 7 * EPOCH);
    let t = &thefts[0];
    // Sanity: the stolen keys do open the session whose shares were current when stolen.
    assert!(t.opened.iter().any(|(started, opened)| *started <= t.stolen_at && *opened), "the thief reads the epoch it stole: {:?}", t.opened);
    let later: Vec<(&u64, &bool)> = t.opened.iter().filter(|(started, _)| **started > t.stolen_at).collect();
    assert!(later.len() >= 4, "refreshes after the theft: {later:?}");
    for (started, opened) in later {
        assert!(!opened, "the stolen store opens validator {}'s sub-shares of the session started at {started}", t.node);
    }
    let rotations = net.events().filter(|(_, e)| matches!(e, Event::TransportKeyRotated { validator, .. } if *validator == net.nodes[1].address)).count();
    assert!(rotations >= 5, "validator 1 rotated its transport key {rotations} times in 7 epochs");
}

#[test]
fn stores_stolen_in_different_epochs_never_hold_shares_of_one_epoch() {
    init_logs();
    let mut net = network(62);
    // t = 3 of n = 4: three validators' stores, each stolen in a different epoch.
    let thefts = run_with_thefts(&mut net, &[(1, 2 * EPOCH + 5), (2, 3 * EPOCH + 5), (3, 4 * EPOCH + 5)], 7 * EPOCH);
    let mut holders: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for t in &thefts {
        assert!(!t.epochs.is_empty(), "validator {}'s stolen store held a share", t.node);
        for e in &t.epochs {
            holders.entry(*e).or_default().push(t.node);
        }
    }
    for (epoch, nodes) in &holders {
        assert!(nodes.len() < 2, "epoch {epoch}: stolen stores of validators {nodes:?} hold shares of it together");
    }
}
