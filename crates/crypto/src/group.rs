//! Curve arithmetic on edwards25519: canonical decoding, the Montgomery (X25519) bridge,
//! torsion handling, polynomials and Lagrange coefficients.
//!
//! This is the only module that knows how points and scalars are encoded. Every other
//! module works on [`CanonicalPoint`] and [`Scalar`].
//!
//! # Torsion
//! edwards25519 has cofactor 8. A byzantine dealer can publish commitments with a small-order
//! component; checking every commitment for torsion costs one full scalar multiplication each
//! (6,700 of them for a 100-validator round). Instead every commitment is *interpreted modulo
//! torsion*: verification equations are cofactored (multiplied by 8) and aggregated results are
//! projected onto the prime-order subgroup with [`project`]. An honest dealer's commitments have
//! no torsion, so for honest data nothing changes; a dishonest one gains nothing. Points whose
//! torsion would leak or corrupt secrets (ciphertext ephemerals, communication keys, revealed
//! Diffie-Hellman secrets) are checked strictly with [`decode_prime_order`] instead.

use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, VartimeMultiscalarMul};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A point together with its canonical 32-byte encoding, so that hashing and re-encoding never
/// recompress.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CanonicalPoint {
    bytes: [u8; 32],
    point: EdwardsPoint,
}

impl CanonicalPoint {
    /// Wraps a point computed locally.
    pub fn new(point: EdwardsPoint) -> Self {
        Self { bytes: point.compress().to_bytes(), point }
    }

    /// Decodes a canonical encoding. Non-canonical encodings (y >= p, or the "negative zero"
    /// x) and bytes that are not a curve point are rejected. Torsion is *not* checked.
    pub fn decode(bytes: [u8; 32]) -> Option<Self> {
        let point = CompressedEdwardsY(bytes).decompress()?;
        (point.compress().to_bytes() == bytes).then_some(Self { bytes, point })
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// The point.
    pub fn point(&self) -> &EdwardsPoint {
        &self.point
    }
}

impl std::fmt::Debug for CanonicalPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Point({})", hex_short(&self.bytes))
    }
}

pub(crate) fn hex_short(bytes: &[u8]) -> String {
    bytes.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>() + ".."
}

/// Decompresses an encoding whose `y < p`, checked on the bytes instead of by recompressing
/// (which costs as much as decompressing). The only other non-canonical encodings, `x = 0` with
/// the sign bit set, decode to the identity and the point of order 2: callers refuse small
/// order (or clear it) anyway. Torsion is not checked.
pub fn decompress_canonical_y(bytes: [u8; 32]) -> Option<EdwardsPoint> {
    // y >= p = 2^255 - 19 exactly when the low 255 bits are 2^255 - 19 ..= 2^255 - 1.
    let y_too_large = bytes[0] >= 0xed && bytes[1..31].iter().all(|b| *b == 0xff) && bytes[31] & 0x7f == 0x7f;
    if y_too_large {
        return None;
    }
    CompressedEdwardsY(bytes).decompress()
}

/// Decodes a point that must be canonical, in the prime-order subgroup and not the identity.
pub fn decode_prime_order(bytes: [u8; 32]) -> Option<CanonicalPoint> {
    let p = CanonicalPoint::decode(bytes)?;
    (p.point.is_torsion_free() && !p.point.is_identity()).then_some(p)
}

/// Decodes a canonical scalar (< l).
pub fn decode_scalar(bytes: [u8; 32]) -> Option<Scalar> {
    Option::from(Scalar::from_canonical_bytes(bytes))
}

/// Lifts an X25519 public key (a Montgomery u-coordinate) to the edwards25519 point with sign
/// bit 0. Rejects non-canonical u (>= p), points on the twist, small-order points and points
/// with a torsion component: what remains is exactly the set of keys an honest X25519 party
/// (clamped scalar times the base point) can produce, up to sign.
pub fn lift_x25519(u: [u8; 32]) -> Option<EdwardsPoint> {
    let p = MontgomeryPoint(u).to_edwards(0)?;
    if p.to_montgomery().to_bytes() != u || p.is_identity() || !p.is_torsion_free() {
        return None;
    }
    Some(p)
}

/// The X25519 (Montgomery u-coordinate) form of a point.
pub fn to_x25519(p: &EdwardsPoint) -> [u8; 32] {
    p.to_montgomery().to_bytes()
}

/// The scalar an X25519 secret multiplies by, signed so that `scalar * G` is exactly the lifted
/// public key `lift_x25519(public)` (the lift fixes the sign bit, the secret does not).
pub fn signed_x25519_scalar(secret_bytes: &[u8; 32], lifted_public: &EdwardsPoint) -> Scalar {
    let mut clamped = *secret_bytes;
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    let mut s = Scalar::from_bytes_mod_order(clamped);
    clamped.zeroize();
    if EdwardsPoint::mul_base(&s) != *lifted_public {
        s = -s;
    }
    s
}

