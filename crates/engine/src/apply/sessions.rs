//! Sessions: dealings and complaints as they arrive, then finalization or failure.
//!
//! Timeline of a session started in block `h` with no faults: dealings in the extensions of
//! `h+1` (block `h+2`); each recipient checks its shares against the dealings of the block it
//! votes on and acknowledges them or complains in the extension of that same height (block
//! `h+3`); once every validator among the recipients has acknowledged or complained about every
//! dealing the session finalizes (block `h+3`) and its key is active from `h+4`.
//!
//! Complaints are accepted while the session collects, and a session whose recipients are not
//! all done waits for them until its *complaint close*: the later of the dealing deadline and
//! `w` blocks after the last dealing arrived, with `w = max(complaint_window, f+1)` and
//! `f = floor((n-1)/3)`. A byzantine proposer can drop a victim's extension from its own block
//! only; the victim sends its complaint again at every height, and among `f+1` consecutive
//! proposers one is honest, so a complaint cannot be censored out of a session.

use super::Apply;
use crate::context::{id_of, identifier, key_of};
use crate::state::{EpochKey, Generation, Session, SessionKind, SessionStatus};
use crate::types::{BlameReason, Callback, Event, Outcome, ParticipantKey};
use std::collections::{BTreeMap, BTreeSet};
use tss_crypto::complaint::{judge, Complaint, Verdict};
use tss_crypto::dealing::{verify_dealings, Dealing};
use tss_crypto::finalize::{finalize_public, qualify};
use tss_crypto::Encode;

