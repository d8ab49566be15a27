//! Dealings: one participant's contribution to a DKG, refresh or reshare.
//!
//! A dealing is Feldman commitments to a random polynomial `f_i` of degree `t-1`, the
//! encrypted evaluations `f_i(x_j)` for every recipient `j` under one ephemeral X25519 key with
//! a proof of knowledge of that key's secret, and — for a DKG — a proof of knowledge of
//! `f_i(0)`; both proofs are bound to the session and the dealer ([`crate::pok`]). The
//! constant term is fixed by the session kind:
//!
//! | kind    | `f_i(0)`                | public check on `C_i0`            |
//! |---------|-------------------------|-----------------------------------|
//! | DKG     | random secret `a_i0`    | proof of knowledge, not identity  |
//! | refresh | `0`                     | identity (modulo torsion)         |
//! | reshare | dealer's share `s_i`    | equals dealer's `Y_i` (mod torsion) |
//! | repair  | `f_i(x_r) = 0` instead  | `sum_k x_r^k C_ik` is the identity (mod torsion) |
//!
//! Anyone can check a dealing's form ([`verify_dealing`], [`verify_dealings`]); only recipient
//! `j` can check its own share ([`open_share`], [`open_shares`]) and, if it is bad, file a
//! [`crate::complaint::Complaint`].

use crate::committee::{id_scalar, MAX_COMMITTEE};
use crate::error::Error;
use crate::group::{self, is_zero_mod_torsion, powers, CanonicalPoint, SecretPolynomial};
use crate::keys::KeyShare;
use crate::pok::{self, SchnorrProof, Statement};
use crate::session::{SessionContext, SessionKind};
use crate::transcript::Transcript;
use crate::transport::{self, TransportPublic, TransportSecret, SEALED_SCALAR_LEN};
use crate::wire::{tag, DecodeError, Encode, Reader, Writer};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use frost_ed25519::Identifier;
use rand_core::{CryptoRng, RngCore};
use std::collections::{BTreeMap, BTreeSet};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// One participant's dealing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dealing {
    /// Who dealt it.
    pub dealer: Identifier,
    /// Feldman commitments `C_k = a_k*G`, `k = 0..t`.
    pub commitments: Vec<CanonicalPoint>,
    /// Proof of knowledge of `a_0` (DKG only).
    pub proof: Option<SchnorrProof>,
    /// The dealing's ephemeral X25519 public key.
    pub ephemeral: [u8; 32],
    /// Proof of knowledge of the ephemeral key's secret, bound to the session and the dealer.
    /// Without it a dealer could reuse another dealing's ephemeral key and make the complaints
    /// against its own dealing reveal the Diffie-Hellman secrets of that other dealing.
    pub ephemeral_proof: SchnorrProof,
    /// `f(x_j)` sealed to each recipient, in the committee's identifier order.
    pub encrypted_shares: Vec<[u8; SEALED_SCALAR_LEN]>,
}

/// The associated data binding one sealed share.
pub(crate) fn share_aad(ctx: &SessionContext, dealer: &Identifier, recipient: &Identifier, ephemeral: &[u8; 32], transport: &TransportPublic) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64 + 32 * 4);
    aad.extend_from_slice(ctx.digest());
    aad.extend_from_slice(&dealer.serialize());
    aad.extend_from_slice(&recipient.serialize());
    aad.extend_from_slice(ephemeral);
    aad.extend_from_slice(&transport.to_bytes());
    aad
}

