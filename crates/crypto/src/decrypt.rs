//! Threshold decryption shares, public and re-encrypted.
//!
//! **Public mode.** Holder `i` publishes `D_i = s_i*E` with a DLEQ proof against its verifying
//! share `Y_i`. Any `t` valid shares combine by Lagrange in the exponent to `s*E`, whose X25519
//! form is the shared secret the encryptor computed; the plaintext becomes public.
//!
//! **Re-encryption mode** (private delivery). The requester names an X25519 transport key
//! `T = tau*G`. Holder `i` picks `k_i` and publishes `U_i = k_i*G`, `V_i = s_i*E + k_i*T` with a
//! proof of the linear relation. Shares combine publicly to `(U, V) = (k*G, s*E + k*T)`: an
//! ElGamal encryption of `s*E` to `T`. Only the requester learns `s*E = V - tau*U`; no
//! plaintext or combinable decryption share ever becomes public.
//!
//! Verification equations are cofactored and combined points are projected onto the
//! prime-order subgroup (see [`crate::group`]), so a share with a torsion component cannot
//! corrupt the result.

use crate::committee::id_scalar;
use crate::dleq::{DleqProof, DLEQ_PROOF_LEN};
use crate::encrypt::{Ciphertext, EncryptionKey};
use crate::error::Error;
use crate::group::{is_zero_mod_torsion, lagrange_at_zero, mul_base, projected_msm, to_x25519, CanonicalPoint};
use crate::keys::{KeyShare, PublicKeySet};
use crate::transcript::Transcript;
use crate::transport::{TransportPublic, TransportSecret};
use crate::wire::{tag, DecodeError, Encode, Reader, Writer};
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use frost_ed25519::Identifier;
use rand_core::{CryptoRng, RngCore};
use std::collections::BTreeSet;
use zeroize::Zeroizing;

/// A public decryption share `D_i = s_i*E` with its proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecryptionShare {
    /// The share holder.
    pub holder: Identifier,
    /// `D_i`.
    pub point: CanonicalPoint,
    /// DLEQ proof `log_G(Y_i) == log_E(D_i)`.
    pub proof: DleqProof,
}

fn share_transcript(ct_digest: &[u8; 64], holder: &Identifier) -> Transcript {
    let mut t = Transcript::new("tss/decryption-share/v1");
    t.append(b"ciphertext", ct_digest).append(b"holder", &holder.serialize());
    t
}

/// Computes this holder's public decryption share. Refuses unless the ciphertext's proof
/// verifies for this key.
pub fn decryption_share<R: RngCore + CryptoRng>(
    ct: &Ciphertext,
    key: &EncryptionKey,
    share: &KeyShare,
    public: &PublicKeySet,
    rng: &mut R,
) -> Result<DecryptionShare, Error> {
    let e = CanonicalPoint::new(ct.verify(key)?);
    let y = public.verifying_share(&share.id).ok_or(Error::UnknownParticipant(share.id))?;
    let point = CanonicalPoint::new(e.point() * share.secret);
    let proof = DleqProof::prove(&share_transcript(&ct.digest(), &share.id), y, &e, &point, &share.secret, rng);
    Ok(DecryptionShare { holder: share.id, point, proof })
}

