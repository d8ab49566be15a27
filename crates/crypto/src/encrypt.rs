//! Labeled, CCA-secure encryption to a threshold key (TDH2 style, Schnorr-signed ElGamal).
//!
//! A ciphertext carries an ephemeral X25519 public key `E` (the Montgomery form of `r*G`), a
//! label, a proof of knowledge of `r` bound to the group key, generation, label and body, and an
//! AEAD body under a key derived from the X25519 shared secret `X25519(r, Y)`. Because the
//! ephemeral is a plain X25519 public key and the group key is exported in X25519 form, any
//! X25519 implementation can do the key agreement; the proof needs edwards25519 scalar
//! arithmetic. Validators produce decryption shares only for ciphertexts whose proof verifies,
//! so a ciphertext cannot be replayed under another label or group key.
//! `docs/ciphertext-format.md` specifies every byte.

use crate::error::Error;
use crate::group::{decode_prime_order, lift_x25519, mul_base, signed_x25519_scalar, to_x25519, CanonicalPoint};
use crate::keys::PublicKeySet;
use crate::transcript::Transcript;
use crate::transport::{self, TransportSecret};
use crate::wire::{tag, DecodeError, Encode, Reader, Writer};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

/// Longest label.
pub const MAX_LABEL_LEN: usize = 256;
/// Longest plaintext.
pub const MAX_PLAINTEXT_LEN: usize = 64 * 1024;
const TAG_LEN: usize = 16;
pub(crate) const KDF_SALT: &[u8] = b"tss/threshold-decryption/v1";

/// A group key used for encryption, named by its key generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptionKey {
    /// The key generation (rotation counter) this key belongs to.
    pub generation: u32,
    pub(crate) group_key: CanonicalPoint,
}

impl EncryptionKey {
    /// The encryption key of a key set at a generation.
    pub fn new(public: &PublicKeySet, generation: u32) -> Self {
        Self { generation, group_key: public.group_key }
    }

    /// Parses a published group key (32-byte Ed25519 encoding).
    pub fn from_bytes(group_key: [u8; 32], generation: u32) -> Option<Self> {
        decode_prime_order(group_key).map(|group_key| Self { generation, group_key })
    }

    /// The group key in X25519 form.
    pub fn x25519(&self) -> [u8; 32] {
        to_x25519(self.group_key.point())
    }
}

/// A ciphertext for threshold decryption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    /// The key generation it was encrypted to.
    pub generation: u32,
    /// The ephemeral X25519 public key.
    pub ephemeral: [u8; 32],
    /// The label (e.g. the owning contract and a purpose); bound by the proof.
    pub label: Vec<u8>,
    /// Proof commitment `R = k*G`.
    pub proof_r: CanonicalPoint,
    /// Proof response `z = k + c*r`.
    pub proof_z: Scalar,
    /// ChaCha20-Poly1305 ciphertext and tag.
    pub body: Vec<u8>,
}

/// Associated data of the body: `group key || generation (u32 BE) || ephemeral || label length
/// (u32 BE) || label`.
pub(crate) fn body_aad(group_key: &[u8; 32], generation: u32, ephemeral: &[u8; 32], label: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(72 + label.len());
    aad.extend_from_slice(group_key);
    aad.extend_from_slice(&generation.to_be_bytes());
    aad.extend_from_slice(ephemeral);
    aad.extend_from_slice(&(label.len() as u32).to_be_bytes());
    aad.extend_from_slice(label);
    aad
}

fn pok_challenge(key: &EncryptionKey, ephemeral: &[u8; 32], label: &[u8], body: &[u8], r: &CanonicalPoint) -> Scalar {
    let mut t = Transcript::new("tss/ciphertext-pok/v1");
    t.append(b"group key", &key.group_key.to_bytes())
        .append(b"generation", &key.generation.to_be_bytes())
        .append(b"ephemeral", ephemeral)
        .append(b"label", label)
        .append(b"body", body)
        .append(b"R", &r.to_bytes());
    t.challenge_scalar(b"challenge")
}

/// A label that names its owner: `u16be(len(owner)) ‖ owner ‖ purpose`. The chain decrypts a
/// ciphertext only for the account or contract its label names ([`label_owner`]); the length
/// prefix frames the owner, so owner `"bo"` can never claim a label of owner `"bob"`.
/// `None` when the owner is empty or the label would exceed [`MAX_LABEL_LEN`].
pub fn owned_label(owner: &[u8], purpose: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(owner.len()).ok().filter(|l| *l > 0)?;
    if 2 + owner.len() + purpose.len() > MAX_LABEL_LEN {
        return None;
    }
    let mut label = Vec::with_capacity(2 + owner.len() + purpose.len());
    label.extend_from_slice(&len.to_be_bytes());
    label.extend_from_slice(owner);
    label.extend_from_slice(purpose);
    Some(label)
}

/// The owner an [`owned_label`] names; `None` for a label not in that form.
pub fn label_owner(label: &[u8]) -> Option<&[u8]> {
    let (len, rest) = label.split_first_chunk::<2>()?;
    let owner = rest.get(..usize::from(u16::from_be_bytes(*len)))?;
    (!owner.is_empty()).then_some(owner)
}


/// Encrypts to a threshold key with a fresh ephemeral key.
pub fn encrypt<R: RngCore + CryptoRng>(key: &EncryptionKey, label: &[u8], plaintext: &[u8], rng: &mut R) -> Result<Ciphertext, Error> {
    let ephemeral = TransportSecret::generate(rng);
    encrypt_with_ephemeral(key, label, plaintext, &ephemeral, rng)
}

