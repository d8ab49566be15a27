//! The embedded network behind `mpcd devnet`: it runs the whole lifecycle and says so.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use tss_sim::devnet::{run, DevnetOptions};

#[test]
fn devnet_runs_the_lifecycle_and_reports_each_step() {
    let mut out = Vec::new();
    run(&DevnetOptions { validators: 4, blocks: 40, seed: 1, json: false }, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for step in ["dkg started", "refresh started", "reshare started", "handover complete", "rotation scheduled (governance)", "signed:", "decrypted:"] {
        assert!(text.contains(step), "missing {step:?} in:\n{text}");
    }
    assert!(text.contains("0 failed requests, 0 blame events"), "{text}");
}

#[test]
fn devnet_json_lists_every_signature_with_message_and_key() {
    let mut out = Vec::new();
    run(&DevnetOptions { validators: 4, blocks: 30, seed: 2, json: true }, &mut out).unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let signatures: Vec<&serde_json::Value> = lines.iter().filter(|l| l["outcome"] == "signature").collect();
    assert!(!signatures.is_empty());
    for s in signatures {
        let key: [u8; 32] = hex_decode(s["public_key"].as_str().unwrap()).try_into().unwrap();
        let sig = ed25519_dalek::Signature::from_slice(&hex_decode(s["signature"].as_str().unwrap())).unwrap();
        ed25519_dalek::VerifyingKey::from_bytes(&key).unwrap().verify_strict(s["message"].as_str().unwrap().as_bytes(), &sig).unwrap();
    }
    assert!(lines.last().unwrap()["failures"] == 0);
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}
