//! Schnorr proofs of knowledge that a dealing carries, bound to the session and the dealer.
//!
//! Two statements, each with its own domain so a proof of one never verifies as the other:
//! - [`Statement::ConstantTerm`]: knowledge of a DKG dealing's constant term `a_0` (Round 1,
//!   Step 2 of the Pedersen DKG; the rogue-key defence of PedPop). frost's own proof carries no
//!   session context; ours hashes the session digest (chain id, session id, kind, committee)
//!   and the dealer, so a proof cannot be replayed into another session or by another dealer.
//! - [`Statement::Ephemeral`]: knowledge of the secret of the dealing's ephemeral X25519 key.
//!   A complaint reveals `x_j * P` for the dealing's ephemeral key `P`; without this proof a
//!   dealer could publish an honest dealer's `P` (or `P + a*G`) and turn the complaints
//!   against its own garbage shares into a decryption oracle for the honest dealer's shares.
//!   With it, whatever a complaint reveals the dealer could already compute (`e * X_j`).

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

/// What a [`SchnorrProof`] proves knowledge of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statement {
    /// A DKG dealing's constant term `a_0`, with `C_0 = a_0*G`.
    ConstantTerm,
    /// A dealing's ephemeral X25519 secret `e`, with `P = e*G` (the key lifted to edwards25519).
    Ephemeral,
    /// A validator's new transport (communication) key's secret `x`, with `X = x*G`; the
    /// "session" is the chain ([`crate::transport::possession_context`]), the "dealer" the
    /// validator announcing it.
    TransportKey,
}

impl Statement {
    fn domain(self) -> &'static str {
        match self {
            Statement::ConstantTerm => "tss/dealing-pok/v1",
            Statement::Ephemeral => "tss/dealing-ephemeral-pok/v1",
            Statement::TransportKey => "tss/transport-key-pok/v1",
        }
    }
}

/// The statement's transcript before the commitment `R`: `(domain, session, dealer, C)`.
fn statement(what: Statement, session_digest: &[u8; 64], dealer: &Identifier, c: &CanonicalPoint) -> Transcript {
    let mut t = Transcript::new(what.domain());
    t.append(b"session", session_digest).append(b"dealer", &dealer.serialize()).append(b"C0", &c.to_bytes());
    t
}

/// The challenge `c = H(domain, session, dealer, C, R)`.
pub(crate) fn challenge(what: Statement, session_digest: &[u8; 64], dealer: &Identifier, c: &CanonicalPoint, r: &CanonicalPoint) -> Scalar {
    let mut t = statement(what, session_digest, dealer, c);
    t.append(b"R", &r.to_bytes());
    t.challenge_scalar(b"challenge")
}

impl SchnorrProof {
    /// Proves knowledge of `a` with `c = a*G` (for the constant term: Round 1, Step 2 of the
    /// Pedersen DKG, "every P_i computes a proof of knowledge to the corresponding secret
    /// a_i0"). The nonce is hedged ([`Transcript::hedged_rng`]).
    pub(crate) fn prove<R: RngCore + CryptoRng>(
        what: Statement,
        session_digest: &[u8; 64],
        dealer: &Identifier,
        a: &Scalar,
        c: &CanonicalPoint,
        rng: &mut R,
    ) -> Self {
        let mut hedged = statement(what, session_digest, dealer, c).hedged_rng(a.as_bytes(), rng);
        let k = Zeroizing::new(Scalar::random(&mut hedged));
        let r = CanonicalPoint::new(mul_base(&k));
        let e = challenge(what, session_digest, dealer, c, &r);
        Self { r, z: *k + e * a }
    }

    /// Checks `8*(z*G - R - c*C) == 0` (cofactored, see [`crate::group`]).
    pub(crate) fn verify(&self, what: Statement, session_digest: &[u8; 64], dealer: &Identifier, c0: &CanonicalPoint) -> bool {
        let c = challenge(what, session_digest, dealer, c0, &self.r);
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