/// Verifies many decryption shares of one ciphertext in one multiscalar multiplication
/// (coefficients from a hash of all shares, so the outcome is deterministic), falling back to
/// one-by-one checks to name culprits. Unknown holders and repeated holders are culprits.
/// Returns the valid shares (first per holder) and the culprits.
pub fn verify_decryption_shares(
    ct: &Ciphertext,
    key: &EncryptionKey,
    public: &PublicKeySet,
    shares: &[DecryptionShare],
) -> Result<(Vec<DecryptionShare>, Vec<Identifier>), Error> {
    let e = CanonicalPoint::new(ct.verify(key)?);
    let digest = ct.digest();
    let mut culprits = Vec::new();
    let mut seen = BTreeSet::new();
    let mut candidates = Vec::new();
    for s in shares {
        match public.verifying_share(&s.holder) {
            Some(y) if seen.insert(s.holder) => candidates.push((s, y, DleqProof::challenge(&share_transcript(&digest, &s.holder), y, &e, &s.point, &s.proof.a1, &s.proof.a2))),
            _ => culprits.push(s.holder),
        }
    }
    let mut batch_t = Transcript::new("tss/decryption-share-batch/v1");
    batch_t.append(b"ciphertext", &digest);
    for (s, _, _) in &candidates {
        batch_t.append(b"share", &s.to_bytes());
    }
    let (mut g, mut h) = (Scalar::ZERO, Scalar::ZERO);
    let mut scalars = Vec::with_capacity(4 * candidates.len() + 2);
    let mut points = Vec::with_capacity(4 * candidates.len() + 2);
    for (k, (s, y, c)) in candidates.iter().enumerate() {
        let rho = batch_t.challenge_u128(b"rho", 2 * k as u64);
        let sigma = batch_t.challenge_u128(b"rho", 2 * k as u64 + 1);
        g += rho * s.proof.z;
        h += sigma * s.proof.z;
        scalars.extend([-rho, -(rho * c), -sigma, -(sigma * c)]);
        points.extend([*s.proof.a1.point(), *y.point(), *s.proof.a2.point(), *s.point.point()]);
    }
    scalars.extend([g, h]);
    points.extend([ED25519_BASEPOINT_POINT, *e.point()]);
    let batch_ok = is_zero_mod_torsion(&EdwardsPoint::vartime_multiscalar_mul(scalars, points));
    let mut valid = Vec::with_capacity(candidates.len());
    for (s, y, c) in candidates {
        let ok = batch_ok || {
            let r1 = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, y.point(), &s.proof.z) - s.proof.a1.point();
            let r2 = EdwardsPoint::vartime_multiscalar_mul([s.proof.z, -c], [e.point(), s.point.point()]) - s.proof.a2.point();
            is_zero_mod_torsion(&r1) && is_zero_mod_torsion(&r2)
        };
        if ok {
            valid.push(*s);
        } else {
            culprits.push(s.holder);
        }
    }
    Ok((valid, culprits))
}

/// Lagrange-combines the first `t` items (by holder order) in the exponent, projected.
fn combine_points(public: &PublicKeySet, items: &mut [(Identifier, EdwardsPoint)], culprits: Vec<Identifier>) -> Result<EdwardsPoint, Error> {
    let t = usize::from(public.threshold());
    if items.len() < t {
        return Err(if culprits.is_empty() {
            Error::NotEnoughContributions { have: items.len(), need: t }
        } else {
            Error::InvalidDecryptionShares { culprits }
        });
    }
    items.sort_by_key(|item| item.0);
    let chosen = items.get(..t).unwrap_or_default();
    let xs: Vec<Scalar> = chosen.iter().map(|(id, _)| id_scalar(id)).collect();
    let lambdas = lagrange_at_zero(&xs).ok_or(Error::InvalidCommittee("duplicate holders"))?;
    Ok(projected_msm(lambdas, chosen.iter().map(|(_, p)| p)))
}

/// Recovers the X25519 shared secret `s*E` from decryption shares. Needs `t` valid shares;
/// invalid ones are skipped and, if too few remain, named.
pub fn recover_shared_secret(ct: &Ciphertext, key: &EncryptionKey, public: &PublicKeySet, shares: &[DecryptionShare]) -> Result<Zeroizing<[u8; 32]>, Error> {
    let (valid, culprits) = verify_decryption_shares(ct, key, public, shares)?;
    let mut items: Vec<_> = valid.iter().map(|s| (s.holder, *s.point.point())).collect();
    let d = combine_points(public, &mut items, culprits)?;
    Ok(Zeroizing::new(to_x25519(&d)))
}

/// Combines decryption shares and opens the ciphertext (public mode).
pub fn combine(ct: &Ciphertext, key: &EncryptionKey, public: &PublicKeySet, shares: &[DecryptionShare]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let shared = recover_shared_secret(ct, key, public, shares)?;
    ct.open_with(key, &shared)
}

