//! `mpcd load`: a bounded load generator for a running chain. It funds a set of fresh accounts
//! from one key, pre-signs every request transaction, sends them over a few RPC connections
//! spread across the given nodes (each account's transactions in order through one node, so
//! sequences arrive in order), then reads the blocks: when each request was included and when
//! its callback came. It reports requests per block and latency in blocks (median, p99).
//! Nothing runs unbounded: `--requests` caps the count, `--timeout` the time.

use crate::cli::args::{node_url, print, Output};
use crate::rpc;
use clap::{Args, ValueEnum};
use ed25519_dalek::SigningKey;
use rand_core::OsRng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tss_app::{Address, Fee, Msg, Tx, TxBody};
use tss_crypto::Encode;
use tss_engine::types::Request;

/// What each request asks.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LoadKind {
    /// A threshold signature with the network key.
    Sign,
}

/// `mpcd load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The raw key file that funds the load accounts (a localnet's faucet.key).
    #[arg(long)]
    pub key: PathBuf,
    /// CometBFT RPC addresses, comma-separated; accounts are spread over them.
    #[arg(long, value_delimiter = ',', value_parser = node_url, default_value = crate::cli::args::DEFAULT_NODE)]
    pub nodes: Vec<String>,
    /// How many requests to send in all (1 to 100,000).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub requests: u64,
    /// Requests per account; at most the chain's max_open_requests, so none is refused for it.
    #[arg(long, default_value_t = 32)]
    pub per_account: u64,
    /// Sending connections per node.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=32))]
    pub connections: u64,
    /// What each request asks.
    #[arg(long, value_enum, default_value = "sign")]
    pub kind: LoadKind,
    /// Give up after this many seconds (sending and waiting for callbacks).
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub output: Output,
}

struct Account {
    key: SigningKey,
    address: Address,
}

