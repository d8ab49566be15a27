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
    /// A transaction's result by hash (from `--sync`): height, code, gas, request ids.
    Tx {
        /// The hash (64 hex digits).
        hash: String,
    },
}

/// Runs `mpcd query`.
pub fn run(args: QueryArgs) -> anyhow::Result<()> {
    let node = &args.node;
    let simple = |path: &str| rpc::abci_query(node, path, &[]);
    let value = match args.what {
        QueryCommand::NetworkKey => simple("/network_key")?,
        QueryCommand::Keysets => simple("/keysets")?,
        QueryCommand::Wasm { cmd } => crate::cli::wasm::query(node, cmd)?,
        QueryCommand::Keyset { id } => rpc::abci_query(node, "/keyset", &id.to_be_bytes())?,
        QueryCommand::Blame => simple("/blame")?,
        QueryCommand::Params => simple("/params")?,
        QueryCommand::AppParams => simple("/app_params")?,
        QueryCommand::Validators => simple("/validators")?,
        QueryCommand::StakingValidators => simple("/staking_validators")?,
        QueryCommand::Requests => simple("/requests")?,
        QueryCommand::Request { id } => request(node, id)?,
        QueryCommand::Sessions => simple("/sessions")?,
        QueryCommand::Height => simple("/height")?,
        QueryCommand::Gov { cmd: crate::cli::gov::GovQuery::Proposals } => simple("/proposals")?,
        QueryCommand::Gov { cmd: crate::cli::gov::GovQuery::Proposal { id } } => rpc::abci_query(node, "/proposal", &id.to_be_bytes())?,
        QueryCommand::Account { address } => {
            let prefix = address.rsplit_once('1').map(|(h, _)| h.to_owned()).unwrap_or_default();
            tss_app::Address::parse(&prefix, &address).map_err(|e| anyhow::anyhow!("ADDRESS: {address:?}: {e}"))?;
            rpc::abci_query(node, "/account", address.trim().as_bytes())?
        }
        QueryCommand::Tx { hash } => tx(node, &hash)?,
    };
    print(&value, args.output);
    Ok(())
}

/// A request: pending in state, or its callback found through CometBFT's block index.
fn request(node: &str, id: u64) -> anyhow::Result<Value> {
    let pending = rpc::abci_query(node, "/request", &id.to_be_bytes())?;
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
