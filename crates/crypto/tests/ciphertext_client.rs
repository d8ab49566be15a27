//! An independent client of threshold encryption, written from `docs/ciphertext-format.md`
//! alone: it builds ciphertexts with x25519-dalek, hkdf + sha2, chacha20poly1305 and
//! curve25519-dalek scalar arithmetic, hashes the proof transcript by hand and serializes every
//! byte itself. Nothing of the crate's encryption code or its `Transcript` is used on the client
//! side; the crate is only the *receiver*: it must decode, verify and threshold-decrypt what the
//! client made, and a requester opening a re-encrypted result by hand must get the plaintext.
//!
//! The fixed test vector printed in the document is recomputed here and the document is checked
//! to contain it, so the page and the code cannot drift apart silently.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use hkdf::Hkdf;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeSet;
use tss_crypto::decrypt::{
    combine, combine_reencryption, decryption_share, open_reencrypted, recover_shared_secret, reencryption_share, ReencryptedKey,
};
use tss_crypto::encrypt::{Ciphertext, EncryptionKey};
use tss_crypto::local::{Faults, LocalNetwork};
use tss_crypto::{DecodeError, Encode, Error, Identifier, KeyShare, PublicKeySet, SessionContext, SessionKind, TransportPublic, TransportSecret};
use x25519_dalek::{PublicKey, StaticSecret};

// ---------------------------------------------------------------------------------------------
// The client, from the document.
// ---------------------------------------------------------------------------------------------

/// Constants of the document, section "Constants".
const TAG_CIPHERTEXT: u8 = 0x06;
const TAG_REENCRYPTED_KEY: u8 = 0x08;
const VERSION: u8 = 0x01;
const KDF_SALT: &[u8] = b"tss/threshold-decryption/v1";
const POK_DOMAIN: &[u8] = b"tss/ciphertext-pok/v1";

/// The network key as the client receives it: the Ed25519 encoding of the group key and the key
/// generation.
#[derive(Clone, Copy)]
struct NetworkKey {
    ed25519: [u8; 32],
    generation: u32,
}

impl NetworkKey {
    /// Section "The network key": `u = (1 + y) / (1 - y) mod p`.
    fn x25519(&self) -> [u8; 32] {
        CompressedEdwardsY(self.ed25519).decompress().expect("group key decodes").to_montgomery().to_bytes()
    }
}

/// Everything the client computed, for assertions and the test vector.
struct ClientOutput {
    bytes: Vec<u8>,
    ephemeral_public: [u8; 32],
    shared: [u8; 32],
    aad: Vec<u8>,
    aead_key: [u8; 32],
    body: Vec<u8>,
    negated: bool,
    r: Scalar,
    proof_r: [u8; 32],
    challenge: Scalar,
    z: Scalar,
}

/// One transcript field: `u64le(len(label)) || label || u64le(len(value)) || value`.
fn field(out: &mut Vec<u8>, label: &[u8], value: &[u8]) {
    out.extend_from_slice(&(label.len() as u64).to_le_bytes());
    out.extend_from_slice(label);
    out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    out.extend_from_slice(value);
}

/// Section "Key agreement and key derivation": the associated data.
fn associated_data(key: &NetworkKey, ephemeral: &[u8; 32], label: &[u8]) -> Vec<u8> {
    let mut aad = Vec::new();
    aad.extend_from_slice(&key.ed25519);
    aad.extend_from_slice(&key.generation.to_be_bytes());
    aad.extend_from_slice(ephemeral);
    aad.extend_from_slice(&(label.len() as u32).to_be_bytes());
    aad.extend_from_slice(label);
    aad
}

/// HKDF-SHA256(salt = KDF_SALT, ikm = shared, info = aad), 32 bytes.
fn aead_key(shared: &[u8; 32], aad: &[u8]) -> [u8; 32] {
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(KDF_SALT), shared).expand(aad, &mut okm).expect("32 bytes");
    okm
}

