//! The embedded network behind `mpcd devnet` and `examples/devnet.rs`: N validators and one
//! full node in one process, with a little traffic (signatures, decryptions), an epoch refresh,
//! a join (key handover) and a governance rotation.
//!
//! It prints either text lines or one JSON object per line, and both say the same things: each
//! report is built once, as a text line and a JSON object, and printed in one of the two forms.
//! The JSON uses the engine's vocabulary ([`tss_engine::json`]: a `"type"` on every object, bytes
//! as hex) plus `"height"`, and these devnet lines: `devnet` (first), `join_scheduled`,
//! `rotation_ordered` and `summary` (last). A request's `request_finished` event is folded into
//! its callback line (as `"blocks"`), since both are in the same block.
//!
//! Keys: keyset 0 is the network key. The devnet's signatures are made under the requester's
//! key derived from it (network key + requester + context), which changes whenever the network
//! key rotates: a client that pins a derived key must follow rotations.

use crate::{Network, SimConfig};
use rand_chacha::rand_core::SeedableRng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use tss_crypto::Encode;
use tss_engine::json::{callback_json, event_json};
use tss_engine::types::{Callback, Delivery, Event, Membership, Outcome, Request, RequestInput, NETWORK_KEYSET};
use tss_engine::Params;

/// Validators the devnet runs (all of them in this one process).
pub const VALIDATORS_RANGE: RangeInclusive<usize> = 1..=64;
/// Blocks the devnet runs: at least 30, which it needs to show its network key, a refresh and a
/// join (the governance rotation it orders at about height 31 completes at about 35; the default
/// of 40 shows it).
pub const BLOCKS_RANGE: RangeInclusive<u64> = 30..=1000;

/// Requesters and the derivation context of the devnet's traffic.
const SIGNER: &[u8] = b"wallet-contract";
const SIGN_CONTEXT: &[u8] = b"solana/0";
const BIDDER: &[u8] = b"auction";

/// What to run.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// Validators, 1 to 64 ([`VALIDATORS_RANGE`]).
    pub validators: usize,
    /// Blocks to run, 30 to 1000 ([`BLOCKS_RANGE`]): 30 show the network key, a refresh and a
    /// join; the rotation completes at about block 35.
    pub blocks: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// One JSON object per line instead of text lines (the same reports either way).
    pub json: bool,
}

/// One report in both forms; `run` prints one of them.
struct Report {
    text: String,
    json: Value,
}

impl Report {
    fn new(text: String, json: Value) -> Self {
        Self { text, json }
    }

    /// Adds a field to the JSON form.
    fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        insert(&mut self.json, key, value);
        self
    }
}

