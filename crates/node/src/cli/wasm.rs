//! `mpcd tx wasm ...` and `mpcd query wasm ...`, in wasmd's shape.

use crate::rpc;
use clap::Subcommand;
use serde_json::{json, Value};
use std::path::PathBuf;
use tss_app::Msg;

/// `tx wasm`.
#[derive(Debug, Subcommand)]
pub enum WasmTx {
    /// Upload a contract's wasm code (checked by the chain against its capabilities); the new
    /// code id is printed.
    Store {
        /// The .wasm file (contracts/artifacts/ holds the built ones).
        file: PathBuf,
    },
    /// Instantiate a stored code; the new contract's address is printed.
    Instantiate {
        /// The code id.
        code_id: u64,
        /// The instantiate message (JSON).
        msg: String,
        /// A name for people.
        #[arg(long)]
        label: String,
        /// Who may migrate it (bech32); without it nobody can.
        #[arg(long)]
        admin: Option<String>,
    },
    /// Execute a contract.
    Execute {
        /// The contract (bech32).
        contract: String,
        /// The execute message (JSON).
        msg: String,
    },
    /// Migrate a contract to another code (its admin only).
    Migrate {
        /// The contract (bech32).
        contract: String,
        /// The new code id.
        code_id: u64,
        /// The migrate message (JSON).
        msg: String,
    },
}

fn json_msg(what: &str, s: &str) -> anyhow::Result<Vec<u8>> {
    let v: Value = serde_json::from_str(s).map_err(|e| anyhow::anyhow!("{what}: not JSON ({e}); quote it, e.g. '{{\"close\":{{}}}}'"))?;
    Ok(v.to_string().into_bytes())
}

/// Raw bytes of a bech32 address (any prefix; the chain checks its own).
fn address_bytes(what: &str, s: &str) -> anyhow::Result<Vec<u8>> {
    let (_, data) = bech32::decode(s.trim()).map_err(|e| anyhow::anyhow!("{what}: {s:?} is not a bech32 address ({e})"))?;
    Ok(data)
}

fn contract32(s: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = address_bytes("CONTRACT", s)?;
    bytes.as_slice().try_into().map_err(|_| anyhow::anyhow!("CONTRACT: {s:?} holds {} bytes; a contract address holds 32 (an account's 20)", bytes.len()))
}

/// The message for a `tx wasm` command.
pub fn message(cmd: WasmTx) -> anyhow::Result<Msg> {
    Ok(match cmd {
        WasmTx::Store { file } => {
            let code = std::fs::read(&file).map_err(|e| anyhow::anyhow!("FILE: {}: {e}", file.display()))?;
            if code.get(..4) != Some(b"\0asm".as_slice()) {
                anyhow::bail!("FILE: {} is not a wasm module (no \\0asm header)", file.display());
            }
            if code.len() > tss_wasm::host::MAX_CODE_SIZE {
                anyhow::bail!("FILE: {} is {} bytes, the chain accepts at most {}", file.display(), code.len(), tss_wasm::host::MAX_CODE_SIZE);
            }
            Msg::WasmStore { code }
        }
        WasmTx::Instantiate { code_id, msg, label, admin } => {
            if label.trim().is_empty() {
                anyhow::bail!("--label: give the contract a name");
            }
            let admin = admin.map(|a| address_bytes("--admin", &a)).transpose()?;
            Msg::WasmInstantiate { code_id, msg: json_msg("MSG", &msg)?, label, admin }
        }
        WasmTx::Execute { contract, msg } => Msg::WasmExecute { contract: contract32(&contract)?, msg: json_msg("MSG", &msg)? },
        WasmTx::Migrate { contract, code_id, msg } => Msg::WasmMigrate { contract: contract32(&contract)?, code_id, msg: json_msg("MSG", &msg)? },
    })
}

/// What a wasm transaction's events say: the code id stored, the contract instantiated, the
/// TSS requests its contracts made.
pub fn summary(events: &[Value]) -> Value {
    let mut out = serde_json::Map::new();
    let mut requests = Vec::new();
    for e in events {
        match e.get("type").and_then(Value::as_str) {
            Some("store_code") => {
                if let Some(id) = rpc::attribute(e, "code_id").and_then(|v| v.parse::<u64>().ok()) {
                    out.insert("code_id".into(), json!(id));
                }
            }
            Some("instantiate") => {
                if let Some(a) = rpc::attribute(e, "_contract_address") {
                    out.insert("contract_address".into(), json!(a));
                }
            }
            Some("tss_request") => {
                if let Some(id) = rpc::attribute(e, "request_id").and_then(|v| v.parse::<u64>().ok()) {
                    requests.push(id);
                }
            }
            _ => {}
        }
    }
    if !requests.is_empty() {
        out.insert("contract_requests".into(), json!(requests));
    }
    Value::Object(out)
}

/// `query wasm`.
#[derive(Debug, Subcommand)]
pub enum WasmQuery {
    /// Every stored code.
    ListCode,
    /// One code: checksum, creator, size, entry points.
    CodeInfo {
        /// The code id.
        code_id: u64,
    },
    /// The contracts instantiated from a code.
    ListContractByCode {
        /// The code id.
        code_id: u64,
    },
    /// A contract: code, creator, admin, label.
    Contract {
        /// The contract (bech32).
        address: String,
    },
    /// A contract's state.
    ContractState {
        /// Which.
        #[command(subcommand)]
        cmd: StateQuery,
    },
    /// How a contract's TSS callback went (delivered, its sudo's result and gas).
    Callback {
        /// The request id.
        request_id: u64,
    },
}

/// `query wasm contract-state`.
#[derive(Debug, Subcommand)]
pub enum StateQuery {
    /// Ask the contract (its `query` entry point).
    Smart {
        /// The contract (bech32).
        address: String,
        /// The query message (JSON).
        msg: String,
    },
    /// Read one key of its storage.
    Raw {
        /// The contract (bech32).
        address: String,
        /// The key, hex.
        key_hex: String,
    },
}

/// Runs a `query wasm` command.
pub fn query(node: &str, height: u64, q: WasmQuery) -> anyhow::Result<Value> {
    match q {
        WasmQuery::ListCode => rpc::abci_query_at(node, "/wasm/codes", &[], height),
        WasmQuery::CodeInfo { code_id } => rpc::abci_query_at(node, "/wasm/code", &code_id.to_be_bytes(), height),
        WasmQuery::ListContractByCode { code_id } => rpc::abci_query_at(node, "/wasm/contracts_by_code", &code_id.to_be_bytes(), height),
        WasmQuery::Contract { address } => rpc::abci_query_at(node, "/wasm/contract", address.trim().as_bytes(), height),
        WasmQuery::ContractState { cmd: StateQuery::Smart { address, msg } } => {
            let msg: Value = serde_json::from_str(&msg).map_err(|e| anyhow::anyhow!("MSG: not JSON ({e})"))?;
            rpc::abci_query_at(node, "/wasm/smart", json!({ "contract": address.trim(), "msg": msg }).to_string().as_bytes(), height)
        }
        WasmQuery::ContractState { cmd: StateQuery::Raw { address, key_hex } } => {
            hex::decode(key_hex.trim()).map_err(|_| anyhow::anyhow!("KEY_HEX: not hex"))?;
            rpc::abci_query_at(node, "/wasm/raw", json!({ "contract": address.trim(), "key": key_hex.trim() }).to_string().as_bytes(), height)
        }
        WasmQuery::Callback { request_id } => rpc::abci_query_at(node, "/wasm/callback", &request_id.to_be_bytes(), height),
    }
}