impl Apply<'_> {
    /// Records publicly valid dealings (first per dealer), disqualifies and blames invalid ones.
    pub(super) fn apply_dealings(&mut self, dealings: BTreeMap<u64, Vec<(ParticipantKey, Vec<u8>)>>) {
        for (number, items) in dealings {
            let Some(session) = self.state.sessions.get(&number) else { continue };
            let span = tracing::debug_span!("session", number, kind = session.kind.name(), keyset = session.keyset);
            let _guard = span.enter();
            if session.status != SessionStatus::Collecting || self.height > session.deadline {
                continue;
            }
            let ctx = match self.state.session_context(number, session) {
                Ok(ctx) => ctx,
                Err(_) => continue,
            };
            let known: BTreeSet<ParticipantKey> = session.dealings.keys().chain(session.disqualified.iter()).copied().collect();
            let mut fresh: Vec<Dealing> = Vec::new();
            let mut senders: Vec<ParticipantKey> = Vec::new();
            for (sender, bytes) in items {
                if known.contains(&sender) || senders.contains(&sender) {
                    continue;
                }
                match Dealing::from_bytes(&bytes) {
                    Ok(d) if key_of(&d.dealer) == sender => {
                        fresh.push(d);
                        senders.push(sender);
                    }
                    _ => {
                        senders.push(sender);
                        self.mark_invalid_dealer(number, sender);
                    }
                }
            }
            let results = verify_dealings(&ctx, &fresh);
            for (d, r) in fresh.into_iter().zip(results) {
                let dealer = key_of(&d.dealer);
                match r {
                    Ok(()) => {
                        if let Some(s) = self.state.sessions.get_mut(&number) {
                            s.dealings.insert(dealer, (self.height, d.to_bytes()));
                        }
                    }
                    Err(e) => {
                        tracing::debug!(session = number, error = %e, "invalid dealing");
                        self.mark_invalid_dealer(number, dealer);
                    }
                }
            }
        }
    }

    fn mark_invalid_dealer(&mut self, number: u64, dealer: ParticipantKey) {
        if let Some(s) = self.state.sessions.get_mut(&number) {
            s.disqualified.insert(dealer);
        }
        self.blame(&dealer, BlameReason::InvalidDealing);
    }

    /// Judges complaints: upheld disqualifies the dealer, rejected blames the complainer.
    /// A complaint counts while its session collects, once per (complainer, dealer).
    pub(super) fn apply_complaints(&mut self, complaints: BTreeMap<u64, Vec<(ParticipantKey, Vec<u8>)>>) {
        for (number, items) in complaints {
            let Some(session) = self.state.sessions.get(&number) else { continue };
            if session.status != SessionStatus::Collecting {
                continue;
            }
            let Ok(ctx) = self.state.session_context(number, session) else { continue };
            let mut verdicts = Vec::new();
            for (sender, bytes) in items {
                let Ok(c) = Complaint::from_bytes(&bytes) else {
                    verdicts.push((None, Verdict::Rejected { complainer: match id_of(&sender) {
                        Some(id) => id,
                        None => continue,
                    } }));
                    continue;
                };
                let (complainer, dealer) = (key_of(&c.complainer), key_of(&c.dealer));
                if complainer != sender || session.judged.contains(&(complainer, dealer)) {
                    continue;
                }
                let Some((arrived, dealing_bytes)) = session.dealings.get(&dealer) else { continue };
                if self.height <= *arrived {
                    continue;
                }
                let Ok(dealing) = Dealing::from_bytes(dealing_bytes) else { continue };
                // About another dealing of this dealer: not this dealing's matter. Defence in
                // depth (envelopes match the decided commit, so recipients only see dealings that
                // land); skipped rather than judged, so no complainer is blamed for it.
                if c.dealing != dealing.digest() {
                    continue;
                }
                verdicts.push((Some((complainer, dealer)), judge(&ctx, &dealing, &c)));
            }
            for (pair, verdict) in verdicts {
                if let (Some(pair), Some(s)) = (pair, self.state.sessions.get_mut(&number)) {
                    s.judged.insert(pair);
                }
                match verdict {
                    Verdict::Upheld { dealer } => {
                        let dealer = key_of(&dealer);
                        if let Some(s) = self.state.sessions.get_mut(&number) {
                            s.disqualified.insert(dealer);
                        }
                        self.blame(&dealer, BlameReason::BadShare);
                    }
                    Verdict::Rejected { complainer } => self.blame(&key_of(&complainer), BlameReason::FalseComplaint),
                }
            }
        }
    }

    /// Records acknowledgements: each digest that names the dealing recorded for its dealer
    /// marks that (recipient, dealer) pair done. A digest of any other dealing (one that never
    /// landed) is ignored.
    pub(super) fn apply_acks(&mut self, acks: super::BySession<Vec<[u8; 32]>>) {
        for (number, items) in acks {
            let Some(session) = self.state.sessions.get(&number) else { continue };
            if session.status != SessionStatus::Collecting {
                continue;
            }
            let recipients: BTreeSet<ParticipantKey> = session.recipients.iter().filter_map(|v| identifier(&v.address)).map(|id| key_of(&id)).collect();
            let by_digest: BTreeMap<[u8; 32], ParticipantKey> =
                session.dealings.iter().filter_map(|(dealer, (_, bytes))| Dealing::from_bytes(bytes).ok().map(|d| (d.digest(), *dealer))).collect();
            let Some(session) = self.state.sessions.get_mut(&number) else { continue };
            for (sender, digests) in items {
                if !recipients.contains(&sender) {
                    continue;
                }
                for digest in digests {
                    if let Some(dealer) = by_digest.get(&digest).filter(|d| **d != sender) {
                        session.acks.entry(sender).or_default().insert(*dealer);
                    }
                }
            }
        }
    }

    /// Finalizes sessions whose dealing phase is over and whose recipients are all done (or
    /// whose complaint close has passed), fails those that cannot finalize.
    pub(super) fn progress_sessions(&mut self) {
        let validators = self.state.meta.validators.len();
        let window = self.state.meta.params.complaint_window.max(tss_crypto::max_faulty(validators) as u64 + 1);
        let validator_keys: BTreeSet<ParticipantKey> = self.state.meta.validators.iter().filter_map(|v| identifier(&v.address)).map(|id| key_of(&id)).collect();
        let numbers: Vec<u64> = self.state.sessions.iter().filter(|(_, s)| s.status == SessionStatus::Collecting).map(|(n, _)| *n).collect();
        for number in numbers {
            let Some(session) = self.state.sessions.get(&number) else { continue };
            let span = tracing::debug_span!("session", number, kind = session.kind.name(), keyset = session.keyset);
            let _guard = span.enter();
            let Ok(ctx) = self.state.session_context(number, session) else {
                self.fail_session(number, "the session's key or committee is no longer in state");
                continue;
            };
            let dealers: BTreeSet<ParticipantKey> = ctx.dealers().iter().map(key_of).collect();
            let accounted = dealers.iter().all(|d| session.dealings.contains_key(d) || session.disqualified.contains(d));
            let dealing_over = accounted || self.height >= session.deadline;
            let last_arrival = session.dealings.values().map(|(h, _)| *h).max();
            let close = last_arrival.map_or(session.deadline, |h| session.deadline.max(h + window));
            let complaints_over = self.height >= close || all_recipients_done(session, &validator_keys);
            if !(dealing_over && complaints_over) {
                continue;
            }
            let missing: Vec<ParticipantKey> = dealers.iter().filter(|d| !session.dealings.contains_key(*d) && !session.disqualified.contains(*d)).copied().collect();
            for m in &missing {
                self.blame(m, BlameReason::MissingDealing);
            }
            let Some(session) = self.state.sessions.get(&number) else { continue };
            let mut valid = BTreeMap::new();
            for (dealer, (_, bytes)) in &session.dealings {
                if let (Some(id), Ok(d)) = (id_of(dealer), Dealing::from_bytes(bytes)) {
                    valid.insert(id, d);
                }
            }
            let valid_ids = valid.keys().copied().collect();
            let disqualified = session.disqualified.iter().filter_map(id_of).collect();
            if let SessionKind::Repair { .. } = session.kind {
                match qualify(&ctx, &valid_ids, &disqualified) {
                    Ok(qualified) => self.start_delivery(number, qualified.iter().map(key_of).collect()),
                    Err(e) => self.fail_session(number, &e.to_string()),
                }
                continue;
            }
            let result = qualify(&ctx, &valid_ids, &disqualified).and_then(|q| finalize_public(&ctx, &valid, &q).map(|p| (q, p)));
            match result {
                Ok((qualified, public)) => self.complete_session(number, qualified.iter().map(key_of).collect(), public),
                Err(e) => self.fail_session(number, &e.to_string()),
            }
        }
    }

    fn complete_session(&mut self, number: u64, qualified: Vec<ParticipantKey>, public: tss_crypto::PublicKeySet) {
        let h = self.height;
        let Some(session) = self.state.sessions.get(&number).cloned() else { return };
        let Some(keyset) = self.state.keysets.get_mut(&session.keyset) else { return };
        let active_from = h + 1;
        let epoch_key = EpochKey { public: public.to_bytes(), active_from };
        let epoch = match session.kind {
            SessionKind::Dkg => {
                let generation = Generation {
                    group_key: public.group_key(),
                    epochs: [(0, epoch_key)].into(),
                    retire_at: None,
                    dkg_threshold: public.threshold(),
                    departed: BTreeSet::new(),
                    repairs: BTreeMap::new(),
                };
                keyset.generations.insert(session.generation, generation);
                let previous = keyset.current.replace(session.generation);
                let delay = self.state.meta.params.retirement_delay;
                if let Some(old) = previous.filter(|g| *g != session.generation).and_then(|g| keyset.generations.get_mut(&g)) {
                    old.retire_at = Some(h + delay);
                }
                0
            }
            SessionKind::Repair { .. } => return,
            SessionKind::Refresh { from } | SessionKind::Reshare { from } => {
                let Some(generation) = keyset.generations.get_mut(&session.generation) else { return };
                let epoch = generation.latest_epoch().map_or(from, |(n, _)| n) + 1;
                generation.epochs.insert(epoch, epoch_key);
                epoch
            }
        };
        let created_by = keyset.created_by.take().filter(|_| session.kind == SessionKind::Dkg);
        let owner = keyset.owner.clone();
        if let Some(s) = self.state.sessions.get_mut(&number) {
            s.status = SessionStatus::Finalized { at: h, qualified, epoch };
        }
        tracing::info!(session = number, kind = session.kind.name(), keyset = session.keyset, epoch, "session completed");
        self.out.events.push(Event::SessionCompleted {
            session: number,
            keyset: session.keyset,
            generation: session.generation,
            epoch,
            group_key: public.group_key(),
            active_from,
            blocks: h.saturating_sub(session.started),
        });
        if let (Some(request), crate::state::Owner::Requester(requester)) = (created_by, owner) {
            self.finish(request, requester, session.started, Outcome::KeysetReady { keyset: session.keyset, public_key: public.group_key() });
        }
    }

    pub(super) fn fail_session(&mut self, number: u64, reason: &str) {
        let h = self.height;
        let Some(session) = self.state.sessions.get_mut(&number) else { return };
        session.status = SessionStatus::Failed { at: h };
        let session = session.clone();
        tracing::warn!(session = number, kind = session.kind.name(), reason, "session failed");
        self.out.events.push(Event::SessionFailed { session: number, reason: reason.to_owned() });
        if session.kind == SessionKind::Dkg {
            if let Some(keyset) = self.state.keysets.get_mut(&session.keyset) {
                if let (Some(request), crate::state::Owner::Requester(requester)) = (keyset.created_by.take(), keyset.owner.clone()) {
                    self.finish(request, requester, session.started, Outcome::Failed { reason: format!("key generation failed: {reason}") });
                }
            }
        }
    }

    /// Emits a request's single callback and its finishing event.
    pub(crate) fn finish(&mut self, request: u64, requester: Vec<u8>, submitted: u64, outcome: Outcome) {
        let ok = !matches!(outcome, Outcome::Failed { .. });
        self.out.events.push(Event::RequestFinished { request, ok, blocks: self.height.saturating_sub(submitted) });
        self.out.callbacks.push(Callback { requester, request, outcome });
    }
}

/// Whether every recipient that can send extensions (a current validator) has acknowledged or
/// had a complaint judged about every dealing still in the running (not its own).
fn all_recipients_done(session: &Session, validators: &BTreeSet<ParticipantKey>) -> bool {
    let live: Vec<&ParticipantKey> = session.dealings.keys().filter(|d| !session.disqualified.contains(*d)).collect();
    session.recipients.iter().filter_map(|v| identifier(&v.address)).map(|id| key_of(&id)).filter(|r| validators.contains(r)).all(|r| {
        let acked = session.acks.get(&r);
        live.iter().all(|d| **d == r || acked.is_some_and(|a| a.contains(*d)) || session.judged.contains(&(r, **d)))
    })
}
