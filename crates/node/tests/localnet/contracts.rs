//! The three contracts, deployed from the committed artifacts on the real localnet and run
//! through the `mpcd` CLI only; every result is checked independently of the chain: the
//! vault's signature with ed25519-dalek, the delivered plaintext against what was encrypted,
//! the auction's winner against the bids made.

use super::{abci_info, rpc, wait_for, Localnet};
use base64::Engine;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A keyring in the localnet's directory and the node the client talks to.
struct Client<'a> {
    net: &'a Localnet,
    ring: String,
    node: String,
}

impl Client<'_> {
    /// `mpcd ARGS --keyring-backend test --keyring-dir RING`.
    fn keys(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--keyring-backend", "test", "--keyring-dir", &self.ring, "--output", "json"]);
        self.net.mpcd(&all).unwrap_or_else(|e| panic!("mpcd {args:?}: {e}"))
    }

    /// `mpcd tx ARGS --from FROM`, waiting for the block; the broadcast's JSON.
    fn tx(&self, from: &str, args: &[&str]) -> Result<Value, String> {
        let mut all = vec!["tx"];
        all.extend(args);
        all.extend(["--from", from, "--keyring-backend", "test", "--keyring-dir", &self.ring, "--node", &self.node]);
        self.net.mpcd(&all)
    }

    fn execute(&self, from: &str, contract: &str, msg: Value) -> Value {
        self.tx(from, &["wasm", "execute", contract, &msg.to_string()]).unwrap_or_else(|e| panic!("execute {msg} on {contract} from {from}: {e}\n{}", self.net.logs()))
    }

    fn smart(&self, contract: &str, msg: Value) -> Value {
        self.net.mpcd(&["query", "wasm", "contract-state", "smart", contract, &msg.to_string(), "--node", &self.node]).unwrap_or_else(|e| panic!("query {msg} on {contract}: {e}"))
    }

    /// Stores `artifact` and instantiates it; the contract's address.
    fn deploy(&self, from: &str, artifact: &Path, msg: Value, label: &str) -> String {
        let stored = self.tx(from, &["wasm", "store", artifact.to_str().unwrap()]).unwrap_or_else(|e| panic!("store {}: {e}\n{}", artifact.display(), self.net.logs()));
        let code_id = stored["code_id"].as_u64().unwrap_or_else(|| panic!("no code id: {stored}")).to_string();
        let info = self.net.mpcd(&["query", "wasm", "code-info", &code_id, "--node", &self.node]).unwrap();
        let checksum = sha256_hex(&std::fs::read(artifact).unwrap());
        assert_eq!(info["checksum"].as_str(), Some(checksum.as_str()), "the chain holds the artifact's bytes: {info}");
        let made = self.tx(from, &["wasm", "instantiate", &code_id, &msg.to_string(), "--label", label]).unwrap_or_else(|e| panic!("instantiate {label}: {e}\n{}", self.net.logs()));
        made["contract_address"].as_str().unwrap_or_else(|| panic!("no contract address: {made}")).to_owned()
    }

    /// `mpcd encrypt` to the network key for `owner` and `purpose`: (file, base64).
    fn encrypt(&self, owner: &str, purpose: &str, plaintext: &str, file: &str) -> (PathBuf, String) {
        let out = self.net.dir.path().join(file);
        let ct = self.net.mpcd(&["encrypt", "--owner", owner, "--purpose", purpose, "--plaintext", plaintext, "--out", out.to_str().unwrap(), "--node", &self.node]).unwrap();
        let b64 = ct["ciphertext_base64"].as_str().unwrap().to_owned();
        assert_eq!(B64.decode(&b64).unwrap(), hex::decode(std::fs::read_to_string(&out).unwrap()).unwrap(), "the file and the base64 hold one ciphertext");
        (out, b64)
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn artifact(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/artifacts").join(name)
}

/// Deploys the auction, the vault and private delivery from `contracts/artifacts` and runs each
/// flow. `ring` holds the funded key `faucet`.
pub fn three_contracts_run_their_flows(net: &Localnet, ring: &str) {
    let c = Client { net, ring: ring.to_owned(), node: rpc(0).replace("http://", "tcp://") };
    let mut who = std::collections::BTreeMap::new();
    for name in ["deployer", "bob", "carol", "dave"] {
        let key = c.keys(&["keys", "add", name]);
        let address = key["address"].as_str().unwrap().to_owned();
        c.tx("faucet", &["bank", "send", &address, "50000000"]).unwrap_or_else(|e| panic!("funding {name}: {e}"));
        who.insert(name, address);
    }
    sealed_bid_auction(&c, &who);
    ed25519_vault(&c, &who);
    private_delivery(&c, &who);
}

fn sealed_bid_auction(c: &Client, who: &std::collections::BTreeMap<&str, String>) {
    let (height, _) = abci_info(0).unwrap();
    let end_height = height + 30;
    let auction = c.deploy("deployer", &artifact("tss_auction.wasm"), json!({ "description": "lot 7", "end_height": end_height }), "auction");
    // Two real bids, one that is no amount, one whose ciphertext was tampered with after its
    // label (it passes the contract's label check and fails at the engine): the last two are
    // excluded with their reasons and never block the others.
    let bids = [("bob", "1500"), ("carol", "2700"), ("dave", "lots")];
    for (name, amount) in bids {
        let (_, b64) = c.encrypt(&auction, &format!("bid:{}", who[name]), amount, &format!("bid-{name}.ct"));
        c.execute(name, &auction, json!({ "bid": { "ciphertext": b64 } }));
    }
    let (_, b64) = c.encrypt(&auction, &format!("bid:{}", who["deployer"]), "9999", "bid-deployer.ct");
    let mut tampered = B64.decode(b64).unwrap();
    *tampered.last_mut().unwrap() ^= 1;
    c.execute("deployer", &auction, json!({ "bid": { "ciphertext": B64.encode(&tampered) } }));
    // A copy of carol's ciphertext sent by dave is refused: the label names carol.
    let (_, carols) = c.encrypt(&auction, &format!("bid:{}", who["carol"]), "1", "bid-copy.ct");
    let copied = c.tx("dave", &["wasm", "execute", &auction, &json!({ "bid": { "ciphertext": carols } }).to_string()]).unwrap_err();
    assert!(copied.contains(&auction) && copied.contains("label"), "a copied bid is refused naming the contract: {copied}");

    let early = c.tx("bob", &["wasm", "execute", &auction, r#"{"close":{}}"#]).unwrap_err();
    assert!(early.contains(&auction), "close before the end is refused by the contract: {early}");
    wait_for("the auction's end height", Duration::from_secs(60), c.net, || (abci_info(0)?.0 >= end_height).then_some(()));
    let closed = c.execute("bob", &auction, json!({ "close": {} }));
    assert_eq!(closed["contract_requests"].as_array().map(Vec::len), Some(4), "one decryption per bid: {closed}");
    let result = wait_for("the auction to close", Duration::from_secs(90), c.net, || Some(c.smart(&auction, json!({ "result": {} }))).filter(|r| r["status"] == "closed"));
    assert_eq!(result["winner"].as_str(), Some(who["carol"].as_str()), "{result}");
    assert_eq!(result["amount"], "2700", "{result}");
    assert_eq!((result["bids"].as_u64(), result["opened"].as_u64(), result["excluded"].as_u64()), (Some(4), Some(2), Some(2)), "{result}");
    let listed = c.smart(&auction, json!({ "bids": {} }));
    let view = |name: &str| listed["bids"].as_array().unwrap().iter().find(|b| b["bidder"] == who[name].as_str()).cloned().unwrap_or_else(|| panic!("no bid of {name}: {listed}"));
    assert_eq!((view("bob")["status"].as_str(), view("bob")["amount"].as_str()), (Some("opened"), Some("1500")), "{listed}");
    assert_eq!(view("dave")["status"], "excluded", "{listed}");
    assert_eq!(view("dave")["reason"], "not a decimal amount", "{listed}");
    assert_eq!(view("deployer")["status"], "excluded", "{listed}");
    assert!(view("deployer")["reason"].as_str().is_some_and(|r| !r.is_empty()), "{listed}");
    eprintln!("auction closed: {result}; tampered bid: {}", view("deployer")["reason"]);
}

fn ed25519_vault(c: &Client, who: &std::collections::BTreeMap<&str, String>) {
    let msg = json!({ "approvers": [who["bob"], who["carol"], who["dave"]], "approvals_needed": 2, "key_threshold": null });
    let vault = c.deploy("deployer", &artifact("tss_vault.wasm"), msg, "vault");
    let key = wait_for("the vault's keyset", Duration::from_secs(90), c.net, || Some(c.smart(&vault, json!({ "key": {} }))).filter(|k| k["status"] == "ready"));
    let public_key = B64.decode(key["public_key"].as_str().unwrap()).unwrap();
    // The chain's own view of the keyset agrees, and it is not the network key.
    let keyset = c.net.mpcd(&["query", "keyset", &key["key_set_id"].as_u64().unwrap().to_string(), "--node", &c.node]).unwrap();
    assert!(keyset.to_string().contains(&hex::encode(&public_key)), "query keyset shows the vault's key: {keyset}");

    let payload = b"pay 5 to bob on the other chain";
    c.execute("bob", &vault, json!({ "propose": { "payload": B64.encode(payload) } }));
    c.execute("bob", &vault, json!({ "approve": { "proposal_id": 1 } }));
    let outsider = c.tx("deployer", &["wasm", "execute", &vault, r#"{"approve":{"proposal_id":1}}"#]).unwrap_err();
    assert!(outsider.contains(&vault), "a non-approver is refused: {outsider}");
    assert_eq!(c.smart(&vault, json!({ "proposal": { "id": 1 } }))["status"], "open", "one approval of two signs nothing");
    c.execute("carol", &vault, json!({ "approve": { "proposal_id": 1 } }));
    let signed = wait_for("the vault's signature", Duration::from_secs(90), c.net, || Some(c.smart(&vault, json!({ "proposal": { "id": 1 } }))).filter(|p| p["status"] == "signed"));
    let signature = ed25519_dalek::Signature::from_slice(&B64.decode(signed["signature"].as_str().unwrap()).unwrap()).unwrap();
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&public_key.as_slice().try_into().unwrap()).unwrap();
    verifying.verify_strict(payload, &signature).expect("the vault's signature verifies under its keyset's key");
    assert_eq!(c.smart(&vault, json!({ "verify": { "proposal_id": 1 } }))["valid"], true);
}

fn private_delivery(c: &Client, who: &std::collections::BTreeMap<&str, String>) {
    let delivery = c.deploy("deployer", &artifact("tss_delivery.wasm"), json!({}), "delivery");
    let secret = "the recipe: 3 parts flour, 1 part water";
    let (item_file, b64) = c.encrypt(&delivery, &format!("item:{}", who["carol"]), secret, "item.ct");
    c.execute("carol", &delivery, json!({ "offer": { "ciphertext": b64, "description": "a recipe" } }));
    c.execute("carol", &delivery, json!({ "allow": { "item_id": 1, "buyer": who["dave"] } }));
    // Bob was not allowed.
    let bob_key = c.net.mpcd(&["transport-key", "new", "--out", c.net.dir.path().join("bob-transport.key").to_str().unwrap()]).unwrap();
    let refused = c.tx("bob", &["wasm", "execute", &delivery, &json!({ "request": { "item_id": 1, "transport_key": bob_key["public_key_base64"] } }).to_string()]).unwrap_err();
    assert!(refused.contains(&delivery), "{refused}");

    let dave_secret = c.net.dir.path().join("dave-transport.key");
    let dave_key = c.net.mpcd(&["transport-key", "new", "--out", dave_secret.to_str().unwrap()]).unwrap();
    let requested = c.execute("dave", &delivery, json!({ "request": { "item_id": 1, "transport_key": dave_key["public_key_base64"] } }));
    assert_eq!(requested["contract_requests"].as_array().map(Vec::len), Some(1), "{requested}");
    let delivered = wait_for("the delivery", Duration::from_secs(90), c.net, || {
        Some(c.smart(&delivery, json!({ "delivery": { "item_id": 1, "buyer": who["dave"] } }))).filter(|d| d["status"] == "delivered")
    });
    let (u, v) = (delivered["u"].as_str().unwrap(), delivered["v"].as_str().unwrap());
    let item = item_file.to_str().unwrap();
    let opened = c.net.mpcd(&["open-reencrypted", "--secret", dave_secret.to_str().unwrap(), "--ciphertext", item, "--u", u, "--v", v, "--node", &c.node]).unwrap();
    assert_eq!(opened["plaintext"].as_str(), Some(secret), "{opened}");
    // What is public opens for nobody else.
    let stranger = c.net.mpcd(&["open-reencrypted", "--secret", c.net.dir.path().join("bob-transport.key").to_str().unwrap(), "--ciphertext", item, "--u", u, "--v", v, "--node", &c.node]).unwrap_err();
    assert!(!stranger.contains(secret), "{stranger}");
    eprintln!("delivered to dave and opened off chain: {delivered}");
}
