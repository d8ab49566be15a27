//! The censored-complaint attack (review finding 3). A byzantine dealer deals a bad share to one
//! victim only, holds its dealing back until the block where the victim's complaint is due is a
//! block it proposes itself, and leaves the victim's extension out of that block. When a
//! complaint counted only in the block after its dealing, the victim ended the session without a
//! share and the attacker went unblamed; with n = 4 and t = 3 the attacker then held signing,
//! decryption and refresh hostage. Now the victim sends its complaint again at every height, the
//! session waits for recipients that have not acknowledged or complained about every dealing
//! (at least f+1 blocks, so an honest proposer comes), and the complaint lands.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use std::collections::BTreeMap;
use tss_engine::types::{BlameReason, Event};
use tss_engine::Params;
use tss_sim::{Behavior, Network, SimConfig};

/// Runs the attack with `attackers` colluding against `victim` through the genesis DKG and the
/// refreshes of `blocks` heights. Returns the network and, per attacked session, the height its
/// bad dealing arrived and the height the attacker was blamed for it.
fn run_attack(n: usize, attackers: &[usize], victim: usize, seed: u64, blocks: u64) -> (Network, BTreeMap<u64, (u64, u64)>) {
    init_logs();
    // The attacker's proposer slot comes every n heights: give the dealing phase room for it.
    let params = Params { epoch_length: 2 * n as u64 + 8, dealing_timeout: n as u64 + 4, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(n, seed) });
    for a in attackers {
        net.nodes[*a].behavior = Behavior::CensoringDealer { victim };
    }
    let attacker_keys: Vec<[u8; 32]> = attackers.iter().map(|a| tss_engine::EngineState::participant(&net.nodes[*a].address).unwrap()).collect();
    let mut attacked: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for _ in 0..blocks {
        net.step().unwrap();
        let h = net.height;
        for (number, s) in &net.state().sessions {
            for key in &attacker_keys {
                if let Some((arrived, _)) = s.dealings.get(key) {
                    attacked.entry(*number).or_insert((*arrived, 0));
                }
            }
        }
        let blamed_now = net.outputs.last().unwrap().1.events.iter().any(|e| matches!(e, Event::Blame { validator, reason: BlameReason::BadShare } if attackers.iter().any(|a| net.nodes[*a].address == *validator)));
        if blamed_now {
            if let Some(entry) = attacked.values_mut().find(|(_, blamed)| *blamed == 0) {
                entry.1 = h;
            }
        }
    }
    (net, attacked)
}

/// Every validator holds a share of the network key's current epoch that matches its public
/// key set, and the key still signs.
fn everyone_holds_a_valid_share(net: &mut Network, n: usize) {
    let state = net.state().clone();
    let keyset = &state.keysets[&0];
    let generation = keyset.current.unwrap();
    let (epoch, _) = keyset.generations[&generation].epoch_at(state.meta.height + 1).unwrap();
    let public = state.public_key_set(0, generation, epoch).unwrap();
    for i in 0..n {
        let share = net.nodes[i].local.share(&(0, generation, epoch)).unwrap_or_else(|| panic!("validator {i} holds no share of epoch {epoch}"));
        share.check(&public).unwrap_or_else(|e| panic!("validator {i}'s share of epoch {epoch} is invalid: {e}"));
    }
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"alice", 0, b"after the attack", None));
    assert!(net.run_until(12, |n| callback(n, request_id(n, h, 0)).is_some()).unwrap());
    expect_signature(net, request_id(net, h, 0), b"after the attack");
}

fn assert_attack_ran_and_failed(net: &Network, attacked: &BTreeMap<u64, (u64, u64)>, attackers: &[usize]) {
    assert!(!attacked.is_empty(), "the attackers never dealt");
    for (session, (arrived, blamed)) in attacked {
        if net.state().sessions.get(session).is_some_and(|s| s.status == tss_engine::state::SessionStatus::Collecting) {
            continue; // still running when the scenario stopped
        }
        assert!(*blamed != 0, "session {session}: the bad dealing arrived in block {arrived} and its dealer was never blamed");
        assert!(*blamed > arrived + 1, "session {session}: the complaint was due in block {} and was not censored (blamed at {blamed})", arrived + 1);
    }
    for a in attackers {
        assert!(blamed(net, &net.nodes[*a].address).contains(&BlameReason::BadShare), "attacker {a} is blamed for its bad share");
    }
}

#[test]
fn n4_censored_complaint_lands_and_the_victim_keeps_a_share() {
    let (mut net, attacked) = run_attack(4, &[1], 2, 81, 40);
    assert_attack_ran_and_failed(&net, &attacked, &[1]);
    everyone_holds_a_valid_share(&mut net, 4);
}

#[test]
fn n7_two_colluding_censors_cannot_keep_the_victims_complaint_out() {
    // Validators 1 and 2 propose consecutive blocks: the victim's complaint is dropped twice
    // in a row and lands in the third block.
    let (mut net, attacked) = run_attack(7, &[1, 2], 4, 82, 50);
    assert_attack_ran_and_failed(&net, &attacked, &[1, 2]);
    everyone_holds_a_valid_share(&mut net, 7);
}
