//! A governance rotation under load: blocks from the order (the block after the proposal
//! passes) to the new generation's key, and the signatures and decryptions completed per block
//! before, during and after it.
//!
//! ```text
//! cargo run --release -p tss-sim --example rotation_report -- [--validators 16] [--load 20]
//! ```
//! Every block gets `load` signature requests and `load` decryption requests (of ciphertexts for
//! the generation current when they were made). Output is Markdown, ready for BENCHMARKS.md.

use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, owned_label, EncryptionKey};
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Network, SimConfig};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), String> {
    let (n, load) = (arg("--validators", 16), arg("--load", 20));
    let params = Params { epoch_length: 1000, retirement_delay: 20, nonce_pool_target: 256, nonce_batch: 64, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(n, 5) });
    net.run_until(30, |n| n.network_key().is_some()).map_err(|e| e.to_string())?;
    net.run(6).map_err(|e| e.to_string())?;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let g0 = net.network_key().ok_or("no key")?;
    let order_at = net.height + 8;
    let mut rows = Vec::new();
    let mut new_key_at = None;
    for _ in 0..24 {
        let h = net.height + 1;
        if h == order_at {
            net.at(h).rotate = true;
        }
        let key = net.network_key().ok_or("no key")?;
        let generation = net.state().keysets.get(&0).and_then(|k| k.current).unwrap_or(0);
        let enc = EncryptionKey::from_bytes(key, generation).ok_or("bad key")?;
        for i in 0..load {
            let inputs = net.at(h);
            inputs.requests.push(RequestInput { requester: format!("user-{i}").into_bytes(), request: Request::Sign { keyset: 0, message: format!("{h}/{i}").into_bytes(), context: None } });
            let owner = format!("user-{i}").into_bytes();
            let ct = encrypt(&enc, &owned_label(&owner, b"/r").ok_or("label")?, b"payload", &mut rng).map_err(|e| e.to_string())?;
            inputs.requests.push(RequestInput { requester: owner, request: Request::Decrypt { keyset: 0, ciphertext: ct.to_bytes(), delivery: Delivery::Public } });
        }
        net.step().map_err(|e| e.to_string())?;
        let out = &net.outputs.last().ok_or("no output")?.1;
        let signed = out.callbacks.iter().filter(|c| matches!(c.outcome, Outcome::Signature { .. })).count();
        let decrypted = out.callbacks.iter().filter(|c| matches!(c.outcome, Outcome::Plaintext(_))).count();
        let failed = out.callbacks.iter().filter(|c| matches!(c.outcome, Outcome::Failed { .. })).count();
        if new_key_at.is_none() && net.network_key() != Some(g0) {
            new_key_at = Some(h);
        }
        let phase = match (h < order_at, new_key_at) {
            (true, _) => "before",
            (false, None) => "during",
            (false, Some(_)) => "after",
        };
        rows.push((h, phase, signed, decrypted, failed));
    }
    let new_key_at = new_key_at.ok_or("the rotation did not complete")?;
    println!("n = {n}, {load} signature and {load} decryption requests per block; rotation ordered at height {order_at}, new generation's key in state at {new_key_at} ({} blocks; the proposal passed one block before the order)\n", new_key_at - order_at);
    println!("| height | phase | signatures | decryptions | failed |\n|---|---|---|---|---|");
    for (h, phase, s, d, f) in rows {
        println!("| {h} | {phase} | {s} | {d} | {f} |");
    }
    Ok(())
}
