//! ABCI queries: read-only JSON views of the engine and chain state for `mpcd query` and
//! clients.

use serde_json::{json, Value};
use tss_crypto::Encode;
use tss_engine::state::Owner;
use tss_engine::EngineState;

/// The path of a raw state read (`data` is the key): the value as committed, with an ICS-23
/// proof against the height's app hash when `prove` is set.
pub const STORE_PATH: &str = "/store";

/// Answers a query path; data is path-specific.
pub fn answer<S: tss_engine::Store + ?Sized>(state: Option<&EngineState>, db: &S, host: Option<&tss_wasm::Host>, path: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    let state = state.ok_or("the chain has no state yet (before genesis)")?;
    let app = tss_app::exec::params(db);
    if let Some(wasm_path) = path.strip_prefix("/wasm/") {
        return crate::query_wasm::answer(state, db, host, &app, wasm_path, data).map(|v| v.to_string().into_bytes());
    }
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
        "/keyset" => {
            let id = u64::from_be_bytes(data.try_into().map_err(|_| "a keyset id is 8 bytes, big-endian")?);
            let k = state.keysets.get(&id).ok_or_else(|| format!("no keyset {id}: `mpcd query keysets` lists them"))?;
            let generations: Vec<Value> = k
                .generations
                .iter()
                .map(|(g, gen)| {
                    let epochs: Vec<Value> = gen
                        .epochs
                        .iter()
                        .map(|(e, ek)| {
                            let set = tss_crypto::PublicKeySet::from_bytes(&ek.public).ok();
                            json!({ "epoch": e, "active_from": ek.active_from, "threshold": set.as_ref().map(tss_crypto::PublicKeySet::threshold), "members": set.as_ref().map(tss_crypto::PublicKeySet::len) })
                        })
                        .collect();
                    json!({ "generation": g, "group_key": hex::encode(gen.group_key), "retire_at": gen.retire_at, "epochs": epochs })
                })
                .collect();
            let owner = match &k.owner {
                Owner::Network => "network".to_owned(),
                Owner::Requester(r) => tss_app::Address::from_slice(r).map_or_else(|_| hex::encode(r), |a| bech32(&a)),
            };
            let status = if k.current.is_some() { "ready" } else { "generating" };
            json!({ "id": id, "owner": owner, "status": status, "current_generation": k.current, "requested_threshold": k.threshold, "generations": generations })
        }
        "/request" => {
            let id = u64::from_be_bytes(data.try_into().map_err(|_| "a request id is 8 bytes, big-endian")?);
            match state.requests.get(&id) {
                // Finished requests leave state; their callbacks are in the block events.
                None => Value::Null,
                Some(r) => json!({ "type": "request", "request": id, "status": "pending", "requester": hex::encode(&r.requester), "keyset": r.keyset, "generation": r.generation, "submitted": r.submitted, "attempts": r.attempts }),
            }
        }
        "/proposals" => Value::Array(tss_app::gov::proposals(db).iter().map(|p| proposal_json(p, &bech32)).collect()),
        "/proposal" => {
            let id = u64::from_be_bytes(data.try_into().map_err(|_| "a proposal id is 8 bytes, big-endian")?);
            let p = tss_app::gov::proposal(db, id).ok_or_else(|| format!("no proposal {id}: `mpcd query gov proposals` lists them"))?;
            let mut v = proposal_json(&p, &bech32);
            let votes: Vec<Value> = tss_app::gov::votes(db, id).iter().map(|(voter, o)| json!({ "voter": bech32(voter), "option": o.name() })).collect();
            let deposits: Vec<Value> = tss_app::gov::deposits(db, id).iter().map(|(d, a)| json!({ "depositor": bech32(d), "amount": a.to_string() })).collect();
            let so_far = tss_app::gov::tally(db, &app, id, state.meta.height);
            if let Some(o) = v.as_object_mut() {
                o.insert("votes".into(), Value::Array(votes));
                o.insert("deposits".into(), Value::Array(deposits));
                o.insert("current_tally".into(), tally_json(&so_far));
            }
            v
        }
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
        other => return Err(format!("unknown query path {other:?}; try /network_key, /keysets, /keyset, /request, /proposals, /proposal, /blame, /params, /app_params, /validators, /staking_validators, /requests, /sessions, /account, /height, /wasm/..., /store (a raw key, with a proof)")),
    };
    Ok(value.to_string().into_bytes())
}

fn tally_json(t: &tss_app::gov::Tally) -> Value {
    json!({ "yes": t.yes.to_string(), "no": t.no.to_string(), "abstain": t.abstain.to_string(), "no_with_veto": t.no_with_veto.to_string(), "total_power": t.total_power.to_string() })
}

fn proposal_json(p: &tss_app::gov::Proposal, bech32: &dyn Fn(&tss_app::Address) -> String) -> Value {
    use tss_app::gov::Content;
    let content = match &p.content {
        Content::RotateNetworkKey => json!({ "kind": "rotate_network_key" }),
        Content::ChangeParams { engine, app } => {
            let parse = |t: &Option<String>| t.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok());
            json!({ "kind": "change_params", "engine": parse(engine), "app": parse(app) })
        }
        Content::FreezeKeyset { keyset } => json!({ "kind": "freeze_keyset", "keyset": keyset }),
        Content::UnfreezeKeyset { keyset } => json!({ "kind": "unfreeze_keyset", "keyset": keyset }),
        Content::RemoveValidator { validator } => json!({ "kind": "remove_validator", "validator": validator }),
    };
    let status = serde_json::to_value(p.status).unwrap_or(Value::Null);
    json!({
        "id": p.id, "title": p.title, "summary": p.summary, "proposer": bech32(&p.proposer), "content": content, "status": status,
        "submitted": p.submitted, "deposit_end": p.deposit_end, "voting_end": p.voting_end, "deposit": p.deposit.to_string(),
        "tally": p.tally.as_ref().map(tally_json), "result": p.result,
    })
}
