//! Contracts in the chain, with the engine of a simulated validator network that has
//! byzantine members: many probe contracts (contracts/probe) make signature requests in the
//! same blocks; every callback reaches the contract that asked exactly once, with the id it was
//! told when it asked; failing and looping callbacks are recorded and change nothing; requests
//! made by callbacks run in the next block; and a hostile contract cannot use another's keyset
//! or ciphertext.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use ed25519_dalek::SigningKey;
use std::path::PathBuf;
use tss_app::{genesis, Address, AppParams, Block, Fee, Msg, Tx, TxBody, TxOutcome};
use tss_bindings::TssSudoMsg;
use tss_crypto::Encode;
use tss_engine::{MemStore, Store};
use tss_sim::{Behavior, Network, SimConfig};
use tss_wasm::{BlockEnv, Host};

struct Harness {
    net: Network,
    store: MemStore,
    host: Host,
    _cache: tempfile::TempDir,
    alice: SigningKey,
    sequence: u64,
}

fn artifact(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts/artifacts").join(name)).unwrap()
}

impl Harness {
    fn new(byzantine: &[(usize, Behavior)]) -> Self {
        let mut net = Network::new(SimConfig::new(7, 41));
        for (i, b) in byzantine {
            net.nodes[*i].behavior = *b;
        }
        let alice = SigningKey::from_bytes(&[1; 32]);
        let mut store = MemStore::default();
        genesis(&mut store, &AppParams::default(), &[(Address::of_key(&alice.verifying_key().to_bytes()), 10_000_000_000)]).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let host = Host::open(cache.path()).unwrap();
        Self { net, store, host, _cache: cache, alice, sequence: 0 }
    }

    fn tx(&mut self, msg: Msg) -> Vec<u8> {
        let body = TxBody { chain_id: self.net.state().meta.chain_id.clone(), sequence: self.sequence, fee: Fee { amount: 1_000_000, gas_limit: 9_000_000 }, msgs: vec![msg], memo: String::new() };
        self.sequence += 1;
        Tx::sign(&self.alice, &body).to_bytes()
    }

    /// One block as the node runs it: transactions, the engine, settlement, callbacks.
    fn block(&mut self, msgs: Vec<Msg>) -> Vec<TxOutcome> {
        let txs: Vec<Vec<u8>> = msgs.into_iter().map(|m| self.tx(m)).collect();
        let h = self.net.height + 1;
        let env = BlockEnv { chain_id: self.net.state().meta.chain_id.clone(), height: h, time_nanos: h * 1_000_000_000, prefix: "mpc".into() };
        let (outcomes, block) = {
            let mut block = Block::begin(&mut self.store, self.net.state(), h).with_contracts(&self.host, env.clone());
            let outcomes: Vec<TxOutcome> = txs.iter().map(|t| block.deliver(t)).collect();
            (outcomes, block.finish())
        };
        self.net.at(h).requests.extend(block.requests.clone());
        self.net.step().unwrap();
        let out = self.net.outputs.last().unwrap().1.clone();
        tss_app::end_block(&mut self.store, &out, &block.deposits, block.fees, &self.net.state().meta.validators);
        tss_app::contracts::deliver_callbacks(&mut self.store, &self.host, &env, self.net.state(), &out);
        outcomes
    }

    fn ok(&mut self, msg: Msg) -> TxOutcome {
        let out = self.block(vec![msg]).remove(0);
        assert_eq!(out.code, 0, "{}", out.log);
        out
    }

    fn deploy(&mut self, count: usize) -> Vec<[u8; 32]> {
        self.ok(Msg::WasmStore { code: artifact("tss_probe.wasm") });
        (0..count)
            .map(|i| {
                let out = self.ok(Msg::WasmInstantiate { code_id: 1, msg: b"{}".to_vec(), label: format!("probe {i}"), admin: None });
                let human = attr(&out, "instantiate", "_contract_address");
                tss_wasm::address::canonicalize("mpc", &human).unwrap().try_into().unwrap()
            })
            .collect()
    }

    fn exec(contract: &[u8; 32], msg: &str) -> Msg {
        Msg::WasmExecute { contract: *contract, msg: msg.as_bytes().to_vec() }
    }

    fn query(&self, contract: &[u8; 32], msg: &str) -> String {
        let env = BlockEnv { chain_id: "x".into(), height: self.net.height, time_nanos: 0, prefix: "mpc".into() };
        let view = std::sync::Arc::new(tss_wasm::TssView::of(self.net.state()));
        let out = tss_wasm::exec::query_smart(&self.host, &self.store, &env, view, contract, msg.as_bytes(), 5_000_000).unwrap();
        String::from_utf8(out.to_vec()).unwrap()
    }

