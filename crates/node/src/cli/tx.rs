//! `mpcd tx ...`: build, sign and send a transaction in the Cosmos CLI's shape (`--from`,
//! `--chain-id`, `--node`, `--gas`, `--fees`, `--output`, offline signing). Every argument is
//! checked, and the signer's key opened, before the first network call.

use crate::cli::args::{amount, base64_bytes, hex32, hex_bytes, node_url, print, Bytes, Output, DEFAULT_NODE};
use crate::cli::keys::KeyringArgs;
use crate::rpc;
use clap::{Args, Subcommand};
use ed25519_dalek::SigningKey;
use rand_core::OsRng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use tss_app::{Address, Fee, Msg, Tx, TxBody};
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Request};
use tss_engine::LocalSecrets;

/// `mpcd tx`: the subcommand and the flags every transaction takes.
#[derive(Debug, Args)]
pub struct TxArgs {
    /// What the transaction does.
    #[command(subcommand)]
    pub cmd: TxCommand,
    /// How it is signed and sent.
    #[command(flatten)]
    pub send: SendArgs,
}

/// Signing and sending flags.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Sign with this keyring key (`mpcd keys add NAME`).
    #[arg(long, global = true, conflicts_with = "key")]
    pub from: Option<String>,
    /// Sign with a raw key file instead (`mpcd keygen`, a localnet's faucet.key).
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// The keyring.
    #[command(flatten)]
    pub keyring: KeyringArgs,
    /// CometBFT RPC address (tcp:// or http://).
    #[arg(long, global = true, alias = "rpc", default_value = DEFAULT_NODE, value_parser = node_url)]
    pub node: String,
    /// The chain id; required with --offline, otherwise checked against the node's.
    #[arg(long, global = true)]
    pub chain_id: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "json")]
    pub output: Output,
    /// Gas limit [default: what the messages need, plus a fifth]; required with --offline.
    #[arg(long, global = true)]
    pub gas: Option<u64>,
    /// Fee in the chain's denom [default: the minimum for the gas limit]; required with --offline.
    #[arg(long, global = true, value_parser = amount)]
    pub fees: Option<u128>,
    /// Account sequence [default: asked from the chain]; required with --offline.
    #[arg(long, global = true)]
    pub sequence: Option<u64>,
    /// Return once the mempool accepts the transaction (broadcast_tx_sync): prints its hash;
    /// fetch the result later with `mpcd query tx HASH`.
    #[arg(long, global = true, conflicts_with = "wait")]
    pub sync: bool,
    /// Wait for the request's callback (signature, plaintext, ...) and print it (60 s at most).
    #[arg(long, global = true)]
    pub wait: bool,
    /// Sign without contacting any node and print the signed transaction (send it later with
    /// `mpcd tx broadcast`); needs --chain-id, --sequence, --gas and --fees.
    #[arg(long, global = true, conflicts_with_all = ["sync", "wait"])]
    pub offline: bool,
    /// A note carried in the transaction (256 bytes at most).
    #[arg(long, global = true, default_value = "")]
    pub memo: String,
}

/// The message to sign, in exactly one encoding.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct MessageArgs {
    /// The message as UTF-8 text.
    #[arg(long)]
    pub message: Option<String>,
    /// The message as hex (e.g. a 32-byte hash), `0x` allowed.
    #[arg(long, value_parser = |s: &str| hex_bytes(s).map(Bytes))]
    pub message_hex: Option<Bytes>,
    /// The message as base64.
    #[arg(long, value_parser = |s: &str| base64_bytes(s).map(Bytes))]
    pub message_base64: Option<Bytes>,
    /// The message is this file's bytes.
    #[arg(long)]
    pub message_file: Option<PathBuf>,
}

/// The ciphertext to decrypt.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct CiphertextArgs {
    /// The ciphertext's wire encoding, hex (docs/ciphertext-format.md).
    #[arg(long, value_parser = |s: &str| hex_bytes(s).map(Bytes))]
    pub ciphertext: Option<Bytes>,
    /// A file holding the ciphertext (hex text, or the raw bytes).
    #[arg(long)]
    pub ciphertext_file: Option<PathBuf>,
}

