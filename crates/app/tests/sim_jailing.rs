//! Jailing driven by the simulator, with byzantine validators present: the chain's slashing
//! runs after every simulated block on the engine's real blame events, and its membership
//! changes go into the next block. A validator that deals bad shares is jailed and slashed and
//! leaves through a reshare; one that goes silent is jailed without loss and leaves the same
//! way; no honest validator is touched; the key never changes and still signs.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use tss_app::slashing::{end_block, take_membership};
use tss_app::staking::{self, GenesisValidator, StakingParams};
use tss_app::{genesis, AppParams};
use tss_engine::types::{Outcome, Request, RequestInput};
use tss_engine::{MemStore, Params};
use tss_sim::{Behavior, Network, SimConfig};

#[test]
fn byzantine_and_silent_validators_are_jailed_and_leave_through_a_reshare() {
    let params = Params { epoch_length: 12, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(7, 31) });
    net.nodes[5].behavior = Behavior::BadDealing;
    let mut store = MemStore::default();
    let app = AppParams { staking: StakingParams { downtime_blocks: 15, jail_blocks: 1000, ..StakingParams::default() }, ..AppParams::default() };
    genesis(&mut store, &app, &[]).unwrap();
    let validators: Vec<GenesisValidator> = net.nodes.iter().map(|n| GenesisValidator { address: n.address.clone(), consensus_key: n.consensus_key().to_bytes(), transport: n.local.transport_public() }).collect();
    staking::genesis_validators(&mut store, &validators, 2_000_000, 10);
    net.set_offline(6, 20, 1000);
    let mut key = None;
    for _ in 0..80 {
        let h = net.height + 1;
        let membership = take_membership(&mut store);
        net.at(h).membership.extend(membership);
        net.step().unwrap();
        let out = net.outputs.last().unwrap().1.clone();
        end_block(&mut store, net.state(), &out, h);
        if key.is_none() {
            key = net.network_key();
        }
    }
    let record = |i: usize| staking::by_consensus_address(&store, &net.nodes[i].address).unwrap();
    let bad = record(5);
    assert!(bad.jailed_until.is_some() && bad.bond < 2_000_000, "the bad dealer is jailed and slashed: {bad:?}");
    let silent = record(6);
    assert!(silent.jailed_until.is_some() && silent.bond == 2_000_000, "the silent validator is jailed without loss: {silent:?}");
    for i in 0..5 {
        let r = record(i);
        assert!(r.jailed_until.is_none() && r.bond == 2_000_000, "honest validator {i} untouched: {r:?}");
    }
    let set: Vec<Vec<u8>> = net.state().meta.validators.iter().map(|v| v.address.clone()).collect();
    assert_eq!(set.len(), 5, "both left through a reshare");
    assert!(!set.contains(&net.nodes[5].address) && !set.contains(&net.nodes[6].address));
    assert_eq!(net.network_key(), key, "the key never changed");
    let h = net.height + 1;
    net.at(h).requests.push(RequestInput { requester: b"alice".to_vec(), request: Request::Sign { keyset: 0, message: b"after".to_vec(), context: None } });
    net.run(4).unwrap();
    let signed = net.callbacks().any(|(_, c)| matches!(c.outcome, Outcome::Signature { .. }));
    assert!(signed, "the five remaining validators sign");
}
