//! Committees: who holds a key, their transport keys, and the threshold.

use crate::error::Error;
use crate::transport::TransportPublic;
use curve25519_dalek::scalar::Scalar;
use frost_ed25519::Identifier;

/// The largest committee this crate accepts (bounds every count on the wire).
pub const MAX_COMMITTEE: usize = 1024;

/// The default threshold for `n` members: `floor(2n/3) + 1`, so that key compromise needs the
/// same collusion that breaks consensus safety.
pub fn default_threshold(n: usize) -> u16 {
    u16::try_from(2 * n / 3 + 1).unwrap_or(u16::MAX)
}

/// How many of `n` members may be byzantine while consensus stays safe: `floor((n-1)/3)`.
pub fn max_faulty(n: usize) -> usize {
    n.saturating_sub(1) / 3
}

/// A participant's identifier, derived from its validator address (frost `Identifier::derive`).
/// Fails only if the address hashes to zero, which no one can make happen.
pub fn participant_id(address: &[u8]) -> Result<Identifier, Error> {
    Identifier::derive(address).map_err(Error::from)
}

/// An identifier as the x-coordinate it stands for in Shamir sharing.
pub fn id_scalar(id: &Identifier) -> Scalar {
    let bytes: [u8; 32] = id.serialize().try_into().unwrap_or([0u8; 32]);
    Scalar::from_bytes_mod_order(bytes)
}

/// One committee member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's identifier.
    pub id: Identifier,
    /// The member's communication (transport) key, to which its shares are encrypted.
    pub transport: TransportPublic,
}

/// A set of members, sorted by identifier, with the threshold of the key it will hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committee {
    members: Vec<Member>,
    threshold: u16,
}

impl Committee {
    /// Validates a committee: non-empty, at most [`MAX_COMMITTEE`] members, distinct
    /// identifiers, `1 <= threshold <= n`.
    pub fn new(mut members: Vec<Member>, threshold: u16) -> Result<Self, Error> {
        if members.is_empty() {
            return Err(Error::InvalidCommittee("a committee needs at least one member"));
        }
        if members.len() > MAX_COMMITTEE {
            return Err(Error::InvalidCommittee("more members than MAX_COMMITTEE"));
        }
        if threshold == 0 || usize::from(threshold) > members.len() {
            return Err(Error::InvalidCommittee("threshold must be between 1 and the number of members"));
        }
        members.sort_by_key(|m| m.id);
        if members.windows(2).any(|w| matches!(w, [a, b] if a.id == b.id)) {
            return Err(Error::InvalidCommittee("duplicate member identifier"));
        }
        Ok(Self { members, threshold })
    }

    /// Members in identifier order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The threshold `t`: any `t` members can use the key, `t - 1` learn nothing.
    pub fn threshold(&self) -> u16 {
        self.threshold
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false for a validated committee.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The member with this identifier.
    pub fn get(&self, id: &Identifier) -> Option<&Member> {
        self.position(id).and_then(|i| self.members.get(i))
    }

    /// The index of a member in identifier order.
    pub fn position(&self, id: &Identifier) -> Option<usize> {
        self.members.binary_search_by(|m| m.id.cmp(id)).ok()
    }

    /// The identifiers in order.
    pub fn ids(&self) -> impl Iterator<Item = Identifier> + '_ {
        self.members.iter().map(|m| m.id)
    }
}