/// Encrypts with a caller-supplied X25519 ephemeral secret (for clients that already hold one).
///
/// # Security
/// The ephemeral secret MUST be fresh for every ciphertext.
pub fn encrypt_with_ephemeral<R: RngCore + CryptoRng>(
    key: &EncryptionKey,
    label: &[u8],
    plaintext: &[u8],
    ephemeral: &TransportSecret,
    rng: &mut R,
) -> Result<Ciphertext, Error> {
    if label.len() > MAX_LABEL_LEN {
        return Err(Error::InvalidCiphertext("label longer than 256 bytes"));
    }
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(Error::InvalidCiphertext("plaintext longer than 64 KiB"));
    }
    let epk = ephemeral.public();
    let e = epk.to_bytes();
    let group = crate::transport::TransportPublic::from_bytes(key.x25519())
        .ok_or(Error::InvalidCiphertext("group key is not a valid X25519 key"))?;
    let shared = ephemeral.diffie_hellman(&group);
    let aad = body_aad(&key.group_key.to_bytes(), key.generation, &e, label);
    let body = transport::seal(KDF_SALT, &shared, &aad, plaintext);
    // Proof of knowledge of r with r*G == lift(E), bound to everything above.
    let r = Zeroizing::new(signed_x25519_scalar(&ephemeral.to_bytes(), epk.lifted()));
    let mut hedge = crate::transcript::Transcript::new("tss/ciphertext-pok-nonce/v1");
    hedge.append(b"key", &key.group_key.to_bytes()).append(b"E", &e).append(b"label", label).append(b"body", &body);
    let k = Zeroizing::new(Scalar::random(&mut hedge.hedged_rng(r.as_bytes(), rng)));
    let proof_r = CanonicalPoint::new(mul_base(&k));
    let c = pok_challenge(key, &e, label, &body, &proof_r);
    Ok(Ciphertext { generation: key.generation, ephemeral: e, label: label.to_vec(), proof_r, proof_z: *k + c * *r, body })
}

impl Ciphertext {
    /// Checks the ciphertext against the key it claims: generation, ephemeral key and proof.
    /// Returns the ephemeral point `E` (edwards form, prime order) that shares are computed on.
    pub fn verify(&self, key: &EncryptionKey) -> Result<EdwardsPoint, Error> {
        if self.generation != key.generation {
            return Err(Error::InvalidCiphertext("encrypted to another key generation"));
        }
        if self.label.len() > MAX_LABEL_LEN || self.body.len() > MAX_PLAINTEXT_LEN + TAG_LEN || self.body.len() < TAG_LEN {
            return Err(Error::InvalidCiphertext("label or body length out of bounds"));
        }
        let e = lift_x25519(self.ephemeral).ok_or(Error::InvalidCiphertext("ephemeral key is not a prime-order X25519 key"))?;
        let c = pok_challenge(key, &self.ephemeral, &self.label, &self.body, &self.proof_r);
        if EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, &e, &self.proof_z) != *self.proof_r.point() {
            return Err(Error::InvalidCiphertext("proof of knowledge does not verify"));
        }
        Ok(e)
    }

    /// A digest identifying this ciphertext, bound into every decryption share.
    pub fn digest(&self) -> [u8; 64] {
        let mut t = Transcript::new("tss/ciphertext-id/v1");
        t.append(b"ciphertext", &self.to_bytes());
        t.digest()
    }

    /// Opens the body given the recovered X25519 shared secret.
    pub(crate) fn open_with(&self, key: &EncryptionKey, shared: &[u8; 32]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let aad = body_aad(&key.group_key.to_bytes(), self.generation, &self.ephemeral, &self.label);
        transport::open(KDF_SALT, shared, &aad, &self.body).ok_or(Error::DecryptionFailed)
    }
}

impl Encode for Ciphertext {
    const TAG: u8 = tag::CIPHERTEXT;
    const MAX_LEN: usize = 2 + 4 + 32 + 4 + MAX_LABEL_LEN + 64 + 4 + MAX_PLAINTEXT_LEN + TAG_LEN;

    fn encode_body(&self, w: &mut Writer) {
        w.u32(self.generation).raw(&self.ephemeral).bytes(&self.label).point(&self.proof_r).scalar(&self.proof_z).bytes(&self.body);
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let generation = r.u32("generation")?;
        let ephemeral = r.array("ephemeral key")?;
        let label = r.bytes("label", MAX_LABEL_LEN)?.to_vec();
        let proof_r = r.point("proof R")?;
        let proof_z = r.scalar("proof z")?;
        let body = r.bytes("body", MAX_PLAINTEXT_LEN + TAG_LEN)?.to_vec();
        if body.len() < TAG_LEN {
            return Err(DecodeError::Invalid("body shorter than its authentication tag"));
        }
        Ok(Self { generation, ephemeral, label, proof_r, proof_z, body })
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn a_label_names_exactly_one_owner() {
        let label = owned_label(b"bob", b"/bid").expect("fits");
        assert_eq!(label_owner(&label), Some(&b"bob"[..]));
        // A shorter owner that is a prefix of the real one does not match.
        assert_ne!(label_owner(&label), Some(&b"bo"[..]));
        // An unframed label (the old prefix convention) names nobody.
        assert_eq!(label_owner(b"bob/bid"), None);
        assert_eq!(label_owner(&[0, 0]), None);
        assert_eq!(label_owner(&[0, 5, b'a']), None);
        assert_eq!(owned_label(b"", b"x"), None);
        assert_eq!(owned_label(&[1; 200], &[2; 60]), None);
    }
}
