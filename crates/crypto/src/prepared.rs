//! A FROST signing attempt prepared once: RFC 9591's binding factors, group commitment and
//! challenge (sections 4.4, 4.5, 4.6) computed from commitments that are already decoded, then
//! shared by every signature share and the aggregation of that attempt.
//!
//! frost-ed25519's `round2::sign` and `aggregate` recompute all of it on every call: they
//! re-encode the `2t` commitment points to hash them (a field inversion each) and form the group
//! commitment with frost-core's generic multiscalar multiplication. At `t = 43` that was about
//! two thirds of a signature share's cost. This module computes the same quantities with
//! frost-ed25519's own hash functions (`H1`, `H2`, `H4`, `H5`), curve25519-dalek's multiscalar
//! multiplication and one compression per point, and the results are RFC 9591's: the tests below
//! compare every share and every signature with frost-ed25519's, byte for byte.

use crate::error::Error;
use crate::keys::{KeyShare, KeyTweak, PublicKeySet};
use crate::sign::{NonceCommitment, SecretNonce, SignatureShare};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use frost_core::Ciphersuite;
use frost_ed25519::round2::SignatureShare as FrostSignatureShare;
use frost_ed25519::{Ed25519Sha512, Identifier};
use std::collections::{BTreeMap, BTreeSet};
use zeroize::Zeroizing;

/// One signer's part of a prepared attempt.
#[derive(Clone, Debug)]
struct Signer {
    hiding: EdwardsPoint,
    binding: EdwardsPoint,
    /// The binding factor `rho_i`.
    rho: Scalar,
}

/// An attempt's message, signer set and every quantity derived from them, under the (possibly
/// derived) group key. Build it once per attempt with [`PreparedPackage::new`]; then
/// [`PreparedPackage::sign`] and [`PreparedPackage::aggregate`] cost scalar arithmetic, plus one
/// signature check for the aggregate.
#[derive(Clone, Debug)]
pub struct PreparedPackage {
    signers: BTreeMap<Identifier, Signer>,
    ids: BTreeSet<Identifier>,
    /// The group commitment `R`, and its encoding.
    group_commitment: EdwardsPoint,
    group_commitment_bytes: [u8; 32],
    /// The challenge `c = H2(R || PK || message)`.
    challenge: Scalar,
    /// The key that signs: the group key, or `Y + tweak*G`.
    verifying_key: EdwardsPoint,
    tweak: Option<Scalar>,
}

impl PreparedPackage {
    /// Prepares `message` for the signers that committed in `commitments` (each once), under the
    /// group key of `public`, shifted by `tweak` for a derived key. Fails if a signer is listed
    /// twice, a commitment is the identity, or fewer signers than the threshold committed.
    ///
    /// The commitments must be prime order (as [`NonceCommitment::from_published`] returns
    /// them): they are hashed and summed as they are.
    pub fn new(message: &[u8], commitments: &[NonceCommitment], public: &PublicKeySet, tweak: Option<&KeyTweak>) -> Result<Self, Error> {
        let mut sorted: BTreeMap<Identifier, (EdwardsPoint, EdwardsPoint)> = BTreeMap::new();
        for c in commitments {
            let (hiding, binding) = (c.commitments.hiding().value(), c.commitments.binding().value());
            if hiding.is_identity() || binding.is_identity() {
                return Err(Error::InvalidSignatureShares { culprits: vec![c.signer] });
            }
            if sorted.insert(c.signer, (hiding, binding)).is_some() {
                return Err(Error::InvalidSignatureShares { culprits: vec![c.signer] });
            }
        }
        if sorted.len() < usize::from(public.threshold()) {
            return Err(Error::Frost(format!("{} signers committed, the threshold is {}", sorted.len(), public.threshold())));
        }
        let tweak = tweak.map(KeyTweak::scalar);
        let verifying_key = match tweak {
            Some(t) => public.group_key.point() + crate::group::mul_base(&t),
            None => *public.group_key.point(),
        };
        let verifying_key_bytes = verifying_key.compress().to_bytes();

        // RFC 9591 section 4.3, encode_group_commitment_list: identifier || D || E, in identifier
        // order (the BTreeMap's).
        let mut encoded = Vec::with_capacity(sorted.len() * 96);
        for (id, (hiding, binding)) in &sorted {
            encoded.extend_from_slice(&id.serialize());
            encoded.extend_from_slice(hiding.compress().as_bytes());
            encoded.extend_from_slice(binding.compress().as_bytes());
        }
        // Section 4.4, compute_binding_factors: rho_i = H1(PK || H4(msg) || H5(list) || id_i).
        let mut prefix = Vec::with_capacity(32 + 64 + 64 + 32);
        prefix.extend_from_slice(&verifying_key_bytes);
        prefix.extend_from_slice(&Ed25519Sha512::H4(message));
        prefix.extend_from_slice(&Ed25519Sha512::H5(&encoded));
        let prefix_len = prefix.len();
        let ids: BTreeSet<Identifier> = sorted.keys().copied().collect();
        let mut signers = BTreeMap::new();
        for (id, (hiding, binding)) in sorted {
            prefix.truncate(prefix_len);
            prefix.extend_from_slice(&id.serialize());
            let rho = Ed25519Sha512::H1(&prefix);
            signers.insert(id, Signer { hiding, binding, rho });
        }
        // Section 4.5, compute_group_commitment: R = sum D_i + rho_i * E_i.
        let hidings: EdwardsPoint = signers.values().map(|s| s.hiding).sum();
        let group_commitment = hidings + EdwardsPoint::vartime_multiscalar_mul(signers.values().map(|s| s.rho), signers.values().map(|s| s.binding));
        let group_commitment_bytes = group_commitment.compress().to_bytes();
        // Section 4.6, compute_challenge: c = H2(R || PK || msg).
        let mut preimage = Vec::with_capacity(64 + message.len());
        preimage.extend_from_slice(&group_commitment_bytes);
        preimage.extend_from_slice(&verifying_key_bytes);
        preimage.extend_from_slice(message);
        let challenge = Ed25519Sha512::H2(&preimage);
        Ok(Self { signers, ids, group_commitment, group_commitment_bytes, challenge, verifying_key, tweak })
    }