/// A re-encryption share `(U_i, V_i)` with its proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReencryptionShare {
    /// The share holder.
    pub holder: Identifier,
    /// `U_i = k_i*G`.
    pub u: CanonicalPoint,
    /// `V_i = s_i*E + k_i*T`.
    pub v: CanonicalPoint,
    proof: LinearProof,
}

/// Proof of knowledge of `(s, k)` with `Y = s*G`, `U = k*G`, `V = s*E + k*T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LinearProof {
    a1: CanonicalPoint,
    a2: CanonicalPoint,
    a3: CanonicalPoint,
    z1: Scalar,
    z2: Scalar,
}

fn reencryption_challenge(ct_digest: &[u8; 64], transport: &TransportPublic, holder: &Identifier, points: [&CanonicalPoint; 6]) -> Scalar {
    let mut t = Transcript::new("tss/reencryption-share/v1");
    t.append(b"ciphertext", ct_digest).append(b"transport", &transport.to_bytes()).append(b"holder", &holder.serialize());
    for p in points {
        t.append(b"point", &p.to_bytes());
    }
    t.challenge_scalar(b"challenge")
}

/// Computes this holder's re-encryption share for a requester's transport key.
pub fn reencryption_share<R: RngCore + CryptoRng>(
    ct: &Ciphertext,
    key: &EncryptionKey,
    share: &KeyShare,
    public: &PublicKeySet,
    transport: &TransportPublic,
    rng: &mut R,
) -> Result<ReencryptionShare, Error> {
    let e = ct.verify(key)?;
    let y = public.verifying_share(&share.id).ok_or(Error::UnknownParticipant(share.id))?;
    let tp = transport.lifted();
    // Hedged: k, a and b depend on the ciphertext, the target key, the holder and its share.
    let mut hedge = Transcript::new("tss/reencryption-share/v1");
    hedge.append(b"ciphertext", &ct.digest()).append(b"transport", &transport.to_bytes()).append(b"holder", &share.id.serialize());
    let mut rng = hedge.hedged_rng(share.secret.as_bytes(), rng);
    let k = Zeroizing::new(Scalar::random(&mut rng));
    let u = CanonicalPoint::new(mul_base(&k));
    let v = CanonicalPoint::new(e * share.secret + tp * *k);
    let (a, b) = (Zeroizing::new(Scalar::random(&mut rng)), Zeroizing::new(Scalar::random(&mut rng)));
    let a1 = CanonicalPoint::new(mul_base(&a));
    let a2 = CanonicalPoint::new(mul_base(&b));
    let a3 = CanonicalPoint::new(e * *a + tp * *b);
    let c = reencryption_challenge(&ct.digest(), transport, &share.id, [y, &u, &v, &a1, &a2, &a3]);
    let proof = LinearProof { a1, a2, a3, z1: *a + c * share.secret, z2: *b + c * *k };
    Ok(ReencryptionShare { holder: share.id, u, v, proof })
}

fn verify_reencryption_share(digest: &[u8; 64], e: &EdwardsPoint, transport: &TransportPublic, y: &CanonicalPoint, s: &ReencryptionShare) -> bool {
    let p = &s.proof;
    let c = reencryption_challenge(digest, transport, &s.holder, [y, &s.u, &s.v, &p.a1, &p.a2, &p.a3]);
    let r1 = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, y.point(), &p.z1) - p.a1.point();
    let r2 = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, s.u.point(), &p.z2) - p.a2.point();
    let r3 = EdwardsPoint::vartime_multiscalar_mul([p.z1, p.z2, -c], [e, transport.lifted(), s.v.point()]) - p.a3.point();
    is_zero_mod_torsion(&r1) && is_zero_mod_torsion(&r2) && is_zero_mod_torsion(&r3)
}

/// The combined re-encryption `(U, V)`: public, opens only with the transport secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReencryptedKey {
    /// `U = k*G`.
    pub u: CanonicalPoint,
    /// `V = s*E + k*T`.
    pub v: CanonicalPoint,
}

