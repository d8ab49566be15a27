//! Share transport: X25519 -> HKDF-SHA256 -> ChaCha20-Poly1305.
//!
//! Each validator has a long-lived X25519 *transport key* (its communication key), separate from
//! its consensus key. Requesters of private decryptions use the same kind of key. A dealing uses
//! one ephemeral X25519 key; the share for recipient `j` is sealed under
//! `HKDF(salt = "tss/share-transport/v1", ikm = X25519(e, X_j), info = aad)` with associated data
//! `aad` binding the session (chain id, session id, kind, committees), the dealer, the recipient,
//! the ephemeral key and the recipient's key. The AEAD key is unique per (dealing, recipient), so
//! the all-zero nonce is safe.

use crate::group::{lift_x25519, signed_x25519_scalar};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use hkdf::Hkdf;
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Bytes of a sealed 32-byte scalar: plaintext + Poly1305 tag.
pub const SEALED_SCALAR_LEN: usize = 48;

/// An X25519 secret key: a validator's communication key or a requester's transport key.
///
/// # Security
/// Zeroized on drop; `Debug` prints nothing secret. It MUST only be persisted through
/// [`TransportSecret::to_bytes`] into an encrypted store.
pub struct TransportSecret(x25519_dalek::StaticSecret);

impl TransportSecret {
    /// A fresh random key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(x25519_dalek::StaticSecret::random_from_rng(rng))
    }

    /// Restores a key from its 32 secret bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(x25519_dalek::StaticSecret::from(bytes))
    }

    /// The secret bytes, in a buffer zeroized on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    pub fn public(&self) -> TransportPublic {
        let bytes = x25519_dalek::PublicKey::from(&self.0).to_bytes();
        // An X25519 public key made from a clamped scalar always lifts.
        TransportPublic::from_bytes(bytes).unwrap_or_else(unreachable_key)
    }

    /// Plain X25519 with a peer's public key.
    pub(crate) fn diffie_hellman(&self, peer: &TransportPublic) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.diffie_hellman(&x25519_dalek::PublicKey::from(peer.bytes)).to_bytes())
    }

    /// The scalar `x` with `x * G == self.public().lifted()`.
    pub(crate) fn signed_scalar(&self) -> Zeroizing<Scalar> {
        let public = self.public();
        Zeroizing::new(signed_x25519_scalar(&self.0.to_bytes(), public.lifted()))
    }
}

/// Bytes of a proof of possession of a transport key.
pub const POSSESSION_PROOF_LEN: usize = 64;

/// What a proof of possession is bound to: the chain (its owner is bound separately).
pub fn possession_context(chain_id: &str) -> [u8; 64] {
    let mut t = crate::transcript::Transcript::new("tss/transport-key-context/v1");
    t.append(b"chain id", chain_id.as_bytes());
    t.digest()
}

impl TransportSecret {
    /// A proof that `owner` knows this key's secret, bound to the chain: what a validator
    /// announces with a new transport key, so nobody can register a key it cannot use (and so
    /// turn the Diffie-Hellman values complaints reveal against its real owner). The nonce is
    /// hedged.
    pub fn prove_possession<R: RngCore + CryptoRng>(&self, chain_id: &str, owner: &frost_ed25519::Identifier, rng: &mut R) -> [u8; POSSESSION_PROOF_LEN] {
        let public = crate::group::CanonicalPoint::new(*self.public().lifted());
        let proof = crate::pok::SchnorrProof::prove(crate::pok::Statement::TransportKey, &possession_context(chain_id), owner, &self.signed_scalar(), &public, rng);
        let mut w = crate::wire::Writer::default();
        proof.encode(&mut w);
        w.finish().try_into().unwrap_or([0u8; POSSESSION_PROOF_LEN])
    }
}

impl TransportPublic {
    /// Checks a proof from [`TransportSecret::prove_possession`].
    pub fn verify_possession(&self, chain_id: &str, owner: &frost_ed25519::Identifier, proof: &[u8; POSSESSION_PROOF_LEN]) -> bool {
        let mut r = crate::wire::Reader::new(proof);
        let Ok(proof) = crate::pok::SchnorrProof::decode(&mut r) else { return false };
        if r.finish().is_err() {
            return false;
        }
        proof.verify(crate::pok::Statement::TransportKey, &possession_context(chain_id), owner, &crate::group::CanonicalPoint::new(*self.lifted()))
    }
}

#[cold]
fn unreachable_key() -> TransportPublic {
    // Clamped scalars times the base point are never small-order; keep the type total anyway.
    TransportPublic { bytes: [9u8; 32], lifted: EdwardsPoint::default() }
}

impl std::fmt::Debug for TransportSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransportSecret(<redacted>)")
    }
}

