//! ABCI queries: read-only JSON views of the engine and chain state for `mpcd query` and
//! clients.

use serde_json::{json, Value};
use tss_engine::state::Owner;
use tss_engine::EngineState;

/// Answers a query path; data is path-specific.
pub fn answer<S: tss_engine::Store + ?Sized>(state: Option<&EngineState>, db: &S, path: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    let state = state.ok_or("the chain has no state yet (before genesis)")?;
    let app = tss_app::exec::params(db);
    let bech32 = |a: &tss_app::Address| a.to_bech32(&app.address_prefix).unwrap_or_default();
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
        "/account" => {
            let address = match tss_app::Address::from_slice(data) {
                Ok(a) => a,
                Err(_) => tss_app::Address::parse(&app.address_prefix, std::str::from_utf8(data).map_err(|_| "an account is 20 bytes or a bech32 string")?).map_err(|e| e.to_string())?,
            };
            let a = tss_app::accounts::account(db, &address);
            json!({ "address": bech32(&address), "balance": a.balance.to_string(), "denom": app.denom, "sequence": a.sequence })
        }
        "/app_params" => serde_json::to_value(&app).map_err(|e| e.to_string())?,
        "/staking_validators" => Value::Array(
            tss_app::staking::validators(db)
                .iter()
                .map(|v| json!({ "operator": bech32(&v.operator), "consensus_address": hex::encode(&v.address), "moniker": v.moniker, "bond": v.bond.to_string(), "jailed_until": v.jailed_until }))
                .collect(),
        ),
        "/height" => json!({ "height": state.meta.height }),
        other => return Err(format!("unknown query path {other:?}; try /network_key, /keysets, /blame, /params, /app_params, /validators, /staking_validators, /requests, /sessions, /account, /height")),
    };
    Ok(value.to_string().into_bytes())
}
