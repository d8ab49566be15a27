//! The whole key lifecycle for N validators in one process: DKG, encrypt, proactive refresh,
//! reshare to a changed committee (one validator leaves, two join), threshold signature,
//! threshold decryption of the ciphertext made before the refresh.
//!
//! ```text
//! cargo run --release -p tss-crypto --example lifecycle -- --validators 7 [--json] [--seed 42]
//! ```
//! Progress goes to stderr; with `--json` stdout carries one JSON object.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::time::Instant;
use tss_crypto::decrypt::{combine, decryption_share};
use tss_crypto::encrypt::{encrypt, EncryptionKey};
use tss_crypto::local::{Faults, LocalNetwork};
use tss_crypto::sign::{aggregate, preprocess, sign, signing_package};
use tss_crypto::{default_threshold, Identifier, PublicKeySet, SessionContext, SessionKind};

const USAGE: &str = "usage: lifecycle [--validators N (2..=200, default 7)] [--seed S] [--message TEXT] [--plaintext TEXT] [--json]";

struct Args {
    validators: usize,
    seed: Option<u64>,
    message: String,
    plaintext: String,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { validators: 7, seed: None, message: "hello from the validator set".into(), plaintext: "sealed bid: 42".into(), json: false };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match a.as_str() {
            "--validators" => args.validators = value("--validators")?.parse().map_err(|_| format!("--validators takes a number\n{USAGE}"))?,
            "--seed" => args.seed = Some(value("--seed")?.parse().map_err(|_| format!("--seed takes a number\n{USAGE}"))?),
            "--message" => args.message = value("--message")?,
            "--plaintext" => args.plaintext = value("--plaintext")?,
            "--json" => args.json = true,
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if !(2..=200).contains(&args.validators) {
        return Err(format!("--validators must be between 2 and 200\n{USAGE}"));
    }
    Ok(args)
}

fn step<T>(name: &str, f: impl FnOnce() -> Result<T, tss_crypto::Error>) -> Result<(T, u128), String> {
    let start = Instant::now();
    eprint!("{name:<58}");
    let out = f().map_err(|e| format!("{name} failed: {e}"))?;
    let ms = start.elapsed().as_millis();
    eprintln!(" done in {ms} ms");
    Ok((out, ms))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(args: Args) -> Result<(), String> {
    let seed = args.seed.unwrap_or_else(|| rand_core::OsRng.next_u64());
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let n = args.validators;
    let mut net = LocalNetwork::default();
    let mut all: Vec<Identifier> = (0..n + 2)
        .map(|i| net.add(format!("validator-{i}").as_bytes(), &mut rng))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let genesis: Vec<Identifier> = all.drain(..n).collect();
    let joiners = all;
    let t = default_threshold(n);
    let chain = "lifecycle-demo";
    let mut timings = Vec::new();

    let (dkg, ms) = step(&format!("DKG among {n} validators, threshold {t}"), || {
        let ctx = SessionContext::new(chain, [1; 32], SessionKind::Dkg, net.committee(&genesis, t)?)?;
        net.run(&ctx, &Faults::default(), &mut rng)
    })?;
    timings.push(("dkg", ms));
    let group_key = dkg.public.group_key();
    let key = EncryptionKey::new(&dkg.public, 0);
    let (ct, ms) = step("encrypt to the network key (generation 0)", || encrypt(&key, b"demo/sealed-bid", args.plaintext.as_bytes(), &mut rng))?;
    timings.push(("encrypt", ms));

    let (refreshed, ms) = step("proactive refresh (same key, new shares)", || {
        let ctx = SessionContext::new(chain, [2; 32], SessionKind::Refresh { previous: dkg.public.clone() }, net.committee(&genesis, t)?)?;
        net.run(&ctx, &Faults::default(), &mut rng)
    })?;
    timings.push(("refresh", ms));

    let leaver = genesis.first().copied().ok_or("no validators")?;
    let mut committee: Vec<Identifier> = genesis.iter().copied().filter(|id| *id != leaver).chain(joiners.iter().copied()).collect();
    committee.sort();
    let t2 = default_threshold(committee.len());
    let (reshared, ms) = step(&format!("reshare: 1 leaves, 2 join -> {} validators, threshold {t2}", committee.len()), || {
        let ctx = SessionContext::new(chain, [3; 32], SessionKind::Reshare { previous: refreshed.public.clone() }, net.committee(&committee, t2)?)?;
        net.run(&ctx, &Faults::default(), &mut rng)
    })?;
    timings.push(("reshare", ms));
    if let Some(p) = net.participants.get_mut(&leaver) {
        p.share = None;
    }
    let public: PublicKeySet = reshared.public;
    if public.group_key() != group_key {
        return Err("the group key changed across refresh and reshare".into());
    }

    // Signers: the last t2 members, so the joiners take part.
    let signers: Vec<Identifier> = committee.iter().rev().take(usize::from(t2)).copied().collect();
    let (signature, ms) = step(&format!("FROST signature by {t2} validators (joiners included)"), || {
        let shares: Vec<_> = signers.iter().filter_map(|id| net.participants.get(id).and_then(|p| p.share.clone())).collect();
        let mut nonces = Vec::new();
        let mut commitments = Vec::new();
        for s in &shares {
            for (nonce, commitment) in preprocess(s, 1, &mut rng)? {
                nonces.push(nonce);
                commitments.push(commitment);
            }
        }
        let package = signing_package(args.message.as_bytes(), &commitments)?;
        let sig_shares = shares.iter().zip(nonces).map(|(s, nonce)| sign(&package, nonce, s, &public)).collect::<Result<Vec<_>, _>>()?;
        aggregate(&package, &sig_shares, &public)
    })?;
    timings.push(("sign", ms));
    let verified = ed25519_dalek::VerifyingKey::from_bytes(&group_key)
        .and_then(|vk| vk.verify_strict(args.message.as_bytes(), &ed25519_dalek::Signature::from_bytes(&signature)))
        .is_ok();
    if !verified {
        return Err("the signature does not verify under the group key".into());
    }
    eprintln!("{:<58} ok", "signature verifies (ed25519-dalek verify_strict)");

    let (plaintext, ms) = step(&format!("threshold decryption by {t2} validators"), || {
        let shares = signers
            .iter()
            .filter_map(|id| net.participants.get(id).and_then(|p| p.share.as_ref()))
            .map(|s| decryption_share(&ct, &key, s, &public, &mut rng))
            .collect::<Result<Vec<_>, _>>()?;
        combine(&ct, &key, &public, &shares)
    })?;
    timings.push(("decrypt", ms));
    let plaintext = String::from_utf8_lossy(&plaintext).into_owned();

    if args.json {
        let out = serde_json::json!({
            "validators": n,
            "threshold": t,
            "committee_after_reshare": committee.len(),
            "threshold_after_reshare": t2,
            "seed": seed,
            "group_public_key": hex(&group_key),
            "network_public_key_x25519": hex(&public.group_key_x25519()),
            "message": hex(args.message.as_bytes()),
            "signature": hex(&signature),
            "signature_verified": verified,
            "plaintext": plaintext,
            "timings_ms": timings.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
        });
        println!("{out}");
    } else {
        println!("group public key (Ed25519):   {}", hex(&group_key));
        println!("network public key (X25519):  {}", hex(&public.group_key_x25519()));
        println!("message:                      {}", args.message);
        println!("signature:                    {}", hex(&signature));
        println!("decrypted plaintext:          {plaintext}");
    }
    Ok(())
}

fn main() {
    match parse_args().and_then(run) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("\nerror: {e}");
            std::process::exit(2);
        }
    }
}
