//! The host on its own, with the committed probe contract (contracts/probe): store,
//! instantiate, execute, query and migrate; gas exhaustion, a panic, a loop, a failure after a
//! write, a failing sub-message with and without a reply; bad code refused; and two hosts with
//! their own caches ending in the same state (what the app hash covers).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::sync::Arc;
use tss_engine::types::Request;
use tss_engine::{MemStore, Store};
use tss_wasm::gas::Meter;
use tss_wasm::{BlockEnv, Exec, Host, Submitted, TssRouter, TssView, WasmError};

fn artifact(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts/artifacts").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (scripts/build-contracts builds it)", path.display()))
}

/// Numbers requests from 1 and remembers them.
#[derive(Default)]
struct Counter {
    log: Vec<(Vec<u8>, Request)>,
}

impl TssRouter for Counter {
    fn submit(&mut self, requester: &[u8], request: &Request) -> Result<Submitted, String> {
        self.log.push((requester.to_vec(), request.clone()));
        Ok(Submitted { request_id: self.log.len() as u64, key_set_id: None })
    }
    fn mark(&self) -> usize {
        self.log.len()
    }
    fn rollback(&mut self, mark: usize) {
        self.log.truncate(mark);
    }
    fn can_create_keysets(&self) -> bool {
        true
    }
}

fn env() -> BlockEnv {
    BlockEnv { chain_id: "host-test".into(), height: 5, time_nanos: 1_700_000_000_000_000_000, prefix: "mpc".into() }
}

const ALICE: [u8; 20] = [7; 20];
const GAS: u64 = 5_000_000;

struct Chain {
    host: Host,
    _dir: tempfile::TempDir,
    store: MemStore,
    router: Counter,
}

