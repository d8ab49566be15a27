//! Rebuilding crypto contexts from committed state, identically on every node.

use crate::state::{EngineState, Session, SessionKind};
use crate::types::{ParticipantKey, Validator};
use sha2::{Digest, Sha256};
use tss_crypto::keys::PublicKeySet;
use tss_crypto::{Committee, Encode, Identifier, Member, SessionContext, TransportPublic};

/// Why a context could not be rebuilt (state inconsistency, reported as a session failure).
pub type ContextError = String;

/// The 32-byte session id bound into every message of a session.
pub fn session_id(chain_id: &str, number: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"tss/engine/session-id/v1");
    h.update((chain_id.len() as u64).to_be_bytes());
    h.update(chain_id.as_bytes());
    h.update(number.to_be_bytes());
    h.finalize().into()
}

/// A validator's identifier.
pub fn identifier(address: &[u8]) -> Option<Identifier> {
    tss_crypto::participant_id(address).ok()
}

/// The participant key of an identifier.
pub fn key_of(id: &Identifier) -> ParticipantKey {
    id.serialize().try_into().unwrap_or([0u8; 32])
}

/// An identifier from its participant key.
pub fn id_of(key: &ParticipantKey) -> Option<Identifier> {
    Identifier::deserialize(key).ok()
}

/// The committee of a validator list.
pub fn committee(validators: &[Validator], threshold: u16) -> Result<Committee, ContextError> {
    let members = validators
        .iter()
        .map(|v| {
            let id = identifier(&v.address).ok_or("validator address hashes to no identifier")?;
            let transport = TransportPublic::from_bytes(v.transport).ok_or("validator transport key is invalid")?;
            Ok(Member { id, transport })
        })
        .collect::<Result<Vec<_>, &str>>()?;
    Committee::new(members, threshold).map_err(|e| e.to_string())
}

impl EngineState {
    /// The public key set of an epoch.
    pub fn public_key_set(&self, keyset: u64, generation: u32, epoch: u64) -> Result<PublicKeySet, ContextError> {
        let e = self
            .keysets
            .get(&keyset)
            .and_then(|k| k.generations.get(&generation))
            .and_then(|g| g.epochs.get(&epoch))
            .ok_or_else(|| format!("keyset {keyset} generation {generation} has no epoch {epoch}"))?;
        PublicKeySet::from_bytes(&e.public).map_err(|e| format!("stored key set does not decode: {e}"))
    }

    /// The crypto context of a session.
    pub fn session_context(&self, number: u64, s: &Session) -> Result<SessionContext, ContextError> {
        let kind = match &s.kind {
            SessionKind::Dkg => tss_crypto::SessionKind::Dkg,
            SessionKind::Refresh { from } => tss_crypto::SessionKind::Refresh { previous: self.public_key_set(s.keyset, s.generation, *from)? },
            SessionKind::Reshare { from } => tss_crypto::SessionKind::Reshare { previous: self.public_key_set(s.keyset, s.generation, *from)? },
            SessionKind::Repair { from, target } => tss_crypto::SessionKind::Repair {
                previous: self.public_key_set(s.keyset, s.generation, *from)?,
                target: identifier(&target.address).ok_or("repair target address hashes to no identifier")?,
            },
        };
        SessionContext::new(&self.meta.chain_id, session_id(&self.meta.chain_id, number), kind, committee(&s.recipients, s.threshold)?)
            .map_err(|e| e.to_string())
    }

    /// The validator with this participant key, in the consensus set or a pending handover.
    pub fn validator(&self, key: &ParticipantKey) -> Option<&Validator> {
        self.meta
            .validators
            .iter()
            .chain(self.meta.handover_to.iter().flatten())
            .find(|v| identifier(&v.address).map(|id| key_of(&id)) == Some(*key))
    }
}