/// Runs the devnet, writing progress to `sink`.
pub fn run(opts: &DevnetOptions, sink: &mut dyn std::io::Write) -> Result<(), String> {
    let (n, blocks, seed) = (opts.validators, opts.blocks, opts.seed);
    if !VALIDATORS_RANGE.contains(&n) {
        return Err(format!("--validators must be between {} and {} (all of them run in this one process)", VALIDATORS_RANGE.start(), VALIDATORS_RANGE.end()));
    }
    if !BLOCKS_RANGE.contains(&blocks) {
        return Err(format!(
            "--blocks must be between {} and {} (the devnet needs {} blocks to show its network key, a refresh and a join; about 35 to see the rotation too)",
            BLOCKS_RANGE.start(),
            BLOCKS_RANGE.end(),
            BLOCKS_RANGE.start()
        ));
    }
    let params = Params { epoch_length: 16, retirement_delay: 8, ..Params::default() };
    let mut net = Network::new(SimConfig { params, full_nodes: 1, ..SimConfig::new(n, seed) });
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let mut out = Printer { sink, json: opts.json };
    out.print(
        None,
        Report::new(
            format!("devnet: {n} validators and 1 full node in one process, {blocks} blocks, seed {seed}"),
            json!({ "type": "devnet", "validators": n, "full_nodes": 1, "blocks": blocks, "seed": seed }),
        ),
    );
    let mut book = Book { validators: addresses(&net), ..Book::default() };
    let mut scheduled = false;
    let mut submitted: BTreeMap<u64, Vec<RequestInput>> = BTreeMap::new();
    for _ in 0..blocks {
        let output = net.step().map_err(|e| format!("the network stopped: {e}"))?.clone();
        let h = net.height;
        for (id, input) in output.request_ids.iter().zip(submitted.remove(&h).unwrap_or_default()) {
            book.requests.insert(*id, input);
        }
        // A request's `request_finished` goes on its callback's line (same block, same facts).
        let answered: BTreeSet<u64> = output.callbacks.iter().map(|cb| cb.request).collect();
        let finished: BTreeMap<u64, u64> = output.events.iter().filter_map(|e| match e {
            Event::RequestFinished { request, blocks, .. } if answered.contains(request) => Some((*request, *blocks)),
            _ => None,
        }).collect();
        for e in &output.events {
            if matches!(e, Event::RequestFinished { request, .. } if finished.contains_key(request)) {
                continue;
            }
            let report = book.event(e, &net);
            out.print(Some(h), report);
        }
        for cb in &output.callbacks {
            let report = book.callback(cb, finished.get(&cb.request).copied());
            out.print(Some(h), report);
        }
        // A little traffic once the network key exists; a join and a rotation scheduled once.
        if let Some(key) = net.network_key() {
            let next = h + 1;
            if !scheduled {
                scheduled = true;
                if let Some(join) = net.validator_entry(n) {
                    let at = next + 18;
                    out.print(
                        Some(h),
                        Report::new(
                            format!("the full node, validator {}, will join at height {at}: a reshare hands it a share of the same network key", who(&join.address)),
                            json!({ "type": "join_scheduled", "validator": hex(&join.address), "at": at }),
                        ),
                    );
                    net.at(at).membership.push(Membership::Join(join));
                }
                let at = next + 26;
                out.print(
                    Some(h),
                    Report::new(
                        format!("a governance rotation of the network key is ordered for height {at}: a new key, so every derived key changes too"),
                        json!({ "type": "rotation_ordered", "at": at }),
                    ),
                );
                net.at(at).rotate = true;
            }
            if h % 5 == 0 {
                let sign = RequestInput { requester: SIGNER.to_vec(), request: Request::Sign { keyset: NETWORK_KEYSET, message: format!("transfer #{h}").into_bytes(), context: Some(SIGN_CONTEXT.to_vec()) } };
                submitted.entry(next).or_default().push(sign.clone());
                net.at(next).requests.push(sign);
                let generation = net.state().keysets.get(&NETWORK_KEYSET).and_then(|k| k.current).unwrap_or(0);
                let enc = tss_crypto::encrypt::EncryptionKey::from_bytes(key, generation);
                if let (Some(enc), Some(label)) = (enc, tss_crypto::encrypt::owned_label(BIDDER, b"/bid")) {
                    if let Ok(ct) = tss_crypto::encrypt::encrypt(&enc, &label, format!("sealed bid {h}").as_bytes(), &mut rng) {
                        let decrypt = RequestInput { requester: BIDDER.to_vec(), request: Request::Decrypt { keyset: NETWORK_KEYSET, ciphertext: ct.to_bytes(), delivery: Delivery::Public } };
                        submitted.entry(next).or_default().push(decrypt.clone());
                        net.at(next).requests.push(decrypt);
                    }
                }
            }
        }
    }
    let key = net.network_key();
    let generation = net.state().keysets.get(&NETWORK_KEYSET).and_then(|k| k.current);
    let validators = net.state().meta.validators.len();
    let Counts { signatures, decryptions, failures, blame } = book.counts;
    out.print(
        None,
        Report::new(
            format!(
                "\nsummary: {} blocks, {validators} validators now, network key {} (generation {}), {signatures} signatures, {decryptions} decryptions, {failures} failed requests, {blame} blame events; every node agreed on the state at every height",
                net.height,
                key.map(|k| hex(&k)).unwrap_or_else(|| "none".into()),
                generation.map(|g| g.to_string()).unwrap_or_else(|| "none".into()),
            ),
            json!({
                "type": "summary", "height": net.height, "validators": validators, "network_key": key.map(|k| hex(&k)),
                "network_key_generation": generation, "signatures": signatures, "decryptions": decryptions, "failures": failures, "blame_events": blame,
            }),
        ),
    );
    Ok(())
}