impl Chain {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self { host: Host::open(dir.path()).unwrap(), _dir: dir, store: MemStore::default(), router: Counter::default() }
    }

    /// Runs `f` as one transaction: its writes land only if it succeeds. Returns its result and gas.
    fn tx<T>(&mut self, gas: u64, f: impl FnOnce(&mut Exec<'_, MemStore>) -> Result<T, WasmError>) -> (Result<T, WasmError>, u64) {
        let env = env();
        let mut exec = Exec::new(&self.host, &self.store, &env, Arc::new(TssView::default()), &mut self.router, Meter::new(gas, 0));
        let result = f(&mut exec);
        let (branch, meter, _) = exec.finish();
        if result.is_ok() {
            branch.apply(&mut self.store);
        }
        (result, meter.used)
    }

    fn query(&self, contract: &[u8], msg: &str) -> Result<String, WasmError> {
        tss_wasm::exec::query_smart(&self.host, &self.store, &env(), Arc::new(TssView::default()), contract, msg.as_bytes(), GAS).map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    fn deploy(&mut self) -> Vec<u8> {
        let code = artifact("tss_probe.wasm");
        let (id, _) = self.tx(GAS, |e| e.store_code(&ALICE, &code));
        let id = id.unwrap();
        let (r, _) = self.tx(GAS, |e| e.instantiate(&ALICE, id, b"{}", "probe", Some(ALICE.to_vec())));
        r.unwrap().0
    }

    fn get(&self, contract: &[u8], key: &str) -> Option<String> {
        serde_json::from_str(&self.query(contract, &format!(r#"{{"get":{{"key":"{key}"}}}}"#)).unwrap()).unwrap()
    }
}

#[test]
fn store_instantiate_execute_query_migrate() {
    let mut c = Chain::new();
    let probe = c.deploy();
    assert_eq!(probe.len(), 32);
    let (r, gas) = c.tx(GAS, |e| e.execute(&ALICE, &probe, br#"{"set":{"key":"k","value":"v"}}"#));
    r.unwrap();
    assert!(gas > tss_wasm::exec::INSTANCE_GAS, "a call costs its instance and its work: {gas}");
    assert_eq!(c.get(&probe, "k").as_deref(), Some("v"));
    let raw = tss_wasm::state::raw(&c.store, &probe, b"k");
    assert_eq!(raw.as_deref(), Some(b"v".as_slice()));
    // Migrate: only the admin.
    let (r, _) = c.tx(GAS, |e| e.migrate(&[9; 20], &probe, 1, b"{}"));
    assert!(matches!(r, Err(WasmError::Invalid(ref m)) if m.contains("only the admin")), "{r:?}");
    let (r, _) = c.tx(GAS, |e| e.migrate(&ALICE, &probe, 1, b"{}"));
    r.unwrap();
    assert_eq!(c.get(&probe, "migrated").as_deref(), Some("1"));
    // A malformed message is the contract's error, named.
    let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &probe, br#"{"nope":{}}"#));
    match r {
        Err(WasmError::Contract { contract, message }) => {
            assert!(contract.starts_with("mpc1"));
            assert!(message.contains("execute failed"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn gas_exhaustion_panic_and_failure_leave_no_writes() {
    let mut c = Chain::new();
    let probe = c.deploy();
    let before = c.store.clone();
    let (r, used) = c.tx(1_000_000, |e| e.execute(&ALICE, &probe, br#"{"loop":{}}"#));
    assert_eq!(r, Err(WasmError::OutOfGas));
    assert_eq!(used, 1_000_000, "a loop burns the whole limit");
    let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &probe, br#"{"panic":{}}"#));
    match r {
        Err(WasmError::Contract { message, .. }) => assert!(message.contains("panics on command"), "{message}"),
        other => panic!("{other:?}"),
    }
    let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &probe, br#"{"write_then_fail":{"key":"x"}}"#));
    assert!(matches!(r, Err(WasmError::Contract { .. })));
    assert_eq!(c.store, before, "nothing of the failed transactions stayed");
    assert_eq!(c.get(&probe, "x"), None);
    // Too little gas for even the instance.
    let (r, _) = c.tx(10, |e| e.execute(&ALICE, &probe, br#"{"set":{"key":"k","value":"v"}}"#));
    assert_eq!(r, Err(WasmError::OutOfGas));
}

#[test]
fn a_failing_sub_message_is_rolled_back_and_replied_to_or_fails_the_caller() {
    let mut c = Chain::new();
    let a = c.deploy();
    let (r, _) = c.tx(GAS, |e| e.instantiate(&ALICE, 1, b"{}", "second", None));
    let b = r.unwrap().0;
    let b32 = tss_wasm::address::humanize("mpc", &b).unwrap();
    let inner = base64(br#"{"write_then_fail":{"key":"inner"}}"#);
    // With reply_on_error: the caller's transaction succeeds, the inner write is gone and the
    // reply saw the error.
    let msg = format!(r#"{{"call":{{"contract":"{b32}","msg":"{inner}","reply":"error"}}}}"#);
    let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &a, msg.as_bytes()));
    r.unwrap();
    assert_eq!(c.get(&b, "inner"), None);
    let replies = c.query(&a, r#"{"list":{"prefix":"reply/"}}"#).unwrap();
    assert!(replies.contains("err id=2") && replies.contains("failed after writing"), "{replies}");
    // Without a reply: the caller fails too.
    let msg = format!(r#"{{"call":{{"contract":"{b32}","msg":"{inner}","reply":"never"}}}}"#);
    let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &a, msg.as_bytes()));
    assert!(matches!(r, Err(WasmError::Contract { ref contract, .. }) if *contract == b32), "{r:?}");
}

#[test]
fn tss_messages_are_numbered_at_once_and_rolled_back_with_their_branch() {
    let mut c = Chain::new();
    let probe = c.deploy();
    let sign = br#"{"tss":{"msg":{"request_signature":{"key_set_id":null,"message":"aGk=","derivation":null}}}}"#;
    let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &probe, sign));
    r.unwrap();
    assert_eq!(c.router.log.len(), 1);
    assert_eq!(c.router.log[0].0, probe, "the requester is the contract");
    let replies = c.query(&probe, r#"{"list":{"prefix":"reply/"}}"#).unwrap();
    assert!(replies.contains(r#"data={\"request_id\":1,\"key_set_id\":null} responses=1"#), "the id came back in the reply: {replies}");
    let record = tss_wasm::state::decode::<tss_wasm::state::RequestRecord>(&c.store.get(&tss_wasm::state::request_key(1)).unwrap()).unwrap();
    assert_eq!(record.message, b"hi");
    // A bad re-encryption key is refused by the host before the router.
    let bad = br#"{"tss":{"msg":{"request_decryption":{"key_set_id":null,"ciphertext":"AA==","reencrypt_to":"AA=="}}}}"#;
    let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &probe, bad));
    r.unwrap();
    assert_eq!(c.router.log.len(), 1, "not queued");
    let replies = c.query(&probe, r#"{"list":{"prefix":"reply/"}}"#).unwrap();
    assert!(replies.contains("reencrypt_to must be a 32-byte X25519 key"), "{replies}");
}

#[test]
fn bad_code_is_refused_with_the_reason() {
    let mut c = Chain::new();
    let (r, _) = c.tx(GAS, |e| e.store_code(&ALICE, b"\0asm\x01\0\0\0garbage"));
    assert!(matches!(r, Err(WasmError::Invalid(ref m)) if m.contains("fails the checks")), "{r:?}");
    let huge = vec![0u8; tss_wasm::host::MAX_CODE_SIZE + 1];
    let (r, _) = c.tx(50_000_000, |e| e.store_code(&ALICE, &huge));
    assert!(matches!(r, Err(WasmError::Invalid(ref m)) if m.contains("most accepted")), "{r:?}");
    let (r, _) = c.tx(GAS, |e| e.instantiate(&ALICE, 9, b"{}", "x", None));
    assert!(matches!(r, Err(WasmError::Invalid(ref m)) if m.contains("no code 9")), "{r:?}");
}

#[test]
fn two_hosts_with_their_own_caches_reach_the_same_state() {
    let run = || {
        let mut c = Chain::new();
        let probe = c.deploy();
        for i in 0..5 {
            let msg = format!(r#"{{"set":{{"key":"k{i}","value":"v{i}"}}}}"#);
            let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &probe, msg.as_bytes()));
            r.unwrap();
        }
        let (r, gas) = c.tx(700_000, |e| e.execute(&ALICE, &probe, br#"{"loop":{}}"#));
        assert_eq!(r, Err(WasmError::OutOfGas));
        (c.store, gas)
    };
    let (a, gas_a) = run();
    let (b, gas_b) = run();
    assert_eq!(a, b);
    assert_eq!(gas_a, gas_b);
}

#[test]
fn a_lost_cache_is_rebuilt_from_the_code_kept_in_state() {
    let mut c = Chain::new();
    let probe = c.deploy();
    // A fresh host (empty cache directory) over the same state.
    let dir = tempfile::tempdir().unwrap();
    c.host = Host::open(dir.path()).unwrap();
    let (r, _) = c.tx(GAS, |e| e.execute(&ALICE, &probe, br#"{"set":{"key":"k","value":"again"}}"#));
    r.unwrap();
    assert_eq!(c.get(&probe, "k").as_deref(), Some("again"));
}

fn base64(b: &[u8]) -> String {
    cosmwasm_std::Binary::from(b).to_base64()
}
