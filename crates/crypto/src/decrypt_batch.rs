//! Batched public decryption shares: one holder's shares of many ciphertexts under one key
//! set, with one equality-of-discrete-log proof for all of them.
//!
//! Holder `i` with verifying share `Y_i = s_i*G` publishes `D_j = s_i*E_j` for ciphertexts
//! `j = 1..m` and one proof. Coefficients `rho_j` (128 bits) come from a transcript of the
//! holder, `Y_i` and every `(E_j, D_j)`; the proof shows `log_G(Y_i) == log_{E*}(D*)` for
//! `E* = sum rho_j*E_j` and `D* = sum rho_j*D_j`. Were any `D_j` wrong, `D*` would match only
//! for one value of the coefficients, which the prover cannot choose after fixing the shares.
//! A share costs 32 bytes on the wire instead of 128.
//!
//! Verifiers check many holders' batches with one multiscalar multiplication
//! ([`verify_decryption_batches`]): the proof's challenge binds the transcript, not `E*` and `D*`,
//! so no one computes them; every `E_j` shared by several batches enters once. Only when that
//! check fails are batches checked one by one, to name the culprits.
//!
//! As in [`crate::decrypt`], the checks are cofactored and combination projects onto the
//! prime-order subgroup, so a torsion component in a share cannot change the result.

use crate::committee::id_scalar;
use crate::encrypt::{Ciphertext, EncryptionKey};
use crate::error::Error;
use crate::group::{decompress_canonical_y, is_zero_mod_torsion, lagrange_at_zero, mul_base, projected_msm, to_x25519, CanonicalPoint};
use crate::keys::{KeyShare, PublicKeySet};
use crate::transcript::Transcript;
use crate::wire::{DecodeError, Reader, Writer};
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use frost_ed25519::Identifier;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

/// Most shares one batch may carry.
pub const MAX_BATCH_SHARES: usize = 8192;
/// Encoded size of a batch with no shares (count and proof).
pub const EMPTY_BATCH_LEN: usize = 2 + 32 + 32 + 32;

/// The point a ciphertext's decryption shares are computed on (`E`, the ephemeral key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareBase {
    ephemeral: [u8; 32],
    point: EdwardsPoint,
}

impl ShareBase {
    /// Verifies the ciphertext against the key and takes its ephemeral point.
    pub fn verified(ct: &Ciphertext, key: &EncryptionKey) -> Result<Self, Error> {
        Ok(Self { ephemeral: ct.ephemeral, point: ct.verify(key)? })
    }

    /// The ephemeral point of a ciphertext whose proof this caller verified before (the chain
    /// verifies every ciphertext at submission): the lift only, no proof or subgroup check.
    /// `None` if the ephemeral is not a curve point at all.
    pub fn checked_before(ct: &Ciphertext) -> Option<Self> {
        Some(Self { ephemeral: ct.ephemeral, point: MontgomeryPoint(ct.ephemeral).to_edwards(0)? })
    }

    /// `E`.
    pub fn point(&self) -> &EdwardsPoint {
        &self.point
    }

    /// A base that is not a ciphertext's but computed from bases (a claim's `E*`,
    /// [`crate::decrypt_claim::Claim`]), named by its edwards25519 encoding.
    pub(crate) fn derived(point: EdwardsPoint) -> Self {
        Self { ephemeral: point.compress().to_bytes(), point }
    }

    /// The ciphertext's ephemeral key as sent (X25519 form).
    pub fn ephemeral(&self) -> &[u8; 32] {
        &self.ephemeral
    }
}

/// One holder's decryption shares of a list of ciphertexts, in the list's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptionBatch {
    /// The holder.
    pub holder: Identifier,
    /// `D_j = s_i*E_j`.
    pub points: Vec<EdwardsPoint>,
    encodings: Vec<[u8; 32]>,
    proof: BatchProof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BatchProof {
    a1: CanonicalPoint,
    a2: CanonicalPoint,
    z: Scalar,
}

/// The transcript of one batch's statement: holder, verifying share, every base and share.
fn statement(holder: &Identifier, y: &CanonicalPoint, bases: &[&ShareBase], encodings: &[[u8; 32]]) -> Transcript {
    let mut t = Transcript::new("tss/decryption-batch/v1");
    t.append(b"holder", &holder.serialize()).append(b"Y", &y.to_bytes()).append_u64(b"count", bases.len() as u64);
    for (base, d) in bases.iter().zip(encodings) {
        t.append(b"E", &base.ephemeral).append(b"D", d);
    }
    t
}

/// A 128-bit coefficient from a challenge stream.
pub(crate) fn draw_u128(rng: &mut impl RngCore) -> Scalar {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes[..16]);
    Scalar::from_bytes_mod_order(bytes)
}

