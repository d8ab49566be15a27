//! Contract queries (`/wasm/...`), in the shape of wasmd's: codes, contracts, a contract's
//! state by smart query or raw key, and how a TSS callback went. Addresses are bech32.

use serde_json::{json, Value};
use std::sync::Arc;
use tss_app::AppParams;
use tss_engine::{EngineState, Store};
use tss_wasm::state;

/// The JSON body of a smart or raw query.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ContractQuery {
    contract: String,
    /// A smart query's JSON message.
    msg: Option<Value>,
    /// A raw query's key, hex.
    key: Option<String>,
}

fn id_of(data: &[u8], what: &str) -> Result<u64, String> {
    Ok(u64::from_be_bytes(data.try_into().map_err(|_| format!("a {what} id is 8 bytes, big-endian"))?))
}

fn address(prefix: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    let s = std::str::from_utf8(data).map_err(|_| "a contract address is a bech32 string")?;
    tss_wasm::address::canonicalize(prefix, s.trim())
}

fn code_json(c: &state::CodeInfo, human: &dyn Fn(&[u8]) -> String) -> Value {
    json!({ "code_id": c.code_id, "checksum": hex::encode(c.checksum), "creator": human(&c.creator), "size": c.size, "height": c.height })
}

/// Answers `/wasm/<path>`.
pub fn answer<S: Store + ?Sized>(engine: &EngineState, db: &S, host: Option<&tss_wasm::Host>, app: &AppParams, path: &str, data: &[u8]) -> Result<Value, String> {
    let prefix = app.address_prefix.as_str();
    let human = |b: &[u8]| tss_wasm::address::humanize(prefix, b).unwrap_or_else(|_| hex::encode(b));
    Ok(match path {
        "codes" => Value::Array(state::codes(db).iter().map(|c| code_json(c, &human)).collect()),
        "code" => {
            let id = id_of(data, "code")?;
            let c = state::code(db, id).ok_or_else(|| format!("there is no code {id}: `mpcd query wasm list-code` lists them"))?;
            let mut v = code_json(&c, &human);
            if let (Some(host), Some(o)) = (host, v.as_object_mut()) {
                o.insert("entry_points".into(), json!(host.entry_points(&c.checksum)));
            }
            v
        }
        "contracts_by_code" => {
            let id = id_of(data, "code")?;
            json!({ "code_id": id, "contracts": state::contracts_by_code(db, id).iter().map(|a| human(a)).collect::<Vec<_>>() })
        }
        "contract" => {
            let a = address(prefix, data)?;
            let c = state::contract(db, &a).ok_or_else(|| format!("there is no contract {}", human(&a)))?;
            json!({ "address": human(&c.address), "code_id": c.code_id, "creator": human(&c.creator), "admin": c.admin.as_deref().map(human), "label": c.label, "created": c.created })
        }
        "smart" | "raw" => {
            let q: ContractQuery = serde_json::from_slice(data).map_err(|e| format!("the query body is not {{\"contract\", \"msg\" | \"key\"}}: {e}"))?;
            let contract = tss_wasm::address::canonicalize(prefix, &q.contract)?;
            if path == "raw" {
                let key = hex::decode(q.key.as_deref().unwrap_or_default()).map_err(|_| "the key must be hex")?;
                state::contract(db, &contract).ok_or_else(|| format!("there is no contract {}", q.contract))?;
                let value = state::raw(db, &contract, &key);
                json!({ "contract": q.contract, "key": hex::encode(&key), "value": value.map(hex::encode) })
            } else {
                let host = host.ok_or("this node runs no contract host")?;
                let msg = q.msg.ok_or("a smart query needs \"msg\"")?;
                let (height, time_nanos) = state::last_block(db);
                let env = tss_wasm::BlockEnv { chain_id: engine.meta.chain_id.clone(), height, time_nanos, prefix: prefix.to_owned() };
                let view = Arc::new(tss_wasm::TssView::of(engine));
                let out = tss_wasm::exec::query_smart(host, db, &env, view, &contract, msg.to_string().as_bytes(), app.wasm.query_gas_limit).map_err(|e| e.to_string())?;
                serde_json::from_slice(out.as_slice()).unwrap_or_else(|_| json!({ "base64": out.to_base64() }))
            }
        }
        "callback" => {
            let id = id_of(data, "request")?;
            match state::callback(db, id) {
                Some(r) => json!({ "request": id, "contract": human(&r.contract), "height": r.height, "ok": r.ok, "error": r.error, "gas_used": r.gas_used }),
                None => json!({ "request": id, "delivered": false, "note": format!("no record: not called back yet, or called back more than wasm.callback_retention_blocks ({}) blocks ago (then `mpcd query request {id}` finds it in the block events)", app.wasm.callback_retention_blocks) }),
            }
        }
        other => return Err(format!("unknown wasm query {other:?}; try codes, code, contracts_by_code, contract, smart, raw, callback")),
    })
}