/// The transactions.
#[derive(Debug, Subcommand)]
pub enum TxCommand {
    /// Request a threshold signature.
    Sign {
        /// The message.
        #[command(flatten)]
        message: MessageArgs,
        /// Keyset id (0: the network key, signed under your account's derived key).
        #[arg(long, default_value_t = 0)]
        keyset: u64,
        /// Derivation context (a further derived key of yours, e.g. `solana/0`).
        #[arg(long)]
        context: Option<String>,
    },
    /// Request a threshold decryption; the ciphertext's label must name your account as owner.
    Decrypt {
        /// The ciphertext.
        #[command(flatten)]
        ciphertext: CiphertextArgs,
        /// Keyset id.
        #[arg(long, default_value_t = 0)]
        keyset: u64,
        /// Deliver privately: re-encrypt to this X25519 re-encryption key (hex) instead of a
        /// public plaintext.
        #[arg(long, value_parser = hex32)]
        reencrypt_to: Option<[u8; 32]>,
    },
    /// Create a keyset owned by your account (costs a refundable deposit).
    CreateKeyset {
        /// Threshold [default: floor(2n/3)+1].
        #[arg(long)]
        threshold: Option<u16>,
    },
    /// Delete a keyset your account owns (its deposit comes back; validators erase its shares).
    DeleteKeyset {
        /// The keyset id.
        #[arg(long)]
        keyset: u64,
    },
    /// Transfers.
    Bank {
        /// What to do.
        #[command(subcommand)]
        cmd: BankCommand,
    },
    /// Validators: register, bond, unbond.
    Staking {
        /// What to do.
        #[command(subcommand)]
        cmd: StakingCommand,
    },
    /// Jailing.
    Slashing {
        /// What to do.
        #[command(subcommand)]
        cmd: SlashingCommand,
    },
    /// Governance: proposals, deposits, votes.
    Gov {
        /// What to do.
        #[command(subcommand)]
        cmd: crate::cli::gov::GovCommand,
    },
    /// Contracts: store code, instantiate, execute, migrate.
    Wasm {
        /// What to do.
        #[command(subcommand)]
        cmd: crate::cli::wasm::WasmTx,
    },
    /// Send a transaction signed with --offline (its hex, or a file holding its JSON or hex).
    Broadcast {
        /// The signed transaction.
        tx: String,
    },
}

/// `tx bank`.
#[derive(Debug, Subcommand)]
pub enum BankCommand {
    /// Send funds to another account.
    Send {
        /// The recipient (bech32).
        to: String,
        /// The amount, in the chain's denom.
        #[arg(value_parser = amount)]
        amount: u128,
    },
}

/// `tx staking`.
#[derive(Debug, Subcommand)]
pub enum StakingCommand {
    /// Register this node as a validator operated by the signing account: its CometBFT
    /// consensus key, its communication key (with a proof of possession from its secret
    /// store), a self-bond.
    CreateValidator {
        /// The node home (its secret store holds the communication key).
        #[arg(long)]
        home: PathBuf,
        /// CometBFT's home (config/priv_validator_key.json holds the consensus key).
        #[arg(long)]
        cometbft_home: PathBuf,
        /// Stake bonded now, in the chain's denom.
        #[arg(long, value_parser = amount)]
        self_bond: u128,
        /// A name for people.
        #[arg(long)]
        moniker: String,
    },
    /// Bond more.
    Bond {
        /// How much.
        #[arg(value_parser = amount)]
        amount: u128,
    },
    /// Start unbonding (released after the unbonding period).
    Unbond {
        /// How much.
        #[arg(value_parser = amount)]
        amount: u128,
    },
}

/// `tx slashing`.
#[derive(Debug, Subcommand)]
pub enum SlashingCommand {
    /// Leave jail after the jail time.
    Unjail,
}

/// Gas left for a contract's execution when --gas is not given.
const DEFAULT_CONTRACT_GAS: u64 = 3_000_000;

/// A message checked offline, finished once the chain's facts are known.
enum Planned {
    Ready(Msg),
    /// The recipient's prefix is checked against the chain's.
    Send { to: Address, prefix: String, amount: u128 },
    /// The proof of possession binds the chain id.
    CreateValidator { local: Box<LocalSecrets>, consensus_key: [u8; 32], self_bond: u128, moniker: String },
}

/// What the chain says before a transaction is built.
struct Chain {
    chain_id: String,
    params: Option<tss_app::AppParams>,
    sequence: u64,
    validators: usize,
}

fn signer(send: &SendArgs) -> anyhow::Result<SigningKey> {
    match (&send.from, &send.key) {
        (Some(name), _) => Ok(send.keyring.keyring().signing_key(name, || crate::keyring::passphrase(false)).map_err(|e| anyhow::anyhow!("--from: {e}"))?),
        (None, Some(path)) => crate::keyring::read_key_file(path).map_err(|e| anyhow::anyhow!("--key: {e}")),
        (None, None) => anyhow::bail!("--from NAME is required: the keyring key that signs (create one with `mpcd keys add NAME`), or --key FILE for a raw key file"),
    }
}

