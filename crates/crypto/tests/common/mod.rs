//! Shared helpers for the integration tests: a seeded network, signing and decryption with a
//! chosen set of participants, and an independent Ed25519 verifier.
#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tss_crypto::decrypt::{combine, decryption_share};
use tss_crypto::decrypt_batch::ShareBase;
use tss_crypto::encrypt::{encrypt, Ciphertext, EncryptionKey};
use tss_crypto::local::{Faults, LocalNetwork, SessionReport};
use tss_crypto::sign::{aggregate, preprocess, sign, signing_package};
use tss_crypto::{Error, Identifier, KeyShare, PublicKeySet, SessionContext, SessionKind};

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub const CHAIN: &str = "test-chain";

pub fn session_id(n: u8) -> [u8; 32] {
    [n; 32]
}

/// A network of `n` participants named `validator-0..n`.
pub fn network(n: usize, rng: &mut ChaCha20Rng) -> (LocalNetwork, Vec<Identifier>) {
    let mut net = LocalNetwork::default();
    let mut ids: Vec<Identifier> = (0..n).map(|i| net.add(format!("validator-{i}").as_bytes(), rng).unwrap()).collect();
    ids.sort();
    (net, ids)
}

pub fn dkg(net: &mut LocalNetwork, ids: &[Identifier], t: u16, sid: u8, rng: &mut ChaCha20Rng) -> SessionReport {
    dkg_with(net, ids, t, sid, &Faults::default(), rng)
}

pub fn dkg_with(net: &mut LocalNetwork, ids: &[Identifier], t: u16, sid: u8, faults: &Faults, rng: &mut ChaCha20Rng) -> SessionReport {
    let committee = net.committee(ids, t).unwrap();
    let ctx = SessionContext::new(CHAIN, session_id(sid), SessionKind::Dkg, committee).unwrap();
    net.run(&ctx, faults, rng).unwrap()
}

pub fn refresh(net: &mut LocalNetwork, public: &PublicKeySet, sid: u8, rng: &mut ChaCha20Rng) -> SessionReport {
    let ids: Vec<Identifier> = public.ids().collect();
    let committee = net.committee(&ids, public.threshold()).unwrap();
    let ctx = SessionContext::new(CHAIN, session_id(sid), SessionKind::Refresh { previous: public.clone() }, committee).unwrap();
    net.run(&ctx, &Faults::default(), rng).unwrap()
}

pub fn reshare(net: &mut LocalNetwork, public: &PublicKeySet, new_ids: &[Identifier], t: u16, sid: u8, rng: &mut ChaCha20Rng) -> SessionReport {
    let committee = net.committee(new_ids, t).unwrap();
    let ctx = SessionContext::new(CHAIN, session_id(sid), SessionKind::Reshare { previous: public.clone() }, committee).unwrap();
    let report = net.run(&ctx, &Faults::default(), rng).unwrap();
    // Members that left erase their share of the key.
    for (id, p) in net.participants.iter_mut() {
        if !new_ids.contains(id) {
            p.share = None;
        }
    }
    report
}

/// Signs with the given shares, each against `public`.
pub fn sign_with_shares(shares: &[&KeyShare], public: &PublicKeySet, message: &[u8], rng: &mut ChaCha20Rng) -> Result<[u8; 64], Error> {
    let mut nonces = Vec::new();
    let mut commitments = Vec::new();
    for share in shares {
        let (nonce, commitment) = preprocess(share, 1, rng)?.pop().unwrap();
        nonces.push(nonce);
        commitments.push(commitment);
    }
    let package = signing_package(message, &commitments)?;
    let sig_shares = shares
        .iter()
        .zip(nonces)
        .map(|(share, nonce)| sign(&package, nonce, share, public))
        .collect::<Result<Vec<_>, _>>()?;
    aggregate(&package, &sig_shares, public)
}

pub fn shares_of<'a>(net: &'a LocalNetwork, ids: &[Identifier]) -> Vec<&'a KeyShare> {
    ids.iter().map(|id| net.participants[id].share.as_ref().unwrap()).collect()
}

pub fn sign_with(net: &LocalNetwork, public: &PublicKeySet, signers: &[Identifier], message: &[u8], rng: &mut ChaCha20Rng) -> Result<[u8; 64], Error> {
    sign_with_shares(&shares_of(net, signers), public, message, rng)
}

pub fn decrypt_with(net: &LocalNetwork, public: &PublicKeySet, key: &EncryptionKey, ct: &Ciphertext, holders: &[Identifier], rng: &mut ChaCha20Rng) -> Result<Vec<u8>, Error> {
    let shares = shares_of(net, holders)
        .into_iter()
        .map(|s| decryption_share(ct, key, s, public, rng))
        .collect::<Result<Vec<_>, _>>()?;
    combine(ct, key, public, &shares).map(|p| p.to_vec())
}

/// Independent check with ed25519-dalek's strict verifier.
pub fn verifies_strict(group_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(group_key) else { return false };
    vk.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature)).is_ok()
}

/// The secret scalars' Lagrange interpolation at zero, times G: what an attacker holding these
/// shares could compute.
pub fn interpolated_key(shares: &[&KeyShare]) -> [u8; 32] {
    use curve25519_dalek::scalar::Scalar;
    let xs: Vec<Scalar> = shares.iter().map(|s| tss_crypto::committee::id_scalar(&s.id())).collect();
    let lambdas = tss_crypto::group::lagrange_at_zero(&xs).unwrap();
    let secret: Scalar = shares
        .iter()
        .zip(&lambdas)
        .map(|(s, l)| l * Scalar::from_canonical_bytes(*s.to_secret_bytes()).unwrap())
        .sum();
    tss_crypto::group::mul_base(&secret).compress().to_bytes()
}

/// A key set of `n` holders (threshold `t`) from a DKG and `ciphertexts` public ciphertexts to
/// it, each of plaintext `message {i}` with label `label`, with their verified share bases.
pub struct DecryptFixture {
    pub net: LocalNetwork,
    pub ids: Vec<Identifier>,
    pub public: PublicKeySet,
    pub key: EncryptionKey,
    pub cts: Vec<Ciphertext>,
    pub bases: Vec<ShareBase>,
}

pub fn decrypt_fixture(n: usize, t: u16, ciphertexts: usize, seed: u64) -> DecryptFixture {
    let mut rng = rng(seed);
    let (mut net, ids) = network(n, &mut rng);
    let public = dkg(&mut net, &ids, t, 1, &mut rng).public;
    let key = EncryptionKey::new(&public, 0);
    let cts: Vec<Ciphertext> = (0..ciphertexts).map(|i| encrypt(&key, b"label", format!("message {i}").as_bytes(), &mut rng).unwrap()).collect();
    let bases = cts.iter().map(|ct| ShareBase::verified(ct, &key).unwrap()).collect();
    DecryptFixture { net, ids, public, key, cts, bases }
}
