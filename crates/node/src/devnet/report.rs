//! The devnet's reports: each one built once, as a text line and a JSON object, and printed in
//! one of the two forms. The JSON uses the engine's vocabulary ([`tss_engine::json`]: a
//! `"type"` on every object, bytes as hex) plus `"height"`.

use serde_json::Value;
#[cfg(test)]
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use tss_engine::json::{callback_json, event_json};
use tss_engine::types::{Callback, Event, Membership, Outcome, Request, RequestInput, NETWORK_KEYSET};

/// One report in both forms; `run` prints one of them.
pub struct Report {
    /// The text line.
    pub text: String,
    /// The JSON object.
    pub json: Value,
}

impl Report {
    /// A report in both forms.
    pub fn new(text: String, json: Value) -> Self {
        Self { text, json }
    }

    /// Adds a field to the JSON form.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        insert(&mut self.json, key, value);
        self
    }
}

/// Prints reports in one form.
pub struct Printer<'a> {
    /// Where lines go.
    pub sink: &'a mut dyn std::io::Write,
    /// JSON lines instead of text.
    pub json: bool,
}

impl Printer<'_> {
    /// Prints a report, at a height (prefix of the text, `"height"` of the JSON) if given.
    pub fn print(&mut self, height: Option<u64>, report: Report) {
        // A closed stdout (`mpcd devnet | head`) is not an error of the devnet.
        let _ = match (self.json, height) {
            (true, Some(h)) => writeln!(self.sink, "{}", report.with("height", h).json),
            (true, None) => writeln!(self.sink, "{}", report.json),
            (false, Some(h)) => writeln!(self.sink, "[height {h:>4}] {}", report.text),
            (false, None) => writeln!(self.sink, "{}", report.text),
        };
    }
}

/// What the devnet delivered.
#[derive(Default)]
pub struct Counts {
    /// Signatures delivered.
    pub signatures: u64,
    /// Decryptions delivered.
    pub decryptions: u64,
    /// Requests that failed.
    pub failures: u64,
    /// Blame events.
    pub blame: u64,
}

/// What the devnet remembers to say what it shows.
#[derive(Default)]
pub struct Book {
    /// Every request by the id the engine gave it.
    pub requests: BTreeMap<u64, RequestInput>,
    /// The network key's generations seen completed (the first is its creation, later ones
    /// rotations).
    network_generations: BTreeSet<u32>,
    /// The last key each (requester, context) was signed under, to notice when it changes.
    derived_keys: BTreeMap<(Vec<u8>, Vec<u8>), [u8; 32]>,
    /// The validator set as of the last change.
    pub validators: BTreeSet<Vec<u8>>,
    /// Names of known accounts and validators, for text lines.
    pub names: BTreeMap<Vec<u8>, String>,
    /// What was delivered.
    pub counts: Counts,
}

