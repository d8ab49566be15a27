//! The chain state machine on its own: fees, gas, sequences, transfers, paid engine requests
//! with their bounds and deposits, fee payout, and hostile bytes.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use tss_app::{check_tx, code, end_block, genesis, Address, AppParams, Block, Fee, Mempool, Msg, Tx, TxBody};
use tss_crypto::Encode;
use tss_engine::types::{Callback, Outcome, Request, Validator};
use tss_engine::{BlockOutput, EngineState, MemStore, Params};

const CHAIN: &str = "app-test";

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn addr(k: &SigningKey) -> Address {
    Address::of_key(&k.verifying_key().to_bytes())
}

fn engine(validators: usize) -> EngineState {
    let vs = (0..validators).map(|i| Validator { address: vec![i as u8 + 100; 20], power: 10, transport: [9; 32] }).collect();
    EngineState::genesis(CHAIN, Params::default(), vs)
}

fn setup(balances: &[(&SigningKey, u128)]) -> MemStore {
    let mut store = MemStore::default();
    let b: Vec<(Address, u128)> = balances.iter().map(|(k, a)| (addr(k), *a)).collect();
    genesis(&mut store, &AppParams::default(), &b).unwrap();
    store
}

fn tx(k: &SigningKey, sequence: u64, fee: u128, gas: u64, msgs: Vec<Msg>) -> Vec<u8> {
    Tx::sign(k, &TxBody { chain_id: CHAIN.into(), sequence, fee: Fee { amount: fee, gas_limit: gas }, msgs, memo: String::new() }).to_bytes()
}

fn balance(store: &MemStore, k: &SigningKey) -> u128 {
    tss_app::accounts::account(store, &addr(k)).balance
}

fn send(to: &SigningKey, amount: u128) -> Msg {
    Msg::BankSend { to: addr(to), amount }
}

#[test]
fn a_transfer_pays_its_fee_and_uses_its_sequence() {
    let (alice, bob) = (key(1), key(2));
    let mut store = setup(&[(&alice, 1_000_000)]);
    let e = engine(4);
    let mut block = Block::begin(&mut store, &e, 1);
    let out = block.deliver(&tx(&alice, 0, 10, 100_000, vec![send(&bob, 500)]));
    assert_eq!(out.code, code::OK, "{}", out.log);
    assert!(out.gas_used > 0 && out.gas_used <= out.gas_wanted);
    // The same bytes again: a replay.
    let replay = block.deliver(&tx(&alice, 0, 10, 100_000, vec![send(&bob, 500)]));
    assert_eq!(replay.code, code::BAD_SEQUENCE);
    let txs = block.finish();
    assert_eq!(txs.fees, 10);
    assert_eq!(balance(&store, &alice), 1_000_000 - 510);
    assert_eq!(balance(&store, &bob), 500);
    assert_eq!(tss_app::accounts::account(&store, &addr(&alice)).sequence, 1);
}

#[test]
fn fees_below_the_minimum_and_gas_beyond_the_limits_are_refused_with_what_to_do() {
    let (alice, bob) = (key(1), key(2));
    let mut store = setup(&[(&alice, 1_000_000)]);
    let e = engine(4);
    let p = AppParams::default();
    let mut block = Block::begin(&mut store, &e, 1);
    let cheap = block.deliver(&tx(&alice, 0, p.min_fee(100_000) - 1, 100_000, vec![send(&bob, 1)]));
    assert_eq!(cheap.code, code::INSUFFICIENT_FEE);
    assert!(cheap.log.contains("--fees"), "{}", cheap.log);
    let greedy = block.deliver(&tx(&alice, 0, u128::MAX / 2, p.max_tx_gas + 1, vec![send(&bob, 1)]));
    assert_eq!(greedy.code, code::GAS_LIMIT);
    let short = block.deliver(&tx(&alice, 0, 100, 1_000, vec![send(&bob, 1)]));
    assert_eq!(short.code, code::OUT_OF_GAS);
    assert!(short.log.contains("--gas"), "{}", short.log);
    // Refused before the fee: nothing changed.
    assert_eq!(block.finish().fees, 0);
    assert_eq!(balance(&store, &alice), 1_000_000);
}

#[test]
fn a_failing_message_undoes_the_others_but_the_fee_is_paid() {
    let (alice, bob, carol) = (key(1), key(2), key(3));
    let mut store = setup(&[(&alice, 1_000)]);
    let e = engine(4);
    let mut block = Block::begin(&mut store, &e, 1);
    let out = block.deliver(&tx(&alice, 0, 100, 200_000, vec![send(&bob, 400), send(&carol, 600)]));
    assert_eq!(out.code, code::INSUFFICIENT_FUNDS, "{}", out.log);
    assert!(out.log.starts_with("message 1 (bank/send)"), "{}", out.log);
    block.finish();
    assert_eq!(balance(&store, &alice), 900);
    assert_eq!(balance(&store, &bob), 0);
    assert_eq!(tss_app::accounts::account(&store, &addr(&alice)).sequence, 1);
}

