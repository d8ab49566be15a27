//! `mpcd devnet`: real node applications driven in CometBFT's order run the whole lifecycle
//! (a DKG, refreshes, a join by transaction, a governance rotation, signatures and decryptions)
//! and say so; `--json` is one vocabulary (a "type" on every line, bytes as hex, never arrays of
//! numbers), the same reports as the text output line for line, with a committed schema; one
//! seed gives one run.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use mpcd::devnet::{run, DevnetOptions, BLOCKS_RANGE, VALIDATORS_RANGE};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/devnet-schema.txt");

fn devnet(json: bool) -> String {
    let mut out = Vec::new();
    run(&DevnetOptions { validators: 4, blocks: 40, seed: 1, json }, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The devnet of 4 validators, 40 blocks, seed 1, run once per form for all tests.
fn json_lines() -> &'static [Value] {
    static LINES: OnceLock<Vec<Value>> = OnceLock::new();
    LINES.get_or_init(|| devnet(true).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect())
}

fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| devnet(false))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A line's schema: its type (callbacks with their outcome), then each key with its value's
/// kind, sorted: `callback/failed blocks:number height:number ...`.
fn schema(v: &Value) -> String {
    let obj = v.as_object().unwrap_or_else(|| panic!("not an object: {v}"));
    let mut name = obj["type"].as_str().unwrap_or_else(|| panic!("no type: {v}")).to_owned();
    if let Some(outcome) = obj.get("outcome").and_then(Value::as_str) {
        name = format!("{name}/{outcome}");
    }
    let mut fields: Vec<String> = obj.iter().filter(|(k, _)| *k != "type").map(|(k, x)| format!("{k}:{}", kind(x))).collect();
    fields.sort();
    format!("{name} {}", fields.join(" "))
}

fn number_array(v: &Value) -> bool {
    match v {
        Value::Array(items) => (!items.is_empty() && items.iter().all(Value::is_number)) || items.iter().any(number_array),
        Value::Object(map) => map.values().any(number_array),
        _ => false,
    }
}