fn read_file(flag: &str, path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("{flag}: {}: {e}", path.display()))
}

/// Checks everything that needs no chain.
fn plan(cmd: TxCommand, account: &Address) -> anyhow::Result<Planned> {
    Ok(match cmd {
        TxCommand::Sign { message, keyset, context } => {
            let bytes = match message {
                MessageArgs { message: Some(t), .. } => t.into_bytes(),
                MessageArgs { message_hex: Some(b), .. } | MessageArgs { message_base64: Some(b), .. } => b.0,
                MessageArgs { message_file: Some(p), .. } => read_file("--message-file", &p)?,
                _ => anyhow::bail!("give the message with --message, --message-hex, --message-base64 or --message-file"),
            };
            if bytes.is_empty() {
                anyhow::bail!("--message: the message is empty");
            }
            Planned::Ready(Msg::Tss(Request::Sign { keyset, message: bytes, context: context.map(String::into_bytes) }))
        }
        TxCommand::Decrypt { ciphertext, keyset, reencrypt_to } => {
            let (flag, bytes) = match ciphertext {
                CiphertextArgs { ciphertext: Some(b), .. } => ("--ciphertext", b.0),
                CiphertextArgs { ciphertext_file: Some(p), .. } => {
                    let raw = read_file("--ciphertext-file", &p)?;
                    let hex = std::str::from_utf8(&raw).ok().and_then(|t| hex_bytes(t).ok());
                    ("--ciphertext-file", hex.unwrap_or(raw))
                }
                _ => anyhow::bail!("give the ciphertext with --ciphertext or --ciphertext-file"),
            };
            let ct = tss_crypto::encrypt::Ciphertext::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("{flag}: not a ciphertext ({e}); docs/ciphertext-format.md says how to make one"))?;
            match tss_crypto::encrypt::label_owner(&ct.label) {
                Some(owner) if owner == account.0.as_slice() => {}
                Some(owner) => anyhow::bail!("{flag}: its label names owner {}, but the signer is account {}: the chain decrypts a ciphertext only for the account its label names", hex::encode(owner), hex::encode(account.0)),
                None => anyhow::bail!("{flag}: its label names no owner: the chain decrypts only ciphertexts whose label is u16be(len(owner)) || owner || purpose with your account's 20 address bytes as owner"),
            }
            if let Some(k) = reencrypt_to {
                tss_crypto::TransportPublic::from_bytes(k).ok_or_else(|| anyhow::anyhow!("--reencrypt-to: not a usable X25519 public key (low order or not canonical)"))?;
            }
            let delivery = reencrypt_to.map_or(Delivery::Public, |transport| Delivery::Reencrypt { transport });
            Planned::Ready(Msg::Tss(Request::Decrypt { keyset, ciphertext: bytes, delivery }))
        }
        TxCommand::CreateKeyset { threshold } => {
            if threshold == Some(0) {
                anyhow::bail!("--threshold: at least 1");
            }
            Planned::Ready(Msg::Tss(Request::CreateKeyset { threshold }))
        }
        TxCommand::DeleteKeyset { keyset } => {
            if keyset == 0 {
                anyhow::bail!("--keyset: keyset 0 is the network key; it cannot be deleted");
            }
            Planned::Ready(Msg::Tss(Request::DeleteKeyset { keyset }))
        }
        TxCommand::Bank { cmd: BankCommand::Send { to, amount } } => {
            let prefix = to.rsplit_once('1').map(|(h, _)| h.to_owned()).unwrap_or_default();
            let address = Address::parse(&prefix, &to).map_err(|e| anyhow::anyhow!("TO: {to:?}: {e}"))?;
            if amount == 0 {
                anyhow::bail!("AMOUNT: sending 0 does nothing");
            }
            Planned::Send { to: address, prefix, amount }
        }
        TxCommand::Staking { cmd: StakingCommand::CreateValidator { home, cometbft_home, self_bond, moniker } } => {
            let identity = crate::config::cometbft_identity(&cometbft_home).map_err(|e| anyhow::anyhow!("--cometbft-home: {e}"))?;
            let home = crate::config::Home(home);
            let store = crate::secret_store::SecretStore::open(&home.secrets(), &home.store_key()).map_err(|e| anyhow::anyhow!("--home: {e}"))?;
            let local = LocalSecrets::from_bytes(&store.read().map_err(|e| anyhow::anyhow!("--home: {e}"))?, None).map_err(|e| anyhow::anyhow!("--home: {e}"))?;
            if local.address() != identity.address.as_slice() {
                anyhow::bail!("--home belongs to validator {}, --cometbft-home to {}: give the pair of one node", hex::encode_upper(local.address()), hex::encode_upper(identity.address));
            }
            if moniker.trim().is_empty() {
                anyhow::bail!("--moniker: give the validator a name");
            }
            Planned::CreateValidator { local: Box::new(local), consensus_key: identity.public_key, self_bond, moniker }
        }
        TxCommand::Staking { cmd: StakingCommand::Bond { amount } } => Planned::Ready(Msg::Bond { amount }),
        TxCommand::Staking { cmd: StakingCommand::Unbond { amount } } => Planned::Ready(Msg::Unbond { amount }),
        TxCommand::Slashing { cmd: SlashingCommand::Unjail } => Planned::Ready(Msg::Unjail),
        TxCommand::Gov { cmd } => Planned::Ready(crate::cli::gov::message(cmd)?),
        TxCommand::Wasm { cmd } => Planned::Ready(crate::cli::wasm::message(cmd)?),
        TxCommand::Broadcast { .. } => anyhow::bail!("broadcast sends a signed transaction; it is not a message"),
    })
}

