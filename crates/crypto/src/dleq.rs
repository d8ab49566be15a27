//! Chaum-Pedersen proof of discrete-log equality: `log_G(H1) == log_P(H2)`.
//!
//! Used to reveal a Diffie-Hellman secret in a complaint (`X = x*G`, `K = x*P`) and to prove a
//! decryption share (`Y_i = s_i*G`, `D_i = s_i*E`). The proof keeps its commitments
//! `(A1, A2, z)` rather than `(c, z)` so that many proofs can be checked in one multiscalar
//! multiplication (see [`crate::decrypt`]).

use crate::group::{mul_base, CanonicalPoint};
use crate::transcript::Transcript;
use crate::wire::{DecodeError, Reader, Writer};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

/// Encoded size.
pub const DLEQ_PROOF_LEN: usize = 96;

/// A proof that `H1 = x*G` and `H2 = x*P` for the same secret `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DleqProof {
    pub(crate) a1: CanonicalPoint,
    pub(crate) a2: CanonicalPoint,
    pub(crate) z: Scalar,
}

impl DleqProof {
    /// Proves `h1 = x*G`, `h2 = x*p`. The transcript MUST already bind the context (session,
    /// parties, purpose). The nonce is hedged ([`Transcript::hedged_rng`]).
    pub(crate) fn prove<R: RngCore + CryptoRng>(
        transcript: &Transcript,
        h1: &CanonicalPoint,
        p: &CanonicalPoint,
        h2: &CanonicalPoint,
        x: &Scalar,
        rng: &mut R,
    ) -> Self {
        let mut t = transcript.clone();
        t.append(b"H1", &h1.to_bytes()).append(b"P", &p.to_bytes()).append(b"H2", &h2.to_bytes());
        let k = Zeroizing::new(Scalar::random(&mut t.hedged_rng(x.as_bytes(), rng)));
        let a1 = CanonicalPoint::new(mul_base(&k));
        let a2 = CanonicalPoint::new(p.point() * *k);
        let c = Self::challenge(transcript, h1, p, h2, &a1, &a2);
        Self { a1, a2, z: *k + c * x }
    }

    /// The Fiat-Shamir challenge.
    pub(crate) fn challenge(
        transcript: &Transcript,
        h1: &CanonicalPoint,
        p: &CanonicalPoint,
        h2: &CanonicalPoint,
        a1: &CanonicalPoint,
        a2: &CanonicalPoint,
    ) -> Scalar {
        let mut t = transcript.clone();
        t.append(b"H1", &h1.to_bytes())
            .append(b"P", &p.to_bytes())
            .append(b"H2", &h2.to_bytes())
            .append(b"A1", &a1.to_bytes())
            .append(b"A2", &a2.to_bytes());
        t.challenge_scalar(b"dleq-challenge")
    }

    /// Checks `z*G == A1 + c*H1` and `z*P == A2 + c*H2`.
    pub(crate) fn verify(&self, transcript: &Transcript, h1: &CanonicalPoint, p: &CanonicalPoint, h2: &CanonicalPoint) -> bool {
        let c = Self::challenge(transcript, h1, p, h2, &self.a1, &self.a2);
        let lhs1 = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, h1.point(), &self.z);
        let lhs2 = EdwardsPoint::vartime_multiscalar_mul([self.z, -c], [p.point(), h2.point()]);
        lhs1 == *self.a1.point() && lhs2 == *self.a2.point()
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        w.point(&self.a1).point(&self.a2).scalar(&self.z);
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self { a1: r.point("dleq A1")?, a2: r.point("dleq A2")?, z: r.scalar("dleq z")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn dleq_accepts_equal_logs_and_rejects_others() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let x = Scalar::random(&mut rng);
        let p = CanonicalPoint::new(mul_base(&Scalar::random(&mut rng)));
        let h1 = CanonicalPoint::new(mul_base(&x));
        let h2 = CanonicalPoint::new(p.point() * x);
        let t = Transcript::new("test/dleq");
        let proof = DleqProof::prove(&t, &h1, &p, &h2, &x, &mut rng);
        assert!(proof.verify(&t, &h1, &p, &h2));
        let wrong = CanonicalPoint::new(p.point() * (x + Scalar::ONE));
        assert!(!proof.verify(&t, &h1, &p, &wrong));
        assert!(!proof.verify(&Transcript::new("test/other"), &h1, &p, &h2));
    }
}