/// The batch's coefficients, 128 bits each, from a stream seeded by the statement.
fn coefficients(t: &Transcript, count: usize) -> Vec<Scalar> {
    let mut rng = t.challenge_rng(b"rho");
    (0..count).map(|_| draw_u128(&mut rng)).collect()
}

fn challenge(t: &Transcript, a1: &CanonicalPoint, a2: &CanonicalPoint) -> Scalar {
    let mut t = t.clone();
    t.append(b"A1", &a1.to_bytes()).append(b"A2", &a2.to_bytes());
    t.challenge_scalar(b"challenge")
}

/// Computes this holder's shares of every ciphertext in `bases` (whose proofs the caller
/// verified, see [`ShareBase`]) with one proof.
pub fn decryption_batch<R: RngCore + CryptoRng>(bases: &[&ShareBase], share: &KeyShare, public: &PublicKeySet, rng: &mut R) -> Result<DecryptionBatch, Error> {
    if bases.len() > MAX_BATCH_SHARES {
        return Err(Error::InvalidCiphertext("too many ciphertexts for one batch"));
    }
    let y = public.verifying_share(&share.id).ok_or(Error::UnknownParticipant(share.id))?;
    let points: Vec<EdwardsPoint> = {
        use rayon::prelude::*;
        let secret = &share.secret;
        bases.par_iter().map(|b| b.point * secret).collect()
    };
    Ok(prove(share.id, y, &share.secret, bases, points, rng))
}

/// The proof over given shares (honest: `points[j] = secret * bases[j]`).
fn prove<R: RngCore + CryptoRng>(holder: Identifier, y: &CanonicalPoint, secret: &Scalar, bases: &[&ShareBase], points: Vec<EdwardsPoint>, rng: &mut R) -> DecryptionBatch {
    let encodings: Vec<[u8; 32]> = {
        use rayon::prelude::*;
        points.par_iter().map(|p| p.compress().to_bytes()).collect()
    };
    let t = statement(&holder, y, bases, &encodings);
    let rho = coefficients(&t, bases.len());
    let e_star = EdwardsPoint::vartime_multiscalar_mul(&rho, bases.iter().map(|b| b.point));
    let k = Zeroizing::new(Scalar::random(&mut t.hedged_rng(secret.as_bytes(), rng)));
    let a1 = CanonicalPoint::new(mul_base(&k));
    let a2 = CanonicalPoint::new(e_star * *k);
    let c = challenge(&t, &a1, &a2);
    DecryptionBatch { holder, points, encodings, proof: BatchProof { a1, a2, z: *k + c * secret } }
}

/// Decodes a share point: canonical, not of small order. Torsion is not checked (the checks
/// are cofactored and combination projects), which saves a scalar multiplication per share.
fn decode_share_point(bytes: [u8; 32]) -> Option<EdwardsPoint> {
    decompress_canonical_y(bytes).filter(|p| !p.is_small_order())
}

impl DecryptionBatch {
    /// Encoded size.
    pub fn encoded_len(&self) -> usize {
        EMPTY_BATCH_LEN + 32 * self.points.len()
    }

    /// Wire form: share count (u16), shares, proof. The holder is not encoded: the envelope
    /// that carries a batch authenticates who sent it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u16(u16::try_from(self.encodings.len()).unwrap_or(u16::MAX));
        for e in &self.encodings {
            w.raw(e);
        }
        w.point(&self.proof.a1).point(&self.proof.a2).scalar(&self.proof.z);
        w.finish()
    }

    /// Decodes a batch sent by `holder`. Every share must be a canonical point of more than
    /// small order.
    pub fn from_bytes(holder: Identifier, bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let count = usize::from(r.u16("share count")?);
        if count > MAX_BATCH_SHARES {
            return Err(DecodeError::Invalid("more shares than a batch may carry"));
        }
        let mut points = Vec::with_capacity(count);
        let mut encodings = Vec::with_capacity(count);
        for _ in 0..count {
            let e: [u8; 32] = r.array("decryption share")?;
            points.push(decode_share_point(e).ok_or(DecodeError::Invalid("decryption share is not a canonical point of large order"))?);
            encodings.push(e);
        }
        let proof = BatchProof { a1: r.point("proof A1")?, a2: r.point("proof A2")?, z: r.scalar("proof z")? };
        r.finish()?;
        Ok(Self { holder, points, encodings, proof })
    }
}