    fn list(&self, contract: &[u8; 32], prefix: &str) -> Vec<(String, String)> {
        serde_json::from_str(&self.query(contract, &format!(r#"{{"list":{{"prefix":"{prefix}"}}}}"#))).unwrap()
    }

    fn callbacks(&self, contract: &[u8; 32]) -> Vec<TssSudoMsg> {
        self.list(contract, "cb/").into_iter().map(|(_, v)| serde_json::from_str(&v).unwrap()).collect()
    }

    /// The request ids the contract was told in its replies.
    fn promised(&self, contract: &[u8; 32]) -> Vec<u64> {
        self.list(contract, "reply/")
            .into_iter()
            .filter_map(|(_, v)| v.split("\"request_id\":").nth(1).and_then(|r| r.split(',').next()).and_then(|n| n.parse().ok()))
            .collect()
    }

    fn until_key(&mut self) -> [u8; 32] {
        for _ in 0..40 {
            if let Some(k) = self.net.network_key() {
                return k;
            }
            self.block(vec![]);
        }
        panic!("no network key");
    }

    /// Runs blocks until every contract request has had its callback.
    fn drain(&mut self) {
        for _ in 0..40 {
            let open = self.store.scan_prefix(b"wasm/request/");
            if open.is_empty() && tss_wasm::state::queue(&self.store).is_empty() {
                return;
            }
            self.block(vec![]);
        }
        panic!("requests still open: {:?}", self.net.state().requests.keys().collect::<Vec<_>>());
    }
}

fn attr(out: &TxOutcome, kind: &str, key: &str) -> String {
    out.contract_events.iter().filter(|e| e.kind == kind).flat_map(|e| e.attrs.iter()).find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_else(|| panic!("no {kind}.{key} in {:?}", out.contract_events))
}

const SIGN: &str = r#"{"tss":{"msg":{"request_signature":{"key_set_id":null,"message":"aGVsbG8=","derivation":null}}}}"#;

#[test]
fn every_callback_reaches_its_contract_exactly_once_with_the_promised_id() {
    let mut h = Harness::new(&[(5, Behavior::WrongSignatureShare), (6, Behavior::GarbageItems)]);
    h.until_key();
    let probes = h.deploy(4);
    // Probe 1's callbacks fail, probe 2's loop, probe 3's make a new request.
    h.ok(Harness::exec(&probes[1], r#"{"sudo_mode":{"mode":"fail"}}"#));
    h.ok(Harness::exec(&probes[2], r#"{"sudo_mode":{"mode":"loop"}}"#));
    h.ok(Harness::exec(&probes[3], r#"{"sudo_mode":{"mode":"sign_again"}}"#));
    for _ in 0..3 {
        let msgs: Vec<Msg> = probes.iter().flat_map(|p| [Harness::exec(p, SIGN), Harness::exec(p, SIGN)]).collect();
        for out in h.block(msgs) {
            assert_eq!(out.code, 0, "{}", out.log);
        }
    }
    // Probe 3 asks again from each callback for a while, then stops.
    for _ in 0..6 {
        h.block(vec![]);
    }
    h.ok(Harness::exec(&probes[3], r#"{"sudo_mode":{"mode":"ok"}}"#));
    h.drain();
    // The healthy probe: six callbacks, one per promised id, each a signature that verifies.
    let promised = h.promised(&probes[0]);
    assert_eq!(promised.len(), 6);
    let cbs = h.callbacks(&probes[0]);
    assert_eq!(cbs.iter().map(TssSudoMsg::request_id).collect::<Vec<_>>(), promised);
    for cb in &cbs {
        let TssSudoMsg::SignatureReady { public_key, message, signature, .. } = cb else { panic!("{cb:?}") };
        assert_eq!(message.as_slice(), b"hello");
        let key = ed25519_dalek::VerifyingKey::from_bytes(&public_key.as_slice().try_into().unwrap()).unwrap();
        key.verify_strict(message.as_slice(), &ed25519_dalek::Signature::from_slice(signature.as_slice()).unwrap()).unwrap();
    }
    // Failing and looping callbacks: recorded, their writes dropped, each exactly once.
    for p in &probes[1..3] {
        assert!(h.callbacks(p).is_empty(), "a failed callback's writes are dropped");
        for id in h.promised(p) {
            let rec = tss_wasm::state::callback(&h.store, id).unwrap_or_else(|| panic!("request {id} has no callback record"));
            assert!(!rec.ok && !rec.error.is_empty(), "{rec:?}");
        }
    }
    let looped = tss_wasm::state::callback(&h.store, h.promised(&probes[2])[0]).unwrap();
    assert!(looped.error.contains("out of gas"), "{looped:?}");
    assert_eq!(looped.gas_used, AppParams::default().wasm.callback_gas_limit);
    // Requests made from callbacks were numbered as promised (in the next block) and answered
    // once each too.
    let mut want = h.promised(&probes[3]);
    assert!(want.len() > 6, "callbacks asked again: {want:?}");
    want.sort_unstable();
    let mut got: Vec<u64> = h.callbacks(&probes[3]).iter().map(TssSudoMsg::request_id).collect();
    got.sort_unstable();
    assert_eq!(got, want);
    for p in &probes {
        assert!(h.list(p, "dup/").is_empty(), "a callback arrived twice");
    }
}

#[test]
fn a_hostile_contract_cannot_use_anothers_keyset_or_ciphertext() {
    let mut h = Harness::new(&[(4, Behavior::WrongDecryptionShare)]);
    let network = h.until_key();
    let probes = h.deploy(2);
    let (owner, thief) = (probes[0], probes[1]);
    // The owner creates a keyset; the transaction's signer pays the deposit.
    let before = tss_app::accounts::account(&h.store, &Address::of_key(&h.alice.verifying_key().to_bytes())).balance;
    h.ok(Harness::exec(&owner, r#"{"tss":{"msg":{"create_key_set":{"threshold":null,"description":"vault"}}}}"#));
    let after = tss_app::accounts::account(&h.store, &Address::of_key(&h.alice.verifying_key().to_bytes())).balance;
    assert!(before - after >= AppParams::default().keyset_deposit);
    h.drain();
    let ready = h.callbacks(&owner);
    let key_set_id = match ready.as_slice() {
        [TssSudoMsg::KeySetReady { key_set_id, .. }] => *key_set_id,
        other => panic!("{other:?}"),
    };
    assert!(h.promised(&owner).len() == 1 && h.list(&owner, "reply/")[0].1.contains(&format!("\"key_set_id\":{key_set_id}")), "the keyset id was promised in the reply");
    // The thief signs with it, deletes it, and decrypts the owner's ciphertext.
    let gen = h.net.state().keysets[&0].current.unwrap();
    let key = tss_crypto::encrypt::EncryptionKey::from_bytes(network, gen).unwrap();
    let label = tss_bindings::ciphertext_label(&owner, b"secret").unwrap();
    let ct = tss_crypto::encrypt::encrypt(&key, &label, b"for the owner only", &mut rand_core::OsRng).unwrap().to_bytes();
    let b64 = cosmwasm_std::Binary::from(ct).to_base64();
    let sign = format!(r#"{{"tss":{{"msg":{{"request_signature":{{"key_set_id":{key_set_id},"message":"aGk=","derivation":null}}}}}}}}"#);
    let delete = format!(r#"{{"tss":{{"msg":{{"delete_key_set":{{"key_set_id":{key_set_id}}}}}}}}}"#);
    let decrypt = format!(r#"{{"tss":{{"msg":{{"request_decryption":{{"key_set_id":null,"ciphertext":"{b64}","reencrypt_to":null}}}}}}}}"#);
    h.block(vec![Harness::exec(&thief, &sign), Harness::exec(&thief, &delete), Harness::exec(&thief, &decrypt), Harness::exec(&owner, &decrypt)]);
    h.drain();
    let stolen = h.callbacks(&thief);
    assert_eq!(stolen.len(), 3);
    for cb in &stolen {
        let TssSudoMsg::RequestFailed { reason, .. } = cb else { panic!("the thief got {cb:?}") };
        assert!(reason.contains("another owner") || reason.contains("not the requester's") || reason.contains("label does not name the requester"), "{reason}");
    }
    let mine = h.callbacks(&owner);
    let opened = mine.iter().find_map(|c| match c {
        TssSudoMsg::DecryptionReady { plaintext: Some(p), .. } => Some(p.to_vec()),
        _ => None,
    });
    assert_eq!(opened.as_deref(), Some(b"for the owner only".as_slice()));
    assert!(h.net.state().keysets.contains_key(&key_set_id), "the keyset was not deleted");
}
