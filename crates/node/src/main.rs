//! `mpcd`: the threshold-custody node.

use clap::{Parser, Subcommand};
use ed25519_dalek::SigningKey;
use mpcd::config::{Config, Home};
use mpcd::secret_store::{create_key_file, write_private, SecretStore};
use tss_app::{Address, Fee, Msg, Tx, TxBody};
use mpcd::{app::App, db::ChainDb, metrics, rpc};
use rand_core::OsRng;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Request};
use tss_engine::LocalSecrets;

#[derive(Parser)]
#[command(name = "mpcd", version, about = "Threshold key custody node: ABCI++ on CometBFT 0.38, keys held only as shares by validators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a node home: config.toml, the store key, and the encrypted secret store with a new
    /// X25519 communication key. Prints the communication key for the genesis file.
    Init {
        /// The node home directory.
        #[arg(long)]
        home: PathBuf,
        /// CometBFT's home, to read this validator's address from config/priv_validator_key.json.
        #[arg(long)]
        cometbft_home: Option<PathBuf>,
        /// The ABCI listen address.
        #[arg(long, default_value = "127.0.0.1:26658")]
        abci: String,
        /// The metrics listen address.
        #[arg(long, default_value = "127.0.0.1:26660")]
        metrics: String,
    },
    /// Print this node's X25519 communication key (hex), for the genesis file's transport_keys.
    ShowTransportKey {
        /// The node home directory.
        #[arg(long)]
        home: PathBuf,
    },
    /// Serve ABCI++ to CometBFT and metrics.
    Start {
        /// The node home directory.
        #[arg(long)]
        home: PathBuf,
    },
    /// Run a local network of validators in one process (no CometBFT needed).
    Devnet {
        /// Number of validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Stop after this many blocks.
        #[arg(long, default_value_t = 40)]
        blocks: u64,
        /// Seed of every random choice.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// One JSON object per event.
        #[arg(long)]
        json: bool,
    },
    /// Create an account key file.
    Keygen {
        /// Where to write the key (hex, mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// Bech32 prefix of the chain's addresses.
        #[arg(long, default_value = "mpc")]
        prefix: String,
    },
    /// Send a transaction to a running chain.
    Tx {
        #[command(subcommand)]
        tx: TxCommand,
        /// CometBFT RPC address.
        #[arg(long, global = true, default_value = "http://127.0.0.1:26657")]
        rpc: String,
        /// Account key file.
        #[arg(long, global = true)]
        key: Option<PathBuf>,
        /// Wait for the request's callback and print it.
        #[arg(long, global = true)]
        wait: bool,
        /// Return as soon as the mempool accepts the transaction (broadcast_tx_sync).
        #[arg(long, global = true)]
        sync: bool,
        /// Use this account sequence instead of asking the chain (for many transactions per block).
        #[arg(long, global = true)]
        sequence: Option<u64>,
        /// Gas limit (default: what the transaction needs, plus a margin).
        #[arg(long, global = true)]
        gas: Option<u64>,
        /// Fee in the chain's denom (default: the minimum for the gas limit).
        #[arg(long, global = true)]
        fees: Option<u128>,
    },
    /// Read chain state.
    Query {
        /// What: network-key, keysets, blame, params, app-params, validators, staking-validators, requests, sessions, height, account.
        what: String,
        /// CometBFT RPC address.
        #[arg(long, default_value = "http://127.0.0.1:26657")]
        rpc: String,
        /// For `account`: the account key file.
        #[arg(long)]
        key: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TxCommand {
    /// Request a threshold signature.
    Sign {
        /// The message, as text.
        #[arg(long)]
        message: String,
        /// Keyset id (0 is the network key, signed under your own derived key).
        #[arg(long, default_value_t = 0)]
        keyset: u64,
        /// Derivation context.
        #[arg(long)]
        context: Option<String>,
    },
    /// Request a threshold decryption of a ciphertext (hex of its wire encoding).
    Decrypt {
        /// The ciphertext, hex.
        #[arg(long)]
        ciphertext: String,
        /// Keyset id.
        #[arg(long, default_value_t = 0)]
        keyset: u64,
        /// Re-encrypt to this X25519 key (hex) instead of a public plaintext.
        #[arg(long)]
        reencrypt_to: Option<String>,
    },
    /// Create a keyset owned by your account.
    CreateKeyset {
        /// Threshold (default floor(2n/3)+1).
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
        #[command(subcommand)]
        cmd: BankCommand,
    },
    /// Validators: register, bond, unbond.
    Staking {
        #[command(subcommand)]
        cmd: StakingCommand,
    },
    /// Jailing.
    Slashing {
        #[command(subcommand)]
        cmd: SlashingCommand,
    },
}

#[derive(Subcommand)]
enum StakingCommand {
    /// Register this node as a validator, operated by the --key account: its CometBFT consensus
    /// key, its transport key (with a proof of possession from its secret store), a self-bond.
    CreateValidator {
        /// The node home (its secret store holds the transport key).
        #[arg(long)]
        home: PathBuf,
        /// CometBFT's home (config/priv_validator_key.json holds the consensus key).
        #[arg(long)]
        cometbft_home: PathBuf,
        /// Stake bonded now, in the chain's denom.
        #[arg(long)]
        self_bond: u128,
        /// A name for people.
        #[arg(long)]
        moniker: String,
    },
    /// Bond more.
    Bond {
        /// How much.
        amount: u128,
    },
    /// Start unbonding (released after the unbonding period).
    Unbond {
        /// How much.
        amount: u128,
    },
}

#[derive(Subcommand)]
enum SlashingCommand {
    /// Leave jail after the jail time.
    Unjail,
}

#[derive(Subcommand)]
enum BankCommand {
    /// Send funds to another account.
    Send {
        /// The recipient (bech32).
        to: String,
        /// The amount, in the chain's denom.
        amount: u128,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn load_account(path: &Option<PathBuf>) -> anyhow::Result<SigningKey> {
    let path = path.as_ref().ok_or_else(|| anyhow::anyhow!("--key <file> is required (create one with `mpcd keygen --out <file>`)"))?;
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let bytes: [u8; 32] = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| anyhow::anyhow!("{}: not a 32-byte hex key", path.display()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init { home, cometbft_home, abci, metrics } => {
            let home = Home(home);
            std::fs::create_dir_all(&home.0)?;
            if home.secrets().exists() {
                anyhow::bail!("{} already exists: refusing to overwrite a secret store", home.secrets().display());
            }
            let validator_address = match cometbft_home {
                Some(c) => {
                    let path = c.join("config/priv_validator_key.json");
                    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?)?;
                    v.get("address").and_then(Value::as_str).ok_or_else(|| anyhow::anyhow!("{}: no address", path.display()))?.to_lowercase()
                }
                None => String::new(),
            };
            let address = hex::decode(&validator_address).unwrap_or_default();
            create_key_file(&home.store_key())?;
            let local = LocalSecrets::generate(if address.is_empty() { b"unassigned" } else { &address }, &mut OsRng).map_err(|e| anyhow::anyhow!("{e}"))?;
            SecretStore::open(&home.secrets(), &home.store_key())?.write(&local.to_bytes())?;
            Config { abci_listen: abci, metrics_listen: metrics, validator_address, ..Config::default() }.save(&home.config())?;
            println!("{}", hex::encode(local.transport_public()));
            Ok(())
        }
        Command::ShowTransportKey { home } => {
            let home = Home(home);
            let store = SecretStore::open(&home.secrets(), &home.store_key())?;
            let local = LocalSecrets::from_bytes(&store.read()?, None).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", hex::encode(local.transport_public()));
            Ok(())
        }
        Command::Start { home } => {
            let home = Home(home);
            let config = Config::load(&home.config())?;
            let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| config.log.clone());
            let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).try_init();
            let store = SecretStore::open(&home.secrets(), &home.store_key())?;
            let local = LocalSecrets::from_bytes(&store.read()?, None).map_err(|e| anyhow::anyhow!("{}: {e}", home.secrets().display()))?;
            let db = ChainDb::open(&home.data())?;
            let metrics = Arc::new(metrics::Metrics::default());
            metrics::serve(&config.metrics_listen, metrics.clone())?;
            let app = App::new(db, store, local, metrics)?;
            let server = tendermint_abci::ServerBuilder::new(8 * 1024 * 1024).bind(&config.abci_listen, app).map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.abci_listen))?;
            tracing::info!(abci = %config.abci_listen, metrics = %config.metrics_listen, "mpcd serving ABCI++");
            server.listen().map_err(|e| anyhow::anyhow!("ABCI server stopped: {e}"))
        }
        Command::Devnet { validators, blocks, seed, json } => {
            let opts = tss_sim::devnet::DevnetOptions { validators, blocks, seed, json };
            tss_sim::devnet::run(&opts, &mut std::io::stdout()).map_err(|e| anyhow::anyhow!(e))
        }
        Command::Keygen { out, prefix } => {
            tss_app::address::check_prefix(&prefix).map_err(|e| anyhow::anyhow!("--prefix: {e}"))?;
            let key = SigningKey::generate(&mut OsRng);
            write_private(&out, hex::encode(key.to_bytes()).as_bytes())?;
            let address = Address::of_key(&key.verifying_key().to_bytes());
            println!("{}", json!({ "public_key": hex::encode(key.verifying_key().to_bytes()), "account": address.to_bech32(&prefix)?, "address_hex": hex::encode(address.0) }));
            Ok(())
        }
        Command::Tx { tx, rpc: url, key, wait, sync, sequence, gas, fees } => {
            let account_key = load_account(&key)?;
            let account = Address::of_key(&account_key.verifying_key().to_bytes());
            let sequence = match sequence {
                Some(s) => s,
                None => rpc::abci_query(&url, "/account", &account.0)?.get("sequence").and_then(Value::as_u64).unwrap_or(0),
            };
            let chain_id = chain_id(&url)?;
            let params: tss_app::AppParams = serde_json::from_value(rpc::abci_query(&url, "/app_params", &[])?).map_err(|e| anyhow::anyhow!("the chain's app_params do not parse: {e}"))?;
            let msg = match tx {
                TxCommand::Bank { cmd: BankCommand::Send { to, amount } } => {
                    Msg::BankSend { to: Address::parse(&params.address_prefix, &to).map_err(|e| anyhow::anyhow!("recipient: {e}"))?, amount }
                }
                TxCommand::Staking { cmd: StakingCommand::CreateValidator { home, cometbft_home, self_bond, moniker } } => create_validator(&home, &cometbft_home, &chain_id, self_bond, moniker)?,
                TxCommand::Staking { cmd: StakingCommand::Bond { amount } } => Msg::Bond { amount },
                TxCommand::Staking { cmd: StakingCommand::Unbond { amount } } => Msg::Unbond { amount },
                TxCommand::Slashing { cmd: SlashingCommand::Unjail } => Msg::Unjail,
                other => Msg::Tss(tss_request(other)?),
            };
            let validators = rpc::abci_query(&url, "/validators", &[])?.as_array().map_or(1, Vec::len);
            let needed = tss_app::exec::gas_of(&params, std::slice::from_ref(&msg), 2048 + msg_len(&msg), validators);
            let gas = gas.unwrap_or(needed + needed / 5);
            let fee = Fee { amount: fees.unwrap_or_else(|| params.min_fee(gas)), gas_limit: gas };
            let tx = Tx::sign(&account_key, &TxBody { chain_id, sequence, fee, msgs: vec![msg], memo: String::new() });
            if sync {
                let result = rpc::broadcast_tx_sync(&url, &tx.to_bytes())?;
                if result.get("code").and_then(Value::as_u64).unwrap_or(1) != 0 {
                    anyhow::bail!("transaction refused (code {}): {}", result.get("code").unwrap_or(&Value::Null), result.get("log").and_then(Value::as_str).unwrap_or_default());
                }
                println!("{}", json!({ "hash": result.get("hash"), "sequence": sequence }));
                return Ok(());
            }
            let result = rpc::broadcast_tx_commit(&url, &tx.to_bytes())?;
            let code = result.pointer("/tx_result/code").and_then(Value::as_u64).unwrap_or(1);
            let check = result.pointer("/check_tx/code").and_then(Value::as_u64).unwrap_or(0);
            if check != 0 {
                anyhow::bail!("transaction refused (code {check}): {}", result.pointer("/check_tx/log").and_then(Value::as_str).unwrap_or_default());
            }
            if code != 0 {
                anyhow::bail!("transaction failed (code {code}): {}", result.pointer("/tx_result/log").and_then(Value::as_str).unwrap_or_default());
            }
            let height: u64 = result.get("height").and_then(Value::as_str).and_then(|h| h.parse().ok()).unwrap_or(0);
            let data = result
                .pointer("/tx_result/data")
                .and_then(Value::as_str)
                .and_then(|d| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, d).ok())
                .unwrap_or_default();
            let Some(id) = data.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes) else {
                println!("{}", json!({ "hash": result.get("hash"), "height": height, "gas_used": result.pointer("/tx_result/gas_used") }));
                return Ok(());
            };
            if !wait {
                println!("{}", json!({ "request": id, "height": height }));
                return Ok(());
            }
            let callback = wait_callback(&url, id, height)?;
            println!("{callback}");
            Ok(())
        }
        Command::Query { what, rpc: url, key } => {
            let (path, data) = match what.as_str() {
                "network-key" => ("/network_key", Vec::new()),
                "account" => ("/account", Address::of_key(&load_account(&key)?.verifying_key().to_bytes()).0.to_vec()),
                "app-params" => ("/app_params", Vec::new()),
                "staking-validators" => ("/staking_validators", Vec::new()),
                other => (match other {
                    "keysets" => "/keysets",
                    "blame" => "/blame",
                    "params" => "/params",
                    "validators" => "/validators",
                    "requests" => "/requests",
                    "sessions" => "/sessions",
                    "height" => "/height",
                    _ => anyhow::bail!("unknown query {other}: try network-key, keysets, blame, params, app-params, validators, staking-validators, requests, sessions, height, account"),
                }, Vec::new()),
            };
            println!("{}", rpc::abci_query(&url, path, &data)?);
            Ok(())
        }
    }
}

