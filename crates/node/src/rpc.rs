//! A minimal client of CometBFT's JSON-RPC: GET for reads, POST for broadcasts.

use base64::Engine;
use serde_json::Value;

fn get(rpc: &str, path: &str) -> anyhow::Result<Value> {
    let url = format!("{}/{path}", rpc.trim_end_matches('/'));
    let value: Value = ureq::get(&url).timeout(std::time::Duration::from_secs(30)).call().map_err(|e| anyhow::anyhow!("{url}: {e}; is CometBFT running and its RPC reachable?"))?.into_json()?;
    if let Some(err) = value.get("error") {
        anyhow::bail!("{url}: {err}");
    }
    Ok(value.get("result").cloned().unwrap_or(Value::Null))
}

/// A JSON-RPC call by POST (a contract's code does not fit in a URL).
fn post(rpc: &str, method: &str, params: Value) -> anyhow::Result<Value> {
    let url = rpc.trim_end_matches('/').to_owned();
    let body = serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let response = ureq::post(&url).timeout(std::time::Duration::from_secs(60)).send_json(body);
    let value: Value = match response {
        Ok(r) => r.into_json()?,
        // CometBFT answers a JSON-RPC error with an HTTP error status and the error in the body.
        Err(ureq::Error::Status(code, r)) => r.into_json().unwrap_or_else(|_| serde_json::json!({ "error": format!("HTTP {code}") })),
        Err(e) => anyhow::bail!("{url}: {e}; is CometBFT running and its RPC reachable?"),
    };
    if let Some(err) = value.get("error") {
        anyhow::bail!("{url} {method}: {err}");
    }
    Ok(value.get("result").cloned().unwrap_or(Value::Null))
}

/// Broadcasts a transaction and waits for its block.
pub fn broadcast_tx_commit(rpc: &str, tx: &[u8]) -> anyhow::Result<Value> {
    post(rpc, "broadcast_tx_commit", serde_json::json!({ "tx": base64::engine::general_purpose::STANDARD.encode(tx) }))
}

/// Broadcasts a transaction once the mempool accepts it.
pub fn broadcast_tx_sync(rpc: &str, tx: &[u8]) -> anyhow::Result<Value> {
    post(rpc, "broadcast_tx_sync", serde_json::json!({ "tx": base64::engine::general_purpose::STANDARD.encode(tx) }))
}

/// An ABCI query at the last committed height; returns the decoded JSON value.
pub fn abci_query(rpc: &str, path: &str, data: &[u8]) -> anyhow::Result<Value> {
    abci_query_at(rpc, path, data, 0)
}

/// An ABCI query at committed `height` (0: the last committed height).
pub fn abci_query_at(rpc: &str, path: &str, data: &[u8], height: u64) -> anyhow::Result<Value> {
    let response = abci_response(rpc, path, data, height, false)?;
    let raw = response.get("value").and_then(Value::as_str).unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD.decode(raw)?;
    Ok(serde_json::from_slice(&bytes)?)
}

fn abci_response(rpc: &str, path: &str, data: &[u8], height: u64, prove: bool) -> anyhow::Result<Value> {
    let mut call = format!("abci_query?path=\"{path}\"&data=0x{}", hex::encode(data));
    if height > 0 {
        call.push_str(&format!("&height={height}"));
    }
    if prove {
        call.push_str("&prove=true");
    }
    let result = get(rpc, &call)?;
    let response = result.get("response").cloned().unwrap_or(Value::Null);
    if response.get("code").and_then(Value::as_u64).unwrap_or(0) != 0 {
        anyhow::bail!("query {path}: {}", response.get("log").and_then(Value::as_str).unwrap_or("failed"));
    }
    Ok(response)
}

/// One state key read with `/store`: the height it was read at, the value (none: absent) and
/// the proof's bytes when asked for.
pub struct StoreRead {
    /// The committed height read.
    pub height: u64,
    /// The value; none when the key holds nothing.
    pub value: Option<Vec<u8>>,
    /// The ICS-23 proof (protobuf), when `prove` was asked.
    pub proof: Option<Vec<u8>>,
}

