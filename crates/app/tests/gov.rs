//! Governance: deposits, votes weighted by bond, the tally (quorum, threshold, veto, abstain,
//! changed votes, bonds that change during the vote), execution exactly once, a failing
//! execution recorded, and hostile messages. The engine state is a real one: the simulator's
//! network after its genesis DKG, and for the orders the simulator runs them.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use ed25519_dalek::SigningKey;
use tss_app::gov::{self, Content, GovParams, Status, VoteOption};
use tss_app::staking::{self, GenesisValidator};
use tss_app::{code, genesis, Address, AppParams, Block, Fee, Msg, Tx, TxBody, TxOutcome};
use tss_engine::types::{Event, Outcome, Request, RequestInput};
use tss_engine::{MemStore, Params};
use tss_sim::{Network, SimConfig};

const BOND: u128 = 1_000_000;

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn addr(k: &SigningKey) -> Address {
    Address::of_key(&k.verifying_key().to_bytes())
}

struct Chain {
    net: Network,
    store: MemStore,
    /// The height of the block being built (the simulator's next).
    height: u64,
}

/// Four validators after their genesis DKG; accounts 1 and 2 funded; operators funded too.
fn chain(seed: u64) -> Chain {
    let params = Params { epoch_length: 20, retirement_delay: 8, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(4, seed) });
    assert!(net.run_until(12, |n| n.network_key().is_some()).unwrap());
    let mut store = MemStore::default();
    let staking = tss_app::staking::StakingParams { min_self_bond: 1_000, ..Default::default() };
    let app = AppParams { gov: GovParams { min_deposit: 1_000, max_deposit_blocks: 5, voting_blocks: 4, ..GovParams::default() }, staking, ..AppParams::default() };
    let mut funded = vec![(addr(&key(1)), 100_000_000), (addr(&key(2)), 100_000_000)];
    funded.extend(net.nodes.iter().map(|n| (Address::of_key(&n.consensus_key().to_bytes()), 10_000_000)));
    genesis(&mut store, &app, &funded).unwrap();
    let validators: Vec<GenesisValidator> = net.nodes.iter().map(|n| GenesisValidator { address: n.address.clone(), consensus_key: n.consensus_key().to_bytes(), transport: n.local.transport_public() }).collect();
    staking::genesis_validators(&mut store, &validators, BOND, 10);
    let height = net.height + 1;
    Chain { net, store, height }
}

impl Chain {
    fn operator(&self, i: usize) -> SigningKey {
        self.net.nodes[i].consensus_secret()
    }

    fn tx(&mut self, signer: &SigningKey, msg: Msg) -> TxOutcome {
        let sequence = tss_app::accounts::account(&self.store, &addr(signer)).sequence;
        let tx = Tx::sign(signer, &TxBody { chain_id: self.net.state().meta.chain_id.clone(), sequence, fee: Fee { amount: 100, gas_limit: 1_000_000 }, msgs: vec![msg], memo: String::new() });
        let mut block = Block::begin(&mut self.store, self.net.state(), self.height);
        let out = block.deliver(&tss_crypto::Encode::to_bytes(&tx));
        block.finish();
        out
    }

    fn ok(&mut self, signer: &SigningKey, msg: Msg) {
        let out = self.tx(signer, msg);
        assert_eq!(out.code, code::OK, "{}", out.log);
    }

    fn submit(&mut self, content: Content, deposit: u128) -> u64 {
        let id = gov::next_id(&self.store);
        self.ok(&key(1), Msg::GovSubmit { title: "t".into(), summary: "s".into(), content, deposit });
        id
    }

    fn vote(&mut self, i: usize, id: u64, option: VoteOption) {
        let k = self.operator(i);
        self.ok(&k, Msg::GovVote { proposal: id, option });
    }

    /// Ends `blocks` blocks on the app side only (the engine state stays as it is).
    fn end_blocks(&mut self, blocks: u64) {
        for _ in 0..blocks {
            gov::end_block(&mut self.store, self.net.state(), self.height);
            self.height += 1;
        }
    }

