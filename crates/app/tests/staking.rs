//! Validators by transaction: create, bond, unbond, the active set at epoch boundaries as the
//! engine's membership input, jailing for provable faults and downtime, unjail; and the
//! equal-power invariant between consensus power and the key's threshold.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use ed25519_dalek::SigningKey;
use tss_app::slashing::{end_block, take_membership};
use tss_app::staking::{self, StakingParams};
use tss_app::{code, genesis, Address, AppParams, Block, Fee, Msg, Tx, TxBody};
use tss_crypto::{Encode, TransportSecret};
use tss_engine::types::{BlameReason, Event, Membership, Validator};
use tss_engine::{BlockOutput, EngineState, MemStore, Params};

const CHAIN: &str = "staking-test";
const EPOCH: u64 = 10;

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn addr(k: &SigningKey) -> Address {
    Address::of_key(&k.verifying_key().to_bytes())
}

struct Chain {
    store: MemStore,
    engine: EngineState,
    height: u64,
}

/// Four genesis validators (consensus keys 101..=104) and funded accounts 1 and 2.
fn chain() -> Chain {
    let mut store = MemStore::default();
    let params = AppParams { staking: StakingParams { min_self_bond: 1_000, unbonding_blocks: 5, jail_blocks: 20, downtime_blocks: 30, ..StakingParams::default() }, ..AppParams::default() };
    genesis(&mut store, &params, &[(addr(&key(1)), 100_000_000), (addr(&key(2)), 100_000_000)]).unwrap();
    let genesis_keys: Vec<staking::GenesisValidator> = (101..=104u8)
        .map(|i| {
            let k = key(i).verifying_key().to_bytes();
            staking::GenesisValidator { address: Address::of_key(&k).0.to_vec(), consensus_key: k, transport: TransportSecret::from_bytes([i; 32]).public().to_bytes() }
        })
        .collect();
    staking::genesis_validators(&mut store, &genesis_keys, 5_000, 10);
    let validators = genesis_keys.iter().map(|g| Validator { address: g.address.clone(), power: 10, transport: g.transport }).collect();
    let engine = EngineState::genesis(CHAIN, Params { epoch_length: EPOCH, ..Params::default() }, validators);
    Chain { store, engine, height: 1 }
}

impl Chain {
    fn deliver(&mut self, signer: &SigningKey, sequence: u64, msg: Msg) -> tss_app::TxOutcome {
        let tx = Tx::sign(signer, &TxBody { chain_id: CHAIN.into(), sequence, fee: Fee { amount: 100, gas_limit: 1_000_000 }, msgs: vec![msg], memo: String::new() });
        let mut block = Block::begin(&mut self.store, &self.engine, self.height);
        let out = block.deliver(&tx.to_bytes());
        block.finish();
        out
    }

    /// Ends blocks up to and including `height` with the given engine output on the first.
    fn run_to(&mut self, height: u64, out: &BlockOutput) -> Vec<Membership> {
        let mut queued = Vec::new();
        let mut first = true;
        while self.height <= height {
            for v in &self.engine.meta.validators {
                self.engine.meta.last_seen.insert(EngineState::participant(&v.address).unwrap(), self.height);
            }
            let empty = BlockOutput::default();
            end_block(&mut self.store, &self.engine, if first { out } else { &empty }, self.height);
            first = false;
            queued.extend(take_membership(&mut self.store));
            self.height += 1;
        }
        queued
    }
}

fn create(k: &SigningKey, consensus: &SigningKey, bond: u128) -> Msg {
    let address = Address::of_key(&consensus.verifying_key().to_bytes());
    let owner = tss_crypto::participant_id(&address.0).unwrap();
    let transport = TransportSecret::from_bytes([k.to_bytes()[0]; 32]);
    let proof = transport.prove_possession(CHAIN, &owner, &mut rand_chacha::rand_core::OsRng);
    Msg::CreateValidator { consensus_key: consensus.verifying_key().to_bytes(), transport: transport.public().to_bytes(), transport_proof: proof.to_vec(), self_bond: bond, moniker: "v5".into() }
}

#[test]
fn a_created_validator_joins_at_the_epoch_boundary_as_a_membership_change() {
    let mut c = chain();
    let out = c.deliver(&key(1), 0, create(&key(1), &key(105), 10_000));
    assert_eq!(out.code, code::OK, "{}", out.log);
    let joined = c.run_to(EPOCH, &BlockOutput::default());
    let new_address = Address::of_key(&key(105).verifying_key().to_bytes()).0.to_vec();
    assert_eq!(joined.len(), 1, "{joined:?}");
    assert!(matches!(&joined[0], Membership::Join(v) if v.address == new_address && v.power == staking::VALIDATOR_POWER));
}

