//! The one JSON vocabulary for the engine's output: what `mpcd devnet --json` prints, and what
//! the node's event attributes and `mpcd tx --wait` are to say.
//!
//! Every object has a `"type"`: the snake_case name of the event variant, or `"callback"`.
//! Bytes (addresses, keys, signatures, plaintexts) are lowercase hex strings, never arrays of
//! numbers; counts, ids and heights are JSON numbers; enums such as [`BlameReason`] are
//! snake_case strings. This is a presentation format only: the engine's serde derives stay as
//! they are, because postcard encodes state with them and the app hash depends on that.
//!
//! Both functions match every variant by name, so a new variant does not compile until it has a
//! JSON form here.

use crate::types::{BlameReason, Callback, Event, Membership, Outcome};
use serde_json::{json, Value};

/// An event as one JSON object: `{"type": "<snake_case variant>", ...fields}`.
///
/// For example `SessionCompleted` becomes
/// `{"type":"session_completed","session":3,"keyset":0,"generation":1,"epoch":2,"group_key":"<hex>","active_from":12,"blocks":3}`.
pub fn event_json(e: &Event) -> Value {
    match e {
        Event::SessionStarted { session, kind, keyset, generation } => {
            json!({ "type": "session_started", "session": session, "kind": kind, "keyset": keyset, "generation": generation })
        }
        Event::SessionCompleted { session, keyset, generation, epoch, group_key, active_from, blocks } => json!({
            "type": "session_completed", "session": session, "keyset": keyset, "generation": generation, "epoch": epoch,
            "group_key": hex(group_key), "active_from": active_from, "blocks": blocks,
        }),
        Event::SessionFailed { session, reason } => json!({ "type": "session_failed", "session": session, "reason": reason }),
        Event::Blame { validator, reason } => json!({ "type": "blame", "validator": hex(validator), "reason": blame_reason(*reason) }),
        Event::RequestAccepted { request } => json!({ "type": "request_accepted", "request": request }),
        Event::RequestFinished { request, ok, blocks } => json!({ "type": "request_finished", "request": request, "ok": ok, "blocks": blocks }),
        Event::ValidatorSetChanged { validators } => json!({ "type": "validator_set_changed", "validators": validators }),
        Event::HandoverFailed { attempts, dropped, reason } => json!({
            "type": "handover_failed", "attempts": attempts, "dropped": dropped.iter().map(membership_json).collect::<Vec<_>>(), "reason": reason,
        }),
        Event::RepairDelivered { session, validator, keyset, contributions } => json!({
            "type": "repair_delivered", "session": session, "validator": hex(validator), "keyset": keyset, "contributions": contributions,
        }),
        Event::TransportKeyRotated { validator, transport } => {
            json!({ "type": "transport_key_rotated", "validator": hex(validator), "transport": hex(transport) })
        }
        Event::GenerationRetired { keyset, generation } => json!({ "type": "generation_retired", "keyset": keyset, "generation": generation }),
        Event::RotationScheduled { reason } => json!({ "type": "rotation_scheduled", "reason": reason }),
        Event::KeysetFrozen { keyset, frozen } => json!({ "type": "keyset_frozen", "keyset": keyset, "frozen": frozen }),
        Event::ParamsChanged { ok, reason } => json!({ "type": "params_changed", "ok": ok, "reason": reason }),
    }
}

/// A callback as one JSON object:
/// `{"type":"callback","request":<id>,"requester":"<hex>","outcome":"<kind>", ...}`, with the
/// attribute names of the node's `tss.callback` event:
///
/// | `outcome`        | further fields                |
/// |------------------|-------------------------------|
/// | `signature`      | `signature`, `public_key`     |
/// | `plaintext`      | `plaintext`                   |
/// | `reencrypted`    | `u`, `v`                      |
/// | `keyset_ready`   | `keyset`, `public_key`        |
/// | `keyset_deleted` | `keyset`                      |
/// | `failed`         | `reason`                      |
pub fn callback_json(cb: &Callback) -> Value {
    let mut v = json!({ "type": "callback", "request": cb.request, "requester": hex(&cb.requester) });
    let fields = match &cb.outcome {
        Outcome::Signature { signature, public_key } => json!({ "outcome": "signature", "signature": hex(signature), "public_key": hex(public_key) }),
        Outcome::Plaintext(p) => json!({ "outcome": "plaintext", "plaintext": hex(p) }),
        Outcome::Reencrypted { u, v } => json!({ "outcome": "reencrypted", "u": hex(u), "v": hex(v) }),
        Outcome::KeysetReady { keyset, public_key } => json!({ "outcome": "keyset_ready", "keyset": keyset, "public_key": hex(public_key) }),
        Outcome::KeysetDeleted { keyset } => json!({ "outcome": "keyset_deleted", "keyset": keyset }),
        Outcome::Failed { reason } => json!({ "outcome": "failed", "reason": reason }),
    };
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), fields) {
        obj.extend(more);
    }
    v
}