/// Section "The signed scalar of an X25519 secret": clamp, reduce mod l, and negate when
/// `r*G` encodes with sign bit 1. Returns the scalar and whether it was negated.
fn signed_scalar(secret: &[u8; 32]) -> (Scalar, bool) {
    let mut clamped = *secret;
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    let r = Scalar::from_bytes_mod_order(clamped);
    let negate = EdwardsPoint::mul_base(&r).compress().to_bytes()[31] & 0x80 != 0;
    if negate {
        (-r, true)
    } else {
        (r, false)
    }
}

/// Section "Proof of knowledge of the ephemeral scalar": the bytes hashed for the challenge.
fn pok_input(key: &NetworkKey, ephemeral: &[u8; 32], label: &[u8], body: &[u8], proof_r: &[u8; 32]) -> Vec<u8> {
    let mut t = Vec::new();
    field(&mut t, b"domain", POK_DOMAIN);
    field(&mut t, b"group key", &key.ed25519);
    field(&mut t, b"generation", &key.generation.to_be_bytes());
    field(&mut t, b"ephemeral", ephemeral);
    field(&mut t, b"label", label);
    field(&mut t, b"body", body);
    field(&mut t, b"R", proof_r);
    // challenge_scalar: the label alone (length-prefixed, no value length, no value).
    t.extend_from_slice(&(b"challenge".len() as u64).to_le_bytes());
    t.extend_from_slice(b"challenge");
    t
}

/// SHA-512 of the challenge input.
fn pok_digest(key: &NetworkKey, ephemeral: &[u8; 32], label: &[u8], body: &[u8], proof_r: &[u8; 32]) -> [u8; 64] {
    Sha512::digest(pok_input(key, ephemeral, label, body, proof_r)).into()
}

/// The challenge: the digest read as a 512-bit little-endian integer, reduced mod l.
fn pok_challenge(key: &NetworkKey, ephemeral: &[u8; 32], label: &[u8], body: &[u8], proof_r: &[u8; 32]) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&pok_digest(key, ephemeral, label, body, proof_r))
}

/// The whole client: encrypt `plaintext` under `label` to `key`, with the given X25519 ephemeral
/// secret and proof nonce `k`.
fn client_encrypt(key: &NetworkKey, label: &[u8], plaintext: &[u8], ephemeral_secret: [u8; 32], k: Scalar) -> ClientOutput {
    assert!(label.len() <= 256 && plaintext.len() <= 65536);
    // Key agreement with the network key's X25519 form.
    let eph = StaticSecret::from(ephemeral_secret);
    let ephemeral_public = PublicKey::from(&eph).to_bytes();
    let shared = eph.diffie_hellman(&PublicKey::from(key.x25519())).to_bytes();
    // Body.
    let aad = associated_data(key, &ephemeral_public, label);
    let aead_key = aead_key(&shared, &aad);
    let body = ChaCha20Poly1305::new(Key::from_slice(&aead_key))
        .encrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: plaintext, aad: &aad })
        .expect("encrypts");
    // Proof of knowledge of r with r*G == lift(E).
    let (r, negated) = signed_scalar(&ephemeral_secret);
    let proof_r = EdwardsPoint::mul_base(&k).compress().to_bytes();
    let challenge = pok_challenge(key, &ephemeral_public, label, &body, &proof_r);
    let z = k + challenge * r;
    // Serialization.
    let mut bytes = vec![TAG_CIPHERTEXT, VERSION];
    bytes.extend_from_slice(&key.generation.to_be_bytes());
    bytes.extend_from_slice(&ephemeral_public);
    bytes.extend_from_slice(&(label.len() as u32).to_be_bytes());
    bytes.extend_from_slice(label);
    bytes.extend_from_slice(&proof_r);
    bytes.extend_from_slice(z.as_bytes());
    bytes.extend_from_slice(&(body.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&body);
    ClientOutput { bytes, ephemeral_public, shared, aad, aead_key, body, negated, r, proof_r, challenge, z }
}

