//! Key material produced by the protocols: the public key set (group key, verifying shares,
//! threshold) and one participant's secret share; conversion to frost-ed25519 packages;
//! derived (tweaked) keys.

use crate::error::Error;
use crate::group::{mul_base, to_x25519, CanonicalPoint};
use crate::transcript::Transcript;
use crate::wire::{tag, DecodeError, Encode, Reader, Writer};
use curve25519_dalek::scalar::Scalar;
use frost_ed25519::keys::{KeyPackage, PublicKeyPackage, SigningShare, VerifyingShare};
use frost_ed25519::{Identifier, VerifyingKey};
use std::collections::BTreeMap;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The public side of a threshold key: everything anyone needs to verify its signatures,
/// decryption shares and dealings. Derived from public dealings alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKeySet {
    pub(crate) threshold: u16,
    pub(crate) group_key: CanonicalPoint,
    pub(crate) verifying_shares: BTreeMap<Identifier, CanonicalPoint>,
}

impl PublicKeySet {
    /// Builds a key set from published values, validating each: every point canonical, in the
    /// prime-order subgroup and not the identity; `1 <= threshold <= members`.
    pub fn from_parts(threshold: u16, group_key: [u8; 32], verifying_shares: &BTreeMap<Identifier, [u8; 32]>) -> Result<Self, Error> {
        let group_key = crate::group::decode_prime_order(group_key).ok_or(Error::InvalidCommittee("group key is not a valid prime-order point"))?;
        if threshold == 0 || usize::from(threshold) > verifying_shares.len() || verifying_shares.len() > crate::committee::MAX_COMMITTEE {
            return Err(Error::InvalidCommittee("threshold must be between 1 and the number of members"));
        }
        let verifying_shares = verifying_shares
            .iter()
            .map(|(id, bytes)| crate::group::decode_prime_order(*bytes).map(|p| (*id, p)).ok_or(Error::ShareMismatch(*id)))
            .collect::<Result<_, _>>()?;
        Ok(Self { threshold, group_key, verifying_shares })
    }

    /// The threshold.
    pub fn threshold(&self) -> u16 {
        self.threshold
    }

    /// The group public key `Y = s*G`, as a 32-byte Ed25519 public key.
    pub fn group_key(&self) -> [u8; 32] {
        self.group_key.to_bytes()
    }

    /// The group key in X25519 (Montgomery) form, for plain X25519 clients.
    pub fn group_key_x25519(&self) -> [u8; 32] {
        to_x25519(self.group_key.point())
    }

    /// A member's verifying share `Y_j = s_j*G`.
    pub fn verifying_share(&self, id: &Identifier) -> Option<&CanonicalPoint> {
        self.verifying_shares.get(id)
    }

    /// The members' identifiers in order.
    pub fn ids(&self) -> impl Iterator<Item = Identifier> + '_ {
        self.verifying_shares.keys().copied()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.verifying_shares.len()
    }

    /// Always false for a finalized key.
    pub fn is_empty(&self) -> bool {
        self.verifying_shares.is_empty()
    }

    /// The frost-ed25519 public key package.
    pub fn to_frost(&self) -> Result<PublicKeyPackage, Error> {
        self.to_frost_derived(None)
    }

    /// frost's package of the derived key `Y + tweak*G` (of `Y` without a tweak). Every point
    /// here was validated (canonical, prime order, not the identity) when the key set was built,
    /// so frost's element constructors (feature `internals`) are used instead of re-decoding,
    /// and the shifted points are never compressed: one base multiplication and `n` additions,
    /// where [`PublicKeySet::tweaked`] also encodes all `n + 1` points.
    pub fn to_frost_derived(&self, tweak: Option<&KeyTweak>) -> Result<PublicKeyPackage, Error> {
        let shift = tweak.map(|t| mul_base(&t.0));
        let shifted = |p: &CanonicalPoint| shift.map_or(*p.point(), |s| p.point() + s);
        let shares = self.verifying_shares.iter().map(|(id, p)| (*id, VerifyingShare::new(shifted(p)))).collect();
        Ok(PublicKeyPackage::new(shares, VerifyingKey::new(shifted(&self.group_key)), Some(self.threshold)))
    }

    /// The frost-ed25519 group verifying key.
    pub fn frost_verifying_key(&self) -> Result<VerifyingKey, Error> {
        Ok(VerifyingKey::new(*self.group_key.point()))
    }

    /// A digest binding every public value, used to tie sessions to the key they act on.
    pub fn digest(&self) -> [u8; 64] {
        let mut t = Transcript::new("tss/public-key-set/v1");
        t.append_u64(b"threshold", u64::from(self.threshold)).append(b"group key", &self.group_key.to_bytes());
        for (id, share) in &self.verifying_shares {
            t.append(b"id", &id.serialize()).append(b"share", &share.to_bytes());
        }
        t.digest()
    }

    /// The public key set of the derived key `Y + tweak*G` (every verifying share shifted by the
    /// same `tweak*G`; Lagrange coefficients sum to one, so shifted shares interpolate to the
    /// shifted key).
    pub fn tweaked(&self, tweak: &KeyTweak) -> PublicKeySet {
        let shift = mul_base(&tweak.0);
        PublicKeySet {
            threshold: self.threshold,
            group_key: CanonicalPoint::new(self.group_key.point() + shift),
            verifying_shares: self
                .verifying_shares
                .iter()
                .map(|(id, p)| (*id, CanonicalPoint::new(p.point() + shift)))
                .collect(),
        }
    }
}

const MAX_KEY_SET_LEN: usize = 4 + 32 + 2 + crate::committee::MAX_COMMITTEE * 64;

