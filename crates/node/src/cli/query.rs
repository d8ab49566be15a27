//! `mpcd query ...`: read-only views of committed chain state, one subcommand each.

use crate::cli::args::{node_url, print, Output, DEFAULT_NODE};
use crate::rpc;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

/// `mpcd query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// What to read.
    #[command(subcommand)]
    pub what: QueryCommand,
    /// CometBFT RPC address (tcp:// or http://).
    #[arg(long, global = true, alias = "rpc", default_value = DEFAULT_NODE, value_parser = node_url)]
    pub node: String,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "json")]
    pub output: Output,
    /// Read the state as committed at this height (0: the last committed). Nodes keep
    /// `state_heights` heights (config.toml); older ones are refused.
    #[arg(long, global = true, default_value_t = 0)]
    pub height: u64,
}

/// The queries.
#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// The network key: generation, Ed25519 group key, its X25519 form (encrypt to these).
    NetworkKey,
    /// Every keyset: id, owner, generation, public key.
    Keysets,
    /// One keyset: owner, threshold, members, generations and their status.
    Keyset {
        /// The keyset id.
        id: u64,
    },
    /// Blame counts per validator and reason.
    Blame,
    /// The engine's parameters.
    Params,
    /// The chain's parameters (denom, gas, fees, staking).
    AppParams,
    /// The validators holding the keys, with their communication keys.
    Validators,
    /// The staking records: operators, bonds, jail.
    StakingValidators,
    /// Open requests.
    Requests,
    /// One request: pending (with its attempts) or finished (with its callback).
    Request {
        /// The request id (`requests` in a transaction's result).
        id: u64,
    },
    /// Sessions (DKG, refresh, reshare, repair) in state.
    Sessions,
    /// The last committed height.
    Height,
    /// Governance proposals.
    Gov {
        /// What to read.
        #[command(subcommand)]
        cmd: crate::cli::gov::GovQuery,
    },
    /// An account's balance and sequence.
    Account {
        /// The account (bech32).
        address: String,
    },
    /// Contracts: codes, contracts, their state, callbacks.
    Wasm {
        /// What to read.
        #[command(subcommand)]
        cmd: crate::cli::wasm::WasmQuery,
    },
    /// One raw state key, with `--prove` checked against the app hash in the next block's
    /// header (keys are the state machines' own: `app/account/...`, `engine/keyset/...`).
    Store {
        /// The key: text, or hex with `--hex`.
        key: String,
        /// The key is hex.
        #[arg(long)]
        hex: bool,
        /// Fetch an ICS-23 proof and check it against the block header's app hash.
        #[arg(long)]
        prove: bool,
    },
    /// A transaction's result by hash (from `--sync`): height, code, gas, request ids.
    Tx {
        /// The hash (64 hex digits).
        hash: String,
    },
}

/// Runs `mpcd query`.
pub fn run(args: QueryArgs) -> anyhow::Result<()> {
    let node = &args.node;
    let height = args.height;
    let at = |path: &str, data: &[u8]| rpc::abci_query_at(node, path, data, height);
    let simple = |path: &str| at(path, &[]);
    let value = match args.what {
        QueryCommand::NetworkKey => simple("/network_key")?,
        QueryCommand::Keysets => simple("/keysets")?,
        QueryCommand::Wasm { cmd } => crate::cli::wasm::query(node, height, cmd)?,
        QueryCommand::Keyset { id } => at("/keyset", &id.to_be_bytes())?,
        QueryCommand::Blame => simple("/blame")?,
        QueryCommand::Params => simple("/params")?,
        QueryCommand::AppParams => simple("/app_params")?,
        QueryCommand::Validators => simple("/validators")?,
        QueryCommand::StakingValidators => simple("/staking_validators")?,
        QueryCommand::Requests => simple("/requests")?,
        QueryCommand::Request { id } => request(node, height, id)?,
        QueryCommand::Sessions => simple("/sessions")?,
        QueryCommand::Height => simple("/height")?,
        QueryCommand::Gov { cmd: crate::cli::gov::GovQuery::Proposals } => simple("/proposals")?,
        QueryCommand::Gov { cmd: crate::cli::gov::GovQuery::Proposal { id } } => at("/proposal", &id.to_be_bytes())?,
        QueryCommand::Account { address } => {
            let prefix = address.rsplit_once('1').map(|(h, _)| h.to_owned()).unwrap_or_default();
            tss_app::Address::parse(&prefix, &address).map_err(|e| anyhow::anyhow!("ADDRESS: {address:?}: {e}"))?;
            at("/account", address.trim().as_bytes())?
        }
        QueryCommand::Tx { hash } => tx(node, &hash)?,
        QueryCommand::Store { key, hex, prove } => store(node, height, &key, hex, prove)?,
    };
    print(&value, args.output);
    Ok(())
}

