//! Schnorr proof of knowledge of a dealing's constant term, bound to the session.
//!
//! frost's own DKG proof of knowledge carries no session context; ours hashes the session
//! digest (chain id, session id, kind, committee) and the dealer, so a proof cannot be replayed
//! into another session or by another dealer (rogue-key defence of PedPop).

use crate::group::{is_zero_mod_torsion, mul_base, CanonicalPoint};
use crate::transcript::Transcript;
use crate::wire::{DecodeError, Reader, Writer};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use frost_ed25519::Identifier;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

/// Encoded size.
pub const SCHNORR_PROOF_LEN: usize = 64;

/// A proof of knowledge of `a` with `C = a*G`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchnorrProof {
    pub(crate) r: CanonicalPoint,
    pub(crate) z: Scalar,
}

/// The challenge `c = H(session, dealer, C, R)`.
pub(crate) fn challenge(session_digest: &[u8; 64], dealer: &Identifier, c0: &CanonicalPoint, r: &CanonicalPoint) -> Scalar {
    let mut t = Transcript::new("tss/dealing-pok/v1");
    t.append(b"session", session_digest)
        .append(b"dealer", &dealer.serialize())
        .append(b"C0", &c0.to_bytes())
        .append(b"R", &r.to_bytes());
    t.challenge_scalar(b"challenge")
}

impl SchnorrProof {
    /// Proves knowledge of `a` (Round 1, Step 2 of the Pedersen DKG: "every P_i computes a proof
    /// of knowledge to the corresponding secret a_i0").
    pub(crate) fn prove<R: RngCore + CryptoRng>(
        session_digest: &[u8; 64],
        dealer: &Identifier,
        a: &Scalar,
        c0: &CanonicalPoint,
        rng: &mut R,
    ) -> Self {
        let k = Zeroizing::new(Scalar::random(rng));
        let r = CanonicalPoint::new(mul_base(&k));
        let c = challenge(session_digest, dealer, c0, &r);
        Self { r, z: *k + c * a }
    }

    /// Checks `8*(z*G - R - c*C) == 0` (cofactored, see [`crate::group`]).
    pub(crate) fn verify(&self, session_digest: &[u8; 64], dealer: &Identifier, c0: &CanonicalPoint) -> bool {
        let c = challenge(session_digest, dealer, c0, &self.r);
        let zg_minus_cc = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, c0.point(), &self.z);
        is_zero_mod_torsion(&(zg_minus_cc - self.r.point()))
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        w.point(&self.r).scalar(&self.z);
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self { r: r.point("pok R")?, z: r.scalar("pok z")? })
    }
}