/// Section "Opening a re-encrypted result": `D = V - tau*U`, shared secret = u(D), then the
/// same HKDF and AEAD as the encryptor.
fn client_open_reencrypted(key: &NetworkKey, ciphertext: &[u8], reencrypted: &[u8], transport_secret: &[u8; 32]) -> Option<Vec<u8>> {
    // The requester parses the ciphertext's generation, ephemeral and label (it made or fetched it).
    let generation = u32::from_be_bytes(ciphertext[2..6].try_into().ok()?);
    let ephemeral: [u8; 32] = ciphertext[6..38].try_into().ok()?;
    let label_len = u32::from_be_bytes(ciphertext[38..42].try_into().ok()?) as usize;
    let label = &ciphertext[42..42 + label_len];
    let rest = &ciphertext[42 + label_len + 64..];
    let body_len = u32::from_be_bytes(rest[..4].try_into().ok()?) as usize;
    let body = &rest[4..4 + body_len];
    assert_eq!(generation, key.generation);
    // ReencryptedKey: tag, version, U, V.
    if reencrypted.len() != 66 || reencrypted[0] != TAG_REENCRYPTED_KEY || reencrypted[1] != VERSION {
        return None;
    }
    let decode = |b: &[u8]| -> Option<EdwardsPoint> {
        let bytes: [u8; 32] = b.try_into().ok()?;
        let p = CompressedEdwardsY(bytes).decompress()?;
        // Canonical, and (defensively, see the document) in the prime-order subgroup.
        (p.compress().to_bytes() == bytes && p.is_torsion_free()).then_some(p)
    };
    let u = decode(&reencrypted[2..34])?;
    let v = decode(&reencrypted[34..66])?;
    let (tau, _) = signed_scalar(transport_secret);
    let d = v - u * tau;
    let shared = d.to_montgomery().to_bytes();
    let aad = associated_data(key, &ephemeral, label);
    let aead_key = aead_key(&shared, &aad);
    ChaCha20Poly1305::new(Key::from_slice(&aead_key)).decrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: body, aad: &aad }).ok()
}

// ---------------------------------------------------------------------------------------------
// A threshold key to encrypt to.
// ---------------------------------------------------------------------------------------------

struct Network {
    net: LocalNetwork,
    ids: Vec<Identifier>,
    public: PublicKeySet,
}

fn dkg(n: usize, t: u16, rng: &mut ChaCha20Rng) -> Network {
    let mut net = LocalNetwork::default();
    let mut ids: Vec<Identifier> = (0..n).map(|i| net.add(format!("validator-{i}").as_bytes(), rng).unwrap()).collect();
    ids.sort();
    let committee = net.committee(&ids, t).unwrap();
    let ctx = SessionContext::new("client-test-chain", [3u8; 32], SessionKind::Dkg, committee).unwrap();
    let report = net.run(&ctx, &Faults::default(), rng).unwrap();
    Network { net, ids, public: report.public }
}

impl Network {
    fn share(&self, id: &Identifier) -> &KeyShare {
        self.net.participants[id].share.as_ref().unwrap()
    }

    fn decrypt(&self, ct: &Ciphertext, key: &EncryptionKey, holders: &[Identifier], rng: &mut ChaCha20Rng) -> Result<(Vec<u8>, [u8; 32]), Error> {
        let shares = holders.iter().map(|id| decryption_share(ct, key, self.share(id), &self.public, rng)).collect::<Result<Vec<_>, _>>()?;
        let plaintext = combine(ct, key, &self.public, &shares)?.to_vec();
        let shared = *recover_shared_secret(ct, key, &self.public, &shares)?;
        Ok((plaintext, shared))
    }
}