/// A request: pending in state, or its callback found through CometBFT's block index.
fn request(node: &str, height: u64, id: u64) -> anyhow::Result<Value> {
    let pending = rpc::abci_query_at(node, "/request", &id.to_be_bytes(), height)?;
    if !pending.is_null() {
        return Ok(pending);
    }
    for h in rpc::block_search(node, &format!("tss.callback.request='{id}'"))? {
        if let Some(cb) = rpc::block_events(node, h)?.iter().find_map(|e| crate::cli::tx::callback_of(e, id, h)) {
            return Ok(cb);
        }
    }
    anyhow::bail!("request {id} is neither open nor called back in any indexed block: check the id (a transaction's `requests`), or whether this node indexes block events (CometBFT's tx_index.indexer = \"kv\")")
}

/// A raw state key, its proof checked against the app hash of the height it was read at.
fn store(node: &str, height: u64, key: &str, is_hex: bool, prove: bool) -> anyhow::Result<Value> {
    let key = if is_hex { hex::decode(key.trim()).map_err(|e| anyhow::anyhow!("KEY: {key:?} is not hex ({e}); drop --hex for a text key"))? } else { key.as_bytes().to_vec() };
    let read = rpc::store_read(node, &key, height, prove)?;
    let mut out = json!({
        "key": String::from_utf8_lossy(&key),
        "key_hex": hex::encode(&key),
        "height": read.height,
        "present": read.value.is_some(),
        "value_hex": read.value.as_ref().map(hex::encode),
    });
    if let Some(bytes) = &read.proof {
        let proof = tss_store::decode_proof(bytes).map_err(|e| anyhow::anyhow!("the node's proof: {e}"))?;
        // The state after block h is committed to by block h + 1's header.
        let app_hash = rpc::app_hash_in_header(node, read.height + 1, std::time::Duration::from_secs(30))?;
        let root: [u8; 32] = app_hash.as_slice().try_into().map_err(|_| anyhow::anyhow!("block {}'s app hash is {} bytes, not 32", read.height + 1, app_hash.len()))?;
        if !tss_store::verify(&root, &key, read.value.as_deref(), &proof) {
            anyhow::bail!("the proof does NOT verify against the app hash {} of block {}: this node's answer cannot be trusted", hex::encode_upper(root), read.height + 1);
        }
        if let Some(o) = out.as_object_mut() {
            o.insert("proof".into(), json!({ "verified": true, "app_hash": hex::encode_upper(root), "header_height": read.height + 1, "note": "checked against the header the RPC serves; a light client also checks the header's commit signatures" }));
        }
    }
    Ok(out)
}

/// A transaction's result by hash.
fn tx(node: &str, hash: &str) -> anyhow::Result<Value> {
    let h = hash.trim();
    let h = h.strip_prefix("0x").unwrap_or(h);
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("HASH: {hash:?} is not a transaction hash (64 hex digits, as `--sync` prints)");
    }
    let r = rpc::tx(node, h).map_err(|e| anyhow::anyhow!("{e} (a transaction is found only once it is in a block)"))?;
    let result = r.get("tx_result").cloned().unwrap_or(Value::Null);
    let code = result.get("code").and_then(Value::as_u64).unwrap_or(0);
    Ok(json!({
        "hash": h.to_uppercase(),
        "height": rpc::number(r.get("height")),
        "code": code,
        "meaning": tss_app::exec::code::meaning(u32::try_from(code).unwrap_or(u32::MAX)),
        "log": result.get("log").cloned().unwrap_or(Value::Null),
        "gas_wanted": rpc::number(result.get("gas_wanted")),
        "gas_used": rpc::number(result.get("gas_used")),
        "requests": crate::cli::tx::request_ids(result.get("data").and_then(Value::as_str).unwrap_or_default()),
    }))
}
