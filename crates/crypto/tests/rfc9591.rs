//! RFC 9591 Appendix E.1 test vectors for FROST(Ed25519, SHA-512), run through this crate's
//! signing layer: key shares and nonces from the RFC in, the RFC's signature shares and
//! signature out, through frost-ed25519's path and through the prepared package
//! (`tss_crypto::prepared`).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use frost_core::round1::Nonce;
use frost_ed25519::round1::SigningNonces;
use serde_json::Value;
use std::collections::BTreeMap;
use tss_crypto::prepared::PreparedPackage;
use tss_crypto::sign::{aggregate, signing_package, sign, verify_signature_share, SecretNonce};
use tss_crypto::{Encode, Identifier, KeyShare, PublicKeySet};

fn hex32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap()).unwrap().try_into().unwrap()
}

#[test]
fn rfc9591_ed25519_vectors() {
    let vectors: Value = serde_json::from_str(include_str!("vectors/rfc9591-ed25519-sha512.json")).unwrap();
    let inputs = &vectors["inputs"];
    let message = hex::decode(inputs["message"].as_str().unwrap()).unwrap();
    let group_key = hex32(&inputs["verifying_key_key"]);
    let min: u16 = vectors["config"]["MIN_PARTICIPANTS"].as_str().unwrap().parse().unwrap();

    let id = |v: &Value| Identifier::try_from(u16::try_from(v.as_u64().unwrap()).unwrap()).unwrap();
    let mut secrets = BTreeMap::new();
    let mut verifying = BTreeMap::new();
    for p in inputs["participant_shares"].as_array().unwrap() {
        let secret = hex32(&p["participant_share"]);
        let scalar = curve25519_dalek::scalar::Scalar::from_canonical_bytes(secret).unwrap();
        verifying.insert(id(&p["identifier"]), tss_crypto::group::mul_base(&scalar).compress().to_bytes());
        secrets.insert(id(&p["identifier"]), secret);
    }
    let public = PublicKeySet::from_parts(min, group_key, &verifying).unwrap();

    let mut nonces = Vec::new();
    let mut commitments = Vec::new();
    for out in vectors["round_one_outputs"]["outputs"].as_array().unwrap() {
        let signer = id(&out["identifier"]);
        let hiding = Nonce::<frost_ed25519::Ed25519Sha512>::deserialize(&hex32(&out["hiding_nonce"])).unwrap();
        let binding = Nonce::<frost_ed25519::Ed25519Sha512>::deserialize(&hex32(&out["binding_nonce"])).unwrap();
        let frost_nonces = SigningNonces::from_nonces(hiding, binding);
        let nonce = SecretNonce::from_secret_bytes(&frost_nonces.serialize().unwrap()).unwrap();
        let commitment = nonce.commitment(signer);
        let encoded = commitment.to_bytes();
        assert_eq!(hex::encode(&encoded[34..66]), out["hiding_nonce_commitment"].as_str().unwrap());
        assert_eq!(hex::encode(&encoded[66..98]), out["binding_nonce_commitment"].as_str().unwrap());
        commitments.push(commitment);
        nonces.push((signer, nonce));
    }
    let package = signing_package(&message, &commitments).unwrap();
    let prepared = PreparedPackage::new(&message, &commitments, &public, None).unwrap();

    let expected: BTreeMap<_, _> = vectors["round_two_outputs"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (id(&o["identifier"]), o["sig_share"].as_str().unwrap().to_owned()))
        .collect();
    let mut shares = Vec::new();
    let mut prepared_shares = Vec::new();
    for (signer, nonce) in nonces {
        let key_share = KeyShare::from_secret_bytes(signer, &secrets[&signer], &public).unwrap();
        let copy = SecretNonce::from_secret_bytes(&nonce.to_secret_bytes().unwrap()).unwrap();
        let prepared_share = prepared.sign(copy, &key_share).unwrap();
        prepared.verify_share(&prepared_share, &public).unwrap();
        assert_eq!(hex::encode(prepared_share.share.serialize()), expected[&signer]);
        prepared_shares.push(prepared_share);
        let share = sign(&package, nonce, &key_share, &public).unwrap();
        verify_signature_share(&package, &share, &public).unwrap();
        assert_eq!(hex::encode(share.share.serialize()), expected[&signer]);
        shares.push(share);
    }
    let signature = aggregate(&package, &shares, &public).unwrap();
    assert_eq!(hex::encode(signature), vectors["final_output"]["sig"].as_str().unwrap());
    let signature = prepared.aggregate(&prepared_shares, &public).unwrap();
    assert_eq!(hex::encode(signature), vectors["final_output"]["sig"].as_str().unwrap());
}