/// Prints reports in one form.
struct Printer<'a> {
    sink: &'a mut dyn std::io::Write,
    json: bool,
}

impl Printer<'_> {
    /// Prints a report, at a height (prefix of the text, `"height"` of the JSON) if given.
    fn print(&mut self, height: Option<u64>, report: Report) {
        // A closed stdout (`mpcd devnet | head`) is not an error of the devnet.
        let _ = match (self.json, height) {
            (true, Some(h)) => writeln!(self.sink, "{}", report.with("height", h).json),
            (true, None) => writeln!(self.sink, "{}", report.json),
            (false, Some(h)) => writeln!(self.sink, "[height {h:>4}] {}", report.text),
            (false, None) => writeln!(self.sink, "{}", report.text),
        };
    }
}

#[derive(Default)]
struct Counts {
    signatures: u64,
    decryptions: u64,
    failures: u64,
    blame: u64,
}

/// What the devnet remembers to say what it shows.
#[derive(Default)]
struct Book {
    /// Every request by the id the engine gave it.
    requests: BTreeMap<u64, RequestInput>,
    /// The network key's generations seen completed (the first is its creation, later ones
    /// rotations).
    network_generations: BTreeSet<u32>,
    /// The last key each (requester, context) was signed under, to notice when it changes.
    derived_keys: BTreeMap<(Vec<u8>, Vec<u8>), [u8; 32]>,
    /// The validator set as of the last change.
    validators: BTreeSet<Vec<u8>>,
    counts: Counts,
}