fn finish(planned: Planned, chain: &Chain) -> anyhow::Result<Msg> {
    Ok(match planned {
        Planned::Ready(m) => m,
        Planned::Send { to, prefix, amount } => {
            if let Some(p) = &chain.params {
                if p.address_prefix != prefix {
                    anyhow::bail!("TO: the address has prefix {prefix:?}, this chain's accounts start with {:?}", p.address_prefix);
                }
            }
            Msg::BankSend { to, amount }
        }
        Planned::CreateValidator { local, consensus_key, self_bond, moniker } => {
            let (transport, proof) = local.transport_registration(&chain.chain_id, &mut OsRng);
            Msg::CreateValidator { consensus_key, transport, transport_proof: proof.to_vec(), self_bond, moniker }
        }
    })
}

fn chain_id(node: &str) -> anyhow::Result<String> {
    let status = rpc::status(node)?;
    status.pointer("/node_info/network").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| anyhow::anyhow!("{node}: the status has no chain id"))
}

fn ask_chain(send: &SendArgs, account: &Address) -> anyhow::Result<Chain> {
    let node = &send.node;
    let chain_id = chain_id(node)?;
    if let Some(want) = &send.chain_id {
        if *want != chain_id {
            anyhow::bail!("--chain-id is {want:?} but the node at {node} serves {chain_id:?}: point --node at the right chain");
        }
    }
    let params: tss_app::AppParams = serde_json::from_value(rpc::abci_query(node, "/app_params", &[])?).map_err(|e| anyhow::anyhow!("the chain's app_params do not parse ({e}): is this mpcd build the chain's version?"))?;
    let sequence = match send.sequence {
        Some(s) => s,
        None => rpc::abci_query(node, "/account", &account.0)?.get("sequence").and_then(Value::as_u64).unwrap_or(0),
    };
    let validators = rpc::abci_query(node, "/validators", &[])?.as_array().map_or(1, Vec::len);
    Ok(Chain { chain_id, params: Some(params), sequence, validators })
}

fn offline_chain(send: &SendArgs) -> anyhow::Result<Chain> {
    let missing: Vec<&str> = [("--chain-id", send.chain_id.is_none()), ("--sequence", send.sequence.is_none()), ("--gas", send.gas.is_none()), ("--fees", send.fees.is_none())].into_iter().filter(|(_, m)| *m).map(|(f, _)| f).collect();
    if !missing.is_empty() {
        anyhow::bail!("--offline signs without asking any node, so it needs {} too", missing.join(", "));
    }
    Ok(Chain { chain_id: send.chain_id.clone().unwrap_or_default(), params: None, sequence: send.sequence.unwrap_or(0), validators: 0 })
}

/// The CometBFT hash of a transaction: SHA-256 of its bytes, uppercase hex.
pub fn tx_hash(tx: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(tx))
}

