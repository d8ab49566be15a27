//! The CLI's refusals, run as a user would (the `mpcd` binary, no chain needed): each bad input
//! gives one clear error naming what to fix, before any network call, and loses nothing.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::{Command, Output};

/// A node address where nothing listens (port 1 needs root to bind; nobody does here).
const DEAD: &str = "tcp://127.0.0.1:1";

fn mpcd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpcd")).args(args).env("MPCD_KEYRING_DIR", "/nonexistent-keyring").env_remove("MPCD_KEYRING_PASSPHRASE").output().unwrap()
}

fn fails(args: &[&str]) -> String {
    let out = mpcd(args);
    assert!(!out.status.success(), "`mpcd {}` succeeded: {}", args.join(" "), String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn works(args: &[&str]) -> Value {
    let out = mpcd(args);
    assert!(out.status.success(), "`mpcd {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A CometBFT home with a `priv_validator_key.json` for the key of `seed`.
fn cometbft_home(dir: &Path, seed: u8) -> std::path::PathBuf {
    let home = dir.join(format!("cometbft{seed}"));
    std::fs::create_dir_all(home.join("config")).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let public = key.verifying_key().to_bytes();
    let address = hex::encode_upper(&Sha256::digest(public)[..20]);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let file = json!({
        "address": address,
        "pub_key": { "type": "tendermint/PubKeyEd25519", "value": b64(&public) },
        "priv_key": { "type": "tendermint/PrivKeyEd25519", "value": b64(&key.to_keypair_bytes()) },
    });
    std::fs::write(home.join("config/priv_validator_key.json"), file.to_string()).unwrap();
    home
}

fn key_file(dir: &Path) -> String {
    let path = dir.join("account.key");
    works(&["keygen", "--out", path.to_str().unwrap()]);
    path.to_str().unwrap().to_owned()
}

#[test]
fn bad_arguments_are_named_before_any_network_call() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let err = fails(&["tx", "sign", "--message-hex", "abc", "--key", &key, "--node", DEAD]);
    assert!(err.contains("--message-hex") && err.contains("odd number of hex digits"), "{err}");
    let err = fails(&["tx", "sign", "--message", "hi", "--node", DEAD]);
    assert!(err.contains("--from NAME is required"), "{err}");
    let err = fails(&["tx", "decrypt", "--ciphertext", "0x00", "--key", &key, "--node", DEAD]);
    assert!(err.contains("--ciphertext: not a ciphertext"), "{err}");
    let err = fails(&["tx", "decrypt", "--ciphertext", "0x00", "--key", &key, "--reencrypt-to", "12"]);
    assert!(err.contains("--reencrypt-to") && err.contains("32 bytes"), "{err}");
    let err = fails(&["tx", "bank", "send", "mpc1notanaddress", "5", "--key", &key, "--node", DEAD]);
    assert!(err.contains("TO:"), "{err}");
    let err = fails(&["tx", "bank", "send", "x", "5x", "--key", &key]);
    assert!(err.contains("not a whole amount"), "{err}");
    let err = fails(&["tx", "sign", "--message", "hi", "--key", &key, "--node", "127.0.0.1"]);
    assert!(err.contains("--node") && err.contains("no port"), "{err}");
    let err = fails(&["query", "tx", "zz", "--node", DEAD]);
    assert!(err.contains("HASH") && err.contains("64 hex digits"), "{err}");
    let err = fails(&["query", "request", "seven"]);
    assert!(err.contains("invalid value 'seven'"), "{err}");
}

#[test]
fn sync_and_wait_together_are_refused_not_half_obeyed() {
    let err = fails(&["tx", "sign", "--message", "hi", "--sync", "--wait", "--key", "k"]);
    assert!(err.contains("--sync") && err.contains("--wait") && err.contains("cannot be used with"), "{err}");
}

#[test]
fn an_unreachable_node_says_where_and_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let err = fails(&["tx", "sign", "--message", "hi", "--key", &key, "--node", DEAD]);
    assert!(err.contains("127.0.0.1:1") && err.contains("is CometBFT running"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn offline_signing_needs_an_explicit_chain_and_makes_a_valid_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let to = tss_app::Address([3; 20]).to_bech32("mpc").unwrap();
    let err = fails(&["tx", "bank", "send", &to, "5", "--key", &key, "--offline", "--sequence", "0"]);
    assert!(err.contains("--chain-id") && err.contains("--gas") && err.contains("--fees"), "{err}");
    let signed = works(&["tx", "bank", "send", &to, "5", "--key", &key, "--offline", "--chain-id", "test-chain", "--sequence", "4", "--gas", "20000", "--fees", "2000"]);
    let bytes = hex::decode(signed["tx"].as_str().unwrap()).unwrap();
    let (_, body) = tss_app::tx::decode(&bytes, "test-chain").unwrap();
    assert_eq!((body.sequence, body.fee.gas_limit, body.fee.amount), (4, 20000, 2000));
    assert_eq!(body.msgs, vec![tss_app::Msg::BankSend { to: tss_app::Address([3; 20]), amount: 5 }]);
    assert_eq!(signed["hash"].as_str().unwrap(), hex::encode_upper(Sha256::digest(&bytes)));
    assert!(tss_app::tx::decode(&bytes, "other-chain").is_err(), "bound to its chain id");
    let err = fails(&["tx", "broadcast", "0xzz", "--node", DEAD]);
    assert!(err.contains("TX:"), "{err}");
}

#[test]
fn keys_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let before = std::fs::read(&key).unwrap();
    let err = fails(&["keygen", "--out", &key]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), before, "the refused keygen left the file alone");
    let ring = dir.path().join("ring");
    let ring = ring.to_str().unwrap();
    let alice = works(&["keys", "add", "alice", "--keyring-backend", "test", "--keyring-dir", ring, "--output", "json"]);
    let err = fails(&["keys", "add", "alice", "--keyring-backend", "test", "--keyring-dir", ring]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(works(&["keys", "show", "alice", "--keyring-backend", "test", "--keyring-dir", ring])["address"], alice["address"]);
    let err = fails(&["keys", "delete", "alice", "--keyring-backend", "test", "--keyring-dir", ring]);
    assert!(err.contains("--yes"), "{err}");
    // Recovery from the mnemonic gives the same account.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mpcd"))
        .args(["keys", "add", "again", "--recover", "--keyring-backend", "test", "--keyring-dir", ring, "--output", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), format!("{}\n", alice["mnemonic"].as_str().unwrap()).as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["address"], alice["address"]);
    assert!(again.get("mnemonic").is_none(), "a recovered key does not print the words back");
    // The file backend without a passphrase and without a terminal says what to do.
    let err = fails(&["keys", "add", "bob", "--keyring-dir", ring]);
    assert!(err.contains("MPCD_KEYRING_PASSPHRASE"), "{err}");
}

#[test]
fn init_requires_a_validator_identity_and_start_refuses_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("mpcd");
    let home = home.to_str().unwrap();
    let err = fails(&["init", "--home", home]);
    assert!(err.contains("--cometbft-home"), "{err}");
    assert!(!Path::new(home).join("secrets.store").exists(), "nothing was written");
    let err = fails(&["init", "--home", home, "--validator-address", "unassigned"]);
    assert!(err.contains("40 hex digits"), "{err}");
    let err = fails(&["init", "--home", home, "--cometbft-home", dir.path().join("nowhere").to_str().unwrap()]);
    assert!(err.contains("priv_validator_key.json"), "{err}");
    let comet = cometbft_home(dir.path(), 1);
    let out = mpcd(&["init", "--home", home, "--cometbft-home", comet.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = fails(&["init", "--home", home, "--cometbft-home", comet.to_str().unwrap()]);
    assert!(err.contains("refusing to overwrite"), "{err}");
    let shown = works(&["show-transport-key", "--home", home]);
    assert_eq!(shown["validator_address"].as_str().unwrap(), hex::encode_upper(&Sha256::digest(ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes())[..20]));
    // CometBFT's key replaced by another validator's: the node would never contribute.
    std::fs::copy(cometbft_home(dir.path(), 2).join("config/priv_validator_key.json"), comet.join("config/priv_validator_key.json")).unwrap();
    let err = fails(&["start", "--home", home]);
    assert!(err.contains("CometBFT's key") && err.contains("secret store belongs to"), "{err}");
}

#[test]
fn genesis_tooling_refuses_mismatches_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let comet = cometbft_home(dir.path(), 1);
    let home = dir.path().join("mpcd");
    let home = home.to_str().unwrap();
    assert!(mpcd(&["init", "--home", home, "--cometbft-home", comet.to_str().unwrap()]).status.success());
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let validator = |seed: u8| {
        let public = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]).verifying_key().to_bytes();
        json!({ "address": hex::encode_upper(&Sha256::digest(public)[..20]), "pub_key": { "type": "tendermint/PubKeyEd25519", "value": b64(&public) }, "power": "10", "name": "" })
    };
    let genesis = dir.path().join("genesis.json");
    let write = |validators: Vec<Value>, app_state: Value| {
        let g = json!({ "chain_id": "c", "initial_height": "1", "consensus_params": { "block": { "max_bytes": "22020096", "max_gas": "-1" }, "abci": { "vote_extensions_enable_height": "2" } }, "validators": validators, "app_state": app_state });
        std::fs::write(&genesis, g.to_string()).unwrap();
    };
    let g = genesis.to_str().unwrap();
    write(vec![validator(2)], json!({}));
    let err = fails(&["genesis", "add-transport-key", "--genesis", g, "--home", home]);
    assert!(err.contains("is not among the 1 validators"), "{err}");
    write(vec![validator(1)], json!({}));
    let added = works(&["genesis", "add-transport-key", "--genesis", g, "--home", home]);
    assert_eq!(added["validator_address"], validator(1)["address"]);
    let to = tss_app::Address([3; 20]).to_bech32("mpc").unwrap();
    works(&["genesis", "add-account", "--genesis", g, &to, "1000"]);
    let err = fails(&["genesis", "add-account", "--genesis", g, &to, "1"]);
    assert!(err.contains("already funds"), "{err}");
    let ok = works(&["genesis", "validate", g]);
    assert_eq!((ok["valid"].as_bool(), ok["validators"].as_u64(), ok["accounts"].as_u64()), (Some(true), Some(1), Some(1)));
    // A typo in app_state is refused, not turned into defaults.
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&genesis).unwrap()).unwrap();
    v["app_state"]["parmas"] = json!({ "epoch_length": 5 });
    std::fs::write(&genesis, v.to_string()).unwrap();
    let err = fails(&["genesis", "validate", g]);
    assert!(err.contains("unknown field \"parmas\""), "{err}");
}