    /// The key that signs (the derived key for a tweak), as a 32-byte Ed25519 public key.
    pub fn verifying_key(&self) -> [u8; 32] {
        self.verifying_key.compress().to_bytes()
    }

    /// The Lagrange coefficient at zero of `id` over the signer set (only a signer and cheater
    /// detection need one: `t` multiplications and an inversion).
    fn lambda(&self, id: Identifier) -> Result<Scalar, Error> {
        Ok(frost_core::compute_lagrange_coefficient::<Ed25519Sha512>(&self.ids, None, id)?)
    }

    /// Whether `nonce` is the one `signer` committed to in this attempt.
    fn commits_to(&self, signer: &Identifier, nonce: &SecretNonce) -> bool {
        let c = nonce.commitment(*signer);
        self.signers.get(signer).is_some_and(|s| s.hiding == c.commitments.hiding().value() && s.binding == c.commitments.binding().value())
    }

    /// This signer's share (RFC 9591 section 5.2): `z_i = d_i + e_i*rho_i + lambda_i*s_i*c`, with
    /// `s_i` shifted by the tweak for a derived key. Consumes the nonce.
    pub fn sign(&self, nonce: SecretNonce, share: &KeyShare) -> Result<SignatureShare, Error> {
        let id = share.id();
        if !self.commits_to(&id, &nonce) {
            return Err(Error::NonceMismatch);
        }
        let signer = self.signers.get(&id).ok_or(Error::NonceMismatch)?;
        let lambda = self.lambda(id)?;
        let (hiding, binding) = nonce.scalars();
        let secret = Zeroizing::new(share.secret + self.tweak.unwrap_or(Scalar::ZERO));
        let z = Zeroizing::new(*hiding + *binding * signer.rho + lambda * *secret * self.challenge);
        let share = FrostSignatureShare::deserialize(z.as_bytes()).map_err(|e| Error::Frost(e.to_string()))?;
        Ok(SignatureShare { signer: id, share })
    }

    /// Checks one share: `z_i*G == D_i + rho_i*E_i + lambda_i*c*Y_i` (RFC 9591 section 5.4), with
    /// `Y_i` shifted by the tweak for a derived key.
    pub fn verify_share(&self, share: &SignatureShare, public: &PublicKeySet) -> Result<(), Error> {
        let blame = || Error::InvalidSignatureShares { culprits: vec![share.signer] };
        let signer = self.signers.get(&share.signer).ok_or_else(blame)?;
        let y = public.verifying_share(&share.signer).ok_or_else(blame)?;
        let lambda = self.lambda(share.signer).map_err(|_| blame())?;
        let shift = self.tweak.map_or(Scalar::ZERO, |t| t * lambda * self.challenge);
        // z_i*G - rho_i*E_i - lambda_i*c*Y_i - (lambda_i*c*tweak)*G == D_i
        let check = EdwardsPoint::vartime_multiscalar_mul(
            [share_scalar(share) - shift, -signer.rho, -(lambda * self.challenge)],
            [curve25519_dalek::constants::ED25519_BASEPOINT_POINT, signer.binding, *y.point()],
        );
        if check == signer.hiding {
            Ok(())
        } else {
            Err(blame())
        }
    }

    /// Aggregates one share from every signer into a 64-byte Ed25519 signature (RFC 9591
    /// section 5.3) and checks it. If it does not verify, every share is checked and every
    /// invalid one named (frost's `CheaterDetection::AllCheaters`).
    pub fn aggregate(&self, shares: &[SignatureShare], public: &PublicKeySet) -> Result<[u8; 64], Error> {
        let mut by_signer = BTreeMap::new();
        for s in shares {
            if !self.signers.contains_key(&s.signer) || by_signer.insert(s.signer, s).is_some() {
                return Err(Error::InvalidSignatureShares { culprits: vec![s.signer] });
            }
        }
        if by_signer.len() != self.signers.len() {
            return Err(Error::Frost(format!("{} of {} signature shares", by_signer.len(), self.signers.len())));
        }
        let z: Scalar = by_signer.values().map(|s| share_scalar(s)).sum();
        // z*G - c*PK == R, one double-base multiplication. R and PK are prime order (sums of
        // prime-order points), so this is the cofactored check frost makes.
        if EdwardsPoint::vartime_double_scalar_mul_basepoint(&-self.challenge, &self.verifying_key, &z) == self.group_commitment {
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&self.group_commitment_bytes);
            signature[32..].copy_from_slice(z.as_bytes());
            return Ok(signature);
        }
        let culprits: Vec<Identifier> = by_signer.values().filter(|s| self.verify_share(s, public).is_err()).map(|s| s.signer).collect();
        Err(if culprits.is_empty() { Error::Frost("the aggregate signature does not verify".into()) } else { Error::InvalidSignatureShares { culprits } })
    }
}

/// A share's scalar `z_i` (canonical: frost decoded it so).
fn share_scalar(share: &SignatureShare) -> Scalar {
    let bytes: [u8; 32] = share.share.serialize().try_into().unwrap_or([0; 32]);
    Option::from(Scalar::from_canonical_bytes(bytes)).unwrap_or(Scalar::ZERO)
}
