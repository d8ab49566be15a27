//! Transport-key rotation (forward security of the sealed shares). Every validator replaces
//! its X25519 communication key once per epoch, shortly before the refresh
//! (`LocalSecrets::make_extension`), and erases the old secret once no session in state needs
//! it. A thief of a validator's whole local store then reads the shares of that epoch and
//! nothing sealed after the next rotation: the sub-shares of every later refresh are sealed to
//! keys it never saw.

use super::Apply;
use crate::context::id_of;
use crate::types::{Event, ParticipantKey};
use tss_crypto::transport::POSSESSION_PROOF_LEN;
use tss_crypto::TransportPublic;

impl Apply<'_> {
    /// Records announced transport keys: from a validator, a valid prime-order key other than
    /// its current one, with a valid proof of possession, at most once per half epoch. The new
    /// key replaces the old in the validator set (and in a running handover's target set);
    /// sessions already started keep the keys they were started with.
    pub(super) fn apply_transport_keys(&mut self, announced: Vec<(ParticipantKey, [u8; 32], [u8; POSSESSION_PROOF_LEN])>) {
        let h = self.height;
        let min_interval = (self.state.meta.params.epoch_length / 2).max(1);
        for (sender, public, proof) in announced {
            let Some(owner) = id_of(&sender) else { continue };
            let Some(address) = self.state.validator(&sender).map(|v| v.address.clone()) else { continue };
            let last = self.state.meta.transport_rotated.get(&sender).copied().unwrap_or(0);
            if h < last + min_interval {
                tracing::debug!("transport key refused: rotated less than half an epoch ago");
                continue;
            }
            let Some(key) = TransportPublic::from_bytes(public) else { continue };
            if !key.verify_possession(&self.state.meta.chain_id, &owner, &proof) {
                tracing::debug!("transport key refused: invalid proof of possession");
                continue;
            }
            let meta = &mut self.state.meta;
            let mut changed = false;
            for v in meta.validators.iter_mut().chain(meta.handover_to.iter_mut().flatten()) {
                if v.address == address && v.transport != public {
                    v.transport = public;
                    changed = true;
                }
            }
            if changed {
                meta.transport_rotated.insert(sender, h);
                tracing::debug!(validator = %String::from_utf8_lossy(&address), "transport key rotated");
                self.out.events.push(Event::TransportKeyRotated { validator: address, transport: public });
            }
        }
    }
}
