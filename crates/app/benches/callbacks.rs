//! What contract callbacks add to FinalizeBlock. Two runs of one simulated network of 4
//! validators (same seed, so the engine does the same work): in one, 100 signature requests
//! come from 4 accounts; in the other, the same 100 from 4 probe contracts (contracts/probe,
//! 25 each), so each answer is a `sudo` call that records it in the contract's storage. The
//! blocks that carry the answers are recorded as the engine produced them (real signatures),
//! then their settlement is timed from the state before it: fees and deposits, slashing, and
//! callback delivery (nothing to deliver in the baseline).
//!
//! cargo bench -p tss-app --bench callbacks
#![allow(missing_docs, clippy::indexing_slicing)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use ed25519_dalek::SigningKey;
use std::path::PathBuf;
use tss_app::{genesis, Address, AppParams, Block, Fee, Msg, Tx, TxBody};
use tss_crypto::Encode;
use tss_engine::types::Request;
use tss_engine::{BlockOutput, EngineState, MemStore};
use tss_sim::{Network, SimConfig};
use tss_wasm::{BlockEnv, Host};

const REQUESTERS: usize = 4;
const PER_REQUESTER: usize = 25;
const SIGN: &str = r#"{"tss":{"msg":{"request_signature":{"key_set_id":null,"message":"aGVsbG8=","derivation":null}}}}"#;

/// A block whose engine output carries callbacks, as it stood before settlement.
struct Recorded {
    store: MemStore,
    engine: EngineState,
    env: BlockEnv,
    out: BlockOutput,
    fees: u128,
    deposits: Vec<Option<tss_app::accounts::Deposit>>,
}

struct Chain {
    net: Network,
    store: MemStore,
    host: Host,
    keys: Vec<SigningKey>,
    sequences: Vec<u64>,
    recorded: Vec<Recorded>,
}

impl Chain {
    fn new(host_dir: &std::path::Path) -> Self {
        let keys: Vec<SigningKey> = (0..REQUESTERS).map(|i| SigningKey::from_bytes(&[i as u8 + 1; 32])).collect();
        let mut store = MemStore::default();
        let params = AppParams { max_block_gas: u64::MAX / 2, ..AppParams::default() };
        let balances: Vec<(Address, u128)> = keys.iter().map(|k| (Address::of_key(&k.verifying_key().to_bytes()), 1_000_000_000_000)).collect();
        genesis(&mut store, &params, &balances).expect("genesis");
        let mut chain = Self { net: Network::new(SimConfig::new(4, 5)), store, host: Host::open(host_dir).expect("host"), sequences: vec![0; keys.len()], keys, recorded: Vec::new() };
        while chain.net.network_key().is_none() {
            assert!(chain.net.height < 40, "no network key after 40 blocks");
            chain.block(vec![], false);
        }
        chain
    }

    /// One block as the node runs it; with `record`, a block with callbacks is kept.
    fn block(&mut self, msgs: Vec<(usize, Vec<Msg>)>, record: bool) -> Vec<tss_app::TxOutcome> {
        let chain_id = self.net.state().meta.chain_id.clone();
        let txs: Vec<Vec<u8>> = msgs
            .into_iter()
            .map(|(k, msgs)| {
                let body = TxBody { chain_id: chain_id.clone(), sequence: self.sequences[k], fee: Fee { amount: 10_000_000, gas_limit: 9_000_000 }, msgs, memo: String::new() };
                self.sequences[k] += 1;
                Tx::sign(&self.keys[k], &body).to_bytes()
            })
            .collect();
        let h = self.net.height + 1;
        let env = BlockEnv { chain_id, height: h, time_nanos: h * 1_000_000_000, prefix: "mpc".into() };
        let (outcomes, done) = {
            let mut block = Block::begin(&mut self.store, self.net.state(), h).with_contracts(&self.host, env.clone());
            let outcomes: Vec<_> = txs.iter().map(|t| block.deliver(t)).collect();
            (outcomes, block.finish())
        };
        self.net.at(h).requests.extend(done.requests.clone());
        self.net.step().expect("simulation step");
        let out = self.net.outputs.last().expect("an output").1.clone();
        if record && !out.callbacks.is_empty() {
            self.recorded.push(Recorded { store: self.store.clone(), engine: self.net.state().clone(), env: env.clone(), out: out.clone(), fees: done.fees, deposits: done.deposits.clone() });
        }
        settle(&mut self.store, &self.host, &env, self.net.state(), &out, &done.deposits, done.fees);
        outcomes
    }
}

