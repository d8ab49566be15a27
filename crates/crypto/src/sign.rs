//! Threshold signing: FROST(Ed25519, SHA-512), RFC 9591, through frost-ed25519.
//!
//! Preprocessing (RFC 9591 section 5.1, `commit`) happens ahead of time: a signer publishes
//! [`NonceCommitment`]s and keeps the matching [`SecretNonce`]s. A [`SecretNonce`] is not
//! `Clone` and [`sign`] takes it by value, so a nonce cannot be used twice through this API; the
//! node MUST persist a nonce as spent before the share leaves it.
//!
//! Derived keys: sign with [`KeyShare::tweaked`] under [`PublicKeySet::tweaked`].

use crate::error::Error;
use crate::keys::{KeyShare, KeyTweak, PublicKeySet};
use crate::wire::{tag, DecodeError, Encode, Reader, Writer};
use frost_ed25519::keys::SigningShare;
use frost_ed25519::round1::{NonceCommitment as FrostNonceCommitment, SigningCommitments, SigningNonces};
use frost_ed25519::round2::SignatureShare as FrostSignatureShare;
use frost_ed25519::{CheaterDetection, Identifier, SigningPackage};
use crate::group::decompress_canonical_y;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use rand_core::{CryptoRng, RngCore};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// A signer's secret nonce pair (hiding, binding) for one future signature.
///
/// # Security
/// MUST be used at most once: reuse across two messages reveals the signing share. Zeroized on
/// drop (frost's `SigningNonces`), not `Clone`, consumed by [`sign`].
pub struct SecretNonce(SigningNonces);

impl SecretNonce {
    /// The public commitment matching this nonce.
    pub fn commitment(&self, signer: Identifier) -> NonceCommitment {
        NonceCommitment { signer, commitments: *self.0.commitments() }
    }

    /// Serializes the nonce for the encrypted local store.
    pub fn to_secret_bytes(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        Ok(Zeroizing::new(self.0.serialize()?))
    }

    /// Restores a nonce from the encrypted local store.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, Error> {
        Ok(Self(SigningNonces::deserialize(bytes)?))
    }

    /// The published form of this nonce's commitment, the same bytes as
    /// [`NonceCommitment::to_published`]: `[d/8]G || [e/8]G`, two multiplications with the
    /// precomputed base-point table instead of two variable-base ones.
    pub fn published(&self) -> [u8; 64] {
        let inverse_cofactor = crate::group::inv8();
        let (hiding, binding) = self.scalars();
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(crate::group::mul_base(&(*hiding * inverse_cofactor)).compress().as_bytes());
        out[32..].copy_from_slice(crate::group::mul_base(&(*binding * inverse_cofactor)).compress().as_bytes());
        out
    }

    /// The hiding and binding nonce scalars `(d, e)`.
    pub(crate) fn scalars(&self) -> (Zeroizing<Scalar>, Zeroizing<Scalar>) {
        (Zeroizing::new(self.0.hiding().to_scalar()), Zeroizing::new(self.0.binding().to_scalar()))
    }
}

impl std::fmt::Debug for SecretNonce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretNonce(<redacted>)")
    }
}

/// A published nonce commitment `(D, E)` of one signer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonceCommitment {
    /// The signer.
    pub signer: Identifier,
    /// The hiding and binding commitments.
    pub commitments: SigningCommitments,
}

/// Generates `count` nonces and their commitments (RFC 9591 section 5.1, `commit`).
pub fn preprocess<R: RngCore + CryptoRng>(share: &KeyShare, count: usize, rng: &mut R) -> Result<Vec<(SecretNonce, NonceCommitment)>, Error> {
    // frost's SigningShare is Copy and zeroizes only when asked: wrap it.
    let signing_share = Zeroizing::new(SigningShare::new(share.secret));
    Ok((0..count)
        .map(|_| {
            let nonce = SecretNonce(SigningNonces::new(&signing_share, rng));
            let commitment = nonce.commitment(share.id());
            (nonce, commitment)
        })
        .collect())
}