    /// Ends blocks with the engine: each block's governance orders go into the next.
    fn run(&mut self, blocks: u64) {
        for _ in 0..blocks {
            let orders = gov::take_orders(&mut self.store);
            let membership = tss_app::slashing::take_membership(&mut self.store);
            let h = self.net.height + 1;
            let inputs = self.net.at(h);
            inputs.rotate |= orders.rotate_network_key;
            inputs.params = orders.params;
            inputs.freeze.extend(orders.freeze);
            inputs.membership.extend(membership);
            self.net.step().unwrap();
            gov::end_block(&mut self.store, self.net.state(), h);
            self.height = self.net.height + 1;
        }
    }

    fn status(&self, id: u64) -> Status {
        gov::proposal(&self.store, id).unwrap().status
    }

    fn balance(&self, k: &SigningKey) -> u128 {
        tss_app::accounts::account(&self.store, &addr(k)).balance
    }
}

#[test]
fn a_rotation_proposal_passes_by_vote_and_the_engine_rotates_exactly_once() {
    let mut c = chain(81);
    let g0 = c.net.network_key().unwrap();
    let before = c.balance(&key(1));
    let id = c.submit(Content::RotateNetworkKey, 1_000);
    assert_eq!(c.status(id), Status::VotingPeriod, "the minimum deposit opens the vote");
    for i in 0..3 {
        c.vote(i, id, VoteOption::Yes);
    }
    // Voting runs through height submitted + voting_blocks; the tally ends that block.
    c.run(5);
    let p = gov::proposal(&c.store, id).unwrap();
    assert_eq!(p.status, Status::Passed, "{}", p.result);
    assert_eq!(p.tally.unwrap().yes, 3 * BOND);
    assert_eq!(c.balance(&key(1)), before - 100, "the deposit came back (only the fee is gone)");
    for _ in 0..12 {
        if c.net.network_key() != Some(g0) {
            break;
        }
        c.run(1);
    }
    assert_ne!(c.net.network_key(), Some(g0), "the engine rotated");
    c.run(30);
    let rotations = c.net.events().filter(|(_, e)| matches!(e, Event::RotationScheduled { .. })).count();
    assert_eq!(rotations, 1, "executed exactly once");
    assert_eq!(c.net.state().keysets[&0].current, Some(1));
}

#[test]
fn the_tally_weighs_bonds_at_its_end_counts_changed_votes_once_and_needs_a_quorum() {
    let mut c = chain(82);
    // No quorum: one validator of four (25% < 33.4%); the deposit is refunded.
    let id = c.submit(Content::FreezeKeyset { keyset: 0 }, 1_000);
    c.vote(0, id, VoteOption::Yes);
    c.end_blocks(5);
    assert_eq!(c.status(id), Status::Rejected);
    assert!(gov::proposal(&c.store, id).unwrap().result.contains("no quorum"));
    // Abstain makes the quorum; a changed vote counts once, as its last value.
    let id = c.submit(Content::FreezeKeyset { keyset: 0 }, 1_000);
    c.vote(0, id, VoteOption::No);
    c.vote(0, id, VoteOption::Yes);
    c.vote(1, id, VoteOption::Abstain);
    c.end_blocks(5);
    let p = gov::proposal(&c.store, id).unwrap();
    assert_eq!((p.status, p.tally.unwrap().yes, p.tally.unwrap().no, p.tally.unwrap().abstain), (Status::Passed, BOND, 0, BOND), "{}", p.result);
    // Bonds at the tally: validator 0 votes yes, 1 and 2 no; then 1 and 2 unbond most of
    // theirs before the end, so yes wins with the weights that remain.
    let id = c.submit(Content::UnfreezeKeyset { keyset: 0 }, 1_000);
    c.vote(0, id, VoteOption::Yes);
    c.vote(1, id, VoteOption::No);
    c.vote(2, id, VoteOption::No);
    for i in [1, 2] {
        let k = c.operator(i);
        c.ok(&k, Msg::Bond { amount: 1 });
        c.ok(&k, Msg::Unbond { amount: BOND * 9 / 10 });
    }
    c.end_blocks(5);
    let p = gov::proposal(&c.store, id).unwrap();
    assert_eq!(p.status, Status::Passed, "{}", p.result);
    assert_eq!(p.tally.unwrap().no, 2 * (BOND / 10 + 1), "the no votes weigh what was left bonded");
    // A voter that is not a bonded validator is refused.
    let id = c.submit(Content::RotateNetworkKey, 1_000);
    let out = c.tx(&key(2), Msg::GovVote { proposal: id, option: VoteOption::Yes });
    assert!(out.code == code::INVALID && out.log.contains("bonded validator"), "{}", out.log);
}