/// The engine request of a `tx` subcommand.
fn tss_request(cmd: TxCommand) -> anyhow::Result<Request> {
    Ok(match cmd {
        TxCommand::Sign { message, keyset, context } => Request::Sign { keyset, message: message.into_bytes(), context: context.map(String::into_bytes) },
        TxCommand::Decrypt { ciphertext, keyset, reencrypt_to } => Request::Decrypt {
            keyset,
            ciphertext: hex::decode(ciphertext.trim().trim_start_matches("0x")).map_err(|e| anyhow::anyhow!("--ciphertext: {e}"))?,
            delivery: match reencrypt_to {
                Some(t) => Delivery::Reencrypt { transport: hex::decode(t.trim())?.try_into().map_err(|_| anyhow::anyhow!("--reencrypt-to takes 32 bytes of hex"))? },
                None => Delivery::Public,
            },
        },
        TxCommand::CreateKeyset { threshold } => Request::CreateKeyset { threshold },
        TxCommand::DeleteKeyset { keyset } => Request::DeleteKeyset { keyset },
        TxCommand::Bank { .. } | TxCommand::Staking { .. } | TxCommand::Slashing { .. } => anyhow::bail!("not an engine request"),
    })
}

/// The `create-validator` message for the node at `home` (transport key) and `cometbft_home`
/// (consensus key); refuses a pair that does not belong together.
fn create_validator(home: &std::path::Path, cometbft_home: &std::path::Path, chain_id: &str, self_bond: u128, moniker: String) -> anyhow::Result<Msg> {
    let path = cometbft_home.join("config/priv_validator_key.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("--cometbft-home: {}: {e}", path.display()))?)?;
    let key_b64 = v.pointer("/pub_key/value").and_then(Value::as_str).ok_or_else(|| anyhow::anyhow!("--cometbft-home: {}: no pub_key.value", path.display()))?;
    let consensus_key: [u8; 32] = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, key_b64)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("--cometbft-home: {}: pub_key.value is not a 32-byte Ed25519 key", path.display()))?;
    let home = Home(home.to_path_buf());
    let store = SecretStore::open(&home.secrets(), &home.store_key()).map_err(|e| anyhow::anyhow!("--home: {e}"))?;
    let local = LocalSecrets::from_bytes(&store.read().map_err(|e| anyhow::anyhow!("--home: {e}"))?, None).map_err(|e| anyhow::anyhow!("--home: {e}"))?;
    if local.address() != Address::of_key(&consensus_key).0.as_slice() {
        anyhow::bail!("--home belongs to validator {}, --cometbft-home to {}: give the pair of one node", hex::encode(local.address()), hex::encode(Address::of_key(&consensus_key).0));
    }
    let (transport, proof) = local.transport_registration(chain_id, &mut OsRng);
    Ok(Msg::CreateValidator { consensus_key, transport, transport_proof: proof.to_vec(), self_bond, moniker })
}

