//! The cost of contract calls with a warm module cache: instantiate, execute (a write), sudo
//! (a callback that records itself), a smart query; the probe contract from contracts/.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;
use std::sync::Arc;
use tss_engine::types::Request;
use tss_engine::MemStore;
use tss_wasm::gas::Meter;
use tss_wasm::{BlockEnv, Exec, Host, Submitted, TssRouter, TssView};

struct Counter(u64);

impl TssRouter for Counter {
    fn submit(&mut self, _: &[u8], _: &Request) -> Result<Submitted, String> {
        self.0 += 1;
        Ok(Submitted { request_id: self.0, key_set_id: None })
    }
    fn mark(&self) -> usize {
        0
    }
    fn rollback(&mut self, _: usize) {}
    fn can_create_keysets(&self) -> bool {
        false
    }
}

fn bench(c: &mut Criterion) {
    let code = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts/artifacts/tss_probe.wasm")).expect("contracts/artifacts/tss_probe.wasm");
    let dir = tempfile::tempdir().expect("tempdir");
    let host = Host::open(dir.path()).expect("host");
    let env = BlockEnv { chain_id: "bench".into(), height: 1, time_nanos: 0, prefix: "mpc".into() };
    let mut store = MemStore::default();
    let mut router = Counter(0);
    let view = Arc::new(TssView::default());
    let alice = [1u8; 20];
    let contract = {
        let mut exec = Exec::new(&host, &store, &env, view.clone(), &mut router, Meter::new(50_000_000, 0));
        exec.store_code(&alice, &code).expect("store");
        let (address, _) = exec.instantiate(&alice, 1, b"{}", "bench", None).expect("instantiate");
        let (branch, _, _) = exec.finish();
        branch.apply(&mut store);
        address
    };
    let mut group = c.benchmark_group("contract");
    group.bench_function("instantiate", |b| {
        b.iter(|| {
            let mut exec = Exec::new(&host, &store, &env, view.clone(), &mut router, Meter::new(5_000_000, 0));
            exec.instantiate(&alice, 1, b"{}", "bench", None).expect("instantiate");
        })
    });
    group.bench_function("execute", |b| {
        b.iter(|| {
            let mut exec = Exec::new(&host, &store, &env, view.clone(), &mut router, Meter::new(5_000_000, 0));
            exec.execute(&alice, &contract, br#"{"set":{"key":"k","value":"v"}}"#).expect("execute");
        })
    });
    let sudo = serde_json::to_vec(&tss_bindings::TssSudoMsg::SignatureReady {
        request_id: 7,
        key_set_id: 0,
        public_key: vec![1u8; 32].into(),
        message: b"hello".to_vec().into(),
        signature: vec![2u8; 64].into(),
    })
    .expect("json");
    group.bench_function("sudo", |b| {
        b.iter(|| {
            let mut exec = Exec::new(&host, &store, &env, view.clone(), &mut router, Meter::new(2_000_000, 0));
            exec.sudo(&contract, &sudo).expect("sudo");
        })
    });
    group.bench_function("query", |b| {
        b.iter(|| tss_wasm::exec::query_smart(&host, &store, &env, view.clone(), &contract, br#"{"get":{"key":"k"}}"#, 3_000_000).expect("query"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
