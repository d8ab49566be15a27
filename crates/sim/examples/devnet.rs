//! A local network of validators in one process: the whole engine over simulated ABCI++ blocks.
//! Genesis DKG, signatures and decryptions served, an epoch refresh, a validator joining (key
//! handover), a rotation ordered by governance. One progress line per lifecycle step, a summary
//! at the end; `--json` prints one JSON object per event instead.
//!
//! ```text
//! cargo run --release -p tss-sim --example devnet -- --validators 4 --blocks 40 [--json]
//! ```

use rand_chacha::rand_core::SeedableRng;
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Event, Membership, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Network, SimConfig};

const USAGE: &str = "usage: devnet [--validators N (1..=64, default 4)] [--blocks B (30..=1000, default 40)] [--seed S] [--json]";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() {
    let mut n = 4usize;
    let mut blocks = 40u64;
    let mut seed = 1u64;
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| args.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| fail(&format!("{name} needs a number")));
        match a.as_str() {
            "--validators" => n = num("--validators") as usize,
            "--blocks" => blocks = num("--blocks"),
            "--seed" => seed = num("--seed"),
            "--json" => json = true,
            _ => fail(&format!("unknown argument {a}")),
        }
    }
    if !(1..=64).contains(&n) || !(30..=1000).contains(&blocks) {
        fail("--validators must be 1..=64 and --blocks 30..=1000");
    }
    let params = Params { epoch_length: 16, retirement_delay: 8, ..Params::default() };
    let mut net = Network::new(SimConfig { params, full_nodes: 1, ..SimConfig::new(n, seed) });
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    if !json {
        println!("devnet: {n} validators and 1 full node in one process, {blocks} blocks, seed {seed}");
    }
    let (mut signatures, mut decryptions, mut failures) = (0, 0, 0);
    let mut scheduled = false;
    for _ in 0..blocks {
        let out = match net.step() {
            Ok(out) => out.clone(),
            Err(e) => fail(&format!("the network stopped: {e}")),
        };
        let h = net.height;
        for e in &out.events {
            if json {
                println!("{}", event_json(h, e));
            } else if let Some(line) = describe(e) {
                println!("[height {h:>4}] {line}");
            }
        }
        for cb in &out.callbacks {
            match &cb.outcome {
                Outcome::Signature { signature, public_key } => {
                    signatures += 1;
                    if json {
                        println!("{{\"height\":{h},\"callback\":\"signature\",\"request\":{},\"signature\":\"{}\",\"public_key\":\"{}\"}}", cb.request, hex(signature), hex(public_key));
                    } else {
                        println!("[height {h:>4}] request {} signed: {}.. under {}..", cb.request, &hex(signature)[..16], &hex(public_key)[..16]);
                    }
                }
                Outcome::Plaintext(p) => {
                    decryptions += 1;
                    if !json {
                        println!("[height {h:>4}] request {} decrypted: {:?}", cb.request, String::from_utf8_lossy(p));
                    }
                }
                Outcome::Failed { reason } => {
                    failures += 1;
                    if !json {
                        println!("[height {h:>4}] request {} failed: {reason}", cb.request);
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
                net.at(next).requests.push(RequestInput { requester: b"wallet-contract".to_vec(), request: Request::Sign { keyset: 0, message: format!("transfer #{h}").into_bytes(), context: Some(b"solana/0".to_vec()) } });
                if let Some(enc) = tss_crypto::encrypt::EncryptionKey::from_bytes(key, net.state().keysets.get(&0).and_then(|k| k.current).unwrap_or(0)) {
                    if let Ok(ct) = tss_crypto::encrypt::encrypt(&enc, b"auction/bid", format!("sealed bid {h}").as_bytes(), &mut rng) {
                        net.at(next).requests.push(RequestInput { requester: b"auction".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: ct.to_bytes(), delivery: Delivery::Public } });
                    }
                }
            }
        }
    }
    let blame = net.events().filter(|(_, e)| matches!(e, Event::Blame { .. })).count();
    if json {
        println!("{{\"summary\":{{\"height\":{},\"validators\":{},\"network_key\":\"{}\",\"signatures\":{signatures},\"decryptions\":{decryptions},\"failures\":{failures},\"blame_events\":{blame}}}}}", net.height, net.state().meta.validators.len(), net.network_key().map(|k| hex(&k)).unwrap_or_default());
    } else {
        println!("\nsummary: {} blocks, {} validators now, network key {}, {signatures} signatures, {decryptions} decryptions, {failures} failed requests, {blame} blame events; every node agreed on the state at every height",
            net.height, net.state().meta.validators.len(), net.network_key().map(|k| hex(&k)).unwrap_or_else(|| "none".into()));
    }
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
        _ => return None,
    })
}

fn event_json(h: u64, e: &Event) -> String {
    serde_json::json!({ "height": h, "event": e }).to_string()
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}\n{USAGE}");
    std::process::exit(2)
}
