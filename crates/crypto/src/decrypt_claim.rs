//! A combined decryption point checked after the fact: a claim of combined points for many
//! ciphertexts, answered by each holder with one share of one point.
//!
//! With [`crate::decrypt_batch`] every node decodes and verifies `t` shares per ciphertext,
//! about 6.6 µs each on the reference machine: 284 µs per ciphertext at `t = 43`, the floor
//! that keeps a chain below 2000 public decryptions per block (see BENCHMARKS.md). Here one
//! party combines the shares and publishes, for ciphertexts `j = 1..m` with ephemeral points
//! `E_j`, a *claim*: points `Q_j` with `8*Q_j = s*E_j` for the group secret `s`. Weights `w_j`
//! (128 bits) come from a transcript of a caller-supplied context and every `(E_j, Q_j)`, so
//! they are fixed only after the claim is. The claim's base is `E* = sum w_j*E_j`; holders
//! answer with their decryption share of `E*` as of any other base
//! ([`crate::decrypt_batch::decryption_batch`], many claims in one batch), and any `t` verified
//! answers interpolate to `s*E*`. The claim holds when `sum w_j*8*Q_j == s*E*`
//! ([`Claim::holds`]). Were any `8*Q_j` wrong, the sums would meet for one value of the weights
//! only, which the claimant cannot choose: it fixed the `Q_j` first.
//!
//! A verifier then decodes one point per ciphertext instead of `t`, and `t` shares per claim.
//!
//! Torsion: `M_j = 8*Q_j` is in the prime-order subgroup whatever `Q_j` is, so a torsion
//! component in a claim changes neither the check nor the key the body is opened with (the
//! X25519 form of `M_j`). The answers' torsion is removed when they are combined
//! ([`crate::group::projected_msm`]). The `E_j` must be the prime-order ephemeral points of
//! ciphertexts verified before ([`ShareBase`]).

use crate::decrypt_batch::{draw_u128, parallel_msm, ShareBase};
use crate::encrypt::{Ciphertext, EncryptionKey};
use crate::error::Error;
use crate::group::{decompress_canonical_y, inv8, projected_msm, to_x25519};
use crate::transcript::Transcript;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use zeroize::Zeroizing;

/// Most ciphertexts one claim may cover.
pub const MAX_CLAIM_LEN: usize = 8192;

/// One ciphertext's claimed point `Q` (`8*Q` is the combined point `s*E`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimedPoint {
    encoding: [u8; 32],
    combined: EdwardsPoint,
}

impl ClaimedPoint {
    /// Combines `t` share points of one ciphertext (`s_i*E`, in any order) with their holders'
    /// Lagrange coefficients ([`crate::decrypt_batch::lagrange_for`]). The shares are not
    /// checked here: a wrong one makes a claim that fails [`Claim::holds`].
    pub fn combine(lambdas: &[Scalar], shares: &[EdwardsPoint]) -> Result<Self, Error> {
        if lambdas.len() != shares.len() || shares.is_empty() {
            return Err(Error::NotEnoughContributions { have: shares.len(), need: lambdas.len().max(1) });
        }
        let i8 = inv8();
        // projected_msm gives the prime-order part of sum lambda_i*D_i; one more 1/8 gives Q.
        let q = projected_msm(lambdas.iter().map(|l| l * i8), shares);
        Ok(Self { encoding: q.compress().to_bytes(), combined: q.mul_by_cofactor() })
    }

    /// Decodes a claimed point: a curve point whose `y` is canonical. Any torsion it has is
    /// cleared by the cofactor.
    pub fn decode(encoding: [u8; 32]) -> Option<Self> {
        let q = decompress_canonical_y(encoding)?;
        Some(Self { encoding, combined: q.mul_by_cofactor() })
    }

    /// The 32-byte encoding of `Q`.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.encoding
    }

    /// `M = 8*Q`, the combined point (prime order).
    pub fn combined(&self) -> &EdwardsPoint {
        &self.combined
    }

    /// Opens a ciphertext with this point as its combined point. Trust the plaintext only once
    /// [`Claim::holds`] accepted the claim this point is part of.
    pub fn open(&self, ct: &Ciphertext, key: &EncryptionKey) -> Result<Zeroizing<Vec<u8>>, Error> {
        if self.combined.is_identity() {
            return Err(Error::DecryptionFailed);
        }
        let shared = Zeroizing::new(to_x25519(&self.combined));
        ct.open_with(key, &shared)
    }
}

/// A claim's weights and the base its answers are shares of.
#[derive(Clone, Debug)]
pub struct Claim {
    digest: [u8; 64],
    weights: Vec<Scalar>,
    base: ShareBase,
}