/// Generates `count` nonces for `signer` without touching its key share: the hedging input
/// frost mixes into nonce generation is a fresh random scalar instead. Nonces made this way stay
/// usable across refreshes and reshares, which change the share but not the signer.
pub fn generate_nonces<R: RngCore + CryptoRng>(signer: Identifier, count: usize, rng: &mut R) -> Vec<(SecretNonce, NonceCommitment)> {
    (0..count)
        .map(|_| {
            let hedge = Zeroizing::new(SigningShare::new(crate::group::random_nonzero_scalar(rng)));
            let nonce = SecretNonce(SigningNonces::new(&hedge, rng));
            let commitment = nonce.commitment(signer);
            (nonce, commitment)
        })
        .collect()
}

/// The published form of a commitment is the RFC 9591 commitment times `1/8 mod l`. A reader
/// multiplies by the cofactor 8 and gets the commitment back: prime order by construction, with
/// any torsion a byzantine publisher added cleared. Checking a point's order directly costs a
/// full scalar multiplication (two per commitment, about 21,000 commitments per block at 64
/// validators and 500 signatures); clearing the cofactor costs three doublings. The guarantee
/// against a byzantine publisher is the same: every commitment that reaches frost is a
/// canonical, prime-order, non-identity point, and the publisher can choose any such point, as
/// it could before.
impl NonceCommitment {
    /// The 64 bytes `[1/8]D || [1/8]E` a signer publishes (each a canonical encoding).
    pub fn to_published(&self) -> [u8; 64] {
        let inverse_cofactor = crate::group::inv8();
        let mut out = [0u8; 64];
        out[..32].copy_from_slice((self.commitments.hiding().value() * inverse_cofactor).compress().as_bytes());
        out[32..].copy_from_slice((self.commitments.binding().value() * inverse_cofactor).compress().as_bytes());
        out
    }

    /// Reads 64 published bytes (attacker-controlled): each half must be a canonical encoding
    /// of a curve point whose cofactor multiple is not the identity. Returns the commitment
    /// `([8]D', [8]E')`. About 5 microseconds per half: one decompression, three doublings.
    pub fn from_published(signer: Identifier, raw: &[u8; 64]) -> Result<Self, DecodeError> {
        let (hiding, binding) = raw.split_at(32);
        let hiding = cleared(hiding).ok_or(DecodeError::Invalid("hiding commitment"))?;
        let binding = cleared(binding).ok_or(DecodeError::Invalid("binding commitment"))?;
        Ok(Self { signer, commitments: SigningCommitments::new(FrostNonceCommitment::new(hiding), FrostNonceCommitment::new(binding)) })
    }
}

/// `[8]P` for the canonical encoding of a point `P`, unless that is the identity (which also
/// refuses the non-canonical encodings [`decompress_canonical_y`] lets through: small order).
fn cleared(bytes: &[u8]) -> Option<EdwardsPoint> {
    let point = decompress_canonical_y(bytes.try_into().ok()?)?.mul_by_cofactor();
    (!point.is_identity()).then_some(point)
}

/// Fixes the message and the signer set's commitments. Rejects a signer listed twice.
pub fn signing_package(message: &[u8], commitments: &[NonceCommitment]) -> Result<SigningPackage, Error> {
    let mut map = BTreeMap::new();
    for c in commitments {
        if map.insert(c.signer, c.commitments).is_some() {
            return Err(Error::InvalidSignatureShares { culprits: vec![c.signer] });
        }
    }
    Ok(SigningPackage::new(map, message))
}

/// One signer's share of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureShare {
    /// The signer.
    pub signer: Identifier,
    /// The share `z_i`.
    pub share: FrostSignatureShare,
}

