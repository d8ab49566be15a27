//! What starts sessions: genesis, epochs, validator-set changes, rotations; and what ends key
//! material: activation of new epochs, retirement of old generations, pruning.

use super::Apply;
use crate::context::{identifier, key_of};
use crate::state::{Keyset, Owner, Session, SessionKind, SessionStatus};
use crate::types::{Event, KeysetId, Membership, ParticipantKey, Validator, ValidatorUpdate, NETWORK_KEYSET};
use std::collections::{BTreeMap, BTreeSet};

impl Apply<'_> {
    pub(super) fn start_session(&mut self, keyset: KeysetId, generation: u32, kind: SessionKind, recipients: Vec<Validator>, threshold: u16, handover: bool) {
        let number = self.state.meta.next_session;
        self.state.meta.next_session = number.saturating_add(1);
        let deadline = self.height + self.state.meta.params.dealing_timeout;
        let mut recipients = recipients;
        recipients.sort_by_key(|v| identifier(&v.address).map(|id| key_of(&id)));
        let name = kind.name();
        self.state.sessions.insert(
            number,
            Session {
                keyset,
                generation,
                kind,
                recipients,
                threshold,
                started: self.height,
                deadline,
                dealings: BTreeMap::new(),
                disqualified: BTreeSet::new(),
                judged: BTreeSet::new(),
                acks: BTreeMap::new(),
                contributions: BTreeMap::new(),
                status: SessionStatus::Collecting,
                handover,
            },
        );
        tracing::info!(session = number, kind = name, keyset, generation, "session started");
        self.out.events.push(Event::SessionStarted { session: number, kind: name.into(), keyset, generation });
    }

    /// Whether a DKG, refresh or reshare of the keyset is collecting (repairs run beside them).
    fn collecting(&self, keyset: KeysetId) -> bool {
        self.state.sessions.values().any(|s| s.keyset == keyset && s.status == SessionStatus::Collecting && !matches!(s.kind, SessionKind::Repair { .. }))
    }

    /// Starts a DKG for a keyset's next generation among the current validators.
    pub(super) fn start_dkg(&mut self, keyset: KeysetId, threshold: u16) {
        let generation = self.state.keysets.get(&keyset).and_then(|k| k.generations.keys().next_back().map(|g| g + 1)).unwrap_or(0);
        let validators = self.state.meta.validators.clone();
        self.start_session(keyset, generation, SessionKind::Dkg, validators, threshold, false);
    }

    /// Creates a keyset record for a contract's request.
    pub(super) fn create_keyset(&mut self, owner: Vec<u8>, request: u64, id: KeysetId, threshold: Option<u16>) -> Result<KeysetId, String> {
        let n = self.state.meta.validators.len();
        let t = threshold.unwrap_or_else(|| self.state.meta.params.threshold(n));
        if t == 0 || usize::from(t) > n {
            return Err(format!("threshold {t} is outside 1..={n} (the validator count)"));
        }
        self.state.keysets.insert(
            id,
            Keyset { owner: Owner::Requester(owner), generations: BTreeMap::new(), current: None, created_by: Some(request), threshold: Some(t), frozen: false },
        );
        self.start_dkg(id, t);
        Ok(id)
    }

    /// Starts whatever the height calls for: the genesis DKG, an ordered or automatic rotation,
    /// a handover for pending membership changes, or the epoch's refreshes.
    pub(super) fn schedule(&mut self) {
        let h = self.height;
        let n = self.state.meta.validators.len();
        if !self.state.keysets.contains_key(&NETWORK_KEYSET) {
            self.state.keysets.insert(NETWORK_KEYSET, Keyset { owner: Owner::Network, generations: BTreeMap::new(), current: None, created_by: None, threshold: None, frozen: false });
            self.start_dkg(NETWORK_KEYSET, self.state.meta.params.threshold(n));
            return;
        }
        // A network key whose every DKG failed gets another one.
        let network_has_key = self.state.keysets.get(&NETWORK_KEYSET).is_some_and(|k| k.current.is_some());
        if !network_has_key && !self.collecting(NETWORK_KEYSET) {
            self.start_dkg(NETWORK_KEYSET, self.state.meta.params.threshold(n));
            return;
        }
        if self.state.meta.rotation_pending && self.state.meta.handover_to.is_none() && !self.collecting(NETWORK_KEYSET) {
            self.state.meta.rotation_pending = false;
            self.start_dkg(NETWORK_KEYSET, self.state.meta.params.threshold(n));
        }
        self.progress_handover();
        if self.state.meta.handover_to.is_none() && !self.state.meta.pending_membership.is_empty() {
            self.start_handover();
        }
        let epoch_length = self.state.meta.params.epoch_length;
        if epoch_length > 0 && h % epoch_length == 0 && self.state.meta.handover_to.is_none() {
            self.start_refreshes();
        }
    }

    fn start_refreshes(&mut self) {
        let h = self.height;
        let targets: Vec<(KeysetId, u32, u64, Vec<ParticipantKey>, u16)> = self
            .state
            .keysets
            .iter()
            .filter_map(|(id, k)| {
                let g = k.current?;
                let generation = k.generations.get(&g)?;
                let (epoch, _) = generation.latest_epoch()?;
                let public = self.state.public_key_set(*id, g, epoch).ok()?;
                Some((*id, g, epoch, public.ids().map(|i| key_of(&i)).collect(), public.threshold()))
            })
            .filter(|(_, _, _, _, _)| true)
            .collect();
        for (keyset, generation, epoch, members, threshold) in targets {
            if self.collecting(keyset) {
                continue;
            }
            let recipients: Option<Vec<Validator>> = members.iter().map(|m| self.state.validator(m).cloned()).collect();
            let Some(recipients) = recipients else {
                tracing::warn!(keyset, "refresh skipped: a member is not a known validator");
                continue;
            };
            let _ = h;
            self.start_session(keyset, generation, SessionKind::Refresh { from: epoch }, recipients, threshold, false);
        }
    }

    /// Applies queued joins and leaves to a new target set and reshares every key to it.
    fn start_handover(&mut self) {
        let mut next = self.state.meta.validators.clone();
        let changes = std::mem::take(&mut self.state.meta.pending_membership);
        for change in changes.clone() {
            match change {
                Membership::Join(v) => {
                    if v.address.is_empty() || v.address.len() > crate::types::MAX_ADDRESS_LEN || tss_crypto::TransportPublic::from_bytes(v.transport).is_none() || v.power == 0 {
                        tracing::warn!("join refused: invalid address, transport key or power");
                        continue;
                    }
                    if !next.iter().any(|x| x.address == v.address) {
                        next.push(v);
                    }
                }
                Membership::Leave { address } => next.retain(|x| x.address != address),
            }
        }
        if next.is_empty() || next == self.state.meta.validators {
            return;
        }
        let keys: Vec<(KeysetId, u32, u64)> = self
            .state
            .keysets
            .iter()
            .filter_map(|(id, k)| {
                let g = k.current?;
                Some((*id, g, k.generations.get(&g)?.latest_epoch()?.0))
            })
            .collect();
        // Sessions in flight on these keys are abandoned: the handover supersedes them (its
        // reshare gives new shares too), and the event says so.
        let superseded: Vec<u64> = self.state.sessions.iter().filter(|(_, s)| s.status == SessionStatus::Collecting && !s.handover && s.kind != SessionKind::Dkg).map(|(n, _)| *n).collect();
        for number in superseded {
            if let Some(s) = self.state.sessions.get_mut(&number) {
                s.status = SessionStatus::Failed { at: self.height };
                self.out.events.push(Event::SessionFailed { session: number, reason: "superseded by the handover's reshare, which gives new shares too".into() });
            }
        }
        let t = self.state.meta.params.threshold(next.len());
        self.state.meta.handover_to = Some(next.clone());
        self.state.meta.handover = Some((changes, 1));
        for (keyset, generation, epoch) in keys {
            self.start_session(keyset, generation, SessionKind::Reshare { from: epoch }, next.clone(), t, true);
        }
    }

    /// Completes a handover once every reshare session has finalized; restarts failed ones up
    /// to `handover_attempts` reshares, then abandons the handover.
    fn progress_handover(&mut self) {
        let Some(next) = self.state.meta.handover_to.clone() else { return };
        let handover: Vec<(u64, Session)> = self.state.sessions.iter().filter(|(_, s)| s.handover && s.recipients_match(&next)).map(|(n, s)| (*n, s.clone())).collect();
        let mut done = true;
        let limit = self.state.meta.params.handover_attempts.max(1);
        for (number, s) in &handover {
            match s.status {
                SessionStatus::Collecting => done = false,
                SessionStatus::Failed { at } if at == self.height => {
                    done = false;
                    let attempts = self.state.meta.handover.as_ref().map_or(1, |(_, a)| *a);
                    if attempts >= limit {
                        self.abandon_handover(attempts, format!("reshare session {number} of keyset {} failed", s.keyset));
                        return;
                    }
                    if let Some((_, a)) = self.state.meta.handover.as_mut() {
                        *a = a.saturating_add(1);
                    }
                    // Restart from the same epoch.
                    if let SessionKind::Reshare { from } = s.kind {
                        if let Some(session) = self.state.sessions.get_mut(number) {
                            session.handover = false;
                        }
                        self.start_session(s.keyset, s.generation, SessionKind::Reshare { from }, next.clone(), s.threshold, true);
                    }
                }
                _ => {}
            }
        }
        let still_open = self.state.sessions.values().any(|s| s.handover && s.status == SessionStatus::Collecting);
        if !done || still_open {
            return;
        }
        let old = std::mem::replace(&mut self.state.meta.validators, next.clone());
        self.state.meta.handover_to = None;
        self.state.meta.handover = None;
        for s in self.state.sessions.values_mut() {
            s.handover = false;
        }
        for v in &old {
            if !next.iter().any(|x| x.address == v.address) {
                self.out.validator_updates.push(ValidatorUpdate { address: v.address.clone(), power: 0 });
            }
        }
        for v in &next {
            if old.iter().find(|x| x.address == v.address).map(|x| x.power) != Some(v.power) {
                self.out.validator_updates.push(ValidatorUpdate { address: v.address.clone(), power: v.power });
            }
        }
        self.out.events.push(Event::ValidatorSetChanged { validators: next.len() });
        self.track_departures(&old, &next);
    }

    /// Gives up a handover whose reshares keep failing (fewer than `t` old members deal valid
    /// dealings): the validator set, keys and shares stay as they were, so signing, decryption
    /// and refreshes go on; the queued changes are dropped and reported for the operators.
    fn abandon_handover(&mut self, attempts: u32, reason: String) {
        let dropped = self.state.meta.handover.take().map(|(c, _)| c).unwrap_or_default();
        self.state.meta.handover_to = None;
        for s in self.state.sessions.values_mut() {
            if s.handover && s.status == SessionStatus::Collecting {
                s.status = SessionStatus::Failed { at: self.height };
            }
            s.handover = false;
        }
        tracing::error!(attempts, reason = %reason, "handover abandoned: the validator set stays as it was");
        self.out.events.push(Event::HandoverFailed { attempts, dropped, reason });
    }

    /// Counts members who left since the network key's DKG; when they could reach its
    /// threshold together, schedules a rotation.
    fn track_departures(&mut self, old: &[Validator], next: &[Validator]) {
        let left: Vec<ParticipantKey> = old.iter().filter(|v| !next.iter().any(|x| x.address == v.address)).filter_map(|v| identifier(&v.address)).map(|id| key_of(&id)).collect();
        let Some(keyset) = self.state.keysets.get_mut(&NETWORK_KEYSET) else { return };
        let Some(generation) = keyset.current.and_then(|g| keyset.generations.get_mut(&g)) else { return };
        generation.departed.extend(left);
        if generation.departed.len() >= usize::from(generation.dkg_threshold) && !self.state.meta.rotation_pending {
            self.state.meta.rotation_pending = true;
            self.out.events.push(Event::RotationScheduled { reason: "departed members reached the threshold".into() });
        }
    }

    /// Retires generations past their retirement height, drops epochs no request can use any
    /// more, and forgets finished sessions after their retention period.
    pub(super) fn prune(&mut self) {
        let h = self.height;
        let retention = self.state.meta.params.session_retention;
        let in_use: BTreeSet<(KeysetId, u32, u64)> = self
            .state
            .requests
            .values()
            .filter_map(|r| r.attempt.as_ref().map(|a| (r.keyset, a.generation, a.epoch)))
            .collect();
        let sessions_need: BTreeSet<(KeysetId, u32, u64)> = self
            .state
            .sessions
            .values()
            .filter_map(|s| match &s.kind {
                SessionKind::Refresh { from } | SessionKind::Reshare { from } | SessionKind::Repair { from, .. } => Some((s.keyset, s.generation, *from)),
                SessionKind::Dkg => None,
            })
            .collect();
        let retires = |generation: &crate::state::Generation| generation.retire_at.is_some_and(|r| h >= r);
        let keeps_epoch = |id: KeysetId, g: u32, current: Option<u64>, e: u64, active_from: u64| {
            Some(e) >= current || active_from > h || in_use.contains(&(id, g, e)) || sessions_need.contains(&(id, g, e))
        };
        // Found read-only first, so that only the keysets that change are written.
        let changing: Vec<KeysetId> = self
            .state
            .keysets
            .iter()
            .filter(|(id, keyset)| {
                keyset.generations.iter().any(|(g, generation)| {
                    let current = generation.epoch_at(h + 1).map(|(n, _)| n);
                    retires(generation)
                        || generation.epochs.iter().any(|(e, key)| !keeps_epoch(**id, *g, current, *e, key.active_from))
                        || generation.repairs.keys().any(|(e, _)| !generation.epochs.contains_key(e))
                })
            })
            .map(|(id, _)| *id)
            .collect();
        let mut retired = Vec::new();
        for id in changing {
            let Some(keyset) = self.state.keysets.get_mut(&id) else { continue };
            keyset.generations.retain(|g, generation| {
                if retires(generation) {
                    retired.push((id, *g));
                    return false;
                }
                let current = generation.epoch_at(h + 1).map(|(n, _)| n);
                generation.epochs.retain(|e, key| keeps_epoch(id, *g, current, *e, key.active_from));
                let epochs = &generation.epochs;
                generation.repairs.retain(|(e, _), _| epochs.contains_key(e));
                true
            });
        }
        for (keyset, generation) in retired {
            tracing::info!(keyset, generation, "generation retired");
            self.out.events.push(Event::GenerationRetired { keyset, generation });
        }
        self.state.sessions.retain(|_, s| match s.status {
            SessionStatus::Collecting | SessionStatus::Delivering { .. } => true,
            SessionStatus::Finalized { at, .. } | SessionStatus::Failed { at } | SessionStatus::Delivered { at, .. } => h < at + retention,
        });
    }
}

impl Session {
    fn recipients_match(&self, next: &[Validator]) -> bool {
        self.recipients.len() == next.len() && self.recipients.iter().all(|r| next.iter().any(|v| v.address == r.address))
    }
}