/// Verifies re-encryption shares: returns the valid ones (first per holder) and the culprits
/// (invalid proof, unknown or repeated holder).
pub fn verify_reencryption_shares(
    ct: &Ciphertext,
    key: &EncryptionKey,
    public: &PublicKeySet,
    transport: &TransportPublic,
    shares: &[ReencryptionShare],
) -> Result<(Vec<ReencryptionShare>, Vec<Identifier>), Error> {
    let e = ct.verify(key)?;
    let digest = ct.digest();
    let mut culprits = Vec::new();
    let mut seen = BTreeSet::new();
    let mut valid = Vec::new();
    for s in shares {
        match public.verifying_share(&s.holder) {
            Some(y) if seen.insert(s.holder) && verify_reencryption_share(&digest, &e, transport, y, s) => valid.push(*s),
            _ => culprits.push(s.holder),
        }
    }
    Ok((valid, culprits))
}

/// Verifies re-encryption shares and combines `t` valid ones; invalid, unknown or repeated
/// holders are named if too few valid shares remain.
pub fn combine_reencryption(
    ct: &Ciphertext,
    key: &EncryptionKey,
    public: &PublicKeySet,
    transport: &TransportPublic,
    shares: &[ReencryptionShare],
) -> Result<ReencryptedKey, Error> {
    let (valid, culprits) = verify_reencryption_shares(ct, key, public, transport, shares)?;
    let mut us: Vec<_> = valid.iter().map(|s| (s.holder, *s.u.point())).collect();
    let mut vs: Vec<_> = valid.iter().map(|s| (s.holder, *s.v.point())).collect();
    let u = combine_points(public, &mut us, culprits.clone())?;
    let v = combine_points(public, &mut vs, culprits)?;
    Ok(ReencryptedKey { u: CanonicalPoint::new(u), v: CanonicalPoint::new(v) })
}

/// Opens a re-encrypted ciphertext with the requester's transport secret.
///
/// `U` and `V` must be in the prime-order subgroup: a relay that added a small-order point to
/// `U` would otherwise learn `tau mod 8` from whether opening succeeds.
pub fn open_reencrypted(ct: &Ciphertext, key: &EncryptionKey, rk: &ReencryptedKey, transport: &TransportSecret) -> Result<Zeroizing<Vec<u8>>, Error> {
    if !rk.u.point().is_torsion_free() || !rk.v.point().is_torsion_free() {
        return Err(Error::InvalidCiphertext("re-encrypted key has a small-order component"));
    }
    let tau = transport.signed_scalar();
    let d = rk.v.point() - rk.u.point() * *tau;
    let shared = Zeroizing::new(to_x25519(&d));
    ct.open_with(key, &shared)
}

impl Encode for DecryptionShare {
    const TAG: u8 = tag::DECRYPTION_SHARE;
    const MAX_LEN: usize = 2 + 64 + DLEQ_PROOF_LEN;

    fn encode_body(&self, w: &mut Writer) {
        w.identifier(&self.holder).point(&self.point);
        self.proof.encode(w);
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self { holder: r.identifier("holder")?, point: r.point("decryption share")?, proof: DleqProof::decode(r)? })
    }
}

impl Encode for ReencryptionShare {
    const TAG: u8 = tag::REENCRYPTION_SHARE;
    const MAX_LEN: usize = 2 + 32 * 3 + 32 * 5;

    fn encode_body(&self, w: &mut Writer) {
        let p = &self.proof;
        w.identifier(&self.holder).point(&self.u).point(&self.v).point(&p.a1).point(&p.a2).point(&p.a3).scalar(&p.z1).scalar(&p.z2);
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            holder: r.identifier("holder")?,
            u: r.point("U")?,
            v: r.point("V")?,
            proof: LinearProof { a1: r.point("A1")?, a2: r.point("A2")?, a3: r.point("A3")?, z1: r.scalar("z1")?, z2: r.scalar("z2")? },
        })
    }
}

impl Encode for ReencryptedKey {
    const TAG: u8 = tag::REENCRYPTED_KEY;
    const MAX_LEN: usize = 2 + 64;

    fn encode_body(&self, w: &mut Writer) {
        w.point(&self.u).point(&self.v);
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut prime = |what| crate::group::decode_prime_order(r.array(what)?).ok_or(DecodeError::Invalid(what));
        Ok(Self { u: prime("U")?, v: prime("V")? })
    }
}
