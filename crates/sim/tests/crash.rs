//! Scenario 5: a validator crashes after persisting but before broadcasting, and after
//! broadcasting but before commit. On restart it never reuses a nonce and never loses a share.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use std::collections::BTreeSet;
use tss_engine::state::Job;
use tss_sim::{CrashPhase, Network, SimConfig};

/// The raw nonce commitments assigned to node `i` in attempts that exist now.
fn assigned_to(net: &Network, i: usize) -> BTreeSet<[u8; 64]> {
    let me = tss_engine::state::EngineState::participant(&net.nodes[i].address).unwrap();
    net.state().requests.values().filter(|r| matches!(r.job, Job::Sign { .. })).filter_map(|r| r.attempt.as_ref()).filter_map(|a| a.signers.get(&me).copied()).collect()
}

fn crash_while_signing(phase: CrashPhase, seed: u64) {
    init_logs();
    let mut net = Network::new(SimConfig::new(4, seed));
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    net.run(2).unwrap();
    let shares_before = net.nodes[1].local.held_epochs();
    // Requests in block h get signer sets in block h; signers extend at h+1.
    let h = net.height + 1;
    for i in 0..4u8 {
        net.at(h).requests.push(sign_request(b"alice", 0, &[i], None));
    }
    // Find a height where node 1 is assigned, crash it at the next ExtendVote.
    net.run(1).unwrap();
    let mine = assigned_to(&net, 1);
    assert!(!mine.is_empty(), "node 1 signs at least one request (3 of 4 sign each)");
    net.crash(1, net.height + 1, phase);
    net.run(1).unwrap();
    assert_eq!(net.restarts, vec![(1, h + 1)]);
    // Whatever it signed with before the crash is gone from its store, and stays gone.
    for c in &mine {
        assert!(!net.nodes[1].local.has_nonce(c), "a nonce used before the crash is still in the store");
    }
    assert!(net.run_until(12, |n| (0..4).all(|i| callback(n, request_id(n, h, i)).is_some())).unwrap());
    for i in 0..4usize {
        expect_signature(&net, request_id(&net, h, i), &[i as u8]);
    }
    for c in &mine {
        assert!(!net.nodes[1].local.has_nonce(c));
    }
    // No share was lost: the restarted node still holds its share and signs again.
    assert_eq!(net.nodes[1].local.held_epochs(), shares_before);
    net.set_offline(0, net.height + 1, net.height + 40);
    net.run(2).unwrap();
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"alice", 0, b"after restart", None));
    assert!(net.run_until(12, |n| callback(n, request_id(n, h, 0)).is_some()).unwrap());
    expect_signature(&net, request_id(&net, h, 0), b"after restart");
}

#[test]
fn crash_after_persisting_before_broadcasting_never_reuses_a_nonce() {
    crash_while_signing(CrashPhase::AfterPersistBeforeBroadcast, 51);
}

#[test]
fn crash_after_broadcasting_before_commit_never_reuses_a_nonce() {
    crash_while_signing(CrashPhase::AfterBroadcastBeforeCommit, 52);
}

#[test]
fn crash_in_the_middle_of_a_dkg_resends_the_same_dealing_and_keeps_the_share() {
    init_logs();
    let mut net = Network::new(SimConfig::new(4, 53));
    // Height 1 starts the DKG; dealings are made at ExtendVote(2).
    net.crash(2, 2, CrashPhase::AfterPersistBeforeBroadcast);
    net.crash(3, 2, CrashPhase::AfterBroadcastBeforeCommit);
    assert!(net.run_until(12, |n| n.network_key().is_some()).unwrap(), "DKG completes despite the crashes");
    net.run(1).unwrap();
    for i in 0..4 {
        assert!(!net.nodes[i].local.held_epochs().is_empty(), "node {i} holds a share");
    }
    let qualified = net.state().sessions.values().find_map(|s| match &s.status {
        tss_engine::state::SessionStatus::Finalized { qualified, .. } => Some(qualified.len()),
        _ => None,
    });
    assert_eq!(qualified, Some(4), "the crashed dealers' dealings (re-sent after restart) count");
}
