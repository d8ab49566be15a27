//! FinalizeBlock's state work and Commit, for the same block, over chain states of 10^3 to 10^6
//! entries in the node's rocksdb-backed authenticated store (`ChainDb`). The block: 100
//! signature requests as signed, fee-paying transactions through `tss_app::Block`, the engine
//! step, settlement and slashing, the engine's save, and the app hash (the tree's root); then
//! Commit's one atomic write. The entries are funded accounts (`app/account/...`), the state a
//! chain grows most; the engine is the network key of 4 validators after its DKG (simulator).
//!
//! cargo bench -p mpcd --bench state_size                      (sizes 10^3, 10^4, 10^5, 10^6)
//! MPCD_BENCH_SIZES=1000,10000 cargo bench -p mpcd --bench state_size
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use ed25519_dalek::SigningKey;
use mpcd::db::ChainDb;
use std::time::{Duration, Instant};
use tss_app::{genesis, Address, AppParams, Block, Fee, Msg, Tx, TxBody};
use tss_crypto::Encode;
use tss_engine::types::Request;
use tss_engine::{BlockInput, EngineState, Store};
use tss_sim::{Network, SimConfig};

const REQUESTS: usize = 100;
const WARMUP: usize = 3;
const BLOCKS: usize = 15;
/// Entries written per version while filling, so no single batch holds a million nodes.
const FILL_CHUNK: usize = 100_000;

fn engine_after_dkg() -> EngineState {
    let mut net = Network::new(SimConfig::new(4, 5));
    net.run_until(20, |n| n.network_key().is_some()).expect("simulation runs");
    net.state().clone()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Run {
    entries: usize,
    finalize: Duration,
    commit: Duration,
    fill: Duration,
}

fn run(size: usize, engine: &EngineState, keys: &[SigningKey]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut db = ChainDb::open(dir.path(), 0).unwrap();
    let params = AppParams { max_block_gas: u64::MAX / 2, ..AppParams::default() };
    let requesters: Vec<(Address, u128)> = keys.iter().map(|k| (Address::of_key(&k.verifying_key().to_bytes()), 1_000_000_000_000)).collect();
    genesis(&mut db, &params, &requesters).unwrap();
    let mut engine = engine.clone();
    engine.save_all(&mut db);
    let started = Instant::now();
    let mut version = 0u64;
    let mut filled = 0usize;
    loop {
        let chunk = FILL_CHUNK.min(size - filled);
        let filler: Vec<(Address, u128)> = (filled..filled + chunk)
            .map(|i| {
                let h: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(i.to_be_bytes()).into();
                (Address::from_slice(&h[..20]).unwrap(), 1_000)
            })
            .collect();
        for (address, amount) in &filler {
            tss_app::accounts::set_account(&mut db, address, &tss_app::Account { balance: *amount, sequence: 0 });
        }
        filled += chunk;
        let root = db.root(version).unwrap();
        db.commit(version as i64, &root).unwrap();
        version += 1;
        if filled >= size {
            break;
        }
    }
    let fill = started.elapsed();
    let entries = db.at(0).unwrap().scan_prefix(b"").len();
    let chain = engine.meta.chain_id.clone();
    let (mut finalize, mut commit) = (Vec::new(), Vec::new());
    for b in 0..WARMUP + BLOCKS {
        let txs: Vec<Vec<u8>> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let msg = Msg::Tss(Request::Sign { keyset: 0, message: format!("block {b} request {i}").into_bytes(), context: None });
                Tx::sign(k, &TxBody { chain_id: chain.clone(), sequence: b as u64, fee: Fee { amount: 10_000, gas_limit: 300_000 }, msgs: vec![msg], memo: String::new() }).to_bytes()
            })
            .collect();
        let height = engine.meta.height + 1;
        let t0 = Instant::now();
        let mut block = Block::begin(&mut db, &engine, height);
        for tx in &txs {
            let out = block.deliver(tx);
            assert_eq!(out.code, 0, "{}", out.log);
        }
        let done = block.finish();
        let out = engine.apply(&BlockInput { height, requests: done.requests, ..Default::default() });
        tss_app::end_block(&mut db, &out, &done.deposits, done.fees, &engine.meta.validators);
        tss_app::slashing::end_block(&mut db, &engine, &out, height);
        engine.save(&mut db);
        let root = db.root(version).unwrap();
        let t1 = Instant::now();
        db.commit(version as i64, &root).unwrap();
        let t2 = Instant::now();
        version += 1;
        if b >= WARMUP {
            finalize.push(t1 - t0);
            commit.push(t2 - t1);
        }
    }
    Run { entries, finalize: median(finalize), commit: median(commit), fill }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing to do.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("MPCD_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').map(|n| n.trim().parse().expect("MPCD_BENCH_SIZES: comma-separated entry counts")).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000, 1_000_000]);
    eprintln!("engine: 4 validators, network key after its DKG (simulator)");
    let engine = engine_after_dkg();
    let keys: Vec<SigningKey> = (0..REQUESTS).map(|i| SigningKey::from_bytes(&[(i % 250) as u8 + 1, (i / 250) as u8 + 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9])).collect();
    println!("| accounts | state entries | fill | FinalizeBlock (state work) median | Commit median |");
    println!("|---:|---:|---:|---:|---:|");
    let mut results = Vec::new();
    for size in sizes {
        eprintln!("filling {size} accounts, then {WARMUP} + {BLOCKS} blocks of {REQUESTS} signature requests");
        let r = run(size, &engine, &keys);
        println!("| {size} | {} | {:.1} s | {:.2} ms | {:.2} ms |", r.entries, r.fill.as_secs_f64(), r.finalize.as_secs_f64() * 1e3, r.commit.as_secs_f64() * 1e3);
        results.push(r);
    }
    if let (Some(first), Some(last)) = (results.first(), results.last()) {
        println!();
        println!(
            "largest / smallest: FinalizeBlock {:.2}x, Commit {:.2}x ({} vs {} entries)",
            last.finalize.as_secs_f64() / first.finalize.as_secs_f64(),
            last.commit.as_secs_f64() / first.commit.as_secs_f64(),
            last.entries,
            first.entries
        );
    }
}
