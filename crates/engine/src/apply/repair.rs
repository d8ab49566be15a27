//! Share repair (`tss_crypto::repair`): a validator that lost its share of a key's current epoch
//! asks for it in its extension; the epoch's other members run a blinding round (a session of
//! kind `Repair`, with dealings, acknowledgements and complaints like any other), then each
//! delivers its blinded share, sealed to the target; the target recovers its share from `t` of
//! them. No new epoch, no change for anyone else.
//!
//! Timeline with no faults, request in the extension of `h-1`: session started in block `h`,
//! blinding dealings in block `h+2`, acknowledgements in `h+3` (delivery starts), blinded shares
//! in `h+5`, share recovered at the target's commit of `h+5`.

use super::{Apply, BySession};
use crate::context::{identifier, key_of};
use crate::state::{SessionKind, SessionStatus};
use crate::types::{Event, KeysetId, ParticipantKey, SessionNumber, Validator};
use tss_crypto::transport::SEALED_SCALAR_LEN;

/// A repair request from an extension: (sender, keyset, generation, epoch).
pub(crate) type RepairRequest = (ParticipantKey, KeysetId, u32, u64);

impl Apply<'_> {
    /// Starts a repair session for each acceptable request: the sender is a validator and a
    /// member of the epoch, the epoch is the one in force for its generation, no repair of the
    /// sender's share of that keyset is open, every other member is a known validator, and the
    /// sender has not used up `repair_attempts` for that epoch.
    pub(super) fn apply_repair_requests(&mut self, requests: Vec<RepairRequest>) {
        let h = self.height;
        let limit = self.state.meta.params.repair_attempts;
        for (sender, keyset, generation, epoch) in requests {
            let span = tracing::debug_span!("repair_request", keyset, generation, epoch);
            let _guard = span.enter();
            let Some(target) = self.state.meta.validators.iter().find(|v| identifier(&v.address).map(|id| key_of(&id)) == Some(sender)).cloned() else { continue };
            let Some(gen) = self.state.keysets.get(&keyset).and_then(|k| k.generations.get(&generation)) else { continue };
            if gen.epoch_at(h + 1).map(|(e, _)| e) != Some(epoch) || gen.retire_at.is_some() {
                tracing::debug!("repair refused: not the epoch in force");
                continue;
            }
            let used = gen.repairs.get(&(epoch, sender)).copied().unwrap_or(0);
            if used >= limit {
                tracing::debug!(used, "repair refused: attempts used up for this epoch");
                continue;
            }
            let open = self.state.sessions.values().any(|s| {
                s.keyset == keyset
                    && matches!(&s.kind, SessionKind::Repair { target: t, .. } if t.address == target.address)
                    && matches!(s.status, SessionStatus::Collecting | SessionStatus::Delivering { .. })
            });
            if open {
                continue;
            }
            let Some(public) = self.key_set(keyset, generation, epoch) else { continue };
            let Some(target_id) = identifier(&target.address) else { continue };
            if public.verifying_share(&target_id).is_none() {
                tracing::debug!("repair refused: the sender holds no share of this epoch");
                continue;
            }
            let helpers: Option<Vec<Validator>> = public.ids().map(|id| key_of(&id)).filter(|k| *k != sender).map(|k| self.state.validator(&k).cloned()).collect();
            let Some(helpers) = helpers else {
                tracing::warn!("repair refused: a member of the epoch is not a known validator");
                continue;
            };
            if let Some(gen) = self.state.keysets.get_mut(&keyset).and_then(|k| k.generations.get_mut(&generation)) {
                gen.repairs.insert((epoch, sender), used + 1);
            }
            tracing::info!(validator = %String::from_utf8_lossy(&target.address), "share repair requested");
            self.start_session(keyset, generation, SessionKind::Repair { from: epoch, target }, helpers, public.threshold(), false);
        }
    }

    /// The blinding round of a repair qualified: helpers now deliver, until a deadline that
    /// leaves room for f byzantine proposers dropping their extensions.
    pub(super) fn start_delivery(&mut self, number: u64, qualified: Vec<ParticipantKey>) {
        let params = &self.state.meta.params;
        let window = params.request_timeout.max(tss_crypto::max_faulty(self.state.meta.validators.len()) as u64 + 1);
        let until = self.height + 1 + window;
        if let Some(s) = self.state.sessions.get_mut(&number) {
            s.status = SessionStatus::Delivering { qualified, until };
        }
    }

    /// Records blinded shares: from a helper of a delivering repair, the first one each, in
    /// time. Their content is checked by the target alone (it is sealed to it).
    pub(super) fn apply_repair_shares(&mut self, shares: BySession<([u8; 32], [u8; SEALED_SCALAR_LEN])>) {
        let h = self.height;
        for (number, items) in shares {
            let Some(s) = self.state.sessions.get_mut(&number) else { continue };
            let SessionStatus::Delivering { until, .. } = s.status else { continue };
            if h > until {
                continue;
            }
            let helpers: Vec<ParticipantKey> = s.recipients.iter().filter_map(|v| identifier(&v.address)).map(|id| key_of(&id)).collect();
            for (sender, (ephemeral, sealed)) in items {
                if helpers.contains(&sender) && !s.contributions.contains_key(&sender) {
                    s.contributions.insert(sender, (ephemeral, sealed.to_vec()));
                }
            }
        }
    }

    /// Ends deliveries that have every helper's share or reached their deadline.
    pub(super) fn progress_repairs(&mut self) {
        let h = self.height;
        let mut ended = Vec::new();
        let due: Vec<SessionNumber> = self
            .state
            .sessions
            .iter()
            .filter(|(_, s)| matches!(&s.status, SessionStatus::Delivering { until, .. } if s.contributions.len() >= s.recipients.len() || h >= *until))
            .map(|(number, _)| *number)
            .collect();
        for number in due {
            let Some(s) = self.state.sessions.get_mut(&number) else { continue };
            let SessionStatus::Delivering { qualified, .. } = &s.status else { continue };
            let target = match &s.kind {
                SessionKind::Repair { target, .. } => target.address.clone(),
                _ => Vec::new(),
            };
            ended.push(Event::RepairDelivered { session: number, validator: target, keyset: s.keyset, contributions: s.contributions.len() });
            s.status = SessionStatus::Delivered { at: h, qualified: qualified.clone() };
        }
        for e in ended {
            tracing::info!(event = ?e, "share repair delivered");
            self.out.events.push(e);
        }
    }
}