/// Bytes a message adds to a transaction, for the gas estimate.
fn msg_len(msg: &Msg) -> usize {
    postcard::to_allocvec(msg).map_or(0, |v| v.len())
}

fn chain_id(url: &str) -> anyhow::Result<String> {
    let status: Value = ureq::get(&format!("{}/status", url.trim_end_matches('/'))).call()?.into_json()?;
    status.pointer("/result/node_info/network").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| anyhow::anyhow!("status has no chain id"))
}

/// Polls block results from `from` for the request's callback event (60 s at most).
pub fn wait_callback(url: &str, id: u64, from: u64) -> anyhow::Result<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut h = from;
    while std::time::Instant::now() < deadline {
        if rpc::latest_height(url)? < h {
            std::thread::sleep(std::time::Duration::from_millis(300));
            continue;
        }
        let events = match rpc::block_events(url, h) {
            Ok(events) => events,
            // The block is committed but its results are not stored yet: ask again.
            Err(_) => {
                std::thread::sleep(std::time::Duration::from_millis(300));
                continue;
            }
        };
        for e in events {
            if e.get("type").and_then(Value::as_str) == Some("tss.callback") && rpc::attribute(&e, "request") == Some(&id.to_string()) {
                let attrs: serde_json::Map<String, Value> = e.get("attributes").and_then(Value::as_array).into_iter().flatten().filter_map(|a| Some((a.get("key")?.as_str()?.to_owned(), a.get("value")?.clone()))).collect();
                let mut attrs = attrs;
                attrs.insert("height".into(), json!(h));
                return Ok(Value::Object(attrs));
            }
        }
        h += 1;
    }
    anyhow::bail!("no callback for request {id} within 60 s")
}