/// An X25519 public key, validated: canonical, on the curve, in the prime-order subgroup.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TransportPublic {
    bytes: [u8; 32],
    lifted: EdwardsPoint,
}

impl TransportPublic {
    /// Validates an X25519 public key. `None` for non-canonical, twist, small-order or
    /// mixed-order keys.
    pub fn from_bytes(bytes: [u8; 32]) -> Option<Self> {
        lift_x25519(bytes).map(|lifted| Self { bytes, lifted })
    }

    /// The 32-byte X25519 encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// The key as an edwards25519 point (sign bit 0).
    pub fn lifted(&self) -> &EdwardsPoint {
        &self.lifted
    }
}

impl std::fmt::Debug for TransportPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TransportPublic({})", crate::group::hex_short(&self.bytes))
    }
}

fn aead_key(salt: &[u8], shared: &[u8; 32], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    // HKDF-SHA256 expand of 32 bytes cannot fail (limit is 255 * 32).
    let _ = Hkdf::<Sha256>::new(Some(salt), shared).expand(info, okm.as_mut());
    okm
}

/// Seals bytes under a key derived from an X25519 shared secret.
pub(crate) fn seal(salt: &[u8], shared: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let key = aead_key(salt, shared, aad);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
    // Encryption only fails for plaintexts over 256 GiB; callers bound lengths far below that.
    cipher.encrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: plaintext, aad }).unwrap_or_default()
}

/// Opens bytes sealed by [`seal`]; `None` if any byte of the ciphertext, the key or the
/// associated data differs.
pub(crate) fn open(salt: &[u8], shared: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let key = aead_key(salt, shared, aad);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
    cipher.decrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: sealed, aad }).ok().map(Zeroizing::new)
}

const SHARE_SALT: &[u8] = b"tss/share-transport/v1";

/// Seals a share scalar for one recipient.
pub(crate) fn seal_scalar(shared: &[u8; 32], aad: &[u8], value: &Scalar) -> [u8; SEALED_SCALAR_LEN] {
    let sealed = seal(SHARE_SALT, shared, aad, value.as_bytes());
    let mut out = [0u8; SEALED_SCALAR_LEN];
    if sealed.len() == SEALED_SCALAR_LEN {
        out.copy_from_slice(&sealed);
    }
    out
}

/// Opens a sealed share scalar; `None` on any tampering or a non-canonical scalar.
pub(crate) fn open_scalar(shared: &[u8; 32], aad: &[u8], sealed: &[u8; SEALED_SCALAR_LEN]) -> Option<Zeroizing<Scalar>> {
    let plain = open(SHARE_SALT, shared, aad, sealed)?;
    let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
    crate::group::decode_scalar(bytes).map(Zeroizing::new)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn possession_proofs_bind_key_owner_and_chain() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let key = TransportSecret::generate(&mut rng);
        let other = TransportSecret::generate(&mut rng);
        let alice = crate::participant_id(b"alice").unwrap();
        let bob = crate::participant_id(b"bob").unwrap();
        let proof = key.prove_possession("chain", &alice, &mut rng);
        assert!(key.public().verify_possession("chain", &alice, &proof));
        // Someone else announcing Alice's key with her proof, another chain, another key.
        assert!(!key.public().verify_possession("chain", &bob, &proof));
        assert!(!key.public().verify_possession("other-chain", &alice, &proof));
        assert!(!other.public().verify_possession("chain", &alice, &proof));
        let mut bad = proof;
        bad[40] ^= 1;
        assert!(!key.public().verify_possession("chain", &alice, &bad));
        assert!(!key.public().verify_possession("chain", &alice, &[0xff; POSSESSION_PROOF_LEN]));
    }

    #[test]
    fn sealed_scalar_detects_any_tampering() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let a = TransportSecret::generate(&mut rng);
        let b = TransportSecret::generate(&mut rng);
        let shared = a.diffie_hellman(&b.public());
        assert_eq!(*shared, *b.diffie_hellman(&a.public()));
        let value = Scalar::random(&mut rng);
        let sealed = seal_scalar(&shared, b"context", &value);
        assert_eq!(*open_scalar(&shared, b"context", &sealed).expect("opens"), value);
        for i in 0..SEALED_SCALAR_LEN {
            let mut bad = sealed;
            bad[i] ^= 1;
            assert!(open_scalar(&shared, b"context", &bad).is_none(), "byte {i}");
        }
        assert!(open_scalar(&shared, b"other context", &sealed).is_none());
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let a = TransportSecret::generate(&mut rng);
        let printed = format!("{a:?}");
        assert!(!printed.contains(&hex::encode(a.to_bytes().as_ref())));
        assert!(printed.contains("redacted"));
    }
}