/// Runs `mpcd tx`.
pub fn run(args: TxArgs) -> anyhow::Result<()> {
    let TxArgs { cmd, send } = args;
    if let TxCommand::Broadcast { tx } = &cmd {
        return broadcast(&send, &signed_bytes(tx)?);
    }
    if send.memo.len() > tss_app::tx::MAX_MEMO {
        anyhow::bail!("--memo: {} bytes, at most {}", send.memo.len(), tss_app::tx::MAX_MEMO);
    }
    let key = signer(&send)?;
    let account = Address::of_key(&key.verifying_key().to_bytes());
    let planned = plan(cmd, &account)?;
    let chain = if send.offline { offline_chain(&send)? } else { ask_chain(&send, &account)? };
    let msg = finish(planned, &chain)?;
    let gas = match (send.gas, &chain.params) {
        (Some(g), _) => g,
        (None, Some(p)) => {
            let needed = tss_app::exec::estimated_gas(p, &msg, chain.validators);
            // A contract's own gas is only known as it runs: leave room for it.
            let contract = match &msg {
                Msg::WasmStore { code } => tss_wasm::exec::COMPILE_GAS_PER_BYTE.saturating_mul(code.len() as u64),
                Msg::WasmInstantiate { .. } | Msg::WasmExecute { .. } | Msg::WasmMigrate { .. } => DEFAULT_CONTRACT_GAS,
                _ => 0,
            };
            needed.saturating_add(contract).saturating_add(needed / 5).min(p.max_tx_gas)
        }
        (None, None) => 0,
    };
    let fee = Fee { amount: send.fees.or_else(|| chain.params.as_ref().map(|p| p.min_fee(gas))).unwrap_or(0), gas_limit: gas };
    let sign = |sequence: u64| Tx::sign(&key, &TxBody { chain_id: chain.chain_id.clone(), sequence, fee, msgs: vec![msg.clone()], memo: send.memo.clone() }).to_bytes();
    if send.offline {
        let tx = sign(chain.sequence);
        print(&json!({ "tx": hex::encode(&tx), "hash": tx_hash(&tx), "chain_id": chain.chain_id, "sequence": chain.sequence, "gas": gas, "fees": fee.amount.to_string() }), send.output);
        return Ok(());
    }
    // The sequence comes from the node's last committed state, which can trail its mempool by a
    // block (the account's previous transaction is in a block this node has not committed yet):
    // on a sequence refusal, ask again and retry, unless --sequence was given.
    let (mut sequence, mut retries) = (chain.sequence, if send.sequence.is_some() { 0 } else { 4 });
    loop {
        match broadcast(&send, &sign(sequence)) {
            Err(e) if retries > 0 && bad_sequence(&e) => {
                retries -= 1;
                std::thread::sleep(std::time::Duration::from_millis(700));
                sequence = rpc::abci_query(&send.node, "/account", &account.0)?.get("sequence").and_then(Value::as_u64).unwrap_or(sequence);
            }
            other => return other,
        }
    }
}

/// The bytes of a signed transaction given as hex, or a file with hex or `{"tx": hex}`.
fn signed_bytes(arg: &str) -> anyhow::Result<Vec<u8>> {
    let text = match hex_bytes(arg) {
        Ok(b) => return Ok(b),
        Err(_) => std::fs::read_to_string(arg).map_err(|e| anyhow::anyhow!("TX: neither hex nor a readable file ({arg}: {e})"))?,
    };
    let hex = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v.get("tx").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| anyhow::anyhow!("TX: {arg}: JSON without a \"tx\" field"))?,
        Err(_) => text,
    };
    hex_bytes(&hex).map_err(|e| anyhow::anyhow!("TX: {arg}: {e}"))
}

/// A transaction refused by the mempool or failed in its block.
#[derive(Debug)]
struct Refused {
    stage: &'static str,
    code: u64,
    log: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let meaning = u32::try_from(self.code).map_or("unknown", tss_app::exec::code::meaning);
        write!(f, "transaction {} (code {}, {meaning}): {}", self.stage, self.code, self.log)
    }
}

impl std::error::Error for Refused {}

/// One line for a refused or failed transaction: where, the code and its meaning, the log.
fn refusal(stage: &'static str, result: &Value) -> anyhow::Error {
    let code = result.get("code").and_then(Value::as_u64).unwrap_or(u64::MAX);
    let log = result.get("log").and_then(Value::as_str).unwrap_or_default().to_owned();
    anyhow::Error::new(Refused { stage, code, log })
}

/// Whether the mempool refused a transaction for its sequence.
fn bad_sequence(e: &anyhow::Error) -> bool {
    e.downcast_ref::<Refused>().is_some_and(|r| r.stage == MEMPOOL && r.code == u64::from(tss_app::exec::code::BAD_SEQUENCE))
}