/// Creates this participant's dealing for the session.
///
/// `current_share` is this dealer's share of the previous key; it is required for a reshare and
/// ignored otherwise.
pub fn deal<R: RngCore + CryptoRng>(
    ctx: &SessionContext,
    dealer: Identifier,
    current_share: Option<&KeyShare>,
    rng: &mut R,
) -> Result<Dealing, Error> {
    if !ctx.is_dealer(&dealer) {
        return Err(Error::UnknownParticipant(dealer));
    }
    // Step 1: choose the constant term as the session kind demands (a repair's polynomial is
    // pinned at the target instead, step 2).
    let constant = Zeroizing::new(match ctx.kind() {
        SessionKind::Dkg => group::random_nonzero_scalar(rng),
        SessionKind::Refresh { .. } | SessionKind::Repair { .. } => Scalar::ZERO,
        SessionKind::Reshare { .. } => match current_share {
            Some(share) if share.id == dealer => share.secret,
            _ => return Err(Error::UnknownParticipant(dealer)),
        },
    });
    // Everything random below comes from an RNG hedged with the session, the dealer and the
    // constant term: a repeated `rng` (a restored VM snapshot) cannot make two dealings of
    // different secrets share coefficients or ephemeral keys.
    let mut hedge = Transcript::new("tss/deal/v1");
    hedge.append(b"session", ctx.digest()).append(b"dealer", &dealer.serialize());
    let mut rng = hedge.hedged_rng(constant.as_bytes(), rng);
    // Step 2: a random polynomial of degree t-1 and its Feldman commitments.
    let poly = match ctx.kind() {
        SessionKind::Repair { target, .. } => SecretPolynomial::random_vanishing_at(&id_scalar(target), ctx.recipients().threshold(), &mut rng),
        _ => SecretPolynomial::random(*constant, ctx.recipients().threshold(), &mut rng),
    };
    let commitments = poly.commit();
    let c0 = commitments.first().copied().unwrap_or_else(|| CanonicalPoint::new(group::identity()));
    // Step 3 (DKG): prove knowledge of the constant term, bound to the session and dealer.
    let proof = matches!(ctx.kind(), SessionKind::Dkg)
        .then(|| SchnorrProof::prove(Statement::ConstantTerm, ctx.digest(), &dealer, &poly.constant(), &c0, &mut rng));
    // Step 4: one ephemeral X25519 key for the dealing, with a proof that the dealer knows its
    // secret (so a complaint's revealed Diffie-Hellman value tells it nothing new).
    let ephemeral_secret = TransportSecret::generate(&mut rng);
    let ephemeral_public = ephemeral_secret.public();
    let ephemeral = ephemeral_public.to_bytes();
    let ephemeral_proof = SchnorrProof::prove(
        Statement::Ephemeral,
        ctx.digest(),
        &dealer,
        &ephemeral_secret.signed_scalar(),
        &CanonicalPoint::new(*ephemeral_public.lifted()),
        &mut rng,
    );
    // Step 5: seal f(x_j) to every recipient under the ephemeral key.
    let encrypted_shares = ctx
        .recipients()
        .members()
        .iter()
        .map(|m| {
            let value = Zeroizing::new(poly.evaluate(&id_scalar(&m.id)));
            let shared = ephemeral_secret.diffie_hellman(&m.transport);
            transport::seal_scalar(&shared, &share_aad(ctx, &dealer, &m.id, &ephemeral, &m.transport), &value)
        })
        .collect();
    Ok(Dealing { dealer, commitments, proof, ephemeral, ephemeral_proof, encrypted_shares })
}

impl Dealing {
    /// A digest of the dealing's canonical encoding; a complaint names the dealing it accuses
    /// by it.
    pub fn digest(&self) -> [u8; 32] {
        let mut t = Transcript::new("tss/dealing-digest/v1");
        t.append(b"dealing", &self.to_bytes());
        let wide = t.digest();
        let mut out = [0u8; 32];
        out.copy_from_slice(wide.get(..32).unwrap_or(&[0u8; 32]));
        out
    }
}