/// Share `index` of a batch in wire form, decoded alone and *not verified*: for a combiner that
/// needs a few shares of many batches and leaves the check to a claim
/// ([`crate::decrypt_claim`]). `None` if the batch has no such share or it does not decode.
pub fn unverified_share(bytes: &[u8], index: usize) -> Option<EdwardsPoint> {
    let count = usize::from(u16::from_be_bytes(bytes.get(..2)?.try_into().ok()?));
    if index >= count || bytes.len() != EMPTY_BATCH_LEN + 32 * count {
        return None;
    }
    let at = 2 + 32 * index;
    decode_share_point(bytes.get(at..at + 32)?.try_into().ok()?)
}

/// One batch to verify and the indexes, into the verifier's list of bases, of the ciphertexts
/// its shares are for (in the batch's order).
pub struct BatchToVerify<'a> {
    /// The batch.
    pub batch: &'a DecryptionBatch,
    /// `bases[indexes[j]]` is the base of `batch.points[j]`.
    pub indexes: &'a [usize],
}

/// What the verifier needs of one batch: its statement's coefficients and challenge.
struct Prepared {
    y: EdwardsPoint,
    rho: Vec<Scalar>,
    c: Scalar,
}

fn prepare(y: &CanonicalPoint, bases: &[ShareBase], b: &BatchToVerify<'_>) -> Option<Prepared> {
    if b.indexes.len() != b.batch.points.len() {
        return None;
    }
    let refs: Vec<&ShareBase> = b.indexes.iter().map(|i| bases.get(*i)).collect::<Option<_>>()?;
    let t = statement(&b.batch.holder, y, &refs, &b.batch.encodings);
    let rho = coefficients(&t, refs.len());
    let c = challenge(&t, &b.batch.proof.a1, &b.batch.proof.a2);
    Some(Prepared { y: *y.point(), rho, c })
}

/// Adds `w1*(z*G - c*Y - A1) + w2*(z*E* - c*D* - A2)` for one batch to a multiscalar sum, with
/// `E*`'s terms accumulated per base.
fn add_terms(b: &BatchToVerify<'_>, p: &Prepared, (w1, w2): (Scalar, Scalar), g: &mut Scalar, base_coeffs: &mut [Scalar], scalars: &mut Vec<Scalar>, points: &mut Vec<EdwardsPoint>) {
    let proof = &b.batch.proof;
    *g += w1 * proof.z;
    scalars.extend([-(w1 * p.c), -w1, -w2]);
    points.extend([p.y, *proof.a1.point(), *proof.a2.point()]);
    let (wz, wc) = (w2 * proof.z, w2 * p.c);
    for ((index, rho), d) in b.indexes.iter().zip(&p.rho).zip(&b.batch.points) {
        if let Some(c) = base_coeffs.get_mut(*index) {
            *c += wz * rho;
        }
        scalars.push(-(wc * rho));
        points.push(*d);
    }
}

/// Sums `scalars_k * points_k` on all cores (the terms split into one chunk per core).
pub(crate) fn parallel_msm(scalars: &[Scalar], points: &[EdwardsPoint]) -> EdwardsPoint {
    use rayon::prelude::*;
    let chunk = scalars.len().div_ceil(rayon::current_num_threads().max(1)).max(256);
    scalars
        .par_chunks(chunk)
        .zip(points.par_chunks(chunk))
        .map(|(s, p)| EdwardsPoint::vartime_multiscalar_mul(s, p))
        .reduce(EdwardsPoint::default, |a, b| a + b)
}

