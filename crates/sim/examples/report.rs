//! Simulator report: blocks per operation, vote-extension bytes and engine wall time per block
//! for several committee sizes, and signing throughput under load.
//!
//! ```text
//! cargo run --release -p tss-sim --example report -- --validators 4,16,64 [--throughput 64:500:6]
//! ```
//! `--throughput N:R:B` runs N validators with R signature requests per block for B blocks and
//! reports completions per block in steady state; `--decrypt-throughput N:R:B` does the same
//! with public decryption requests. Output is Markdown, ready for BENCHMARKS.md.

use std::time::Duration;
use tss_engine::types::{Event, Membership, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Network, SimConfig};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn sign(requester: &[u8], msg: &[u8]) -> RequestInput {
    RequestInput { requester: requester.to_vec(), request: Request::Sign { keyset: 0, message: msg.to_vec(), context: None } }
}

fn callback_height(net: &Network, id: u64) -> Option<u64> {
    net.callbacks().find(|(_, c)| c.request == id).map(|(h, _)| h)
}

fn request_id(net: &Network, h: u64, i: usize) -> Option<u64> {
    net.outputs.iter().find(|(x, _)| *x == h).and_then(|(_, o)| o.request_ids.get(i).copied())
}

fn session_blocks(net: &Network, kind: &str) -> Option<u64> {
    let started: Vec<u64> = net.events().filter_map(|(_, e)| match e {
        Event::SessionStarted { session, kind: k, .. } if k == kind => Some(*session),
        _ => None,
    }).collect();
    net.events().find_map(|(_, e)| match e {
        Event::SessionCompleted { session, blocks, .. } if started.contains(session) => Some(*blocks),
        _ => None,
    })
}

fn latency(net: &mut Network, request: RequestInput, offline_signer: bool) -> Result<u64, String> {
    let h = net.height + 1;
    net.at(h).requests.push(request);
    net.step().map_err(|e| e.to_string())?;
    let id = request_id(net, h, 0).ok_or("no request id")?;
    if offline_signer {
        let signer = net.state().requests.get(&id).and_then(|r| r.attempt.as_ref()).and_then(|a| a.signers.keys().next().copied()).ok_or("no signer set")?;
        let node = net.nodes.iter().position(|n| tss_engine::EngineState::participant(&n.address) == Some(signer)).ok_or("signer not found")?;
        net.set_offline(node, h + 1, h + 3);
    }
    net.run_until(20, |n| callback_height(n, id).is_some()).map_err(|e| e.to_string())?;
    Ok(callback_height(net, id).ok_or("no callback")? - h)
}

fn report(n: usize) -> Result<String, String> {
    let params = Params { epoch_length: 24, ..Params::default() };
    let mut net = Network::new(SimConfig { params, full_nodes: 1, shared_state: true, ..SimConfig::new(n, n as u64) });
    eprintln!("n = {n}: genesis DKG");
    net.run_until(20, |x| x.network_key().is_some()).map_err(|e| e.to_string())?;
    let dkg = session_blocks(&net, "dkg").ok_or("dkg did not complete")?;
    net.run(2).map_err(|e| e.to_string())?;
    eprintln!("n = {n}: requests");
    let sign_latency = latency(&mut net, sign(b"a", b"m1"), false)?;
    let key = net.network_key().ok_or("no key")?;
    let enc = tss_crypto::encrypt::EncryptionKey::from_bytes(key, 0).ok_or("bad key")?;
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1);
    let ct = tss_crypto::encrypt::encrypt(&enc, &tss_crypto::encrypt::owned_label(b"b", b"/1").ok_or("label")?, b"x", &mut rng).map_err(|e| e.to_string())?;
    let decrypt = RequestInput { requester: b"b".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: tss_crypto::Encode::to_bytes(&ct), delivery: tss_engine::types::Delivery::Public } };
    let decrypt_latency = latency(&mut net, decrypt, false)?;
    let offline_latency = latency(&mut net, sign(b"a", b"m2"), true)?;
    eprintln!("n = {n}: waiting for the epoch refresh");
    net.run_until(40, |x| session_blocks(x, "refresh").is_some()).map_err(|e| e.to_string())?;
    let refresh = session_blocks(&net, "refresh").ok_or("refresh did not complete")?;
    eprintln!("n = {n}: a validator joins");
    let h = net.height + 1;
    let joiner = net.validator_entry(n).ok_or("no full node")?;
    net.at(h).membership.push(Membership::Join(joiner));
    net.run_until(30, |x| x.events().any(|(_, e)| matches!(e, Event::ValidatorSetChanged { .. }))).map_err(|e| e.to_string())?;
    let reshare = session_blocks(&net, "reshare").ok_or("reshare did not complete")?;
    let ext_max = net.max_extension_bytes.values().max().copied().unwrap_or(0);
    let ext_median = {
        let mut v: Vec<usize> = net.max_extension_bytes.values().copied().collect();
        v.sort();
        v.get(v.len() / 2).copied().unwrap_or(0)
    };
    let apply_median = median(net.apply_time.values().copied().collect());
    let apply_max = net.apply_time.values().max().copied().unwrap_or_default();
    let extend_median = median(net.extend_time.values().copied().collect());
    let extend_max = net.extend_time.values().max().copied().unwrap_or_default();
    Ok(format!(
        "| {n} | {dkg} | {refresh} | {reshare} | h+{sign_latency} | h+{decrypt_latency} | h+{offline_latency} | {ext_median} / {ext_max} | {} / {} | {} / {} |",
        ms(apply_median), ms(apply_max), ms(extend_median), ms(extend_max)
    ))
}