impl Book {
    /// An engine event; `now` is the engine's validator set after the block.
    pub fn event(&mut self, e: &Event, now: &BTreeSet<Vec<u8>>) -> Report {
        let j = event_json(e);
        match e {
            Event::SessionStarted { session, kind, keyset, generation } => {
                Report::new(format!("{kind} started (session {session}, {}, generation {generation})", keyset_name(*keyset)), j)
            }
            Event::SessionCompleted { session, keyset, generation, epoch, group_key, active_from, blocks } => {
                let done = format!("session {session} completed in {blocks} blocks");
                if *keyset != NETWORK_KEYSET {
                    let text = format!("{done}: epoch {epoch} of keyset {keyset} generation {generation}, key {}.., active from height {active_from}", short(group_key));
                    return Report::new(text, j).with("key", "keyset");
                }
                let first = self.network_generations.is_empty();
                let text = if !self.network_generations.insert(*generation) {
                    format!("{done}: epoch {epoch} of network key {}.. (same key, new shares), active from height {active_from}", short(group_key))
                } else if first {
                    format!("{done}: network key {}.. created (generation {generation}, epoch {epoch}), active from height {active_from}", short(group_key))
                } else {
                    format!("{done}: network key rotated to {}.. (generation {generation}, epoch {epoch}), active from height {active_from}; every key derived from it changes", short(group_key))
                };
                Report::new(text, j).with("key", "network")
            }
            Event::SessionFailed { session, reason } => Report::new(format!("session {session} failed: {reason}"), j),
            Event::Blame { validator, .. } => {
                self.counts.blame += 1;
                let reason = j.get("reason").and_then(Value::as_str).unwrap_or_default().to_owned();
                Report::new(format!("blame: validator {} ({reason})", self.who(validator)), j)
            }
            Event::RequestAccepted { request } => match self.requests.get(request) {
                Some(input) => {
                    let (asks, what) = match &input.request {
                        Request::Sign { .. } => ("sign", "a signature"),
                        Request::Decrypt { .. } => ("decrypt", "a decryption"),
                        Request::CreateKeyset { .. } => ("create_keyset", "a new keyset"),
                        Request::DeleteKeyset { .. } => ("delete_keyset", "a keyset deleted"),
                    };
                    let text = format!("request {request} accepted: {} asks for {what}", self.name(&input.requester));
                    Report::new(text, j).with("requester", hex(&input.requester)).with("asks", asks)
                }
                None => Report::new(format!("request {request} accepted"), j),
            },
            Event::RequestFinished { request, ok, blocks } => {
                Report::new(format!("request {request} finished after {blocks} blocks ({})", if *ok { "ok" } else { "failed" }), j)
            }
            Event::ValidatorSetChanged { validators } => {
                let joined: Vec<&Vec<u8>> = now.difference(&self.validators).collect();
                let left: Vec<&Vec<u8>> = self.validators.difference(now).collect();
                let mut changes: Vec<String> = joined.iter().map(|a| format!("validator {} joined", self.who(a))).collect();
                changes.extend(left.iter().map(|a| format!("validator {} left", self.who(a))));
                let text = format!("handover complete: {}; validator set is now {validators}", if changes.is_empty() { "no member changed".to_owned() } else { changes.join(", ") });
                let report = Report::new(text, j).with("joined", joined.iter().map(|a| hex(a)).collect::<Vec<_>>()).with("left", left.iter().map(|a| hex(a)).collect::<Vec<_>>());
                self.validators = now.clone();
                report
            }
            Event::HandoverFailed { attempts, dropped, reason } => {
                let dropped: Vec<String> = dropped.iter().map(|m| match m {
                    Membership::Join(v) => format!("join of {}", self.who(&v.address)),
                    Membership::Leave { address } => format!("leave of {}", self.who(address)),
                }).collect();
                Report::new(format!("handover abandoned after {attempts} reshares ({reason}); validator set unchanged, dropped: {}", dropped.join(", ")), j)
            }
            Event::RepairDelivered { session, validator, keyset, contributions } => {
                Report::new(format!("repair session {session} delivered {contributions} blinded shares to validator {} ({})", self.who(validator), keyset_name(*keyset)), j)
            }
            Event::TransportKeyRotated { validator, transport } => {
                Report::new(format!("validator {} rotated its transport key to {}..", self.who(validator), short(transport)), j)
            }
            Event::GenerationRetired { keyset, generation } => {
                Report::new(format!("{} generation {generation} retired; its shares are erased", keyset_name(*keyset)), j)
            }
            Event::RotationScheduled { reason } => Report::new(format!("rotation scheduled ({reason})"), j),
            Event::KeysetFrozen { keyset, frozen } => Report::new(format!("{} {}", keyset_name(*keyset), if *frozen { "frozen by governance" } else { "unfrozen by governance" }), j),
            Event::ParamsChanged { ok: true, .. } => Report::new("engine parameters changed by governance".to_owned(), j),
            Event::ParamsChanged { ok: false, reason } => Report::new(format!("governance's parameter change refused: {reason}"), j),
        }
    }

    /// A callback; `blocks` is its request's latency when the same block finished it.
    pub fn callback(&mut self, cb: &Callback, blocks: Option<u64>) -> Report {
        let id = cb.request;
        let took = blocks.map(|b| format!(" in {b} blocks")).unwrap_or_default();
        let j = callback_json(cb);
        let report = match &cb.outcome {
            Outcome::Signature { signature, public_key } => {
                self.counts.signatures += 1;
                self.signature(cb, id, &took, signature, public_key, j)
            }
            Outcome::Plaintext(p) => {
                self.counts.decryptions += 1;
                let text = String::from_utf8_lossy(p).into_owned();
                Report::new(format!("request {id} decrypted: {text:?}{took}"), j).with("plaintext_text", text)
            }
            Outcome::Reencrypted { u, v } => {
                self.counts.decryptions += 1;
                Report::new(format!("request {id} decrypted{took}: re-encrypted to {}, U {}.., V {}..", self.name(&cb.requester), short(u), short(v)), j)
            }
            Outcome::KeysetReady { keyset, public_key } => Report::new(format!("request {id}: keyset {keyset} ready{took}, key {}..", short(public_key)), j),
            Outcome::KeysetDeleted { keyset } => Report::new(format!("request {id}: keyset {keyset} deleted{took}"), j),
            Outcome::Failed { reason } => {
                self.counts.failures += 1;
                Report::new(format!("request {id} failed{took}: {reason}"), j)
            }
        };
        match blocks {
            Some(b) => report.with("blocks", b),
            None => report,
        }
    }

