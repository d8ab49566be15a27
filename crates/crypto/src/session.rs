//! The context every dealing, complaint and share of one session is bound to.

use crate::committee::Committee;
use crate::error::Error;
use crate::keys::PublicKeySet;
use crate::transcript::Transcript;
use frost_ed25519::Identifier;

/// Longest chain id accepted.
pub const MAX_CHAIN_ID_LEN: usize = 64;

/// What a session does to a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// A fresh distributed key generation (genesis, rotation, a contract's new keyset).
    Dkg,
    /// Proactive refresh: same committee, same group key, new shares (zero-constant dealings).
    Refresh {
        /// The key being refreshed.
        previous: PublicKeySet,
    },
    /// Handover to a new committee and/or threshold: same group key.
    Reshare {
        /// The key being reshared.
        previous: PublicKeySet,
    },
    /// Share repair ([`crate::repair`]): the other members of `previous` (the recipients, with
    /// its threshold) deal polynomials that vanish at `target`, then each sends `target` its
    /// share blinded by their sum; `target` interpolates its own share and learns nothing else.
    Repair {
        /// The key set whose member lost its share.
        previous: PublicKeySet,
        /// The member that lost it.
        target: Identifier,
    },
}

impl SessionKind {
    fn code(&self) -> u8 {
        match self {
            SessionKind::Dkg => 1,
            SessionKind::Refresh { .. } => 2,
            SessionKind::Reshare { .. } => 3,
            SessionKind::Repair { .. } => 4,
        }
    }

    /// The key this session acts on, if any.
    pub fn previous(&self) -> Option<&PublicKeySet> {
        match self {
            SessionKind::Dkg => None,
            SessionKind::Refresh { previous } | SessionKind::Reshare { previous } | SessionKind::Repair { previous, .. } => Some(previous),
        }
    }
}

/// Everything a session's messages are bound to. Every honest participant builds the same
/// context from committed chain state, and its [`digest`](SessionContext::digest) goes into every
/// proof and every share's associated data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionContext {
    chain_id: String,
    session_id: [u8; 32],
    kind: SessionKind,
    recipients: Committee,
    digest: [u8; 64],
}

impl SessionContext {
    /// Validates and fixes a session context.
    ///
    /// For a refresh the recipients MUST be exactly the previous key's members with its
    /// threshold. For a DKG the recipients are also the dealers.
    pub fn new(chain_id: &str, session_id: [u8; 32], kind: SessionKind, recipients: Committee) -> Result<Self, Error> {
        if chain_id.is_empty() || chain_id.len() > MAX_CHAIN_ID_LEN {
            return Err(Error::InvalidCommittee("chain id must be 1 to 64 bytes"));
        }
        if let SessionKind::Refresh { previous } = &kind {
            if previous.threshold() != recipients.threshold() || !previous.ids().eq(recipients.ids()) {
                return Err(Error::InvalidCommittee("a refresh keeps the committee and threshold"));
            }
        }
        if let SessionKind::Repair { previous, target } = &kind {
            let helpers = previous.ids().filter(|id| id != target);
            if previous.verifying_share(target).is_none() || previous.threshold() != recipients.threshold() || !helpers.eq(recipients.ids()) {
                return Err(Error::InvalidCommittee("a repair's recipients are the key set's other members, with its threshold"));
            }
        }
        let mut t = Transcript::new("tss/session/v1");
        t.append(b"chain id", chain_id.as_bytes()).append(b"session id", &session_id).append(b"kind", &[kind.code()]);
        if let Some(previous) = kind.previous() {
            t.append(b"previous key", &previous.digest());
        }
        if let SessionKind::Repair { target, .. } = &kind {
            t.append(b"repair target", &target.serialize());
        }
        t.append_u64(b"threshold", u64::from(recipients.threshold()));
        for m in recipients.members() {
            t.append(b"recipient", &m.id.serialize()).append(b"transport", &m.transport.to_bytes());
        }
        let digest = t.digest();
        Ok(Self { chain_id: chain_id.to_owned(), session_id, kind, recipients, digest })
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The session id.
    pub fn session_id(&self) -> &[u8; 32] {
        &self.session_id
    }

    /// What the session does.
    pub fn kind(&self) -> &SessionKind {
        &self.kind
    }

    /// Who receives shares (the new committee).
    pub fn recipients(&self) -> &Committee {
        &self.recipients
    }

    /// The digest binding all of the above.
    pub fn digest(&self) -> &[u8; 64] {
        &self.digest
    }

    /// Whether `id` may deal in this session.
    pub fn is_dealer(&self, id: &Identifier) -> bool {
        match &self.kind {
            SessionKind::Dkg | SessionKind::Repair { .. } => self.recipients.get(id).is_some(),
            SessionKind::Refresh { previous } | SessionKind::Reshare { previous } => previous.verifying_share(id).is_some(),
        }
    }

    /// The dealers' identifiers in order.
    pub fn dealers(&self) -> Vec<Identifier> {
        match &self.kind {
            SessionKind::Dkg | SessionKind::Repair { .. } => self.recipients.ids().collect(),
            SessionKind::Refresh { previous } | SessionKind::Reshare { previous } => previous.ids().collect(),
        }
    }

    /// How many valid dealings the session needs to finalize: for a DKG or refresh the
    /// committee's threshold; for a repair `f+1` with `f = floor((n-1)/3)` of the key set's `n`
    /// members (with at most `f` byzantine, one of them is honest, and its randomness alone
    /// hides everything but the target's share); for a reshare the *old* threshold (any `t_old` sub-sharings of
    /// old shares interpolate the secret).
    pub fn dealings_needed(&self) -> usize {
        match &self.kind {
            SessionKind::Dkg | SessionKind::Refresh { .. } => usize::from(self.recipients.threshold()),
            SessionKind::Repair { previous, .. } => (crate::committee::max_faulty(previous.len()) + 1).min(self.recipients.len()),
            SessionKind::Reshare { previous } => usize::from(previous.threshold()),
        }
    }
}