const MEMPOOL: &str = "refused by the mempool";

fn broadcast(send: &SendArgs, tx: &[u8]) -> anyhow::Result<()> {
    let node = &send.node;
    if send.sync {
        let result = rpc::broadcast_tx_sync(node, tx)?;
        if result.get("code").and_then(Value::as_u64) != Some(0) {
            return Err(refusal(MEMPOOL, &result));
        }
        print(&json!({ "hash": tx_hash(tx), "code": 0, "note": "accepted by the mempool; `mpcd query tx HASH` gives the result once it is in a block" }), send.output);
        return Ok(());
    }
    let result = rpc::broadcast_tx_commit(node, tx)?;
    let check = result.get("check_tx").cloned().unwrap_or(Value::Null);
    if check.get("code").and_then(Value::as_u64).unwrap_or(0) != 0 {
        return Err(refusal(MEMPOOL, &check));
    }
    let deliver = result.get("tx_result").cloned().unwrap_or(Value::Null);
    if deliver.get("code").and_then(Value::as_u64).unwrap_or(0) != 0 {
        return Err(refusal("failed in its block", &deliver));
    }
    let height: u64 = result.get("height").and_then(Value::as_str).and_then(|h| h.parse().ok()).unwrap_or(0);
    let requests = request_ids(deliver.get("data").and_then(Value::as_str).unwrap_or_default());
    let mut out = json!({
        "hash": tx_hash(tx), "height": height, "code": 0,
        "gas_wanted": rpc::number(deliver.get("gas_wanted")), "gas_used": rpc::number(deliver.get("gas_used")),
        "requests": requests,
    });
    let events = deliver.get("events").and_then(Value::as_array).cloned().unwrap_or_default();
    if let (Some(o), Value::Object(wasm)) = (out.as_object_mut(), crate::cli::wasm::summary(&events)) {
        o.extend(wasm);
    }
    if send.wait {
        match requests.first() {
            Some(id) => out = wait_callback(node, *id, height)?,
            None => {
                if let Some(o) = out.as_object_mut() {
                    o.insert("note".into(), json!("--wait: this transaction made no request, so there is no callback to wait for"));
                }
            }
        }
    }
    print(&out, send.output);
    Ok(())
}

/// The request ids in a transaction result's data (8 bytes each, big-endian, base64 as
/// CometBFT's JSON gives them).
pub fn request_ids(data_b64: &str) -> Vec<u64> {
    let data = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data_b64).unwrap_or_default();
    data.chunks_exact(8).filter_map(|c| <[u8; 8]>::try_from(c).ok()).map(u64::from_be_bytes).collect()
}

/// Polls block results from `from` for the request's callback (60 s at most).
pub fn wait_callback(node: &str, id: u64, from: u64) -> anyhow::Result<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut h = from;
    while std::time::Instant::now() < deadline {
        if rpc::latest_height(node)? < h {
            std::thread::sleep(std::time::Duration::from_millis(300));
            continue;
        }
        // A committed block whose results are not stored yet: ask again.
        let Ok(events) = rpc::block_events(node, h) else {
            std::thread::sleep(std::time::Duration::from_millis(300));
            continue;
        };
        if let Some(cb) = events.iter().find_map(|e| callback_of(e, id, h)) {
            return Ok(cb);
        }
        h += 1;
    }
    anyhow::bail!("no callback for request {id} within 60 s: the chain may be slow or halted; ask again later with `mpcd query request {id}`")
}

/// The callback JSON of a `tss.callback` event for request `id` (the engine's vocabulary,
/// `tss_engine::json::callback_json`, with the block's height).
pub fn callback_of(event: &Value, id: u64, height: u64) -> Option<Value> {
    if event.get("type").and_then(Value::as_str) != Some("tss.callback") || rpc::attribute(event, "request") != Some(&id.to_string()) {
        return None;
    }
    let mut out = serde_json::Map::new();
    out.insert("type".into(), json!("callback"));
    for a in event.get("attributes").and_then(Value::as_array).into_iter().flatten() {
        let (Some(k), Some(v)) = (a.get("key").and_then(Value::as_str), a.get("value").and_then(Value::as_str)) else { continue };
        let value = match k {
            "request" | "keyset" => v.parse::<u64>().map_or_else(|_| json!(v), |n| json!(n)),
            _ => json!(v),
        };
        out.insert(k.to_owned(), value);
    }
    out.insert("height".into(), json!(height));
    Some(Value::Object(out))
}