#[test]
fn deposits_open_the_vote_expire_with_a_refund_and_burn_on_a_veto() {
    let mut c = chain(83);
    let supply = tss_app::settle::total_supply(&c.store);
    // Too little: the deposit period; a second depositor opens the vote.
    let id = c.submit(Content::RotateNetworkKey, 400);
    assert_eq!(c.status(id), Status::DepositPeriod);
    c.ok(&key(2), Msg::GovDeposit { proposal: id, amount: 600 });
    assert_eq!(c.status(id), Status::VotingPeriod);
    assert_eq!(gov::deposits(&c.store, id).len(), 2);
    // Vetoed: 2 of 4 veto, 2 yes (50% veto > 33.4%): both deposits burn.
    for (i, v) in [(0, VoteOption::Yes), (1, VoteOption::Yes), (2, VoteOption::NoWithVeto), (3, VoteOption::NoWithVeto)] {
        c.vote(i, id, v);
    }
    let (b1, b2) = (c.balance(&key(1)), c.balance(&key(2)));
    c.end_blocks(5);
    assert_eq!(c.status(id), Status::Vetoed);
    assert_eq!((c.balance(&key(1)), c.balance(&key(2))), (b1, b2), "nothing refunded");
    let fees = 100 * 6;
    assert_eq!(tss_app::settle::total_supply(&c.store) + 1_000 + fees, supply, "exactly the deposits burned (and the fees went to the pool the test does not pay out)");
    // Never enough: expires after max_deposit_blocks, refunded.
    let id = c.submit(Content::RotateNetworkKey, 10);
    let b1 = c.balance(&key(1));
    c.end_blocks(7);
    assert_eq!(c.status(id), Status::DepositExpired);
    assert_eq!(c.balance(&key(1)), b1 + 10);
    let out = c.tx(&key(2), Msg::GovDeposit { proposal: id, amount: 5 });
    assert!(out.log.contains("closed"), "{}", out.log);
}