impl Claim {
    /// The claim of `claimed[j]` for `bases[j]`. `context` names where the claim is made
    /// (chain, key set, generation, height, claimant, request ids), so that no two claims share
    /// weights. Refuses an empty claim, one longer than [`MAX_CLAIM_LEN`], and lists of
    /// different lengths.
    pub fn new(context: &[u8], bases: &[&ShareBase], claimed: &[ClaimedPoint]) -> Result<Self, Error> {
        if bases.is_empty() || bases.len() != claimed.len() || bases.len() > MAX_CLAIM_LEN {
            return Err(Error::InvalidCiphertext("a claim covers 1 to 8192 ciphertexts, one point each"));
        }
        let mut t = Transcript::new("tss/decryption-claim/v1");
        t.append(b"context", context).append_u64(b"count", bases.len() as u64);
        for (base, q) in bases.iter().zip(claimed) {
            t.append(b"E", base.ephemeral()).append(b"Q", &q.encoding);
        }
        let mut rng = t.challenge_rng(b"weights");
        let weights: Vec<Scalar> = bases.iter().map(|_| draw_u128(&mut rng)).collect();
        let base = EdwardsPoint::vartime_multiscalar_mul(&weights, bases.iter().map(|b| *b.point()));
        Ok(Self { digest: t.digest(), weights, base: ShareBase::derived(base) })
    }

    /// `E*`, the base holders answer with a decryption share of.
    pub fn base(&self) -> &ShareBase {
        &self.base
    }

    /// True when the claim is right: `claimed` are the points it was made over, and
    /// `lambdas`/`answers` are `t` holders' Lagrange coefficients
    /// ([`crate::decrypt_batch::lagrange_for`]) and their *verified* shares of [`Self::base`]
    /// ([`crate::decrypt_batch::verify_decryption_batches`]), in the same order.
    pub fn holds(&self, claimed: &[ClaimedPoint], lambdas: &[Scalar], answers: &[EdwardsPoint]) -> bool {
        if claimed.len() != self.weights.len() || lambdas.len() != answers.len() || answers.is_empty() {
            return false;
        }
        let expected = projected_msm(lambdas.iter().copied(), answers);
        !expected.is_identity() && parallel_msm(&self.weights, &claimed.iter().map(|q| q.combined).collect::<Vec<_>>()) == expected
    }
}

/// One claim to check with [`all_hold`]: the claim, its points, and the `t` answering holders'
/// verified shares of its base (in the order of the Lagrange coefficients given beside).
pub struct ClaimToCheck<'a> {
    /// The claim.
    pub claim: &'a Claim,
    /// The points it was made over.
    pub claimed: &'a [ClaimedPoint],
    /// The answering holders' verified shares of `claim.base()`.
    pub answers: &'a [EdwardsPoint],
}

/// Checks many claims answered by the same `t` holders (`lambdas`, their Lagrange
/// coefficients) in one multiscalar multiplication, with 128-bit weights `beta_k` from a hash of
/// every claim: `sum_k beta_k*(sum_j w_kj*M_kj - s*E*_k) == 0`. Were any claim wrong, that
/// sum would vanish for one value of the weights only, and the claims are fixed before them.
/// Only if it fails is each claim checked alone ([`Claim::holds`]). Returns, per claim,
/// whether it holds.
pub fn all_hold(lambdas: &[Scalar], claims: &[ClaimToCheck<'_>]) -> Vec<bool> {
    use rayon::prelude::*;
    let well_formed = claims.iter().all(|c| c.claimed.len() == c.claim.weights.len() && c.answers.len() == lambdas.len());
    if well_formed && !lambdas.is_empty() && !claims.is_empty() {
        let mut t = Transcript::new("tss/decryption-claims/v1");
        for c in claims {
            t.append(b"claim", &c.claim.digest);
        }
        let mut rng = t.challenge_rng(b"beta");
        let betas: Vec<Scalar> = claims.iter().map(|_| draw_u128(&mut rng)).collect();
        // The answers' side, projected: sum_i lambda_i/8 * 8*(sum_k beta_k*F_ik).
        let i8 = inv8();
        let mut scalars = Vec::new();
        let mut points = Vec::new();
        for (c, beta) in claims.iter().zip(&betas) {
            for (l, f) in lambdas.iter().zip(c.answers) {
                scalars.push(-(l * beta * i8));
                points.push(f.mul_by_cofactor());
            }
            for (w, q) in c.claim.weights.iter().zip(c.claimed) {
                scalars.push(w * beta);
                points.push(q.combined);
            }
        }
        if parallel_msm(&scalars, &points).is_identity() && claims.iter().all(|c| !c.claim.base.point().is_identity()) {
            return vec![true; claims.len()];
        }
    }
    claims.par_iter().map(|c| c.claim.holds(c.claimed, lambdas, c.answers)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use crate::group::mul_base;

    /// A claimed point with a torsion component names the same combined point and the same
    /// encoding rules apply: torsion in a claim is harmless.
    #[test]
    fn torsion_in_a_claimed_point_is_cleared() {
        let m = mul_base(&Scalar::from(12345u64));
        let q = m * inv8();
        let honest = ClaimedPoint::decode(q.compress().to_bytes()).unwrap();
        assert_eq!(*honest.combined(), m);
        for t in EIGHT_TORSION.iter() {
            let torsioned = ClaimedPoint::decode((q + t).compress().to_bytes()).unwrap();
            assert_eq!(*torsioned.combined(), m);
        }
        // y >= p is refused.
        let mut bad = [0xff; 32];
        bad[0] = 0xed;
        bad[31] = 0x7f;
        assert!(ClaimedPoint::decode(bad).is_none());
    }
}