/// The checks on a dealing that need no pairing with other dealings: everything but the
/// proofs of knowledge. Returns the ephemeral key lifted to edwards25519 (the lift checks the
/// subgroup with a scalar multiplication: done once per dealing).
fn check_form(ctx: &SessionContext, d: &Dealing) -> Result<CanonicalPoint, &'static str> {
    if !ctx.is_dealer(&d.dealer) {
        return Err("the dealer is not a dealer of this session");
    }
    if d.commitments.len() != usize::from(ctx.recipients().threshold()) {
        return Err("wrong number of commitments for the threshold");
    }
    if d.encrypted_shares.len() != ctx.recipients().len() {
        return Err("wrong number of encrypted shares for the committee");
    }
    let ephemeral = TransportPublic::from_bytes(d.ephemeral)
        .map(|p| CanonicalPoint::new(*p.lifted()))
        .ok_or("ephemeral key is not a valid prime-order X25519 key")?;
    let c0 = d.commitments.first().ok_or("no commitments")?;
    match ctx.kind() {
        SessionKind::Dkg => {
            if d.proof.is_none() {
                return Err("a DKG dealing needs a proof of knowledge");
            }
            if is_zero_mod_torsion(c0.point()) {
                return Err("constant-term commitment is the identity");
            }
        }
        SessionKind::Refresh { .. } => {
            if d.proof.is_some() {
                return Err("a refresh dealing carries no proof of knowledge");
            }
            if !is_zero_mod_torsion(c0.point()) {
                return Err("a refresh dealing must commit to a zero constant term");
            }
        }
        SessionKind::Repair { target, .. } => {
            if d.proof.is_some() {
                return Err("a repair dealing carries no proof of knowledge");
            }
            if !is_zero_mod_torsion(&group::evaluate_commitment(&d.commitments, &id_scalar(target))) {
                return Err("a repair dealing must commit to a polynomial that vanishes at the target");
            }
        }
        SessionKind::Reshare { previous } => {
            if d.proof.is_some() {
                return Err("a reshare dealing carries no proof of knowledge");
            }
            let y = previous.verifying_share(&d.dealer).ok_or("the dealer held no share of the previous key")?;
            if !is_zero_mod_torsion(&(c0.point() - y.point())) {
                return Err("a reshare dealing must commit to the dealer's verifying share");
            }
        }
    }
    Ok(ephemeral)
}

/// The proofs a dealing carries, with the point each is about: the ephemeral key's (as
/// [`check_form`] lifted it), then (DKG only) the constant term's.
fn proofs(d: &Dealing, ephemeral: CanonicalPoint) -> Vec<(Statement, &SchnorrProof, CanonicalPoint)> {
    let mut out = Vec::with_capacity(2);
    out.push((Statement::Ephemeral, &d.ephemeral_proof, ephemeral));
    if let (Some(proof), Some(c0)) = (&d.proof, d.commitments.first()) {
        out.push((Statement::ConstantTerm, proof, *c0));
    }
    out
}

/// Checks one dealing's proofs alone; the reason names the first that fails.
fn check_proofs(ctx: &SessionContext, d: &Dealing, ephemeral: CanonicalPoint) -> Result<(), &'static str> {
    for (what, proof, point) in proofs(d, ephemeral) {
        if !proof.verify(what, ctx.digest(), &d.dealer, &point) {
            return Err(match what {
                Statement::Ephemeral => "invalid proof of knowledge of the ephemeral key",
                Statement::ConstantTerm | Statement::TransportKey => "invalid proof of knowledge",
            });
        }
    }
    Ok(())
}

/// Publicly verifies one dealing.
pub fn verify_dealing(ctx: &SessionContext, d: &Dealing) -> Result<(), Error> {
    check_form(ctx, d).and_then(|e| check_proofs(ctx, d, e)).map_err(|reason| Error::InvalidDealing { dealer: d.dealer, reason })
}

/// Publicly verifies all dealings of a round at once. Proofs of knowledge (every dealing's
/// ephemeral-key proof, and a DKG dealing's constant-term proof) are checked in one
/// multiscalar multiplication with coefficients derived from a hash of every dealing (so the
/// result is deterministic and a dealer cannot aim at them); when the batch fails each dealing's
/// proofs are checked alone to name the culprits. A second dealing from the same dealer is
/// invalid.
///
/// Returns one result per input, in input order.
pub fn verify_dealings(ctx: &SessionContext, dealings: &[Dealing]) -> Vec<Result<(), Error>> {
    let mut seen = BTreeSet::new();
    let mut results: Vec<Result<(), Error>> = Vec::with_capacity(dealings.len());
    // (index, dealing, its proofs) of every dealing whose form is valid.
    let mut items = Vec::with_capacity(dealings.len());
    for (i, d) in dealings.iter().enumerate() {
        if !seen.insert(d.dealer) {
            results.push(Err(Error::InvalidDealing { dealer: d.dealer, reason: "second dealing from this dealer" }));
            continue;
        }
        match check_form(ctx, d) {
            Ok(ephemeral) => {
                items.push((i, d, ephemeral, proofs(d, ephemeral)));
                results.push(Ok(()));
            }
            Err(reason) => results.push(Err(Error::InvalidDealing { dealer: d.dealer, reason })),
        }
    }
    // Batch: sum_k rho_k * (z_k*G - R_k - c_k*C_k) == 0 (mod torsion), over every proof.
    let mut batch_t = Transcript::new("tss/dealing-pok-batch/v2");
    batch_t.append(b"session", ctx.digest());
    for (_, _, _, list) in &items {
        for (_, proof, point) in list {
            batch_t.append(b"C", &point.to_bytes()).append(b"R", &proof.r.to_bytes()).append(b"z", proof.z.as_bytes());
        }
    }
    let mut g_scalar = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(4 * items.len() + 1);
    let mut points: Vec<EdwardsPoint> = Vec::with_capacity(4 * items.len() + 1);
    let mut k = 0u64;
    for (_, d, _, list) in &items {
        for (what, proof, point) in list {
            let (what, point) = (*what, *point);
            let rho = batch_t.challenge_u128(b"rho", k);
            k += 1;
            let c = pok::challenge(what, ctx.digest(), &d.dealer, &point, &proof.r);
            g_scalar += rho * proof.z;
            scalars.push(-rho);
            points.push(*proof.r.point());
            scalars.push(-(rho * c));
            points.push(*point.point());
        }
    }
    scalars.push(g_scalar);
    points.push(curve25519_dalek::constants::ED25519_BASEPOINT_POINT);
    if is_zero_mod_torsion(&EdwardsPoint::vartime_multiscalar_mul(scalars, points)) {
        return results;
    }
    for (i, d, ephemeral, _) in items {
        if let (Err(reason), Some(slot)) = (check_proofs(ctx, d, ephemeral), results.get_mut(i)) {
            *slot = Err(Error::InvalidDealing { dealer: d.dealer, reason });
        }
    }
    results
}