/// Produces this signer's share (RFC 9591 section 5.2, `sign`), consuming the nonce.
pub fn sign(package: &SigningPackage, nonce: SecretNonce, share: &KeyShare, public: &PublicKeySet) -> Result<SignatureShare, Error> {
    sign_derived(package, nonce, share, public, None)
}

/// [`sign`] with the share of the derived key `Y + tweak*G` (the same as signing with
/// `share.tweaked(tweak)` under `public.tweaked(tweak)`, without encoding the shifted key set).
pub fn sign_derived(package: &SigningPackage, nonce: SecretNonce, share: &KeyShare, public: &PublicKeySet, tweak: Option<&KeyTweak>) -> Result<SignatureShare, Error> {
    match package.signing_commitment(&share.id()) {
        Some(c) if c == *nonce.0.commitments() => {}
        _ => return Err(Error::NonceMismatch),
    }
    // frost's KeyPackage zeroizes its share on drop.
    let key_package = share.to_frost_derived(public, tweak)?;
    let z = frost_ed25519::round2::sign(package, &nonce.0, &key_package)?;
    Ok(SignatureShare { signer: share.id(), share: z })
}

/// Verifies one signature share against the signer's verifying share.
pub fn verify_signature_share(package: &SigningPackage, share: &SignatureShare, public: &PublicKeySet) -> Result<(), Error> {
    let blame = || Error::InvalidSignatureShares { culprits: vec![share.signer] };
    let y = public.verifying_share(&share.signer).ok_or_else(blame)?;
    let verifying_share = frost_ed25519::keys::VerifyingShare::new(*y.point());
    frost_core::verify_signature_share::<frost_ed25519::Ed25519Sha512>(share.signer, &verifying_share, &share.share, package, &public.frost_verifying_key()?)
        .map_err(|_| blame())
}

/// Aggregates signature shares into a 64-byte Ed25519 signature (RFC 9591 section 5.3), with
/// cheater detection: if the result does not verify, every invalid share is named.
pub fn aggregate(package: &SigningPackage, shares: &[SignatureShare], public: &PublicKeySet) -> Result<[u8; 64], Error> {
    aggregate_derived(package, shares, public, None)
}

/// [`aggregate`] under the derived key `Y + tweak*G`.
pub fn aggregate_derived(package: &SigningPackage, shares: &[SignatureShare], public: &PublicKeySet, tweak: Option<&KeyTweak>) -> Result<[u8; 64], Error> {
    let mut map = BTreeMap::new();
    for s in shares {
        if map.insert(s.signer, s.share).is_some() {
            return Err(Error::InvalidSignatureShares { culprits: vec![s.signer] });
        }
    }
    let signature = frost_ed25519::aggregate_custom(package, &map, &public.to_frost_derived(tweak)?, CheaterDetection::AllCheaters)?;
    let bytes = signature.serialize()?;
    bytes.as_slice().try_into().map_err(|_| Error::Frost("signature is not 64 bytes".into()))
}

fn encode_nonce_commitment(w: &mut Writer, c: &FrostNonceCommitment) {
    let bytes = c.serialize().unwrap_or_default();
    let mut out = [0u8; 32];
    if bytes.len() == 32 {
        out.copy_from_slice(&bytes);
    }
    w.raw(&out);
}

impl Encode for NonceCommitment {
    const TAG: u8 = tag::NONCE_COMMITMENT;
    const MAX_LEN: usize = 2 + 96;

    fn encode_body(&self, w: &mut Writer) {
        w.identifier(&self.signer);
        encode_nonce_commitment(w, self.commitments.hiding());
        encode_nonce_commitment(w, self.commitments.binding());
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let signer = r.identifier("signer")?;
        let hiding: [u8; 32] = r.array("hiding commitment")?;
        let binding: [u8; 32] = r.array("binding commitment")?;
        let hiding = FrostNonceCommitment::deserialize(&hiding).map_err(|_| DecodeError::Invalid("hiding commitment"))?;
        let binding = FrostNonceCommitment::deserialize(&binding).map_err(|_| DecodeError::Invalid("binding commitment"))?;
        Ok(Self { signer, commitments: SigningCommitments::new(hiding, binding) })
    }
}