fn holds(bases: &[ShareBase], batches: &[(&BatchToVerify<'_>, &Prepared)], weights: &[(Scalar, Scalar)]) -> bool {
    let mut g = Scalar::ZERO;
    let mut base_coeffs = vec![Scalar::ZERO; bases.len()];
    let total: usize = batches.iter().map(|(b, _)| b.indexes.len() + 3).sum();
    let mut scalars = Vec::with_capacity(total + bases.len() + 1);
    let mut points = Vec::with_capacity(total + bases.len() + 1);
    for ((b, p), w) in batches.iter().zip(weights) {
        add_terms(b, p, *w, &mut g, &mut base_coeffs, &mut scalars, &mut points);
    }
    scalars.push(g);
    points.push(ED25519_BASEPOINT_POINT);
    for (c, base) in base_coeffs.into_iter().zip(bases) {
        if c != Scalar::ZERO {
            scalars.push(c);
            points.push(base.point);
        }
    }
    is_zero_mod_torsion(&parallel_msm(&scalars, &points))
}

/// Verifies many holders' batches over one list of bases in one multiscalar multiplication,
/// with weights from a hash of every batch (so the outcome is deterministic); only if that
/// fails is each batch checked alone. Returns the holders whose batch is invalid: unknown
/// holders, holders listed twice, bad indexes and failed proofs.
pub fn verify_decryption_batches(public: &PublicKeySet, bases: &[ShareBase], batches: &[BatchToVerify<'_>]) -> Vec<Identifier> {
    use rayon::prelude::*;
    let prepared: Vec<Option<Prepared>> = batches.par_iter().map(|b| prepare(public.verifying_share(&b.batch.holder)?, bases, b)).collect();
    let mut culprits = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut candidates = Vec::new();
    let mut weights_t = Transcript::new("tss/decryption-batch-weights/v1");
    for (b, p) in batches.iter().zip(&prepared) {
        match p {
            Some(p) if seen.insert(b.batch.holder) => {
                weights_t.append(b"holder", &b.batch.holder.serialize()).append(b"challenge", p.c.as_bytes()).append(b"z", b.batch.proof.z.as_bytes());
                candidates.push((b, p));
            }
            _ => culprits.push(b.batch.holder),
        }
    }
    let mut rng = weights_t.challenge_rng(b"weights");
    let weights: Vec<(Scalar, Scalar)> = candidates.iter().map(|_| (draw_u128(&mut rng), draw_u128(&mut rng))).collect();
    if candidates.is_empty() || holds(bases, &candidates, &weights) {
        return culprits;
    }
    let one = [(Scalar::ONE, Scalar::ONE)];
    let bad: Vec<Identifier> = candidates.par_iter().filter(|c| !holds(bases, &[**c], &one)).map(|(b, _)| b.batch.holder).collect();
    culprits.extend(bad);
    culprits
}

/// Lagrange coefficients at zero for a set of holders, to reuse across ciphertexts decrypted
/// by the same holders.
pub fn lagrange_for(holders: &[Identifier]) -> Option<Vec<Scalar>> {
    let xs: Vec<Scalar> = holders.iter().map(id_scalar).collect();
    lagrange_at_zero(&xs)
}

/// Opens a ciphertext from `t` verified share points (by [`verify_decryption_batches`]) and
/// the holders' Lagrange coefficients ([`lagrange_for`]), in the same order.
pub fn open_with_shares(ct: &Ciphertext, key: &EncryptionKey, lambdas: &[Scalar], points: &[EdwardsPoint]) -> Result<Zeroizing<Vec<u8>>, Error> {
    if lambdas.len() != points.len() || points.is_empty() {
        return Err(Error::NotEnoughContributions { have: points.len(), need: lambdas.len().max(1) });
    }
    let d = projected_msm(lambdas.iter().copied(), points);
    if d.is_identity() {
        return Err(Error::DecryptionFailed);
    }
    let shared = Zeroizing::new(to_x25519(&d));
    ct.open_with(key, &shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use rand_chacha::rand_core::SeedableRng;

    /// A holder that adds a torsion point to its shares and proves them as they are passes
    /// the cofactored check, and the projected combination is unaffected: the prime-order part
    /// of each share is the honest one.
    #[test]
    fn torsion_in_a_proven_share_changes_nothing() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let secret = Scalar::random(&mut rng);
        let y = CanonicalPoint::new(mul_base(&secret));
        let holder = Identifier::try_from(7u16).unwrap_or_else(|_| unreachable!());
        let bases: Vec<ShareBase> = (0u8..3).map(|i| {
            let point = mul_base(&Scalar::random(&mut rng));
            ShareBase { ephemeral: [i; 32], point }
        }).collect();
        let refs: Vec<&ShareBase> = bases.iter().collect();
        let honest: Vec<EdwardsPoint> = bases.iter().map(|b| b.point * secret).collect();
        let torsioned: Vec<EdwardsPoint> = honest.iter().zip(EIGHT_TORSION.iter().skip(1)).map(|(p, t)| p + t).collect();
        let batch = prove(holder, &y, &secret, &refs, torsioned, &mut rng);
        let indexes = [0, 1, 2];
        let to_verify = BatchToVerify { batch: &batch, indexes: &indexes };
        let prepared = prepare(&y, &bases, &to_verify).unwrap_or_else(|| unreachable!());
        assert!(holds(&bases, &[(&to_verify, &prepared)], &[(Scalar::ONE, Scalar::ONE)]));
        for (p, h) in batch.points.iter().zip(&honest) {
            assert_eq!(crate::group::project(p), *h);
        }
        // A share off by a point of large order fails the same check.
        let wrong: Vec<EdwardsPoint> = honest.iter().map(|p| p + mul_base(&Scalar::ONE)).collect();
        let batch = prove(holder, &y, &secret, &refs, wrong, &mut rng);
        let to_verify = BatchToVerify { batch: &batch, indexes: &indexes };
        let prepared = prepare(&y, &bases, &to_verify).unwrap_or_else(|| unreachable!());
        assert!(!holds(&bases, &[(&to_verify, &prepared)], &[(Scalar::ONE, Scalar::ONE)]));
    }
}