/// Reads a state key at committed `height` (0: the last), with its proof when `prove`.
pub fn store_read(rpc: &str, key: &[u8], height: u64, prove: bool) -> anyhow::Result<StoreRead> {
    let r = abci_response(rpc, "/store", key, height, prove)?;
    let b64 = |v: Option<&Value>| base64::engine::general_purpose::STANDARD.decode(v.and_then(Value::as_str).unwrap_or_default());
    let read_height = number(r.get("height")).as_u64().ok_or_else(|| anyhow::anyhow!("the node's answer has no height"))?;
    let present = r.get("info").and_then(Value::as_str) == Some("present");
    let value = present.then(|| b64(r.get("value"))).transpose()?;
    let ops = r.get("proof_ops").or_else(|| r.get("proofOps")).and_then(|p| p.get("ops")).and_then(Value::as_array);
    let proof = match ops.and_then(|o| o.first()) {
        Some(op) => Some(b64(op.get("data"))?),
        None if prove => anyhow::bail!("the node answered without the proof asked for"),
        None => None,
    };
    Ok(StoreRead { height: read_height, value, proof })
}

/// The app hash in the header of block `height` (the state after block `height - 1`), waiting
/// up to `wait` for the block to exist.
pub fn app_hash_in_header(rpc: &str, height: u64, wait: std::time::Duration) -> anyhow::Result<Vec<u8>> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        match get(rpc, &format!("commit?height={height}")) {
            Ok(r) => {
                let hash = r.pointer("/signed_header/header/app_hash").and_then(Value::as_str).ok_or_else(|| anyhow::anyhow!("block {height}'s header has no app_hash"))?;
                return Ok(hex::decode(hash)?);
            }
            Err(e) if std::time::Instant::now() >= deadline => return Err(e.context(format!("block {height} (whose header holds the app hash to check against) did not appear"))),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(200)),
        }
    }
}

/// A block's transactions, their results and its FinalizeBlock events.
pub struct BlockContents {
    /// The transactions, in block order.
    pub txs: Vec<Vec<u8>>,
    /// Their results, in the same order.
    pub results: Vec<Value>,
    /// The block's FinalizeBlock events.
    pub events: Vec<Value>,
}

/// What block `height` holds and what its FinalizeBlock returned.
pub fn block_contents(rpc: &str, height: u64) -> anyhow::Result<BlockContents> {
    let block = get(rpc, &format!("block?height={height}"))?;
    let txs = block.pointer("/block/data/txs").and_then(Value::as_array).into_iter().flatten().filter_map(|t| base64::engine::general_purpose::STANDARD.decode(t.as_str()?).ok()).collect();
    let r = get(rpc, &format!("block_results?height={height}"))?;
    let results = r.get("txs_results").and_then(Value::as_array).cloned().unwrap_or_default();
    let events = r.get("finalize_block_events").and_then(Value::as_array).cloned().unwrap_or_default();
    Ok(BlockContents { txs, results, events })
}

/// The events of a block's results.
pub fn block_events(rpc: &str, height: u64) -> anyhow::Result<Vec<Value>> {
    let r = get(rpc, &format!("block_results?height={height}"))?;
    Ok(r.get("finalize_block_events").and_then(Value::as_array).cloned().unwrap_or_default())
}

/// CometBFT's `/status`.
pub fn status(rpc: &str) -> anyhow::Result<Value> {
    get(rpc, "status")
}

/// A transaction by hash (`/tx`): its height and result.
pub fn tx(rpc: &str, hash_hex: &str) -> anyhow::Result<Value> {
    get(rpc, &format!("tx?hash=0x{hash_hex}"))
}

/// Heights of blocks whose FinalizeBlock events match `query` (CometBFT's kv indexer).
pub fn block_search(rpc: &str, query: &str) -> anyhow::Result<Vec<u64>> {
    let q: String = query.bytes().map(|b| if b.is_ascii_alphanumeric() || b"._-".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let r = get(rpc, &format!("block_search?query=%22{q}%22&per_page=10"))?;
    Ok(r.get("blocks").and_then(Value::as_array).into_iter().flatten().filter_map(|b| b.pointer("/block/header/height")?.as_str()?.parse().ok()).collect())
}

/// A number CometBFT's JSON writes as a string (`"42"`), as a JSON number.
pub fn number(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => s.parse::<i64>().map_or_else(|_| Value::String(s.clone()), Value::from),
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

/// The latest block height.
pub fn latest_height(rpc: &str) -> anyhow::Result<u64> {
    let s = get(rpc, "status")?;
    s.pointer("/sync_info/latest_block_height").and_then(Value::as_str).and_then(|h| h.parse().ok()).ok_or_else(|| anyhow::anyhow!("status has no height"))
}

/// An attribute of an RPC event.
pub fn attribute<'a>(event: &'a Value, key: &str) -> Option<&'a str> {
    event.get("attributes")?.as_array()?.iter().find(|a| a.get("key").and_then(Value::as_str) == Some(key))?.get("value")?.as_str()
}
