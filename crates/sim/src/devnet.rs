//! The embedded network behind `mpcd devnet` and `examples/devnet.rs`: N validators and one
//! full node in one process, with a little traffic (signatures, decryptions), an epoch refresh,
//! a join (key handover) and a governance rotation; one line per lifecycle step or one JSON
//! object per event.


macro_rules! w {
    ($out:expr, $($arg:tt)*) => {
        let _ = writeln!($out, $($arg)*);
    };
}


use rand_chacha::rand_core::SeedableRng;
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Event, Membership, Outcome, Request, RequestInput};
use tss_engine::Params;
use crate::{Network, SimConfig};


fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What to run.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// Validators (1 to 64).
    pub validators: usize,
    /// Blocks to run (30 to 1000).
    pub blocks: u64,
    /// Seed.
    pub seed: u64,
    /// One JSON object per event instead of text lines.
    pub json: bool,
}

/// Runs the devnet, writing progress to `out`.
pub fn run(opts: &DevnetOptions, sink: &mut dyn std::io::Write) -> Result<(), String> {
    let (n, blocks, seed, json) = (opts.validators, opts.blocks, opts.seed, opts.json);
    if !(1..=64).contains(&n) || !(30..=1000).contains(&blocks) {
        return Err("--validators must be 1..=64 and --blocks 30..=1000".into());
    }
    let params = Params { epoch_length: 16, retirement_delay: 8, ..Params::default() };
    let mut net = Network::new(SimConfig { params, full_nodes: 1, ..SimConfig::new(n, seed) });
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    if !json {
        w!(sink, "devnet: {n} validators and 1 full node in one process, {blocks} blocks, seed {seed}");
    }
    let (mut signatures, mut decryptions, mut failures) = (0, 0, 0);
    let mut scheduled = false;
    let mut submitted: std::collections::BTreeMap<u64, Vec<RequestInput>> = std::collections::BTreeMap::new();
    let mut messages: std::collections::BTreeMap<u64, Vec<u8>> = std::collections::BTreeMap::new();
    for _ in 0..blocks {
        let out = match net.step() {
            Ok(out) => out.clone(),
            Err(e) => return Err(format!("the network stopped: {e}")),
        };
        let h = net.height;
        // Remember each signature request's message by the id the engine gave it.
        for (id, input) in out.request_ids.iter().zip(submitted.remove(&h).unwrap_or_default()) {
            if let Request::Sign { message, .. } = input.request {
                messages.insert(*id, message);
            }
        }
        for e in &out.events {
            if json {
                w!(sink, "{}", event_json(h, e));
            } else if let Some(line) = describe(e) {
                w!(sink, "[height {h:>4}] {line}");
            }
        }
        for cb in &out.callbacks {
            match &cb.outcome {
                Outcome::Signature { signature, public_key } => {
                    signatures += 1;
                    if json {
                        let message = messages.get(&cb.request).map(|m| String::from_utf8_lossy(m).into_owned()).unwrap_or_default();
                        w!(sink, "{}", serde_json::json!({ "height": h, "callback": "signature", "request": cb.request, "message": message, "signature": hex(signature), "public_key": hex(public_key) }));
                    } else {
                        w!(sink, "[height {h:>4}] request {} signed: {}.. under {}..", cb.request, &hex(signature)[..16], &hex(public_key)[..16]);
                    }
                }
                Outcome::Plaintext(p) => {
                    decryptions += 1;
                    if !json {
                        w!(sink, "[height {h:>4}] request {} decrypted: {:?}", cb.request, String::from_utf8_lossy(p));
                    }
                }
                Outcome::Failed { reason } => {
                    failures += 1;
                    if !json {
                        w!(sink, "[height {h:>4}] request {} failed: {reason}", cb.request);
                    }
                }
                _ => {}
            }
        }
        // A little traffic once the network key exists.
        if let Some(key) = net.network_key() {
            let next = h + 1;
            if !scheduled {
                scheduled = true;
                let join = net.validator_entry(n);
                if let Some(join) = join {
                    net.at(next + 18).membership.push(Membership::Join(join));
                }
                net.at(next + 26).rotate = true;
            }
            if h % 5 == 0 {
                let sign = RequestInput { requester: b"wallet-contract".to_vec(), request: Request::Sign { keyset: 0, message: format!("transfer #{h}").into_bytes(), context: Some(b"solana/0".to_vec()) } };
                submitted.entry(next).or_default().push(sign.clone());
                net.at(next).requests.push(sign);
                let enc = tss_crypto::encrypt::EncryptionKey::from_bytes(key, net.state().keysets.get(&0).and_then(|k| k.current).unwrap_or(0));
                if let (Some(enc), Some(label)) = (enc, tss_crypto::encrypt::owned_label(b"auction", b"/bid")) {
                    if let Ok(ct) = tss_crypto::encrypt::encrypt(&enc, &label, format!("sealed bid {h}").as_bytes(), &mut rng) {
                        let decrypt = RequestInput { requester: b"auction".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: ct.to_bytes(), delivery: Delivery::Public } };
                        submitted.entry(next).or_default().push(decrypt.clone());
                        net.at(next).requests.push(decrypt);
                    }
                }
            }
        }
    }
    let blame = net.events().filter(|(_, e)| matches!(e, Event::Blame { .. })).count();
    if json {
        w!(sink, "{{\"summary\":{{\"height\":{},\"validators\":{},\"network_key\":\"{}\",\"signatures\":{signatures},\"decryptions\":{decryptions},\"failures\":{failures},\"blame_events\":{blame}}}}}", net.height, net.state().meta.validators.len(), net.network_key().map(|k| hex(&k)).unwrap_or_default());
    } else {
        w!(sink, "\nsummary: {} blocks, {} validators now, network key {}, {signatures} signatures, {decryptions} decryptions, {failures} failed requests, {blame} blame events; every node agreed on the state at every height",
            net.height, net.state().meta.validators.len(), net.network_key().map(|k| hex(&k)).unwrap_or_else(|| "none".into()));
    }
    Ok(())
}

fn describe(e: &Event) -> Option<String> {
    Some(match e {
        Event::SessionStarted { session, kind, keyset, generation } => format!("{kind} started (session {session}, keyset {keyset}, generation {generation})"),
        Event::SessionCompleted { session, epoch, group_key, blocks, active_from, .. } => {
            format!("session {session} completed in {blocks} blocks: epoch {epoch} of key {}.., active from height {active_from}", &hex(group_key)[..16])
        }
        Event::SessionFailed { session, reason } => format!("session {session} failed: {reason}"),
        Event::Blame { validator, reason } => format!("blame {:?} on {}", reason, String::from_utf8_lossy(validator)),
        Event::ValidatorSetChanged { validators } => format!("handover complete: validator set is now {validators}"),
        Event::GenerationRetired { keyset, generation } => format!("keyset {keyset} generation {generation} retired; its shares are erased"),
        Event::RotationScheduled { reason } => format!("rotation scheduled ({reason})"),
        Event::HandoverFailed { attempts, dropped, reason } => {
            format!("handover abandoned after {attempts} reshares ({reason}); validator set unchanged, {} membership changes dropped", dropped.len())
        }
        _ => return None,
    })
}

fn event_json(h: u64, e: &Event) -> String {
    serde_json::json!({ "height": h, "event": e }).to_string()
}