#[test]
fn devnet_ranges_are_stated_and_enforced() {
    let help = String::from_utf8_lossy(&mpcd(&["devnet", "--help"]).stdout).into_owned();
    assert!(help.contains("30 to 1000") && help.contains("1 to 64"), "{help}");
    let err = fails(&["devnet", "--blocks", "5"]);
    assert!(err.contains("--blocks") && err.contains("30") && err.contains("1000"), "{err}");
}

#[test]
fn every_governance_template_makes_a_proposal_and_a_bad_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../governance");
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let signed = works(&["tx", "gov", "submit-proposal", path.to_str().unwrap(), "--deposit", "7", "--key", &key, "--offline", "--chain-id", "c", "--sequence", "0", "--gas", "200000", "--fees", "5000"]);
        let (_, body) = tss_app::tx::decode(&hex::decode(signed["tx"].as_str().unwrap()).unwrap(), "c").unwrap();
        let tss_app::Msg::GovSubmit { title, deposit, .. } = &body.msgs[0] else { panic!("{:?}", body.msgs) };
        assert!(!title.is_empty() && *deposit == 7, "{}", path.display());
        seen += 1;
    }
    assert_eq!(seen, 5, "one template per proposal kind");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"title":"t","summary":"s","content":{"kind":"rotate_network_key","extra":1}}"#).unwrap();
    let err = fails(&["tx", "gov", "submit-proposal", bad.to_str().unwrap(), "--key", &key, "--node", DEAD]);
    assert!(err.contains("FILE:") && err.contains("content.extra"), "{err}");
    let err = fails(&["tx", "gov", "vote", "1", "maybe", "--key", &key]);
    assert!(err.contains("yes, no, abstain or no_with_veto"), "{err}");
}