/// The schema of every kind of line the devnet prints matches the committed file: a field
/// renamed, added or removed fails here. After an intended change, regenerate the file with
/// `UPDATE_GOLDEN=1 cargo test -p mpcd --test devnet` and review its diff.
#[test]
fn devnet_json_schema_matches_the_golden_file() {
    let schemas: BTreeSet<String> = json_lines().iter().map(schema).collect();
    let got: String = schemas.iter().map(|s| format!("{s}\n")).collect();
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(std::path::Path::new(GOLDEN).parent().unwrap()).unwrap();
        std::fs::write(GOLDEN, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(GOLDEN).unwrap_or_else(|e| panic!("{GOLDEN}: {e} (UPDATE_GOLDEN=1 writes it)"));
    assert!(got == want, "the devnet's JSON schema changed (UPDATE_GOLDEN=1 rewrites {GOLDEN}):\n--- want\n{want}--- got\n{got}");
}

#[test]
fn devnet_json_has_hex_bytes_every_kind_of_report_and_a_summary_that_counts_them() {
    let lines = json_lines();
    for l in lines {
        assert!(!number_array(l), "bytes as an array of numbers: {l}");
        assert!(l["type"].is_string(), "{l}");
    }
    assert_eq!(lines.first().unwrap()["type"], "devnet");
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    let body = &lines[1..lines.len() - 1];
    for l in body {
        assert!(l["height"].is_u64(), "no height: {l}");
    }
    let of_type = |t: &str| body.iter().filter(|l| l["type"] == t).collect::<Vec<_>>();
    let callbacks = |o: &str| body.iter().filter(|l| l["type"] == "callback" && l["outcome"] == o).count() as u64;
    assert!(callbacks("signature") > 0 && callbacks("plaintext") > 0);
    assert_eq!(summary["signatures"], callbacks("signature"));
    assert_eq!(summary["decryptions"], callbacks("plaintext") + callbacks("reencrypted"));
    assert_eq!(summary["failures"], callbacks("failed"));
    assert_eq!(summary["blame_events"], of_type("blame").len() as u64);
    assert_eq!(summary["height"], 40);

    // The join the devnet scheduled is the validator the handover added.
    let join = of_type("join_scheduled");
    assert_eq!(join.len(), 1);
    let changed = of_type("validator_set_changed");
    assert!(changed.iter().any(|c| c["joined"].as_array().unwrap().contains(&join[0]["validator"])), "{changed:?}");
    assert_eq!(summary["validators"], 5);

    // The rotation governance voted for happened when the proposal said: a second generation
    // (generations count from 0) of the network key, now current.
    let rotation = of_type("rotation_proposed");
    assert_eq!(rotation.len(), 1);
    let ended = of_type("proposal_ended");
    assert_eq!((ended.len(), &ended[0]["proposal"], &ended[0]["status"]), (1, &rotation[0]["proposal"], &"passed".into()), "{ended:?}");
    assert_eq!(of_type("rotation_scheduled")[0]["height"], rotation[0]["at"]);
    // The join came from the full node's create-validator, at the height announced.
    let handover = changed.iter().find(|c| c["joined"].as_array().unwrap().contains(&join[0]["validator"])).unwrap();
    assert!(handover["height"].as_u64().unwrap() >= join[0]["at"].as_u64().unwrap(), "{handover}");
    assert!(of_type("session_started").iter().any(|s| s["kind"] == "reshare" && s["height"] == join[0]["at"]), "no reshare at the join's height");
    assert!(of_type("tx_failed").is_empty());
    // Every session started is accounted for: completed, or failed with a reason (a refresh the
    // join's reshare superseded says so), unless it started in the last blocks.
    for started in of_type("session_started") {
        let n = &started["session"];
        let ended = body.iter().any(|l| (l["type"] == "session_completed" || l["type"] == "session_failed") && l["session"] == *n);
        assert!(ended || started["height"].as_u64().unwrap() + 4 > 40, "session {n} started and never ended: {started}");
    }
    let rotated = of_type("session_completed").into_iter().find(|s| s["key"] == "network" && s["generation"] == 1).unwrap();
    assert_eq!(summary["network_key"], rotated["group_key"]);
    assert_eq!(summary["network_key_generation"], 1);

    // Signatures say which key signed; decryptions carry readable plaintext beside the hex.
    for s in body.iter().filter(|l| l["outcome"] == "signature") {
        assert_eq!((&s["key"], &s["derived_from"], &s["context"]), (&"derived".into(), &"network".into(), &"solana/0".into()), "{s}");
    }
    for p in body.iter().filter(|l| l["outcome"] == "plaintext") {
        let text = p["plaintext_text"].as_str().unwrap();
        assert_eq!(p["plaintext"].as_str().unwrap(), text.bytes().map(|b| format!("{b:02x}")).collect::<String>());
    }
}

/// Line i of the text is object i of the JSON (blank lines aside), and the two say the same
/// height, request, validator and outcome.
#[test]
fn devnet_text_and_json_report_the_same_things_line_for_line() {
    let text: Vec<&str> = text().lines().filter(|l| !l.is_empty()).collect();
    let json = json_lines();
    assert_eq!(text.len(), json.len(), "text:\n{}\njson:\n{json:?}", text.join("\n"));
    assert!(text[0].starts_with("devnet: 4 validators"));
    assert!(text[text.len() - 1].starts_with("summary: 40 blocks"));
    for (t, j) in text.iter().zip(json) {
        if let Some(h) = j["height"].as_u64().filter(|_| j["type"] != "summary") {
            assert!(t.starts_with(&format!("[height {h:>4}] ")), "{t} / {j}");
        }
        if let Some(r) = j["request"].as_u64() {
            assert!(t.contains(&format!("request {r} ")) || t.contains(&format!("request {r}:")), "{t} / {j}");
        }
        for field in ["validator", "reason", "kind", "message", "plaintext_text"] {
            if let Some(s) = j[field].as_str() {
                assert!(t.contains(s), "{field} {s:?} missing from the text line {t:?}");
            }
        }
        for addr in j["joined"].as_array().into_iter().flatten().chain(j["left"].as_array().into_iter().flatten()) {
            assert!(t.contains(addr.as_str().unwrap()), "{t} / {j}");
        }
        let checks: &[(&str, &str)] = &[
            ("blame", "blame"),
            ("join_scheduled", "will join"),
            ("rotation_proposed", "rotate the network key"),
            ("proposal_ended", "governance proposal"),
            ("validator_set_changed", "handover complete"),
            ("request_accepted", "accepted"),
        ];
        for (ty, words) in checks {
            if j["type"] == *ty {
                assert!(t.contains(words), "{t} / {j}");
            }
        }
        let outcomes: &[(&str, &str)] = &[("signature", "signed"), ("plaintext", "decrypted"), ("reencrypted", "decrypted"), ("failed", "failed")];
        for (o, words) in outcomes {
            if j["outcome"] == *o {
                assert!(t.contains(words), "{t} / {j}");
            }
        }
    }
    // The first signature says whose derived key it is and that a rotation changes it.
    let first = text.iter().find(|l| l.contains(" signed: ")).unwrap();
    assert!(first.contains("under wallet's derived key") && first.contains("network key + context solana/0; it changes when the network key rotates"), "{first}");
    assert!(text.iter().any(|l| l.contains("network key ") && l.contains(" created")));
    assert!(text.iter().any(|l| l.contains("network key rotated to ")));
}

#[test]
fn devnet_refuses_out_of_range_flags_naming_the_range() {
    let err = |validators, blocks| run(&DevnetOptions { validators, blocks, seed: 1, json: true }, &mut Vec::new()).unwrap_err();
    for blocks in [0, 29, 1001] {
        let e = err(4, blocks);
        assert!(e.starts_with("--blocks must be between 30 and 1000"), "{e}");
    }
    for validators in [0, 65] {
        let e = err(validators, 40);
        assert!(e.starts_with("--validators must be between 1 and 64"), "{e}");
    }
    assert_eq!(BLOCKS_RANGE, 30..=1000);
    assert_eq!(VALIDATORS_RANGE, 1..=64);
}

#[test]
fn devnet_runs_the_lifecycle_and_reports_each_step() {
    for step in ["dkg started", "refresh started", "reshare started", "handover complete", "rotation scheduled (governance)", "signed:", "decrypted:", "every node agreed on the app hash"] {
        assert!(text().contains(step), "missing {step:?} in:\n{}", text());
    }
    assert!(text().contains("0 failed requests, 0 blame events"), "{}", text());
}

/// Every signature the devnet reports verifies under the key it names.
#[test]
fn devnet_signatures_verify_under_the_key_they_name() {
    let signatures: Vec<&Value> = json_lines().iter().filter(|l| l["outcome"] == "signature").collect();
    assert!(!signatures.is_empty());
    for s in signatures {
        let key: [u8; 32] = hex_decode(s["public_key"].as_str().unwrap()).try_into().unwrap();
        let sig = ed25519_dalek::Signature::from_slice(&hex_decode(s["signature"].as_str().unwrap())).unwrap();
        ed25519_dalek::VerifyingKey::from_bytes(&key).unwrap().verify_strict(s["message"].as_str().unwrap().as_bytes(), &sig).unwrap();
    }
}

/// The nodes draw their randomness from the seed: the same seed gives the same run, another
/// seed another network key.
#[test]
fn devnet_runs_are_reproducible_from_their_seed() {
    let run_with = |seed| {
        let mut out = Vec::new();
        run(&DevnetOptions { validators: 2, blocks: 30, seed, json: true }, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let (a, b, c) = (run_with(7), run_with(7), run_with(8));
    assert_eq!(a, b);
    let key = |s: &str| s.lines().last().map(|l| serde_json::from_str::<Value>(l).unwrap()["network_key"].clone()).unwrap();
    assert_ne!(key(&a), key(&c));
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}