fn random_bytes(rng: &mut ChaCha20Rng) -> [u8; 32] {
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    b
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[test]
fn client_ciphertexts_are_accepted_and_threshold_decrypted() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xC11E);
    let network = dkg(4, 3, &mut rng);
    let generation = 2;
    let key = EncryptionKey::new(&network.public, generation);
    let client_key = NetworkKey { ed25519: network.public.group_key(), generation };
    // The X25519 form the client derives from the Ed25519 encoding is the one the crate publishes.
    assert_eq!(client_key.x25519(), network.public.group_key_x25519());
    assert_eq!(client_key.x25519(), key.x25519());

    let long_label = vec![0xabu8; 256];
    let cases: [(&[u8], &[u8]); 4] = [
        (b"contract:alice/purpose:bid", b"sealed bid: 42 tokens"),
        (b"", b"empty label"),
        (b"empty plaintext", b""),
        (&long_label, &[7u8; 1000]),
    ];
    let mut signs_seen = BTreeSet::new();
    for i in 0..16usize {
        let (label, plaintext) = cases[i % cases.len()];
        let eph = StaticSecret::random_from_rng(&mut rng).to_bytes();
        let k = Scalar::random(&mut rng);
        let out = client_encrypt(&client_key, label, plaintext, eph, k);
        signs_seen.insert(out.negated);
        assert_eq!(out.bytes.len(), 2 + 4 + 32 + 4 + label.len() + 64 + 4 + plaintext.len() + 16);

        let ct = Ciphertext::from_bytes(&out.bytes).expect("the crate decodes the client's bytes");
        assert_eq!(ct.to_bytes(), out.bytes, "canonical: re-encoding gives the same bytes");
        assert_eq!(ct.generation, generation);
        assert_eq!(ct.label, label);
        assert_eq!(ct.ephemeral, out.ephemeral_public);
        ct.verify(&key).expect("the client's proof verifies");

        // Any 3 of the 4 holders decrypt.
        let holders: Vec<Identifier> = network.ids.iter().copied().filter(|id| *id != network.ids[i % 4]).collect();
        let (plaintext_out, shared) = network.decrypt(&ct, &key, &holders, &mut rng).expect("threshold decryption");
        assert_eq!(plaintext_out, plaintext);
        // The recovered shared secret is exactly the client's X25519 output.
        assert_eq!(shared, out.shared);
        let x25519_again = StaticSecret::from(eph).diffie_hellman(&PublicKey::from(network.public.group_key_x25519()));
        assert_eq!(shared, *x25519_again.as_bytes());
    }
    assert_eq!(signs_seen.len(), 2, "both signs of r*G were exercised");
}

#[test]
fn recovered_shared_secret_is_the_x25519_output() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5EC2E7);
    let network = dkg(3, 2, &mut rng);
    let key = EncryptionKey::new(&network.public, 0);
    let client_key = NetworkKey { ed25519: network.public.group_key(), generation: 0 };
    let eph = StaticSecret::random_from_rng(&mut rng);
    let expected = eph.diffie_hellman(&PublicKey::from(client_key.x25519()));
    let out = client_encrypt(&client_key, b"label", b"payload", eph.to_bytes(), Scalar::random(&mut rng));
    let ct = Ciphertext::from_bytes(&out.bytes).unwrap();
    let shares: Vec<_> = network.ids[..2].iter().map(|id| decryption_share(&ct, &key, network.share(id), &network.public, &mut rng).unwrap()).collect();
    let recovered = recover_shared_secret(&ct, &key, &network.public, &shares).unwrap();
    assert_eq!(*recovered, *expected.as_bytes());
}