impl Encode for PublicKeySet {
    const TAG: u8 = tag::PUBLIC_KEY_SET;
    const MAX_LEN: usize = MAX_KEY_SET_LEN;

    fn encode_body(&self, w: &mut Writer) {
        w.u16(self.threshold).point(&self.group_key).u16(u16::try_from(self.verifying_shares.len()).unwrap_or(u16::MAX));
        for (id, share) in &self.verifying_shares {
            w.identifier(id).point(share);
        }
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let threshold = r.u16("threshold")?;
        let group_key = crate::group::decode_prime_order(r.array("group key")?).ok_or(DecodeError::Invalid("group key"))?;
        let n = r.count("verifying shares", crate::committee::MAX_COMMITTEE, 64)?;
        let mut verifying_shares = BTreeMap::new();
        let mut last: Option<Identifier> = None;
        for _ in 0..n {
            let id = r.identifier("member id")?;
            if last.is_some_and(|l| l >= id) {
                return Err(DecodeError::Invalid("member ids must be strictly increasing"));
            }
            last = Some(id);
            let share = crate::group::decode_prime_order(r.array("verifying share")?)
                .ok_or(DecodeError::Invalid("verifying share"))?;
            verifying_shares.insert(id, share);
        }
        if threshold == 0 || usize::from(threshold) > n {
            return Err(DecodeError::Invalid("threshold"));
        }
        Ok(Self { threshold, group_key, verifying_shares })
    }
}

/// One participant's secret share `s_j` of a threshold key.
///
/// # Security
/// The share MUST NOT leave its owner's memory except encrypted at rest. It is zeroized on drop
/// and `Debug` prints only the identifier.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyShare {
    #[zeroize(skip)]
    pub(crate) id: Identifier,
    pub(crate) secret: Scalar,
}

impl KeyShare {
    /// Builds a share after checking it against the public verifying share.
    pub fn new(id: Identifier, secret: Zeroizing<Scalar>, public: &PublicKeySet) -> Result<Self, Error> {
        let share = Self { id, secret: *secret };
        share.check(public)?;
        Ok(share)
    }

    /// Checks `s_j*G == Y_j`.
    pub fn check(&self, public: &PublicKeySet) -> Result<(), Error> {
        match public.verifying_share(&self.id) {
            Some(y) if mul_base(&self.secret) == *y.point() => Ok(()),
            _ => Err(Error::ShareMismatch(self.id)),
        }
    }

    /// The owner's identifier.
    pub fn id(&self) -> Identifier {
        self.id
    }

    /// The 32 secret bytes, for the encrypted local store only.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// Restores a share from the encrypted local store, checked against the public key set.
    pub fn from_secret_bytes(id: Identifier, bytes: &[u8; 32], public: &PublicKeySet) -> Result<Self, Error> {
        let secret = crate::group::decode_scalar(*bytes).ok_or(Error::ShareMismatch(id))?;
        Self::new(id, Zeroizing::new(secret), public)
    }

    /// Restores a share whose public key set is not at hand (a node reading its local store
    /// before it has chain state). Only the encoding is checked; check it with
    /// [`KeyShare::check`] once the public key set is known.
    pub fn from_secret_bytes_unverified(id: Identifier, bytes: &[u8; 32]) -> Result<Self, Error> {
        let secret = crate::group::decode_scalar(*bytes).ok_or(Error::ShareMismatch(id))?;
        Ok(Self { id, secret })
    }

    /// The frost-ed25519 key package for signing.
    pub fn to_frost(&self, public: &PublicKeySet) -> Result<KeyPackage, Error> {
        self.to_frost_derived(public, None)
    }

    /// frost's key package of this share of the derived key `Y + tweak*G`: the share
    /// `s_i + tweak`, the verifying share and group key shifted by `tweak*G`, nothing encoded.
    pub fn to_frost_derived(&self, public: &PublicKeySet, tweak: Option<&KeyTweak>) -> Result<KeyPackage, Error> {
        let verifying_share = public.verifying_share(&self.id).ok_or(Error::UnknownParticipant(self.id))?;
        let (secret, shift) = match tweak {
            Some(t) => (Zeroizing::new(self.secret + t.0), mul_base(&t.0)),
            None => (Zeroizing::new(self.secret), curve25519_dalek::traits::Identity::identity()),
        };
        Ok(KeyPackage::new(
            self.id,
            SigningShare::new(*secret),
            VerifyingShare::new(verifying_share.point() + shift),
            VerifyingKey::new(public.group_key.point() + shift),
            public.threshold,
        ))
    }

    /// The share of the derived key `Y + tweak*G`.
    pub fn tweaked(&self, tweak: &KeyTweak) -> KeyShare {
        KeyShare { id: self.id, secret: self.secret + tweak.0 }
    }
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyShare").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

/// The tweak of a derived key: `H(group key, context)`. Per-caller keys (like NEAR's and ICP's
/// derivation paths) cost no extra DKG: the derived key is `Y + tweak*G` and every share is
/// `s_j + tweak`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyTweak(pub(crate) Scalar);

impl KeyTweak {
    /// The tweak scalar (public: anyone can derive it from the group key and the context).
    pub fn scalar(&self) -> Scalar {
        self.0
    }

    /// The tweak for a derivation context (e.g. `contract address || path`).
    pub fn derive(group_key: &[u8; 32], context: &[u8]) -> Self {
        let mut t = Transcript::new("tss/derived-key/v1");
        t.append(b"group key", group_key).append(b"context", context);
        Self(t.challenge_scalar(b"tweak"))
    }
}