/// A sub-share `f_i(x_j)` received from one dealer.
///
/// # Security
/// Secret: zeroized on drop, printed as `<redacted>`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SubShare(Scalar);

impl std::ops::Deref for SubShare {
    type Target = Scalar;
    fn deref(&self) -> &Scalar {
        &self.0
    }
}

impl std::fmt::Debug for SubShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubShare(<redacted>)")
    }
}

/// Decrypts the share a dealing holds for `me` without checking it against the commitments.
fn decrypt_share(ctx: &SessionContext, d: &Dealing, me: &Identifier, secret: &TransportSecret) -> Option<SubShare> {
    let pos = ctx.recipients().position(me)?;
    let member = ctx.recipients().members().get(pos)?;
    let sealed = d.encrypted_shares.get(pos)?;
    let ephemeral = TransportPublic::from_bytes(d.ephemeral)?;
    let shared = secret.diffie_hellman(&ephemeral);
    let value = transport::open_scalar(&shared, &share_aad(ctx, &d.dealer, me, &d.ephemeral, &member.transport), sealed)?;
    Some(SubShare(*value))
}

/// Whether `8*(value*G) == 8*(sum_k x^k C_k)`. The right side is public (variable time); the
/// secret side is a constant-time base-point multiplication, compared in constant time.
pub(crate) fn share_matches(commitments: &[CanonicalPoint], x: &Scalar, value: &Scalar) -> bool {
    let expected = EdwardsPoint::vartime_multiscalar_mul(powers(x, commitments.len()), commitments.iter().map(|c| *c.point()));
    constant_time_equal_mod_torsion(&group::mul_base(value), &expected)
}

/// `8*a == 8*b`, in constant time in `a`.
fn constant_time_equal_mod_torsion(a: &EdwardsPoint, b: &EdwardsPoint) -> bool {
    a.mul_by_cofactor().ct_eq(&b.mul_by_cofactor()).into()
}

/// Decrypts and checks the share dealt to `me` (recipient-side verification).
/// [`Error::InvalidShare`] means: file a complaint against this dealer.
pub fn open_share(ctx: &SessionContext, d: &Dealing, me: &Identifier, secret: &TransportSecret) -> Result<SubShare, Error> {
    if ctx.recipients().get(me).is_none() {
        return Err(Error::UnknownParticipant(*me));
    }
    let share = decrypt_share(ctx, d, me, secret).ok_or(Error::InvalidShare { dealer: d.dealer })?;
    if !share_matches(&d.commitments, &id_scalar(me), &share) {
        return Err(Error::InvalidShare { dealer: d.dealer });
    }
    Ok(share)
}