#[test]
fn changed_label_byte_is_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x1ABE1);
    let network = dkg(4, 3, &mut rng);
    let key = EncryptionKey::new(&network.public, 9);
    let client_key = NetworkKey { ed25519: network.public.group_key(), generation: 9 };
    let label = b"contract:alice/purpose:vote";
    let out = client_encrypt(&client_key, label, b"yes", random_bytes(&mut rng), Scalar::random(&mut rng));
    Ciphertext::from_bytes(&out.bytes).unwrap().verify(&key).expect("untouched ciphertext verifies");

    let label_start = 2 + 4 + 32 + 4;
    for i in 0..label.len() {
        let mut bytes = out.bytes.clone();
        bytes[label_start + i] ^= 0x01;
        // Still well-formed on the wire ...
        let ct = Ciphertext::from_bytes(&bytes).expect("a changed label byte still decodes");
        assert_ne!(ct.label, label);
        // ... but the proof binds the label: validators refuse it and produce no share.
        assert!(matches!(ct.verify(&key), Err(Error::InvalidCiphertext(_))), "label byte {i}");
        assert!(decryption_share(&ct, &key, network.share(&network.ids[0]), &network.public, &mut rng).is_err());
    }

    // The same holds for every other bound field: generation, ephemeral, proof, body.
    let body_start = out.bytes.len() - out.body.len();
    for pos in [2, 5, 6, 37, label_start + label.len() + 5, label_start + label.len() + 40, body_start, out.bytes.len() - 1] {
        let mut bytes = out.bytes.clone();
        bytes[pos] ^= 0x01;
        if let Ok(ct) = Ciphertext::from_bytes(&bytes) {
            assert!(ct.verify(&key).is_err(), "byte {pos}");
        }
    }
    // A ciphertext for another generation of the same group key is refused too.
    assert!(Ciphertext::from_bytes(&out.bytes).unwrap().verify(&EncryptionKey::new(&network.public, 10)).is_err());
}

#[test]
fn reencrypted_result_opens_per_document() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x0E7E);
    let network = dkg(4, 3, &mut rng);
    let key = EncryptionKey::new(&network.public, 1);
    let client_key = NetworkKey { ed25519: network.public.group_key(), generation: 1 };
    let plaintext = b"only the requester may read this";
    let out = client_encrypt(&client_key, b"private", plaintext, random_bytes(&mut rng), Scalar::random(&mut rng));
    let ct = Ciphertext::from_bytes(&out.bytes).unwrap();

    let mut negations = BTreeSet::new();
    for _ in 0..8 {
        // The requester's transport key, a plain X25519 key made with x25519-dalek.
        let requester = StaticSecret::random_from_rng(&mut rng);
        negations.insert(signed_scalar(&requester.to_bytes()).1);
        let transport = TransportPublic::from_bytes(PublicKey::from(&requester).to_bytes()).expect("an honest X25519 key is accepted");
        let shares: Vec<_> = network.ids[1..]
            .iter()
            .map(|id| reencryption_share(&ct, &key, network.share(id), &network.public, &transport, &mut rng).unwrap())
            .collect();
        let rk = combine_reencryption(&ct, &key, &network.public, &transport, &shares).unwrap();
        let rk_bytes = rk.to_bytes();
        assert_eq!(ReencryptedKey::from_bytes(&rk_bytes).unwrap(), rk);
        let opened = client_open_reencrypted(&client_key, &out.bytes, &rk_bytes, &requester.to_bytes()).expect("the requester opens it");
        assert_eq!(opened, plaintext);
        // The crate's own opener agrees.
        let crate_opened = open_reencrypted(&ct, &key, &rk, &TransportSecret::from_bytes(requester.to_bytes())).unwrap();
        assert_eq!(crate_opened.as_slice(), plaintext);
        // Someone else's transport secret does not open it.
        assert!(client_open_reencrypted(&client_key, &out.bytes, &rk_bytes, &random_bytes(&mut rng)).is_none());
    }
    assert_eq!(negations.len(), 2, "both signs of tau*G were exercised");
}