#[test]
fn create_validator_refuses_what_it_cannot_use() {
    let mut c = chain();
    let mut bad_proof = create(&key(1), &key(105), 10_000);
    if let Msg::CreateValidator { transport_proof, .. } = &mut bad_proof {
        transport_proof[5] ^= 1;
    }
    let out = c.deliver(&key(1), 0, bad_proof);
    assert_eq!(out.code, code::INVALID);
    assert!(out.log.contains("proof of possession"), "{}", out.log);
    let low = c.deliver(&key(1), 1, create(&key(1), &key(105), 10));
    assert!(low.log.contains("below the minimum"), "{}", low.log);
    // A genesis validator's consensus key cannot be registered again.
    let taken = c.deliver(&key(1), 2, create(&key(1), &key(101), 10_000));
    assert!(taken.log.contains("already registered"), "{}", taken.log);
    assert_eq!(c.deliver(&key(1), 3, create(&key(1), &key(105), 10_000)).code, code::OK);
    let twice = c.deliver(&key(1), 4, create(&key(1), &key(106), 10_000));
    assert!(twice.log.contains("already operates"), "{}", twice.log);
}

#[test]
fn unbonding_below_the_minimum_leaves_at_the_boundary_and_the_stake_returns_later() {
    let mut c = chain();
    let operator = key(101);
    // The genesis validator's operator is the account of its consensus key; fund it for fees.
    tss_app::accounts::set_account(&mut c.store, &addr(&operator), &tss_app::Account { balance: 1_000, sequence: 0 });
    let out = c.deliver(&operator, 0, Msg::Unbond { amount: 4_500 });
    assert_eq!(out.code, code::OK, "{}", out.log);
    let changes = c.run_to(EPOCH, &BlockOutput::default());
    assert_eq!(changes, vec![Membership::Leave { address: addr(&operator).0.to_vec() }]);
    // Released after unbonding_blocks (5) from height 1.
    assert_eq!(tss_app::accounts::account(&c.store, &addr(&operator)).balance, 900 + 4_500);
}

#[test]
fn provable_faults_jail_and_slash_missing_ones_do_neither_and_downtime_jails_without_loss() {
    let mut c = chain();
    let (a, b) = (Address::of_key(&key(101).verifying_key().to_bytes()), Address::of_key(&key(102).verifying_key().to_bytes()));
    let blame = |v: &Address, reason| Event::Blame { validator: v.0.to_vec(), reason };
    let out = BlockOutput { events: vec![blame(&a, BlameReason::BadShare), blame(&b, BlameReason::MissingSignatureShare)], ..Default::default() };
    let changes = c.run_to(1, &out);
    assert_eq!(changes, vec![Membership::Leave { address: a.0.to_vec() }]);
    let va = staking::validator(&c.store, &a).unwrap();
    assert_eq!(va.bond, 5_000 - 250, "5% burned");
    assert!(va.jailed_until.is_some());
    let vb = staking::validator(&c.store, &b).unwrap();
    assert_eq!((vb.bond, vb.jailed_until), (5_000, None), "a missing share may be a proposer's doing");
    // Validator 103 goes silent: after downtime_blocks (30) it is jailed, bond intact.
    let silent = Address::of_key(&key(103).verifying_key().to_bytes());
    let silent_key = EngineState::participant(&silent.0).unwrap();
    let mut left = Vec::new();
    while c.height <= 40 {
        for v in &c.engine.meta.validators {
            if v.address != silent.0.to_vec() {
                c.engine.meta.last_seen.insert(EngineState::participant(&v.address).unwrap(), c.height);
            }
        }
        c.engine.meta.last_seen.entry(silent_key).or_insert(1);
        end_block(&mut c.store, &c.engine, &BlockOutput::default(), c.height);
        left.extend(take_membership(&mut c.store));
        c.height += 1;
    }
    let vs = staking::validator(&c.store, &silent).unwrap();
    assert_eq!(vs.bond, 5_000);
    assert!(vs.jailed_until.is_some());
    assert!(left.contains(&Membership::Leave { address: silent.0.to_vec() }));
}

