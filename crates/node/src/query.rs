//! ABCI queries: read-only JSON views of the engine state for `mpcd query` and clients.

use serde_json::{json, Value};
use tss_engine::state::Owner;
use tss_engine::EngineState;

/// Answers a query path; data is path-specific.
pub fn answer(state: Option<&EngineState>, path: &str, data: &[u8], sequence: impl Fn(&[u8]) -> u64) -> Result<Vec<u8>, String> {
    let state = state.ok_or("the chain has no state yet (before genesis)")?;
    let value: Value = match path {
        "/network_key" => {
            let k = state.keysets.get(&0).ok_or("no network key yet")?;
            let g = k.current.ok_or("the network key's DKG has not completed yet")?;
            let gen = k.generations.get(&g).ok_or("no such generation")?;
            let x = tss_crypto::encrypt::EncryptionKey::from_bytes(gen.group_key, g).map(|e| hex::encode(e.x25519())).unwrap_or_default();
            json!({ "generation": g, "group_key": hex::encode(gen.group_key), "x25519": x, "epochs": gen.epochs.keys().collect::<Vec<_>>() })
        }
        "/keysets" => Value::Array(
            state
                .keysets
                .iter()
                .map(|(id, k)| {
                    let owner = match &k.owner {
                        Owner::Network => "network".to_owned(),
                        Owner::Requester(r) => hex::encode(r),
                    };
                    let key = k.current.and_then(|g| k.generations.get(&g)).map(|g| hex::encode(g.group_key));
                    json!({ "id": id, "owner": owner, "generation": k.current, "group_key": key })
                })
                .collect(),
        ),
        "/blame" => Value::Object(state.blame.iter().map(|(v, reasons)| (hex::encode(v), json!(reasons.iter().map(|(r, n)| (format!("{r:?}"), n)).collect::<std::collections::BTreeMap<_, _>>()))).collect()),
        "/params" => serde_json::to_value(&state.meta.params).map_err(|e| e.to_string())?,
        "/validators" => Value::Array(state.meta.validators.iter().map(|v| json!({ "address": hex::encode(&v.address), "power": v.power, "transport": hex::encode(v.transport) })).collect()),
        "/requests" => Value::Array(state.requests.iter().map(|(id, r)| json!({ "id": id, "requester": hex::encode(&r.requester), "keyset": r.keyset, "submitted": r.submitted, "attempts": r.attempts })).collect()),
        "/sessions" => Value::Array(state.sessions.iter().map(|(n, s)| json!({ "session": n, "kind": s.kind.name(), "keyset": s.keyset, "generation": s.generation, "started": s.started, "status": format!("{:?}", s.status).split_whitespace().next().unwrap_or_default() })).collect()),
        "/account" => json!({ "address": hex::encode(data), "sequence": sequence(data) }),
        "/height" => json!({ "height": state.meta.height }),
        other => return Err(format!("unknown query path {other:?}; try /network_key, /keysets, /blame, /params, /validators, /requests, /sessions, /account, /height")),
    };
    Ok(value.to_string().into_bytes())
}