#[test]
fn a_passed_proposal_whose_execution_fails_is_recorded_and_changes_nothing() {
    let mut c = chain(84);
    // Each is valid alone; together dealing_timeout 15 is not below epoch_length 12.
    let a = c.submit(Content::ChangeParams { engine: Some(r#"{"dealing_timeout": 15}"#.into()), app: None }, 1_000);
    let b = c.submit(Content::ChangeParams { engine: Some(r#"{"epoch_length": 12}"#.into()), app: Some(r#"{"max_keysets": 3}"#.into()) }, 1_000);
    for id in [a, b] {
        for i in 0..4 {
            c.vote(i, id, VoteOption::Yes);
        }
    }
    // The tally ends the fifth block; the engine gets the orders in the sixth.
    c.run(6);
    assert_eq!(c.status(a), Status::Passed);
    let failed = gov::proposal(&c.store, b).unwrap();
    assert_eq!(failed.status, Status::Failed, "{}", failed.result);
    assert!(failed.result.contains("dealing_timeout"), "{}", failed.result);
    assert_eq!(c.net.state().meta.params.dealing_timeout, 15);
    assert_eq!(c.net.state().meta.params.epoch_length, 20, "the failed proposal changed nothing");
    assert_eq!(tss_app::exec::params(&c.store).max_keysets, AppParams::default().max_keysets, "not even its valid half");
    // A proposal that could never pass is refused at submission, with why.
    let out = c.tx(&key(1), Msg::GovSubmit { title: "t".into(), summary: "s".into(), content: Content::FreezeKeyset { keyset: 99 }, deposit: 1_000 });
    assert!(out.code == code::INVALID && out.log.contains("no keyset 99"), "{}", out.log);
}

#[test]
fn freeze_and_unfreeze_proposals_stop_and_restore_signing_and_params_change_the_epoch() {
    let mut c = chain(85);
    let pass = |c: &mut Chain, content: Content| {
        let id = c.submit(content, 1_000);
        for i in 0..4 {
            c.vote(i, id, VoteOption::Yes);
        }
        c.run(6);
        assert_eq!(c.status(id), Status::Passed, "{}", gov::proposal(&c.store, id).unwrap().result);
    };
    let sign = |c: &mut Chain, message: &[u8]| -> Outcome {
        let h = c.net.height + 1;
        c.net.at(h).requests.push(RequestInput { requester: b"dave".to_vec(), request: Request::Sign { keyset: 0, message: message.to_vec(), context: None } });
        c.run(4);
        let id = c.net.outputs.iter().find(|(x, _)| *x == h).unwrap().1.request_ids[0];
        c.net.callbacks().find(|(_, cb)| cb.request == id).unwrap().1.outcome.clone()
    };
    pass(&mut c, Content::FreezeKeyset { keyset: 0 });
    assert!(matches!(sign(&mut c, b"frozen"), Outcome::Failed { reason } if reason.contains("frozen")));
    pass(&mut c, Content::UnfreezeKeyset { keyset: 0 });
    assert!(matches!(sign(&mut c, b"thawed"), Outcome::Signature { .. }));
    pass(&mut c, Content::ChangeParams { engine: Some(r#"{"epoch_length": 10}"#.into()), app: None });
    assert_eq!(c.net.state().meta.params.epoch_length, 10);
}

#[test]
fn a_removed_validator_leaves_through_a_reshare_and_cannot_unjail() {
    let mut c = chain(86);
    let target = c.net.nodes[3].address.clone();
    let id = c.submit(Content::RemoveValidator { validator: hex::encode(&target) }, 1_000);
    for i in 0..3 {
        c.vote(i, id, VoteOption::Yes);
    }
    let key0 = c.net.network_key();
    c.run(5);
    assert_eq!(c.status(id), Status::Passed);
    c.run(15);
    assert_eq!(c.net.state().meta.validators.len(), 3, "it left through a reshare");
    assert!(c.net.state().meta.validators.iter().all(|v| v.address != target));
    assert_eq!(c.net.network_key(), key0, "the key stayed");
    c.height = c.net.height + 1000;
    let k = c.operator(3);
    let out = c.tx(&k, Msg::Unjail);
    assert!(out.code == code::INVALID && out.log.contains("removed by governance"), "{}", out.log);
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    fn msg(kind: u8, n: u64, amount: u128, text: usize) -> Msg {
        let content = match n % 6 {
            0 => Content::RotateNetworkKey,
            1 => Content::ChangeParams { engine: Some("{\"epoch_length\": ".to_owned() + &n.to_string() + "}"), app: None },
            2 => Content::ChangeParams { engine: None, app: Some("x".repeat(text % 50)) },
            3 => Content::FreezeKeyset { keyset: n % 3 },
            4 => Content::UnfreezeKeyset { keyset: n },
            _ => Content::RemoveValidator { validator: "zz".repeat(text % 30) },
        };
        match kind % 3 {
            0 => Msg::GovSubmit { title: "t".repeat(text % 200), summary: "s".repeat(text), content, deposit: amount },
            1 => Msg::GovDeposit { proposal: n % 5, amount },
            _ => Msg::GovVote { proposal: n % 5, option: [VoteOption::Yes, VoteOption::No, VoteOption::Abstain, VoteOption::NoWithVeto][(n % 4) as usize] },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Any governance messages with any values, from accounts and operators, with blocks
        /// ending between them: nothing panics, and the supply changes only by the fees (paid
        /// into the pool this test does not pay out) and the deposits of vetoed proposals.
        #[test]
        fn any_governance_messages_keep_the_supply(ops in proptest::collection::vec((0u8..3, any::<u64>(), any::<u128>(), 0usize..300, 0u8..4, any::<bool>()), 1..30)) {
            let mut c = chain(90);
            let supply = tss_app::settle::total_supply(&c.store);
            let mut fees = 0u128;
            for (kind, n, amount, text, who, small) in ops {
                let amount = if small { amount % 3_000 } else { amount };
                let signer = if who < 2 { key(who + 1) } else { c.operator(usize::from(who - 2)) };
                let out = c.tx(&signer, msg(kind, n, amount, text));
                if out.code == code::OK || out.log.starts_with("message ") {
                    fees += 100;
                }
                c.end_blocks(1 + n % 3);
            }
            let burned: u128 = gov::proposals(&c.store).iter().filter(|p| p.status == Status::Vetoed).map(|p| p.deposit).sum();
            prop_assert_eq!(tss_app::settle::total_supply(&c.store) + burned + fees, supply);
        }
    }
}