/// Decrypts and checks the shares dealt to `me` by many (publicly valid) dealings, with one
/// multiscalar multiplication over all commitments: `sum_i rho_i (sum_k x^k C_ik - s_i G) == 0`
/// with fresh random `rho_i` (a local decision, so local randomness is fine). On failure each
/// share is checked alone. Returns the good sub-shares and the dealers to complain about.
pub fn open_shares<R: RngCore + CryptoRng>(
    ctx: &SessionContext,
    dealings: &[&Dealing],
    me: &Identifier,
    secret: &TransportSecret,
    rng: &mut R,
) -> Result<(BTreeMap<Identifier, SubShare>, Vec<Identifier>), Error> {
    if ctx.recipients().get(me).is_none() {
        return Err(Error::UnknownParticipant(*me));
    }
    let x = id_scalar(me);
    let mut bad = Vec::new();
    let mut opened: Vec<(&Dealing, SubShare)> = Vec::with_capacity(dealings.len());
    let t = usize::from(ctx.recipients().threshold());
    // Only publicly valid dealings are opened; a malformed one is not a complaint matter.
    for d in dealings.iter().filter(|d| d.commitments.len() == t) {
        match decrypt_share(ctx, d, me, secret) {
            Some(s) => opened.push((d, s)),
            None => bad.push(d.dealer),
        }
    }
    let xs = powers(&x, t);
    let mut g_scalar = Zeroizing::new(Scalar::ZERO);
    let mut scalars = Vec::with_capacity(opened.len() * t);
    let mut points = Vec::with_capacity(opened.len() * t);
    // sum_i rho_i * s_i * G (secret: constant time) against sum_i rho_i * sum_k x^k C_ik
    // (public: variable time).
    for (d, s) in &opened {
        let rho = Scalar::from((u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()));
        *g_scalar += rho * **s;
        for (xk, c) in xs.iter().zip(&d.commitments) {
            scalars.push(rho * xk);
            points.push(*c.point());
        }
    }
    let expected = EdwardsPoint::vartime_multiscalar_mul(scalars, points);
    let batch_ok = constant_time_equal_mod_torsion(&group::mul_base(&g_scalar), &expected);
    let mut good = BTreeMap::new();
    for (d, s) in opened {
        if batch_ok || share_matches(&d.commitments, &x, &s) {
            good.insert(d.dealer, s);
        } else {
            bad.push(d.dealer);
        }
    }
    bad.sort();
    Ok((good, bad))
}

const MAX_DEALING_LEN: usize = 2 + 32 + 2 + MAX_COMMITTEE * 32 + 1 + 64 + 32 + 64 + 2 + MAX_COMMITTEE * SEALED_SCALAR_LEN;

impl Encode for Dealing {
    const TAG: u8 = tag::DEALING;
    /// Version 2 added the ephemeral key's proof of knowledge.
    const VERSION: u8 = 2;
    const MAX_LEN: usize = MAX_DEALING_LEN;

    fn encode_body(&self, w: &mut Writer) {
        w.identifier(&self.dealer).u16(u16::try_from(self.commitments.len()).unwrap_or(u16::MAX));
        for c in &self.commitments {
            w.point(c);
        }
        match &self.proof {
            Some(p) => {
                w.u8(1);
                p.encode(w);
            }
            None => {
                w.u8(0);
            }
        }
        w.raw(&self.ephemeral);
        self.ephemeral_proof.encode(w);
        w.u16(u16::try_from(self.encrypted_shares.len()).unwrap_or(u16::MAX));
        for s in &self.encrypted_shares {
            w.raw(s);
        }
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let dealer = r.identifier("dealer")?;
        let n = r.count("commitments", MAX_COMMITTEE, 32)?;
        let commitments = (0..n).map(|_| r.point("commitment")).collect::<Result<Vec<_>, _>>()?;
        if commitments.is_empty() {
            return Err(DecodeError::Invalid("a dealing needs at least one commitment"));
        }
        let proof = match r.u8("proof flag")? {
            0 => None,
            1 => Some(SchnorrProof::decode(r)?),
            _ => return Err(DecodeError::Invalid("proof flag")),
        };
        let ephemeral = r.array("ephemeral key")?;
        let ephemeral_proof = SchnorrProof::decode(r)?;
        let m = r.count("encrypted shares", MAX_COMMITTEE, SEALED_SCALAR_LEN)?;
        let encrypted_shares = (0..m).map(|_| r.array("encrypted share")).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { dealer, commitments, proof, ephemeral, ephemeral_proof, encrypted_shares })
    }
}