/// What the load is made of.
#[derive(Clone, Copy)]
enum Load {
    Signatures,
    Decryptions,
}

fn throughput(load: Load, n: usize, per_block: usize, blocks: u64) -> Result<String, String> {
    // Signers need pools as deep as the load; decryption needs no nonces (and big nonce batches
    // would take room that decryption shares could use).
    let params = match load {
        Load::Signatures => Params { nonce_pool_target: 4 * per_block, nonce_batch: 2 * per_block, epoch_length: 100_000, ..Params::default() },
        Load::Decryptions => Params { epoch_length: 100_000, ..Params::default() },
    };
    let mut net = Network::new(SimConfig { params, shared_state: true, ..SimConfig::new(n, 7) });
    eprintln!("throughput n = {n}: genesis and nonce pools");
    net.run_until(20, |x| x.network_key().is_some()).map_err(|e| e.to_string())?;
    net.run(4).map_err(|e| e.to_string())?;
    let start = net.height + 1;
    let key = net.network_key().ok_or("no key")?;
    let enc = tss_crypto::encrypt::EncryptionKey::from_bytes(key, 0).ok_or("bad key")?;
    let label = tss_crypto::encrypt::owned_label(b"load", b"/1").ok_or("label")?;
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(2);
    for b in 0..blocks {
        let h = start + b;
        for i in 0..per_block {
            let tag = [(b % 256) as u8, (i % 256) as u8, (i / 256) as u8];
            let request = match load {
                Load::Signatures => sign(b"load", &tag),
                Load::Decryptions => {
                    let ct = tss_crypto::encrypt::encrypt(&enc, &label, &tag, &mut rng).map_err(|e| e.to_string())?;
                    let request = Request::Decrypt { keyset: 0, ciphertext: tss_crypto::Encode::to_bytes(&ct), delivery: tss_engine::types::Delivery::Public };
                    RequestInput { requester: b"load".to_vec(), request }
                }
            };
            net.at(h).requests.push(request);
        }
    }
    let mut done_per_block = Vec::new();
    for _ in 0..blocks + 4 {
        let out = net.step().map_err(|e| e.to_string())?;
        let ok = out.events.iter().filter(|e| matches!(e, Event::RequestFinished { ok: true, .. })).count();
        let failed = out.events.iter().filter(|e| matches!(e, Event::RequestFinished { ok: false, .. })).count();
        eprintln!("  height {}: {ok} completed, {failed} failures", net.height);
        done_per_block.push((net.height, ok, failed));
    }
    // Steady state: from the first block that completes requests (h+2, or h+4 in claim rounds)
    // to the last block that still receives new ones.
    let first = done_per_block.iter().find(|(_, ok, _)| *ok > 0).map_or(start + 2, |(h, _, _)| *h);
    let steady: Vec<usize> = done_per_block.iter().filter(|(h, _, _)| *h >= first && *h < start + blocks).map(|(_, ok, _)| *ok).collect();
    let heights: Vec<u64> = (first..start + blocks).collect();
    let apply: Vec<Duration> = heights.iter().filter_map(|h| net.apply_time.get(h).copied()).collect();
    let extend: Vec<Duration> = heights.iter().filter_map(|h| net.extend_time.get(h).copied()).collect();
    let prepare: Vec<Duration> = heights.iter().filter_map(|h| net.prepare_time.get(h).copied()).collect();
    let ext: Vec<usize> = heights.iter().filter_map(|h| net.max_extension_bytes.get(h).copied()).collect();
    Ok(format!(
        "| {n} | {per_block} | {} | {} | {} | {} | {} |",
        steady.iter().min().copied().unwrap_or(0),
        ext.iter().max().copied().unwrap_or(0),
        ms(median(apply)),
        ms(median(extend)),
        ms(median(prepare)),
    ))
}

fn main() {
    let mut sizes = vec![4usize, 16];
    let mut load: Option<(Load, usize, usize, u64)> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--validators" => sizes = args.next().unwrap_or_default().split(',').filter_map(|s| s.parse().ok()).collect(),
            "--throughput" | "--decrypt-throughput" => {
                let kind = if a == "--throughput" { Load::Signatures } else { Load::Decryptions };
                let v: Vec<u64> = args.next().unwrap_or_default().split(':').filter_map(|s| s.parse().ok()).collect();
                if let [n, r, b] = v[..] {
                    load = Some((kind, n as usize, r as usize, b));
                }
            }
            _ => {
                eprintln!("usage: report [--validators 4,16,64] [--throughput | --decrypt-throughput N:REQUESTS_PER_BLOCK:BLOCKS]");
                std::process::exit(2);
            }
        }
    }
    println!("| n | DKG blocks | refresh blocks | reshare blocks | signature callback | decryption callback | signature, one chosen signer offline | extension bytes per validator, median / max | FinalizeBlock ms, median / max | ExtendVote ms, median / max |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        match report(n) {
            Ok(row) => println!("{row}"),
            Err(e) => println!("| {n} | failed: {e} |"),
        }
    }
    if let Some((kind, n, r, b)) = load {
        let what = match kind {
            Load::Signatures => "signatures",
            Load::Decryptions => "decryptions",
        };
        println!("\n| n | requests per block | {what} completed per block (steady state, min) | largest extension (bytes) | FinalizeBlock ms (median) | slowest ExtendVote ms (median) | PrepareProposal aggregation ms (median) |");
        println!("|---|---|---|---|---|---|---|");
        match throughput(kind, n, r, b) {
            Ok(row) => println!("{row}"),
            Err(e) => println!("| {n} | {r} | failed: {e} |"),
        }
    }
}