#[test]
fn decoding_bounds_and_canonicality() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xB0B);
    let network = dkg(3, 2, &mut rng);
    let key = EncryptionKey::new(&network.public, 4);
    let client_key = NetworkKey { ed25519: network.public.group_key(), generation: 4 };
    let label = b"bounds";
    let out = client_encrypt(&client_key, label, b"x", random_bytes(&mut rng), Scalar::random(&mut rng));
    let z_at = 2 + 4 + 32 + 4 + label.len() + 32;

    // Trailing byte.
    let mut bytes = out.bytes.clone();
    bytes.push(0);
    assert_eq!(Ciphertext::from_bytes(&bytes), Err(DecodeError::TrailingBytes(1)));
    // Wrong tag and version.
    let mut bytes = out.bytes.clone();
    bytes[0] = 0x05;
    assert!(matches!(Ciphertext::from_bytes(&bytes), Err(DecodeError::WrongTag { found: 0x05, expected: 0x06 })));
    let mut bytes = out.bytes.clone();
    bytes[1] = 2;
    assert_eq!(Ciphertext::from_bytes(&bytes), Err(DecodeError::UnsupportedVersion { found: 2, expected: 1 }));
    // Truncation anywhere.
    for n in 0..out.bytes.len() {
        assert!(Ciphertext::from_bytes(&out.bytes[..n]).is_err(), "prefix of {n} bytes");
    }
    // z + l is the same residue but not canonical: rejected.
    let l = Scalar::ZERO - Scalar::ONE; // l - 1
    let mut z_plus_l = [0u8; 32];
    let mut carry = 0u16;
    for (i, (a, b)) in out.z.as_bytes().iter().zip(l.as_bytes()).enumerate() {
        let s = u16::from(*a) + u16::from(*b) + carry + u16::from(i == 0);
        z_plus_l[i] = s as u8;
        carry = s >> 8;
    }
    if carry == 0 {
        let mut bytes = out.bytes.clone();
        bytes[z_at..z_at + 32].copy_from_slice(&z_plus_l);
        assert!(matches!(Ciphertext::from_bytes(&bytes), Err(DecodeError::Invalid(_))));
    }
    // Label over 256 bytes: rejected from its length field alone.
    let big = client_encrypt(&client_key, &[1u8; 256], b"", random_bytes(&mut rng), Scalar::random(&mut rng));
    let mut bytes = big.bytes.clone();
    bytes[38..42].copy_from_slice(&257u32.to_be_bytes());
    assert!(matches!(Ciphertext::from_bytes(&bytes), Err(DecodeError::TooLong { len: 257, max: 256, .. })));
    // Body shorter than the 16-byte tag.
    let mut bytes = out.bytes[..out.bytes.len() - out.body.len() - 4].to_vec();
    bytes.extend_from_slice(&15u32.to_be_bytes());
    bytes.extend_from_slice(&[0u8; 15]);
    assert!(matches!(Ciphertext::from_bytes(&bytes), Err(DecodeError::Invalid(_))));
    // An invalid ephemeral key decodes but does not verify.
    for bad in [[0u8; 32], { let mut b = [0u8; 32]; b[0] = 1; b }, [0xff; 32]] {
        let mut bytes = out.bytes.clone();
        bytes[6..38].copy_from_slice(&bad);
        let ct = Ciphertext::from_bytes(&bytes).expect("the ephemeral is not checked on decode");
        assert!(ct.verify(&key).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// The test vector of the document.
// ---------------------------------------------------------------------------------------------

const DOC: &str = include_str!("../../../docs/ciphertext-format.md");
const WIRE_DOC: &str = include_str!("../../../docs/wire-format.md");

/// Inputs of the vector.
const VECTOR_GROUP_SECRET: &str = "4a1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e70f";
const VECTOR_GENERATION: u32 = 7;
const VECTOR_LABEL: &[u8] = b"contract:example/purpose:vector";
const VECTOR_PLAINTEXT: &[u8] = b"threshold encryption test vector";
const VECTOR_EPHEMERAL_SECRET: &str = "0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292c";
const VECTOR_K: &str = "0c2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a0b";

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

#[test]
fn document_test_vector() {
    let s = Scalar::from_canonical_bytes(hex32(VECTOR_GROUP_SECRET)).unwrap();
    let group_key = EdwardsPoint::mul_base(&s).compress().to_bytes();
    let client_key = NetworkKey { ed25519: group_key, generation: VECTOR_GENERATION };
    let k = Scalar::from_canonical_bytes(hex32(VECTOR_K)).unwrap();
    let out = client_encrypt(&client_key, VECTOR_LABEL, VECTOR_PLAINTEXT, hex32(VECTOR_EPHEMERAL_SECRET), k);
    let mut clamped = hex32(VECTOR_EPHEMERAL_SECRET);
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    let unsigned_r = Scalar::from_bytes_mod_order(clamped);
    let unsigned_r_g = EdwardsPoint::mul_base(&unsigned_r).compress().to_bytes();
    assert_eq!(unsigned_r_g[31] & 0x80, 0x80, "the vector's r*G has sign bit 1");
    assert_eq!(out.r, -unsigned_r);

    let values = [
        ("group key (Ed25519)", hex::encode(group_key)),
        ("group key (X25519)", hex::encode(client_key.x25519())),
        ("ephemeral public E", hex::encode(out.ephemeral_public)),
        ("shared secret", hex::encode(out.shared)),
        ("associated data", hex::encode(&out.aad)),
        ("AEAD key", hex::encode(out.aead_key)),
        ("body", hex::encode(&out.body)),
        ("clamped secret", hex::encode(clamped)),
        ("clamped secret mod l", hex::encode(unsigned_r.as_bytes())),
        ("encoding of (clamped mod l)*G", hex::encode(unsigned_r_g)),
        ("signed r", hex::encode(out.r.as_bytes())),
        ("R", hex::encode(out.proof_r)),
        ("challenge input", hex::encode(pok_input(&client_key, &out.ephemeral_public, VECTOR_LABEL, &out.body, &out.proof_r))),
        ("challenge digest", hex::encode(pok_digest(&client_key, &out.ephemeral_public, VECTOR_LABEL, &out.body, &out.proof_r))),
        ("c", hex::encode(out.challenge.as_bytes())),
        ("z", hex::encode(out.z.as_bytes())),
        ("ciphertext", hex::encode(&out.bytes)),
    ];
    // The vector exercises the negation branch.
    assert!(out.negated);
    // Every value appears verbatim in the document.
    for (name, value) in &values {
        assert!(DOC.contains(value.as_str()), "docs/ciphertext-format.md lacks the vector's {name}: {value}");
    }

    // The crate accepts it and decrypts it with a 1-of-1 key set holding s, built from its wire
    // encoding (docs/wire-format.md): tag 0x09, version, threshold, group key, one member.
    let mut id = [0u8; 32];
    id[0] = 1;
    let mut pks = vec![0x09, 0x01];
    pks.extend_from_slice(&1u16.to_be_bytes());
    pks.extend_from_slice(&group_key);
    pks.extend_from_slice(&1u16.to_be_bytes());
    pks.extend_from_slice(&id);
    pks.extend_from_slice(&group_key);
    assert!(WIRE_DOC.contains(&hex::encode(&pks)), "docs/wire-format.md lacks the example key set");
    let public = PublicKeySet::from_bytes(&pks).expect("key set decodes");
    assert_eq!(public.to_bytes(), pks);
    let holder = Identifier::deserialize(&id).unwrap();
    let share = KeyShare::from_secret_bytes(holder, &s.to_bytes(), &public).unwrap();
    let key = EncryptionKey::new(&public, VECTOR_GENERATION);
    let ct = Ciphertext::from_bytes(&out.bytes).unwrap();
    ct.verify(&key).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let d = decryption_share(&ct, &key, &share, &public, &mut rng).unwrap();
    assert_eq!(combine(&ct, &key, &public, &[d]).unwrap().as_slice(), VECTOR_PLAINTEXT);
    assert_eq!(*recover_shared_secret(&ct, &key, &public, &[d]).unwrap(), out.shared);
}