#[test]
fn check_tx_tracks_pending_sequences_and_funds_and_recheck_evicts() {
    let (alice, bob) = (key(1), key(2));
    let mut store = setup(&[(&alice, 1_000)]);
    let e = engine(4);
    let mut pool = Mempool::default();
    let t0 = tx(&alice, 0, 100, 200_000, vec![send(&bob, 300)]);
    let t1 = tx(&alice, 1, 100, 200_000, vec![send(&bob, 300)]);
    let t2 = tx(&alice, 2, 100, 200_000, vec![send(&bob, 300)]);
    assert!(check_tx(&store, &e, &mut pool, &t0).is_ok());
    assert_eq!(check_tx(&store, &e, &mut pool, &t0).unwrap_err().code, code::BAD_SEQUENCE, "duplicate");
    assert_eq!(check_tx(&store, &e, &mut pool, &t2).unwrap_err().code, code::BAD_SEQUENCE, "gap");
    assert!(check_tx(&store, &e, &mut pool, &t1).is_ok());
    // 3 x 400 > 1000: the third does not fit the funds the pending ones leave.
    assert_eq!(check_tx(&store, &e, &mut pool, &t2).unwrap_err().code, code::INSUFFICIENT_FUNDS);
    // t0 commits; recheck from a clear pool: t0 is evicted (stale), t1 stays, t2 now fits.
    let mut block = Block::begin(&mut store, &e, 1);
    assert_eq!(block.deliver(&t0).code, code::OK);
    block.finish();
    pool.clear();
    assert_eq!(check_tx(&store, &e, &mut pool, &t0).unwrap_err().code, code::BAD_SEQUENCE);
    assert!(check_tx(&store, &e, &mut pool, &t1).is_ok());
    assert!(check_tx(&store, &e, &mut pool, &t2).is_err(), "600 left, t1 and t2 need 800");
}

#[test]
fn the_block_gas_limit_holds_back_what_does_not_fit() {
    let alice = key(1);
    let mut store = MemStore::default();
    let params = AppParams { max_tx_gas: 300_000, max_block_gas: 500_000, ..AppParams::default() };
    genesis(&mut store, &params, &[(addr(&alice), 1_000_000)]).unwrap();
    let e = engine(4);
    let mut block = Block::begin(&mut store, &e, 1);
    assert_eq!(block.deliver(&tx(&alice, 0, 10, 300_000, vec![send(&key(2), 1)])).code, code::OK);
    assert_eq!(block.deliver(&tx(&alice, 1, 10, 300_000, vec![send(&key(2), 1)])).code, code::BLOCK_FULL);
}

fn sign_req() -> Msg {
    Msg::Tss(Request::Sign { keyset: 0, message: b"m".to_vec(), context: None })
}

#[test]
fn keysets_cost_more_with_more_validators_and_lock_a_deposit_refunded_if_generation_fails() {
    let alice = key(1);
    let p = AppParams::default();
    let small = tss_app::exec::gas_of(&p, &[Msg::Tss(Request::CreateKeyset { threshold: None })], 100, 4);
    let large = tss_app::exec::gas_of(&p, &[Msg::Tss(Request::CreateKeyset { threshold: None })], 100, 40);
    assert!(large > small);
    let mut store = setup(&[(&alice, 100_000_000)]);
    let e = engine(4);
    let mut block = Block::begin(&mut store, &e, 1);
    let out = block.deliver(&tx(&alice, 0, 1_000, 5_000_000, vec![Msg::Tss(Request::CreateKeyset { threshold: None })]));
    assert_eq!(out.code, code::OK, "{}", out.log);
    let txs = block.finish();
    assert_eq!(txs.requests.len(), 1);
    assert_eq!(balance(&store, &alice), 100_000_000 - 1_000 - p.keyset_deposit);
    // The engine numbered it 7; later the key generation fails: the deposit comes back.
    let out = BlockOutput { request_ids: vec![7], ..Default::default() };
    end_block(&mut store, &out, &txs.deposits, txs.fees, &e.meta.validators);
    let failed = BlockOutput { callbacks: vec![Callback { requester: addr(&alice).0.to_vec(), request: 7, outcome: Outcome::Failed { reason: "dkg".into() } }], ..Default::default() };
    end_block(&mut store, &failed, &[], 0, &e.meta.validators);
    assert_eq!(balance(&store, &alice), 100_000_000 - 1_000);
}