impl Encode for SignatureShare {
    const TAG: u8 = tag::SIGNATURE_SHARE;
    const MAX_LEN: usize = 2 + 64;

    fn encode_body(&self, w: &mut Writer) {
        w.identifier(&self.signer);
        let bytes = self.share.serialize();
        w.raw(&bytes);
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let signer = r.identifier("signer")?;
        let z: [u8; 32] = r.array("signature share")?;
        let share = FrostSignatureShare::deserialize(&z).map_err(|_| DecodeError::Invalid("signature share"))?;
        Ok(Self { signer, share })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use proptest::prelude::*;
    use rand_chacha::rand_core::SeedableRng;

    fn signer() -> Identifier {
        Identifier::try_from(3u16).unwrap()
    }

    fn published(seed: u64) -> (NonceCommitment, [u8; 64]) {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        let (_, c) = generate_nonces(signer(), 1, &mut rng).pop().unwrap();
        (c, c.to_published())
    }

    fn add_to_half(raw: &mut [u8; 64], half: usize, t: &EdwardsPoint) {
        let range = half * 32..half * 32 + 32;
        let p = curve25519_dalek::edwards::CompressedEdwardsY(raw[range.clone()].try_into().unwrap()).decompress().unwrap();
        raw[range].copy_from_slice((p + t).compress().as_bytes());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// What a signer publishes reads back as its own commitment, and a torsion component a
        /// byzantine publisher adds to either half is cleared: frost only ever sees prime-order
        /// points.
        #[test]
        fn published_commitments_read_back_modulo_torsion(seed in any::<u64>(), t in 1usize..8, half in 0usize..2) {
            let (c, mut raw) = published(seed);
            prop_assert_eq!(NonceCommitment::from_published(signer(), &raw).unwrap(), c);
            add_to_half(&mut raw, half, &EIGHT_TORSION[t]);
            let read = NonceCommitment::from_published(signer(), &raw).unwrap();
            prop_assert_eq!(read, c);
            prop_assert!(read.commitments.hiding().value().is_torsion_free());
            prop_assert!(read.commitments.binding().value().is_torsion_free());
        }
    }

    #[test]
    fn small_order_halves_are_refused() {
        let (_, good) = published(1);
        for t in EIGHT_TORSION.iter() {
            for half in 0..2 {
                let mut raw = good;
                raw[half * 32..half * 32 + 32].copy_from_slice(t.compress().as_bytes());
                assert!(NonceCommitment::from_published(signer(), &raw).is_err(), "small-order point {t:?} in half {half}");
            }
        }
    }

    #[test]
    fn non_canonical_encodings_are_refused() {
        let (_, good) = published(2);
        // y = p + 1 is a second encoding of y = 1; y = p and y = 2^255 - 1 are >= p as well.
        let mut p_plus_1 = [0xffu8; 32];
        p_plus_1[0] = 0xee;
        p_plus_1[31] = 0x7f;
        let mut p = p_plus_1;
        p[0] = 0xed;
        let all_ones = {
            let mut a = [0xffu8; 32];
            a[31] = 0x7f;
            a
        };
        // "Negative zero": x = 0 with the sign bit set, y = 1 and y = -1.
        let mut neg_zero_one = [0u8; 32];
        neg_zero_one[0] = 1;
        neg_zero_one[31] = 0x80;
        let mut neg_zero_minus_one = [0xffu8; 32];
        neg_zero_minus_one[0] = 0xec;
        for bad in [p_plus_1, p, all_ones, neg_zero_one, neg_zero_minus_one] {
            for half in 0..2 {
                let mut raw = good;
                raw[half * 32..half * 32 + 32].copy_from_slice(&bad);
                assert!(NonceCommitment::from_published(signer(), &raw).is_err(), "{bad:02x?} in half {half}");
            }
        }
    }
}