fn settle(store: &mut MemStore, host: &Host, env: &BlockEnv, engine: &EngineState, out: &BlockOutput, deposits: &[Option<tss_app::accounts::Deposit>], fees: u128) -> usize {
    tss_app::end_block(store, out, deposits, fees, &engine.meta.validators);
    tss_app::slashing::end_block(store, engine, out, env.height);
    let (_, events) = tss_app::contracts::deliver_callbacks(store, host, env, engine, out);
    events.len()
}

fn ok(outcomes: &[tss_app::TxOutcome]) {
    for o in outcomes {
        assert_eq!(o.code, 0, "{}", o.log);
    }
}

/// Runs the 100 requests to their answers; the blocks that carried them.
fn run(contracts: bool, host_dir: &std::path::Path) -> (Vec<Recorded>, Host) {
    let mut chain = Chain::new(host_dir);
    let requests: Vec<(usize, Vec<Msg>)> = if contracts {
        let code = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts/artifacts/tss_probe.wasm")).expect("contracts/artifacts/tss_probe.wasm");
        let stored = chain.block(vec![(0, vec![Msg::WasmStore { code }])], false);
        ok(&stored);
        let mut probes = Vec::new();
        for i in 0..REQUESTERS {
            let out = chain.block(vec![(i, vec![Msg::WasmInstantiate { code_id: 1, msg: b"{}".to_vec(), label: format!("probe {i}"), admin: None }])], false);
            ok(&out);
            let human = out[0].contract_events.iter().find(|e| e.kind == "instantiate").and_then(|e| e.attrs.iter().find(|(k, _)| k == "_contract_address")).map(|(_, v)| v.clone()).expect("instantiated");
            let canonical: [u8; 32] = tss_wasm::address::canonicalize("mpc", &human).expect("address").try_into().expect("32 bytes");
            probes.push(canonical);
        }
        // Align the heights with the baseline's, so both submit at the same engine state.
        probes.iter().enumerate().map(|(i, p)| (i, (0..PER_REQUESTER).map(|_| Msg::WasmExecute { contract: *p, msg: SIGN.as_bytes().to_vec() }).collect())).collect()
    } else {
        for _ in 0..=REQUESTERS {
            chain.block(vec![], false);
        }
        (0..REQUESTERS).map(|i| (i, (0..PER_REQUESTER).map(|j| Msg::Tss(Request::Sign { keyset: 0, message: format!("hello {j}").into_bytes(), context: None })).collect())).collect()
    };
    // A transaction carries at most 16 messages: 5 transactions of 5 per requester.
    let txs: Vec<(usize, Vec<Msg>)> = requests.into_iter().flat_map(|(k, msgs)| msgs.chunks(5).map(|c| (k, c.to_vec())).collect::<Vec<_>>()).collect();
    ok(&chain.block(txs, true));
    for _ in 0..30 {
        chain.block(vec![], true);
    }
    let answered: usize = chain.recorded.iter().map(|r| r.out.callbacks.len()).sum();
    assert!(answered >= REQUESTERS * PER_REQUESTER, "only {answered} callbacks in 30 blocks");
    (chain.recorded, chain.host)
}

fn callbacks(c: &mut Criterion) {
    let dirs = [tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir")];
    let (baseline, base_host) = run(false, dirs[0].path());
    let (with_contracts, host) = run(true, dirs[1].path());
    for (name, blocks) in [("accounts", &baseline), ("contracts", &with_contracts)] {
        let sizes: Vec<usize> = blocks.iter().map(|r| r.out.callbacks.len()).collect();
        eprintln!("{name}: callbacks per block {sizes:?}");
    }
    let mut group = c.benchmark_group("settle_blocks_with_100_signature_callbacks");
    group.sample_size(20);
    for (name, blocks, host) in [("to_accounts_baseline", &baseline, &base_host), ("to_contracts_sudo", &with_contracts, &host)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || blocks.iter().map(|r| r.store.clone()).collect::<Vec<_>>(),
                |stores| {
                    let mut delivered = 0;
                    for (mut store, r) in stores.into_iter().zip(blocks.iter()) {
                        delivered += settle(&mut store, host, &r.env, &r.engine, &r.out, &r.deposits, r.fees);
                    }
                    delivered
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, callbacks);
criterion_main!(benches);