/// 8^-1 mod l.
pub(crate) fn inv8() -> Scalar {
    Scalar::from(8u64).invert()
}

/// The prime-order component of `p`: `8^-1 * (8 * p)`.
pub fn project(p: &EdwardsPoint) -> EdwardsPoint {
    p.mul_by_cofactor() * inv8()
}

/// `sum scalars_i * points_i`, projected onto the prime-order subgroup. The projection is
/// folded into the scalars so it costs no extra multiplication.
pub fn projected_msm<'a>(
    scalars: impl IntoIterator<Item = Scalar>,
    points: impl IntoIterator<Item = &'a EdwardsPoint>,
) -> EdwardsPoint {
    let i8 = inv8();
    EdwardsPoint::vartime_multiscalar_mul(
        scalars.into_iter().map(|s| s * i8),
        points.into_iter().map(|p| p.mul_by_cofactor()),
    )
}

/// True when `8 * p` is the identity, i.e. `p` is zero modulo torsion.
pub fn is_zero_mod_torsion(p: &EdwardsPoint) -> bool {
    p.mul_by_cofactor().is_identity()
}

/// `x * G` using the precomputed base-point table.
pub fn mul_base(x: &Scalar) -> EdwardsPoint {
    x * ED25519_BASEPOINT_TABLE
}

/// A uniformly random non-zero scalar.
pub fn random_nonzero_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Scalar {
    loop {
        let s = Scalar::random(rng);
        if s != Scalar::ZERO {
            return s;
        }
    }
}

/// A secret polynomial `f(x) = a_0 + a_1 x + ... + a_{t-1} x^{t-1}`.
///
/// # Security
/// The coefficients are secret; they are zeroized on drop and never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretPolynomial {
    coefficients: Vec<Scalar>,
}

impl SecretPolynomial {
    /// A random polynomial of the given degree + 1 with a fixed constant term.
    pub fn random<R: RngCore + CryptoRng>(constant: Scalar, threshold: u16, rng: &mut R) -> Self {
        let mut coefficients = Vec::with_capacity(usize::from(threshold));
        coefficients.push(constant);
        for _ in 1..threshold {
            coefficients.push(Scalar::random(rng));
        }
        Self { coefficients }
    }

    /// A random polynomial with `threshold` coefficients that vanishes at `x`: random
    /// `a_1..a_{t-1}` and `a_0 = -sum_k a_k x^k`.
    pub fn random_vanishing_at<R: RngCore + CryptoRng>(x: &Scalar, threshold: u16, rng: &mut R) -> Self {
        let mut poly = Self::random(Scalar::ZERO, threshold, rng);
        let at_x = poly.evaluate(x);
        if let Some(a0) = poly.coefficients.first_mut() {
            *a0 = -at_x;
        }
        poly
    }

    /// The constant term.
    pub fn constant(&self) -> Scalar {
        self.coefficients.first().copied().unwrap_or(Scalar::ZERO)
    }

    /// `f(x)` by Horner's rule.
    pub fn evaluate(&self, x: &Scalar) -> Scalar {
        self.coefficients.iter().rev().fold(Scalar::ZERO, |acc, a| acc * x + a)
    }

    /// Feldman commitments `a_k * G`.
    pub fn commit(&self) -> Vec<CanonicalPoint> {
        self.coefficients.iter().map(|a| CanonicalPoint::new(mul_base(a))).collect()
    }
}

impl std::fmt::Debug for SecretPolynomial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretPolynomial(<redacted>)")
    }
}

/// `[1, x, x^2, ..., x^{len-1}]`.
pub fn powers(x: &Scalar, len: usize) -> Vec<Scalar> {
    let mut out = Vec::with_capacity(len);
    let mut acc = Scalar::ONE;
    for _ in 0..len {
        out.push(acc);
        acc *= x;
    }
    out
}

/// Evaluates committed polynomials in the exponent: `sum_k x^k * C_k`, modulo torsion.
pub fn evaluate_commitment(commitments: &[CanonicalPoint], x: &Scalar) -> EdwardsPoint {
    projected_msm(powers(x, commitments.len()), commitments.iter().map(|c| c.point()))
}