impl Book {
    fn event(&mut self, e: &Event, net: &Network) -> Report {
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
                let reason = j["reason"].as_str().unwrap_or_default().to_owned();
                Report::new(format!("blame: validator {} ({reason})", who(validator)), j)
            }
            Event::RequestAccepted { request } => match self.requests.get(request) {
                Some(input) => {
                    let (asks, what) = match &input.request {
                        Request::Sign { .. } => ("sign", "a signature"),
                        Request::Decrypt { .. } => ("decrypt", "a decryption"),
                        Request::CreateKeyset { .. } => ("create_keyset", "a new keyset"),
                        Request::DeleteKeyset { .. } => ("delete_keyset", "a keyset deleted"),
                    };
                    let text = format!("request {request} accepted: {} asks for {what}", name(&input.requester));
                    Report::new(text, j).with("requester", hex(&input.requester)).with("asks", asks)
                }
                None => Report::new(format!("request {request} accepted"), j),
            },
            Event::RequestFinished { request, ok, blocks } => {
                Report::new(format!("request {request} finished after {blocks} blocks ({})", if *ok { "ok" } else { "failed" }), j)
            }
            Event::ValidatorSetChanged { validators } => {
                let now = addresses(net);
                let joined: Vec<&Vec<u8>> = now.difference(&self.validators).collect();
                let left: Vec<&Vec<u8>> = self.validators.difference(&now).collect();
                let mut changes: Vec<String> = joined.iter().map(|a| format!("validator {} joined", who(a))).collect();
                changes.extend(left.iter().map(|a| format!("validator {} left", who(a))));
                let text = format!("handover complete: {}; validator set is now {validators}", if changes.is_empty() { "no member changed".to_owned() } else { changes.join(", ") });
                let report = Report::new(text, j).with("joined", joined.iter().map(|a| hex(a)).collect::<Vec<_>>()).with("left", left.iter().map(|a| hex(a)).collect::<Vec<_>>());
                self.validators = now;
                report
            }
            Event::HandoverFailed { attempts, dropped, reason } => {
                let dropped: Vec<String> = dropped.iter().map(|m| match m {
                    Membership::Join(v) => format!("join of {}", who(&v.address)),
                    Membership::Leave { address } => format!("leave of {}", who(address)),
                }).collect();
                Report::new(format!("handover abandoned after {attempts} reshares ({reason}); validator set unchanged, dropped: {}", dropped.join(", ")), j)
            }
            Event::RepairDelivered { session, validator, keyset, contributions } => {
                Report::new(format!("repair session {session} delivered {contributions} blinded shares to validator {} ({})", who(validator), keyset_name(*keyset)), j)
            }
            Event::TransportKeyRotated { validator, transport } => {
                Report::new(format!("validator {} rotated its transport key to {}..", who(validator), short(transport)), j)
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
    fn callback(&mut self, cb: &Callback, blocks: Option<u64>) -> Report {
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
                Report::new(format!("request {id} decrypted{took}: re-encrypted to {}, U {}.., V {}..", name(&cb.requester), short(u), short(v)), j)
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
        let text = format!("{head} under {}'s derived key {}..{note}", name(&cb.requester), short(public_key));
        Report::new(text, j).with("key", "derived").with("derived_from", "network").with("context", context_text)
    }
}

fn insert(json: &mut Value, key: &str, value: impl Into<Value>) {
    if let Some(obj) = json.as_object_mut() {
        obj.insert(key.to_owned(), value.into());
    }
}

fn addresses(net: &Network) -> BTreeSet<Vec<u8>> {
    net.state().meta.validators.iter().map(|v| v.address.clone()).collect()
}

fn keyset_name(keyset: u64) -> String {
    if keyset == NETWORK_KEYSET {
        "keyset 0, the network key".to_owned()
    } else {
        format!("keyset {keyset}")
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The first 8 bytes in hex, for text lines.
fn short(b: &[u8]) -> String {
    hex(b.get(..8).unwrap_or(b))
}

/// An address in hex, with its text when it is printable (the devnet's are `validator-N`).
fn who(address: &[u8]) -> String {
    match std::str::from_utf8(address) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()) => format!("{} ({s})", hex(address)),
        _ => hex(address),
    }
}

/// A requester's name for text lines: its text when printable, else its hex.
fn name(requester: &[u8]) -> String {
    match std::str::from_utf8(requester) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic()) => s.to_owned(),
        _ => hex(requester),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tss_engine::types::BlameReason;

    /// The golden devnet run has no faults, so blame and failures are checked here: both forms
    /// name the validator (hex) or request and the reason, and both are counted.
    #[test]
    fn blame_and_failed_requests_get_a_line_in_both_forms() {
        let net = Network::new(SimConfig::new(1, 1));
        let mut book = Book::default();
        let blame = book.event(&Event::Blame { validator: b"validator-2".to_vec(), reason: BlameReason::MissingSignatureShare }, &net);
        assert_eq!(blame.text, format!("blame: validator {} (validator-2) (missing_signature_share)", hex(b"validator-2")));
        assert_eq!(blame.json, json!({ "type": "blame", "validator": hex(b"validator-2"), "reason": "missing_signature_share" }));
        let failed = book.callback(&Callback { requester: b"auction".to_vec(), request: 7, outcome: Outcome::Failed { reason: "timed out".into() } }, Some(5));
        assert_eq!(failed.text, "request 7 failed in 5 blocks: timed out");
        assert_eq!(failed.json, json!({ "type": "callback", "request": 7, "requester": hex(b"auction"), "outcome": "failed", "reason": "timed out", "blocks": 5 }));
        assert_eq!((book.counts.blame, book.counts.failures), (1, 1));
    }
}
