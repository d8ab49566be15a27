//! Fiat-Shamir transcripts: SHA-512 over length-prefixed, labelled fields.
//!
//! Every challenge in this crate is derived from a transcript that starts with a domain tag
//! naming the protocol step and version, so a proof made for one step can never verify for
//! another.

use curve25519_dalek::scalar::Scalar;
use rand_chacha::rand_core::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

/// A running SHA-512 hash of labelled fields.
#[derive(Clone)]
pub struct Transcript(Sha512);

impl Transcript {
    /// Starts a transcript for a domain, e.g. `"tss/dkg-pok/v1"`.
    pub fn new(domain: &'static str) -> Self {
        let mut t = Self(Sha512::new());
        t.append(b"domain", domain.as_bytes());
        t
    }

    /// Appends a labelled field. Both label and value are length-prefixed, so no two different
    /// sequences of fields hash alike.
    pub fn append(&mut self, label: &'static [u8], value: &[u8]) -> &mut Self {
        self.0.update((label.len() as u64).to_le_bytes());
        self.0.update(label);
        self.0.update((value.len() as u64).to_le_bytes());
        self.0.update(value);
        self
    }

    /// Appends a `u64`.
    pub fn append_u64(&mut self, label: &'static [u8], value: u64) -> &mut Self {
        self.append(label, &value.to_le_bytes())
    }

    /// A challenge scalar (wide reduction of a 64-byte digest: uniform mod l).
    pub fn challenge_scalar(&self, label: &'static [u8]) -> Scalar {
        let mut h = self.0.clone();
        h.update((label.len() as u64).to_le_bytes());
        h.update(label);
        Scalar::from_hash(h)
    }

    /// A 128-bit scalar, for random linear combinations in batch verification. A marker no
    /// field can produce (a length of `u64::MAX`) separates it from appended fields.
    pub fn challenge_u128(&self, label: &'static [u8], index: u64) -> Scalar {
        let mut h = self.0.clone();
        h.update(u64::MAX.to_le_bytes());
        h.update((label.len() as u64).to_le_bytes());
        h.update(label);
        h.update(index.to_le_bytes());
        let digest = h.finalize();
        let mut bytes = [0u8; 32];
        for (b, d) in bytes.iter_mut().zip(digest.iter().take(16)) {
            *b = *d;
        }
        Scalar::from_bytes_mod_order(bytes)
    }

    /// A deterministic stream of challenges (for many random-linear-combination coefficients
    /// at the cost of one hash): ChaCha20 seeded from this transcript and `label`, separated
    /// from appended fields and from [`Self::challenge_u128`] by its own marker.
    pub fn challenge_rng(&self, label: &'static [u8]) -> ChaCha20Rng {
        let mut h = self.0.clone();
        h.update(u64::MAX.to_le_bytes());
        h.update(b"challenge-stream");
        h.update((label.len() as u64).to_le_bytes());
        h.update(label);
        let digest = h.finalize();
        let mut seed = [0u8; 32];
        for (s, d) in seed.iter_mut().zip(digest.iter()) {
            *s = *d;
        }
        ChaCha20Rng::from_seed(seed)
    }

    /// A hedged random generator for a prover's nonces: seeded from this transcript (what is
    /// being proven, in which session, by whom), the prover's secret and 32 fresh bytes of
    /// `rng`. A repeated or weak `rng` (a restored VM snapshot) then repeats a nonce only for
    /// the very same statement and secret, which leaks nothing; a good `rng` keeps the nonces
    /// uniformly random even if the secret is known.
    ///
    /// # Security
    /// Every secret-dependent nonce in this crate MUST come from here, never from `rng` alone.
    pub fn hedged_rng<R: RngCore + CryptoRng>(&self, secret: &[u8], rng: &mut R) -> ChaCha20Rng {
        let mut fresh = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(fresh.as_mut());
        let mut h = self.0.clone();
        h.update(u64::MAX.to_le_bytes());
        h.update(b"hedged-nonce");
        h.update((secret.len() as u64).to_le_bytes());
        h.update(secret);
        h.update(fresh.as_ref());
        let digest = Zeroizing::new(<[u8; 64]>::from(h.finalize()));
        let mut seed = Zeroizing::new([0u8; 32]);
        for (s, d) in seed.iter_mut().zip(digest.iter()) {
            *s = *d;
        }
        ChaCha20Rng::from_seed(*seed)
    }

    /// The 64-byte digest.
    pub fn digest(&self) -> [u8; 64] {
        self.0.clone().finalize().into()
    }
}
