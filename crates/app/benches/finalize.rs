//! FinalizeBlock's cost with and without the chain state machine: one block of 500 signature
//! requests applied to the engine directly (what the node did before transactions paid fees),
//! and the same 500 requests as signed, fee-paying transactions run through `tss_app::Block`
//! (signature, ante checks, fee, limits), then the engine, then settlement and slashing.
//! Engine state: the network key of 4 validators after its DKG, from the simulator.
//!
//! cargo bench -p tss-app --bench finalize
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use ed25519_dalek::SigningKey;
use tss_app::{genesis, Address, AppParams, Block, Fee, Msg, Tx, TxBody};
use tss_crypto::Encode;
use tss_engine::types::{Request, RequestInput};
use tss_engine::{BlockInput, EngineState, MemStore};
use tss_sim::{Network, SimConfig};

const REQUESTS: usize = 500;

fn engine_after_dkg() -> EngineState {
    let mut net = Network::new(SimConfig::new(4, 5));
    net.run_until(20, |n| n.network_key().is_some()).expect("simulation runs");
    net.state().clone()
}

fn finalize(c: &mut Criterion) {
    let engine = engine_after_dkg();
    let chain = engine.meta.chain_id.clone();
    let height = engine.meta.height + 1;
    // One account per request, so the per-account bound on open requests never binds.
    let keys: Vec<SigningKey> = (0..REQUESTS).map(|i| SigningKey::from_bytes(&[(i % 250) as u8 + 1, (i / 250) as u8 + 1, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7])).collect();
    let mut store = MemStore::default();
    let params = AppParams { max_block_gas: u64::MAX / 2, ..AppParams::default() };
    let balances: Vec<(Address, u128)> = keys.iter().map(|k| (Address::of_key(&k.verifying_key().to_bytes()), 1_000_000_000)).collect();
    genesis(&mut store, &params, &balances).expect("genesis");
    let txs: Vec<Vec<u8>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let msg = Msg::Tss(Request::Sign { keyset: 0, message: format!("request {i}").into_bytes(), context: None });
            Tx::sign(k, &TxBody { chain_id: chain.clone(), sequence: 0, fee: Fee { amount: 10_000, gas_limit: 300_000 }, msgs: vec![msg], memo: String::new() }).to_bytes()
        })
        .collect();
    let requests: Vec<RequestInput> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| RequestInput { requester: Address::of_key(&k.verifying_key().to_bytes()).0.to_vec(), request: Request::Sign { keyset: 0, message: format!("request {i}").into_bytes(), context: None } })
        .collect();

    let mut group = c.benchmark_group("finalize_block_500_sign_requests");
    group.sample_size(20);
    group.bench_function("engine_only", |b| {
        b.iter_batched(
            || engine.clone(),
            |mut e| e.apply(&BlockInput { height, requests: requests.clone(), ..Default::default() }),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("with_fees_and_transactions", |b| {
        b.iter_batched(
            || (engine.clone(), store.clone()),
            |(mut e, mut s)| {
                let mut block = Block::begin(&mut s, &e, height);
                for tx in &txs {
                    let out = block.deliver(tx);
                    assert_eq!(out.code, 0, "{}", out.log);
                }
                let done = block.finish();
                let out = e.apply(&BlockInput { height, requests: done.requests, ..Default::default() });
                tss_app::end_block(&mut s, &out, &done.deposits, done.fees, &e.meta.validators);
                tss_app::slashing::end_block(&mut s, &e, &out, height);
                out
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, finalize);
criterion_main!(benches);
