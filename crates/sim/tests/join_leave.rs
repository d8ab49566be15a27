//! Scenario 2: a validator joins and another leaves in the same epoch. The handover completes
//! before consensus hears of the change, the group key is unchanged, the joiner signs, and the
//! leaver's old share does not combine with current shares.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use curve25519_dalek::scalar::Scalar;
use tss_engine::types::{Event, Membership};
use tss_sim::{Network, SimConfig};

#[test]
fn join_and_leave_in_one_epoch_keep_the_key_and_the_joiner_signs() {
    init_logs();
    let mut net = Network::new(SimConfig { full_nodes: 1, ..SimConfig::new(5, 21) });
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    let group_key = net.network_key().unwrap();
    net.run(2).unwrap();
    let leaver = 0usize;
    let joiner = 5usize;
    let leaver_shares: Vec<_> = net.nodes[leaver].local.held_epochs().into_iter().filter_map(|e| net.nodes[leaver].local.share(&e).cloned().map(|s| (e, s))).collect();
    assert!(!leaver_shares.is_empty());

    let h = net.height + 1;
    let join = net.validator_entry(joiner).unwrap();
    net.at(h).membership.push(Membership::Join(join));
    let leaver_address = net.nodes[leaver].address.clone();
    net.at(h).membership.push(Membership::Leave { address: leaver_address });
    assert!(net.run_until(12, |n| n.events().any(|(_, e)| matches!(e, Event::ValidatorSetChanged { .. }))).unwrap(), "handover completed");
    let (changed_at, _) = net.events().find(|(_, e)| matches!(e, Event::ValidatorSetChanged { .. })).unwrap();
    let updates = &net.outputs.iter().find(|(h, _)| *h == changed_at).unwrap().1.validator_updates;
    assert_eq!(updates.len(), 2, "consensus hears of the change only once the handover is done: {updates:?}");
    assert!(changed_at - h <= 4, "handover took {} blocks", changed_at - h);
    assert_eq!(net.network_key().unwrap(), group_key);

    // The joiner received its share as a full node reading blocks.
    assert!(net.nodes[joiner].local.held_epochs().iter().any(|(k, _, _)| *k == 0));
    // The leaver erased its shares once the chain dropped the old epoch.
    net.run(3).unwrap();
    assert!(net.nodes[leaver].local.held_epochs().is_empty(), "leaver still holds {:?}", net.nodes[leaver].local.held_epochs());

    // With one validator offline, the remaining 4 of 5 (threshold 4) must include the joiner.
    let off_from = net.height + 1;
    net.set_offline(1, off_from, off_from + 30);
    net.run(3).unwrap();
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"alice", 0, b"after the handover", None));
    assert!(net.run_until(12, |n| callback(n, request_id(n, h, 0)).is_some()).unwrap());
    expect_signature(&net, request_id(&net, h, 0), b"after the handover");

    // A thief holding the leaver's old share and t-1 current shares cannot interpolate the key.
    let state = net.state();
    let generation = &state.keysets[&0].generations[&0];
    let (&epoch, _) = generation.epochs.iter().next_back().unwrap();
    let public = state.public_key_set(0, 0, epoch).unwrap();
    let t = usize::from(public.threshold());
    let mut shares: Vec<tss_crypto::KeyShare> = net.nodes[2..]
        .iter()
        .filter_map(|n| n.local.share(&(0, 0, epoch)).cloned())
        .take(t - 1)
        .collect();
    shares.push(leaver_shares[0].1.clone());
    let xs: Vec<Scalar> = shares.iter().map(|s| tss_crypto::committee::id_scalar(&s.id())).collect();
    let lambdas = tss_crypto::group::lagrange_at_zero(&xs).unwrap();
    let secret: Scalar = shares.iter().zip(&lambdas).map(|(s, l)| l * Scalar::from_canonical_bytes(*s.to_secret_bytes()).unwrap()).sum();
    assert_ne!(tss_crypto::group::mul_base(&secret).compress().to_bytes(), group_key);
}

/// Review finding 6: a reshare that cannot complete (here 2 of 7 validators offline and 1 dealing
/// garbage, so only 4 valid dealings against a threshold of 5) used to restart forever and
/// block refreshes, rotations and further membership changes. It is now abandoned after
/// `handover_attempts` reshares with a `HandoverFailed` event naming the dropped change; the
/// validator set and the key stay as they were, and signing goes on.
#[test]
fn reshare_that_cannot_complete_is_abandoned_after_bounded_attempts() {
    init_logs();
    let params = tss_engine::Params { epoch_length: 1000, ..tss_engine::Params::default() };
    let mut net = Network::new(SimConfig { full_nodes: 1, params, ..SimConfig::new(7, 22) });
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    let group_key = net.network_key().unwrap();
    net.nodes[6].behavior = tss_sim::Behavior::BadDealing;
    let h = net.height + 1;
    net.set_offline(4, h, h + 60);
    net.set_offline(5, h, h + 60);
    let joiner = net.validator_entry(7).unwrap();
    net.at(h).membership.push(Membership::Join(joiner));
    assert!(net.run_until(40, |n| n.events().any(|(_, e)| matches!(e, Event::HandoverFailed { .. }))).unwrap(), "the handover is abandoned");
    let (failed_at, event) = net.events().find(|(_, e)| matches!(e, Event::HandoverFailed { .. })).map(|(h, e)| (h, e.clone())).unwrap();
    let Event::HandoverFailed { attempts, dropped, .. } = event else { unreachable!() };
    assert_eq!(attempts, 3);
    assert_eq!(dropped, vec![Membership::Join(net.validator_entry(7).unwrap())]);
    let reshares_started = net.events().filter(|(_, e)| matches!(e, Event::SessionStarted { kind, .. } if kind == "reshare")).count();
    assert_eq!(reshares_started, 3, "no reshare starts after the handover is abandoned");
    assert!(net.events().all(|(_, e)| !matches!(e, Event::ValidatorSetChanged { .. })));
    assert_eq!(net.state().meta.validators.len(), 7);
    assert!(net.state().meta.handover_to.is_none());

    // Signing goes on with the validators that are left.
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"alice", 0, b"still signing", None));
    assert!(net.run_until(12, |n| callback(n, request_id(n, h, 0)).is_some()).unwrap());
    expect_signature(&net, request_id(&net, h, 0), b"still signing");
    assert_eq!(net.network_key().unwrap(), group_key);
    assert!(failed_at < net.height);
}