/// Runs `mpcd load`.
pub fn run(args: &LoadArgs) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let first = args.nodes.first().ok_or_else(|| anyhow::anyhow!("--nodes: give at least one RPC address"))?.clone();
    let funder = crate::keyring::read_key_file(&args.key).map_err(|e| anyhow::anyhow!("--key: {e}"))?;
    let funder_address = Address::of_key(&funder.verifying_key().to_bytes());
    let chain_id = rpc::status(&first)?.pointer("/node_info/network").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| anyhow::anyhow!("{first}: the status has no chain id"))?;
    let params: tss_app::AppParams = serde_json::from_value(rpc::abci_query(&first, "/app_params", &[])?).map_err(|e| anyhow::anyhow!("the chain's app_params do not parse ({e}): is this mpcd build the chain's version?"))?;
    let validators = rpc::abci_query(&first, "/validators", &[])?.as_array().map_or(1, Vec::len);
    let per_account = args.per_account.clamp(1, u64::from(params.max_open_requests).max(1));
    let accounts: Vec<Account> = (0..args.requests.div_ceil(per_account))
        .map(|_| {
            let key = SigningKey::generate(&mut OsRng);
            let address = Address::of_key(&key.verifying_key().to_bytes());
            Account { key, address }
        })
        .collect();
    let fee_of = |msg: &Msg| -> Fee {
        let gas = tss_app::exec::estimated_gas(&params, msg, validators);
        let gas = gas.saturating_add(gas / 5).min(params.max_tx_gas);
        Fee { amount: params.min_fee(gas), gas_limit: gas }
    };
    let sign = |key: &SigningKey, sequence: u64, msg: Msg| -> Vec<u8> {
        Tx::sign(key, &TxBody { chain_id: chain_id.clone(), sequence, fee: fee_of(&msg), msgs: vec![msg], memo: String::new() }).to_bytes()
    };

    // Fund every account with what its requests' fees need, from one node, in sequence order.
    let request_fee = fee_of(&request_msg(args.kind, 0, 0)).amount;
    let grant = request_fee.saturating_mul(u128::from(per_account)).saturating_mul(2).saturating_add(1_000);
    // The node's committed state can trail its mempool by a block: on a sequence refusal of
    // the first transfer, ask again.
    let mut sequence = rpc::abci_query(&first, "/account", &funder_address.0)?.get("sequence").and_then(Value::as_u64).unwrap_or(0);
    for _ in 0..4 {
        let Some(a) = accounts.first() else { break };
        let r = rpc::broadcast_tx_sync(&first, &sign(&funder, sequence, Msg::BankSend { to: a.address, amount: grant }))?;
        match r.get("code").and_then(Value::as_u64).unwrap_or(0) {
            0 => break,
            c if c == u64::from(tss_app::exec::code::BAD_SEQUENCE) => {}
            _ => anyhow::bail!("funding refused: {}", r.get("log").and_then(Value::as_str).unwrap_or_default()),
        }
        std::thread::sleep(Duration::from_millis(700));
        sequence = rpc::abci_query(&first, "/account", &funder_address.0)?.get("sequence").and_then(Value::as_u64).unwrap_or(sequence);
    }
    eprintln!("funding {} accounts with {grant}{} each from {}", accounts.len(), params.denom, funder_address.to_bech32(&params.address_prefix).unwrap_or_default());
    // The first transfer went above (at `sequence`); a resend of it is refused as a duplicate.
    for (sequence, a) in (sequence..).zip(&accounts).skip(1) {
        let tx = sign(&funder, sequence, Msg::BankSend { to: a.address, amount: grant });
        let r = rpc::broadcast_tx_sync(&first, &tx)?;
        if r.get("code").and_then(Value::as_u64).unwrap_or(0) != 0 {
            anyhow::bail!("funding refused: {}", r.get("log").and_then(Value::as_str).unwrap_or_default());
        }
    }
    let last = accounts.last().map(|a| a.address).ok_or_else(|| anyhow::anyhow!("no accounts"))?;
    wait_until(deadline, "the load accounts to be funded", || {
        let a = rpc::abci_query(&first, "/account", &last.0).ok()?;
        (a.get("balance").and_then(Value::as_str)? != "0").then_some(())
    })?;

    // Pre-sign every request, then send: one queue per node, each account's in order.
    let mut queues: Vec<Vec<Vec<Vec<u8>>>> = vec![Vec::new(); args.nodes.len()];
    let mut ours: HashMap<String, ()> = HashMap::new();
    let mut left = args.requests;
    for (i, a) in accounts.iter().enumerate() {
        let n = per_account.min(left);
        left -= n;
        let txs: Vec<Vec<u8>> = (0..n).map(|s| sign(&a.key, s, request_msg(args.kind, i, s))).collect();
        for tx in &txs {
            ours.insert(crate::cli::tx::tx_hash(tx), ());
        }
        if let Some(q) = queues.get_mut(i % args.nodes.len()) {
            q.push(txs);
        }
    }
    let start_height = rpc::latest_height(&first)?;
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent_at = Instant::now();
    let mut threads = Vec::new();
    for (node, queue) in args.nodes.iter().zip(queues) {
        let per_conn = queue.len().div_ceil(usize::try_from(args.connections).unwrap_or(1)).max(1);
        for chunk in queue.chunks(per_conn).map(<[Vec<Vec<u8>>]>::to_vec) {
            let (node, refused) = (node.clone(), refused.clone());
            threads.push(std::thread::spawn(move || {
                for tx in chunk.iter().flatten() {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let outcome = rpc::broadcast_tx_sync(&node, tx);
                    let log = match outcome {
                        Ok(r) if r.get("code").and_then(Value::as_u64).unwrap_or(0) == 0 => continue,
                        Ok(r) => r.get("log").and_then(Value::as_str).unwrap_or("refused").to_owned(),
                        Err(e) => e.to_string(),
                    };
                    if let Ok(mut r) = refused.lock() {
                        r.push(log);
                    }
                }
            }));
        }
    }
    for t in threads {
        let _ = t.join();
    }
    let send_seconds = sent_at.elapsed().as_secs_f64();
    let refused = refused.lock().map(|r| r.clone()).unwrap_or_default();
    eprintln!("sent {} requests in {send_seconds:.1} s ({} refused); reading blocks from {start_height}", args.requests, refused.len());

    // Read the blocks: inclusion (our transactions' request ids) and callbacks.
    let mut included: BTreeMap<u64, u64> = BTreeMap::new(); // request id -> height
    let mut answered: BTreeMap<u64, (u64, bool)> = BTreeMap::new(); // request id -> (height, ok)
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let expected = args.requests as usize - refused.len();
    let mut h = start_height;
    while Instant::now() < deadline && (included.len() < expected || answered.len() < included.len()) {
        if rpc::latest_height(&first)? <= h {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        h += 1;
        let Ok(rpc::BlockContents { txs, results, events }) = rpc::block_contents(&first, h) else {
            h -= 1;
            std::thread::sleep(Duration::from_millis(200));
            continue;
        };
        for (tx, result) in txs.iter().zip(&results) {
            if ours.contains_key(&crate::cli::tx::tx_hash(tx)) {
                for id in crate::cli::tx::request_ids(result.get("data").and_then(Value::as_str).unwrap_or_default()) {
                    included.insert(id, h);
                }
            }
        }
        for e in &events {
            if e.get("type").and_then(Value::as_str) != Some("tss.callback") {
                continue;
            }
            let Some(id) = rpc::attribute(e, "request").and_then(|v| v.parse::<u64>().ok()) else { continue };
            if included.contains_key(&id) {
                let ok = rpc::attribute(e, "outcome").is_some_and(|o| o == "signature" || o == "plaintext");
                if !ok && !answered.contains_key(&id) {
                    *failures.entry(rpc::attribute(e, "reason").unwrap_or("unknown").to_owned()).or_default() += 1;
                }
                answered.insert(id, (h, ok));
            }
        }
    }
    let mut out = report(args, &included, &answered, &refused, send_seconds, start_height, h);
    if let Some(o) = out.as_object_mut() {
        o.insert("failures".into(), json!(failures));
    }
    print(&out, args.output);
    Ok(())
}