/// A membership change: `{"type":"join","address","power","transport"}` or
/// `{"type":"leave","address"}`.
fn membership_json(m: &Membership) -> Value {
    match m {
        Membership::Join(v) => json!({ "type": "join", "address": hex(&v.address), "power": v.power, "transport": hex(&v.transport) }),
        Membership::Leave { address } => json!({ "type": "leave", "address": hex(address) }),
    }
}

fn blame_reason(r: BlameReason) -> &'static str {
    match r {
        BlameReason::MalformedExtension => "malformed_extension",
        BlameReason::InvalidDealing => "invalid_dealing",
        BlameReason::BadShare => "bad_share",
        BlameReason::FalseComplaint => "false_complaint",
        BlameReason::MissingDealing => "missing_dealing",
        BlameReason::InvalidSignatureShare => "invalid_signature_share",
        BlameReason::MissingSignatureShare => "missing_signature_share",
        BlameReason::InvalidDecryptionShare => "invalid_decryption_share",
        BlameReason::InvalidNonceCommitment => "invalid_nonce_commitment",
        BlameReason::WrongDecryptionClaim => "wrong_decryption_claim",
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::types::Validator;

    /// One of each event variant. The match in `variant_index` has no wildcard, so a new variant
    /// fails to compile there until it is added here too.
    fn every_event() -> Vec<Event> {
        let join = Membership::Join(Validator { address: vec![1, 2], power: 10, transport: [3; 32] });
        vec![
            Event::SessionStarted { session: 1, kind: "dkg".into(), keyset: 0, generation: 1 },
            Event::SessionCompleted { session: 3, keyset: 0, generation: 1, epoch: 2, group_key: [0xab; 32], active_from: 12, blocks: 3 },
            Event::SessionFailed { session: 2, reason: "too few dealings".into() },
            Event::Blame { validator: vec![0xde, 0xad], reason: BlameReason::MissingSignatureShare },
            Event::RequestAccepted { request: 7 },
            Event::RequestFinished { request: 7, ok: true, blocks: 2 },
            Event::ValidatorSetChanged { validators: 5 },
            Event::HandoverFailed { attempts: 3, dropped: vec![join, Membership::Leave { address: vec![9] }], reason: "timeout".into() },
            Event::RepairDelivered { session: 4, validator: vec![5], keyset: 0, contributions: 3 },
            Event::TransportKeyRotated { validator: vec![6], transport: [7; 32] },
            Event::GenerationRetired { keyset: 0, generation: 1 },
            Event::RotationScheduled { reason: "governance".into() },
            Event::KeysetFrozen { keyset: 2, frozen: true },
            Event::ParamsChanged { ok: false, reason: "params: epoch_length".into() },
        ]
    }

    const EVENT_VARIANTS: usize = 14;

    fn variant_index(e: &Event) -> usize {
        match e {
            Event::SessionStarted { .. } => 0,
            Event::SessionCompleted { .. } => 1,
            Event::SessionFailed { .. } => 2,
            Event::Blame { .. } => 3,
            Event::RequestAccepted { .. } => 4,
            Event::RequestFinished { .. } => 5,
            Event::ValidatorSetChanged { .. } => 6,
            Event::HandoverFailed { .. } => 7,
            Event::RepairDelivered { .. } => 8,
            Event::TransportKeyRotated { .. } => 9,
            Event::GenerationRetired { .. } => 10,
            Event::RotationScheduled { .. } => 11,
            Event::KeysetFrozen { .. } => 12,
            Event::ParamsChanged { .. } => 13,
        }
    }

    fn every_callback() -> Vec<Callback> {
        let cb = |outcome| Callback { requester: b"wallet".to_vec(), request: 9, outcome };
        vec![
            cb(Outcome::KeysetReady { keyset: 1, public_key: [1; 32] }),
            cb(Outcome::KeysetDeleted { keyset: 1 }),
            cb(Outcome::Signature { signature: vec![2; 64], public_key: [3; 32] }),
            cb(Outcome::Plaintext(b"bid".to_vec())),
            cb(Outcome::Reencrypted { u: [4; 32], v: [5; 32] }),
            cb(Outcome::Failed { reason: "timeout".into() }),
        ]
    }

    /// Where, if anywhere, `v` holds an array whose elements are all numbers (bytes that escaped
    /// the hex encoding).
    fn number_array(v: &Value, path: &str) -> Option<String> {
        match v {
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_number) => Some(path.to_owned()),
            Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| number_array(x, &format!("{path}[{i}]"))),
            Value::Object(map) => map.iter().find_map(|(k, x)| number_array(x, &format!("{path}.{k}"))),
            _ => None,
        }
    }

    #[test]
    fn every_event_variant_has_a_snake_case_type() {
        let events = every_event();
        let mut seen = [false; EVENT_VARIANTS];
        for e in &events {
            seen[variant_index(e)] = true;
            let v = event_json(e);
            let ty = v["type"].as_str().unwrap_or_else(|| panic!("no type in {v}"));
            assert!(!ty.is_empty() && ty.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{ty}");
        }
        assert!(seen.iter().all(|s| *s), "every_event misses a variant: {seen:?}");
    }

    #[test]
    fn every_callback_has_type_callback_and_an_outcome() {
        let outcomes: Vec<String> = every_callback().iter().map(|cb| {
            let v = callback_json(cb);
            assert_eq!(v["type"], "callback");
            assert_eq!(v["request"], 9);
            assert_eq!(v["requester"], hex(b"wallet"));
            v["outcome"].as_str().unwrap().to_owned()
        }).collect();
        assert_eq!(outcomes, ["keyset_ready", "keyset_deleted", "signature", "plaintext", "reencrypted", "failed"]);
    }

    #[test]
    fn json_never_holds_bytes_as_an_array_of_numbers() {
        assert!(number_array(&json!({ "a": [{ "b": [1, 2] }] }), "").is_some(), "the checker finds nested arrays");
        for v in every_event().iter().map(event_json).chain(every_callback().iter().map(callback_json)) {
            assert_eq!(number_array(&v, ""), None, "{v}");
        }
    }

    #[test]
    fn session_completed_gives_the_documented_object() {
        let e = Event::SessionCompleted { session: 3, keyset: 0, generation: 1, epoch: 2, group_key: [0xab; 32], active_from: 12, blocks: 3 };
        let want = json!({ "type": "session_completed", "session": 3, "keyset": 0, "generation": 1, "epoch": 2, "group_key": "ab".repeat(32), "active_from": 12, "blocks": 3 });
        assert_eq!(event_json(&e), want);
    }

    #[test]
    fn blame_and_handover_failure_encode_enums_and_memberships() {
        let blame = event_json(&Event::Blame { validator: vec![0xde, 0xad], reason: BlameReason::MissingSignatureShare });
        assert_eq!(blame, json!({ "type": "blame", "validator": "dead", "reason": "missing_signature_share" }));
        let failed = event_json(&every_event()[7]);
        assert_eq!(failed["dropped"][0], json!({ "type": "join", "address": "0102", "power": 10, "transport": "03".repeat(32) }));
        assert_eq!(failed["dropped"][1], json!({ "type": "leave", "address": "09" }));
    }

    #[test]
    fn signature_callback_uses_the_node_attribute_names() {
        let cb = Callback { requester: vec![0xaa], request: 4, outcome: Outcome::Signature { signature: vec![1, 2], public_key: [0; 32] } };
        let want = json!({ "type": "callback", "request": 4, "requester": "aa", "outcome": "signature", "signature": "0102", "public_key": "00".repeat(32) });
        assert_eq!(callback_json(&cb), want);
    }
}