    /// A signature, with the message and which key signed it.
    fn signature(&mut self, cb: &Callback, id: u64, took: &str, signature: &[u8], public_key: &[u8; 32], mut j: Value) -> Report {
        let Some(Request::Sign { keyset, message, context }) = self.requests.get(&id).map(|r| &r.request) else {
            return Report::new(format!("request {id} signed{took}: signature {}.. under {}..", short(signature), short(public_key)), j);
        };
        let message = String::from_utf8_lossy(message).into_owned();
        let context_bytes = context.clone().unwrap_or_default();
        let context_text = String::from_utf8_lossy(&context_bytes).into_owned();
        let head = format!("request {id} signed: {message:?}{took}, signature {}..", short(signature));
        insert(&mut j, "message", message);
        if *keyset != NETWORK_KEYSET {
            let report = Report::new(format!("{head} under keyset {keyset}'s key {}..", short(public_key)), j).with("key", "keyset").with("keyset", *keyset);
            return match context {
                Some(_) => report.with("context", context_text),
                None => report,
            };
        }
        // On the network key every requester signs under its own derived key.
        let note = match self.derived_keys.insert((cb.requester.clone(), context_bytes), *public_key) {
            None => format!(" (network key + context {context_text}; it changes when the network key rotates)"),
            Some(old) if old != *public_key => " (a new derived key: the network key rotated)".to_owned(),
            Some(_) => String::new(),
        };
        let text = format!("{head} under {}'s derived key {}..{note}", self.name(&cb.requester), short(public_key));
        Report::new(text, j).with("key", "derived").with("derived_from", "network").with("context", context_text)
    }
}

fn insert(json: &mut Value, key: &str, value: impl Into<Value>) {
    if let Some(obj) = json.as_object_mut() {
        obj.insert(key.to_owned(), value.into());
    }
}

fn keyset_name(keyset: u64) -> String {
    if keyset == NETWORK_KEYSET {
        "keyset 0, the network key".to_owned()
    } else {
        format!("keyset {keyset}")
    }
}

/// Bytes in hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The first 8 bytes in hex, for text lines.
pub fn short(b: &[u8]) -> String {
    hex(b.get(..8).unwrap_or(b))
}

impl Book {
    /// An address in hex, with its name when the devnet knows it.
    pub fn who(&self, address: &[u8]) -> String {
        match self.names.get(address) {
            Some(n) => format!("{} ({n})", hex(address)),
            None => hex(address),
        }
    }

    /// A requester's name for text lines, else its hex.
    fn name(&self, requester: &[u8]) -> String {
        self.names.get(requester).cloned().unwrap_or_else(|| hex(requester))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tss_engine::types::BlameReason;

    /// The golden devnet run has no faults, so blame and failures are checked here: both forms
    /// name the validator (hex, and its name when known) or request and the reason, and both are
    /// counted.
    #[test]
    fn blame_and_failed_requests_get_a_line_in_both_forms() {
        let mut book = Book::default();
        book.names.insert(b"v2".to_vec(), "validator-2".into());
        let blame = book.event(&Event::Blame { validator: b"v2".to_vec(), reason: BlameReason::MissingSignatureShare }, &BTreeSet::new());
        assert_eq!(blame.text, format!("blame: validator {} (validator-2) (missing_signature_share)", hex(b"v2")));
        assert_eq!(blame.json, json!({ "type": "blame", "validator": hex(b"v2"), "reason": "missing_signature_share" }));
        let failed = book.callback(&Callback { requester: b"auction".to_vec(), request: 7, outcome: Outcome::Failed { reason: "timed out".into() } }, Some(5));
        assert_eq!(failed.text, "request 7 failed in 5 blocks: timed out");
        assert_eq!(failed.json, json!({ "type": "callback", "request": 7, "requester": hex(b"auction"), "outcome": "failed", "reason": "timed out", "blocks": 5 }));
        assert_eq!((book.counts.blame, book.counts.failures), (1, 1));
    }
}
