//! Threshold signing: FROST(Ed25519, SHA-512), RFC 9591, through frost-ed25519.
//!
//! Preprocessing (RFC 9591 section 5.1, `commit`) happens ahead of time: a signer publishes
//! [`NonceCommitment`]s and keeps the matching [`SecretNonce`]s. A [`SecretNonce`] is not
//! `Clone` and [`sign`] takes it by value, so a nonce cannot be used twice through this API; the
//! node MUST persist a nonce as spent before the share leaves it.
//!
//! Derived keys: sign with [`KeyShare::tweaked`] under [`PublicKeySet::tweaked`].

use crate::error::Error;
use crate::keys::{KeyShare, PublicKeySet};
use crate::wire::{tag, DecodeError, Encode, Reader, Writer};
use frost_ed25519::keys::SigningShare;
use frost_ed25519::round1::{NonceCommitment as FrostNonceCommitment, SigningCommitments, SigningNonces};
use frost_ed25519::round2::SignatureShare as FrostSignatureShare;
use frost_ed25519::{CheaterDetection, Identifier, SigningPackage};
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

impl NonceCommitment {
    /// The 64 bytes `hiding || binding` as published in a signer's pool.
    pub fn to_raw(&self) -> [u8; 64] {
        let bytes = self.to_bytes();
        let mut out = [0u8; 64];
        if let Some(raw) = bytes.get(34..98) {
            out.copy_from_slice(raw);
        }
        out
    }

    /// Parses `hiding || binding` published by `signer`: both must be canonical, prime-order,
    /// non-identity points.
    pub fn from_raw(signer: Identifier, raw: &[u8; 64]) -> Result<Self, DecodeError> {
        let mut w = Writer::message(tag::NONCE_COMMITMENT, Self::VERSION);
        w.identifier(&signer).raw(raw);
        Self::from_bytes(&w.finish())
    }
}

impl NonceCommitment {
    /// Rebuilds a commitment that already passed [`NonceCommitment::from_raw`] when it was
    /// published (the engine's pools hold nothing else): only canonical decompression, no
    /// subgroup check, about 20 times cheaper.
    ///
    /// # Security
    /// MUST NOT be used on bytes that were not validated with `from_raw` before: a point with a
    /// torsion component would then reach frost unchecked.
    pub fn from_published_raw(signer: Identifier, raw: &[u8; 64]) -> Result<Self, DecodeError> {
        let mut hiding = [0u8; 32];
        let mut binding = [0u8; 32];
        hiding.copy_from_slice(raw.get(..32).unwrap_or(&[0u8; 32]));
        binding.copy_from_slice(raw.get(32..).unwrap_or(&[0u8; 32]));
        let h = crate::group::CanonicalPoint::decode(hiding).ok_or(DecodeError::Invalid("hiding commitment"))?;
        let b = crate::group::CanonicalPoint::decode(binding).ok_or(DecodeError::Invalid("binding commitment"))?;
        Ok(Self { signer, commitments: SigningCommitments::new(FrostNonceCommitment::new(*h.point()), FrostNonceCommitment::new(*b.point())) })
    }
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
    match package.signing_commitment(&share.id()) {
        Some(c) if c == *nonce.0.commitments() => {}
        _ => return Err(Error::NonceMismatch),
    }
    let key_package = share.to_frost(public)?;
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
    let mut map = BTreeMap::new();
    for s in shares {
        if map.insert(s.signer, s.share).is_some() {
            return Err(Error::InvalidSignatureShares { culprits: vec![s.signer] });
        }
    }
    let signature = frost_ed25519::aggregate_custom(package, &map, &public.to_frost()?, CheaterDetection::AllCheaters)?;
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