#[test]
fn open_requests_per_account_are_bounded() {
    let alice = key(1);
    let mut store = MemStore::default();
    let params = AppParams { max_open_requests: 2, ..AppParams::default() };
    genesis(&mut store, &params, &[(addr(&alice), 100_000_000)]).unwrap();
    let e = engine(4);
    let mut block = Block::begin(&mut store, &e, 1);
    assert_eq!(block.deliver(&tx(&alice, 0, 1_000, 1_000_000, vec![sign_req(), sign_req()])).code, code::OK);
    let third = block.deliver(&tx(&alice, 1, 1_000, 1_000_000, vec![sign_req()]));
    assert_eq!(third.code, code::LIMIT);
    assert!(third.log.contains("wait for their callbacks"), "{}", third.log);
    assert_eq!(block.finish().requests.len(), 2);
}

#[test]
fn fees_are_split_equally_among_the_validators_and_the_remainder_waits() {
    let mut store = setup(&[]);
    let e = engine(3);
    end_block(&mut store, &BlockOutput::default(), &[], 10, &e.meta.validators);
    for v in &e.meta.validators {
        assert_eq!(tss_app::accounts::account(&store, &Address::from_slice(&v.address).unwrap()).balance, 3);
    }
    // 1 left over + 2 = 3: one more each.
    end_block(&mut store, &BlockOutput::default(), &[], 2, &e.meta.validators);
    let total: u128 = e.meta.validators.iter().map(|v| tss_app::accounts::account(&store, &Address::from_slice(&v.address).unwrap()).balance).sum();
    assert_eq!(total, 12);
}

proptest! {
    #[test]
    fn hostile_bytes_never_panic_and_change_nothing(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let alice = key(1);
        let mut store = setup(&[(&alice, 1_000)]);
        let before = store.clone();
        let e = engine(4);
        let mut pool = Mempool::default();
        prop_assert!(check_tx(&store, &e, &mut pool, &bytes).is_err());
        let mut block = Block::begin(&mut store, &e, 1);
        let out = block.deliver(&bytes);
        prop_assert_ne!(out.code, code::OK);
        block.finish();
        prop_assert_eq!(store, before);
    }

    #[test]
    fn mutated_valid_transactions_are_refused_or_identical(pos in 0usize..400, byte in any::<u8>()) {
        let alice = key(1);
        let bytes = tx(&alice, 0, 100, 200_000, vec![send(&key(2), 5)]);
        let mut mutated = bytes.clone();
        if let Some(b) = mutated.get_mut(pos % bytes.len()) {
            *b = byte;
        }
        let store = setup(&[(&alice, 1_000)]);
        let e = engine(4);
        let mut pool = Mempool::default();
        let ok = check_tx(&store, &e, &mut pool, &mutated).is_ok();
        prop_assert!(!ok || mutated == bytes);
    }
}

#[test]
fn a_deleted_keyset_returns_its_deposit() {
    let alice = key(1);
    let mut store = setup(&[(&alice, 100_000_000)]);
    let e = engine(4);
    let p = AppParams::default();
    let mut block = Block::begin(&mut store, &e, 1);
    assert_eq!(block.deliver(&tx(&alice, 0, 1_000, 5_000_000, vec![Msg::Tss(Request::CreateKeyset { threshold: None })])).code, code::OK);
    let txs = block.finish();
    end_block(&mut store, &BlockOutput { request_ids: vec![3], ..Default::default() }, &txs.deposits, txs.fees, &e.meta.validators);
    let ready = Callback { requester: addr(&alice).0.to_vec(), request: 3, outcome: Outcome::KeysetReady { keyset: 9, public_key: [0; 32] } };
    end_block(&mut store, &BlockOutput { callbacks: vec![ready], ..Default::default() }, &[], 0, &e.meta.validators);
    assert_eq!(tss_app::settle::keyset_deposit(&store, 9).unwrap().amount, p.keyset_deposit);
    assert_eq!(balance(&store, &alice), 100_000_000 - 1_000 - p.keyset_deposit);
    let deleted = Callback { requester: addr(&alice).0.to_vec(), request: 4, outcome: Outcome::KeysetDeleted { keyset: 9 } };
    end_block(&mut store, &BlockOutput { callbacks: vec![deleted], ..Default::default() }, &[], 0, &e.meta.validators);
    assert_eq!(balance(&store, &alice), 100_000_000 - 1_000);
    assert!(tss_app::settle::keyset_deposit(&store, 9).is_none());
}