#[test]
fn slashing_a_huge_bond_never_overflows_and_params_bound_the_fraction() {
    let mut c = chain();
    let a = Address::of_key(&key(101).verifying_key().to_bytes());
    let mut v = staking::validator(&c.store, &a).unwrap();
    v.bond = u128::MAX - 7;
    staking::set_validator(&mut c.store, &v);
    c.run_to(1, &BlockOutput { events: vec![Event::Blame { validator: a.0.to_vec(), reason: BlameReason::BadShare }], ..Default::default() });
    let after = staking::validator(&c.store, &a).unwrap().bond;
    assert!(after < u128::MAX - 7 && after > u128::MAX / 100 * 94, "5% burned: {after}");
    let bad = AppParams { staking: StakingParams { slash_permille: 1001, ..StakingParams::default() }, ..AppParams::default() };
    assert!(bad.validate().unwrap_err().contains("slash_permille"));
    assert_eq!(AppParams { min_gas_price_micro: u128::MAX, ..AppParams::default() }.min_fee(u64::MAX), u128::MAX.div_ceil(1_000_000));
}

#[test]
fn unjail_waits_out_the_jail_time() {
    let mut c = chain();
    let a = Address::of_key(&key(101).verifying_key().to_bytes());
    tss_app::accounts::set_account(&mut c.store, &a, &tss_app::Account { balance: 1_000, sequence: 0 });
    c.run_to(1, &BlockOutput { events: vec![Event::Blame { validator: a.0.to_vec(), reason: BlameReason::InvalidDealing }], ..Default::default() });
    let early = c.deliver(&key(101), 0, Msg::Unjail);
    assert!(early.log.contains("try again after"), "{}", early.log);
    c.height = 30;
    assert_eq!(c.deliver(&key(101), 1, Msg::Unjail).code, code::OK);
    assert_eq!(staking::validator(&c.store, &a).unwrap().jailed_until, None);
}

#[test]
fn equal_power_makes_the_threshold_and_the_consensus_quorum_the_same_sets() {
    // Every active validator has VALIDATOR_POWER, so a set's power share is its member share.
    for n in 1usize..=100 {
        let t = usize::from(tss_crypto::default_threshold(n));
        for k in 0..=n {
            let power = (k as u64) * staking::VALIDATOR_POWER;
            let total = (n as u64) * staking::VALIDATOR_POWER;
            if 3 * power <= total {
                assert!(k < t, "n={n}: {k} members hold at most 1/3 of the power but reach t={t}");
            }
            if 3 * power > 2 * total {
                assert!(k >= t, "n={n}: {k} members hold more than 2/3 of the power but miss t={t}");
            }
        }
    }
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    fn msg(kind: u8, amount: u128, target: u8) -> Msg {
        match kind % 6 {
            0 => Msg::BankSend { to: addr(&key(target % 3 + 1)), amount },
            1 => Msg::Bond { amount },
            2 => Msg::Unbond { amount },
            3 => Msg::Unjail,
            4 => Msg::CreateValidator { consensus_key: [target; 32], transport: [target; 32], transport_proof: vec![target; (amount % 70) as usize], self_bond: amount, moniker: "x".repeat((amount % 80) as usize) },
            _ => Msg::Tss(tss_engine::types::Request::Sign { keyset: u64::from(target), message: vec![target; (amount % 2000) as usize], context: None }),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any sequence of messages with any amounts, from genesis operators and plain accounts:
        /// nothing panics, and without slashing the supply is exactly what genesis created.
        #[test]
        fn any_messages_keep_the_supply(ops in proptest::collection::vec((0u8..6, any::<u128>(), any::<u8>(), 0u8..3, any::<bool>()), 1..40)) {
            let mut c = chain();
            for i in 101..=104u8 {
                tss_app::accounts::set_account(&mut c.store, &addr(&key(i)), &tss_app::Account { balance: 1_000_000, sequence: 0 });
            }
            let supply = tss_app::settle::total_supply(&c.store);
            let signers = [key(1), key(2), key(101)];
            for (kind, amount, target, who, small) in ops {
                let amount = if small { amount % 20_000 } else { amount };
                let signer = &signers[usize::from(who)];
                let seq = tss_app::accounts::account(&c.store, &addr(signer)).sequence;
                let tx = Tx::sign(signer, &TxBody { chain_id: CHAIN.into(), sequence: seq, fee: Fee { amount: 100, gas_limit: 1_000_000 }, msgs: vec![msg(kind, amount, target)], memo: String::new() });
                let mut block = Block::begin(&mut c.store, &c.engine, c.height);
                let _ = block.deliver(&tss_crypto::Encode::to_bytes(&tx));
                let txs = block.finish();
                tss_app::end_block(&mut c.store, &BlockOutput::default(), &txs.deposits, txs.fees, &c.engine.meta.validators);
                end_block(&mut c.store, &c.engine, &BlockOutput::default(), c.height);
                c.height += 1;
                prop_assert_eq!(tss_app::settle::total_supply(&c.store), supply, "after {:?}", msg(kind, amount, target).name());
            }
        }
    }
}