/// Lagrange coefficients at `x` for the given distinct x-coordinates:
/// `lambda_i(x) = prod_{j != i} (x - x_j) / (x_i - x_j)`. Returns `None` if two coordinates are
/// equal.
pub fn lagrange_at(xs: &[Scalar], x: &Scalar) -> Option<Vec<Scalar>> {
    let mut out = Vec::with_capacity(xs.len());
    for (i, xi) in xs.iter().enumerate() {
        let mut num = Scalar::ONE;
        let mut den = Scalar::ONE;
        for (j, xj) in xs.iter().enumerate() {
            if i != j {
                num *= x - xj;
                den *= xi - xj;
            }
        }
        if den == Scalar::ZERO {
            return None;
        }
        out.push(num * den.invert());
    }
    Some(out)
}

/// Lagrange coefficients at zero for the given distinct, non-zero x-coordinates:
/// `lambda_i = prod_{j != i} x_j / (x_j - x_i)`. Returns `None` if two coordinates are equal
/// or one is zero. One batched inversion for the whole set.
pub fn lagrange_at_zero(xs: &[Scalar]) -> Option<Vec<Scalar>> {
    let mut numerators = Vec::with_capacity(xs.len());
    let mut denominators = Vec::with_capacity(xs.len());
    let product: Scalar = xs.iter().product();
    for (i, xi) in xs.iter().enumerate() {
        if *xi == Scalar::ZERO {
            return None;
        }
        let mut den = *xi;
        for (j, xj) in xs.iter().enumerate() {
            if i != j {
                let d = xj - xi;
                if d == Scalar::ZERO {
                    return None;
                }
                den *= d;
            }
        }
        numerators.push(product);
        denominators.push(den);
    }
    Scalar::batch_invert(&mut denominators);
    Some(numerators.iter().zip(&denominators).map(|(n, d)| n * d).collect())
}

/// The identity point.
pub fn identity() -> EdwardsPoint {
    EdwardsPoint::identity()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn lagrange_interpolates_constant_term() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let secret = Scalar::random(&mut rng);
        let poly = SecretPolynomial::random(secret, 4, &mut rng);
        let xs: Vec<Scalar> = (0..4).map(|_| Scalar::random(&mut rng)).collect();
        let lambdas = lagrange_at_zero(&xs).expect("distinct xs");
        let recovered: Scalar = xs.iter().zip(&lambdas).map(|(x, l)| l * poly.evaluate(x)).sum();
        assert_eq!(recovered, secret);
        // With one share fewer the interpolation lands elsewhere.
        let lambdas3 = lagrange_at_zero(&xs[..3]).expect("distinct xs");
        let wrong: Scalar = xs.iter().zip(&lambdas3).map(|(x, l)| l * poly.evaluate(x)).sum();
        assert_ne!(wrong, secret);
    }

    #[test]
    fn lagrange_rejects_duplicates_and_zero() {
        assert!(lagrange_at_zero(&[Scalar::ONE, Scalar::ONE]).is_none());
        assert!(lagrange_at_zero(&[Scalar::ZERO, Scalar::ONE]).is_none());
    }

    #[test]
    fn projection_removes_torsion_only() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let p = mul_base(&Scalar::random(&mut rng));
        let torsion = curve25519_dalek::constants::EIGHT_TORSION[1];
        assert!(!(p + torsion).is_torsion_free());
        assert_eq!(project(&(p + torsion)), p);
        assert_eq!(project(&p), p);
    }

    #[test]
    fn x25519_lift_matches_plain_x25519() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let a = x25519_dalek::StaticSecret::random_from_rng(&mut rng);
        let b = x25519_dalek::StaticSecret::random_from_rng(&mut rng);
        let a_pub = x25519_dalek::PublicKey::from(&a);
        let b_pub = x25519_dalek::PublicKey::from(&b);
        let a_lift = lift_x25519(a_pub.to_bytes()).expect("honest key lifts");
        let b_lift = lift_x25519(b_pub.to_bytes()).expect("honest key lifts");
        let a_scalar = signed_x25519_scalar(&a.to_bytes(), &a_lift);
        assert_eq!(mul_base(&a_scalar), a_lift);
        let shared = a.diffie_hellman(&b_pub);
        assert_eq!(to_x25519(&(a_scalar * b_lift)), *shared.as_bytes());
    }

    #[test]
    fn lift_rejects_small_order_and_noncanonical() {
        assert!(lift_x25519([0u8; 32]).is_none());
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(lift_x25519(one).is_none());
        assert!(lift_x25519([0xff; 32]).is_none());
    }

    #[test]
    fn canonical_decoding_rejects_noncanonical_y() {
        // y = p (non-canonical encoding of y = 0).
        let mut bytes = [0xffu8; 32];
        bytes[0] = 0xed;
        bytes[31] = 0x7f;
        assert!(CanonicalPoint::decode(bytes).is_none());
    }
}