fn request_msg(kind: LoadKind, account: usize, sequence: u64) -> Msg {
    match kind {
        LoadKind::Sign => Msg::Tss(Request::Sign { keyset: 0, message: format!("load {account}/{sequence}").into_bytes(), context: None }),
    }
}

fn wait_until(deadline: Instant, what: &str, mut f: impl FnMut() -> Option<()>) -> anyhow::Result<()> {
    while Instant::now() < deadline {
        if f().is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    anyhow::bail!("timed out waiting for {what}: raise --timeout, or check the chain is making blocks")
}

fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let i = (sorted.len() * p).div_ceil(100).saturating_sub(1).min(sorted.len() - 1);
    sorted.get(i).copied()
}

fn report(args: &LoadArgs, included: &BTreeMap<u64, u64>, answered: &BTreeMap<u64, (u64, bool)>, refused: &[String], send_seconds: f64, from: u64, to: u64) -> Value {
    let mut latency: Vec<u64> = answered.iter().filter_map(|(id, (h, _))| Some(h.saturating_sub(*included.get(id)?))).collect();
    latency.sort_unstable();
    let mut per_block: BTreeMap<u64, u64> = BTreeMap::new();
    for (h, ok) in answered.values() {
        if *ok {
            *per_block.entry(*h).or_default() += 1;
        }
    }
    let mut first_reasons: Vec<&String> = refused.iter().take(3).collect();
    first_reasons.dedup();
    json!({
        "requests": args.requests,
        "nodes": args.nodes.len(),
        "send_seconds": (send_seconds * 10.0).round() / 10.0,
        "refused": refused.len(),
        "refused_examples": first_reasons,
        "included": included.len(),
        "answered": answered.len(),
        "succeeded": answered.values().filter(|(_, ok)| *ok).count(),
        "blocks": { "from": from + 1, "to": to },
        "answers_per_block_max": per_block.values().max().copied().unwrap_or(0),
        "answers_per_block": per_block,
        "latency_blocks": { "median": percentile(&latency, 50), "p99": percentile(&latency, 99), "max": latency.last() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_latencies() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!((percentile(&v, 50), percentile(&v, 99), percentile(&[], 50)), (Some(50), Some(99), None));
        assert_eq!(percentile(&[3], 99), Some(3));
    }
}
