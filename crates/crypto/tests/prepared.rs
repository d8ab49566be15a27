//! The prepared signing package (`tss_crypto::prepared`) against frost-ed25519: the same
//! shares and signatures byte for byte, for key sets made by DKG, with and without a derived key;
//! the same culprits when a share is wrong.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{dkg, network, rng, shares_of, verifies_strict};
use curve25519_dalek::scalar::Scalar;
use proptest::prelude::*;
use tss_crypto::prepared::PreparedPackage;
use tss_crypto::sign::{aggregate_derived, generate_nonces, sign_derived, signing_package, NonceCommitment, SecretNonce, SignatureShare};
use tss_crypto::{Error, KeyShare, KeyTweak, PublicKeySet};

struct Attempt {
    public: PublicKeySet,
    shares: Vec<KeyShare>,
    nonces: Vec<SecretNonce>,
    commitments: Vec<NonceCommitment>,
}

/// A key of `n` members made by DKG, and nonces for `signers` of them.
fn attempt(seed: u64, n: usize, signers: usize) -> Attempt {
    let mut r = rng(seed);
    let (mut net, ids) = network(n, &mut r);
    let t = tss_crypto::default_threshold(n);
    let public = dkg(&mut net, &ids, t, 1, &mut r).public;
    let shares: Vec<KeyShare> = shares_of(&net, &ids[..signers]).into_iter().cloned().collect();
    let (nonces, commitments) = shares.iter().map(|s| generate_nonces(s.id(), 1, &mut r).pop().unwrap()).unzip();
    Attempt { public, shares, nonces, commitments }
}

fn copy(n: &SecretNonce) -> SecretNonce {
    SecretNonce::from_secret_bytes(&n.to_secret_bytes().unwrap()).unwrap()
}

fn prepared_shares(a: &Attempt, prepared: &PreparedPackage) -> Vec<SignatureShare> {
    a.shares.iter().zip(&a.nonces).map(|(s, n)| prepared.sign(copy(n), s).unwrap()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Every share and every signature is frost-ed25519's, for any signer set of at least the
    /// threshold, and the signature verifies under ed25519-dalek's strict check.
    #[test]
    fn shares_and_signatures_are_frost_ed25519s(seed in any::<u64>(), n in 2usize..8, extra in 0usize..3, derived in any::<bool>(), message in proptest::collection::vec(any::<u8>(), 0..80)) {
        let t = usize::from(tss_crypto::default_threshold(n));
        let a = attempt(seed, n, (t + extra).min(n));
        let tweak = derived.then(|| KeyTweak::derive(&a.public.group_key(), b"context"));
        let prepared = PreparedPackage::new(&message, &a.commitments, &a.public, tweak.as_ref()).unwrap();
        let package = signing_package(&message, &a.commitments).unwrap();
        let ours = prepared_shares(&a, &prepared);
        let theirs: Vec<SignatureShare> = a.shares.iter().zip(&a.nonces).map(|(s, n)| sign_derived(&package, copy(n), s, &a.public, tweak.as_ref()).unwrap()).collect();
        prop_assert_eq!(&ours, &theirs);
        for s in &ours {
            prop_assert!(prepared.verify_share(s, &a.public).is_ok());
        }
        let signature = prepared.aggregate(&ours, &a.public).unwrap();
        prop_assert_eq!(signature, aggregate_derived(&package, &theirs, &a.public, tweak.as_ref()).unwrap());
        let key = tweak.map_or(a.public.group_key(), |t| a.public.tweaked(&t).group_key());
        prop_assert_eq!(prepared.verifying_key(), key);
        prop_assert!(verifies_strict(&key, &message, &signature));
    }

    /// A share that is off by anything is named, and only it.
    #[test]
    fn a_wrong_share_is_named(seed in any::<u64>(), n in 3usize..8, which in any::<prop::sample::Index>(), derived in any::<bool>(), delta in 1u64..) {
        let t = usize::from(tss_crypto::default_threshold(n));
        let a = attempt(seed, n, t);
        let tweak = derived.then(|| KeyTweak::derive(&a.public.group_key(), b"context"));
        let prepared = PreparedPackage::new(b"m", &a.commitments, &a.public, tweak.as_ref()).unwrap();
        let mut shares = prepared_shares(&a, &prepared);
        let bad = which.index(shares.len());
        let z = Scalar::from_canonical_bytes(shares[bad].share.serialize().try_into().unwrap()).unwrap() + Scalar::from(delta);
        shares[bad].share = frost_ed25519::round2::SignatureShare::deserialize(z.as_bytes()).unwrap();
        prop_assert!(prepared.verify_share(&shares[bad], &a.public).is_err());
        match prepared.aggregate(&shares, &a.public) {
            Err(Error::InvalidSignatureShares { culprits }) => prop_assert_eq!(culprits, vec![shares[bad].signer]),
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

#[test]
fn a_nonce_for_another_commitment_is_refused() {
    let a = attempt(7, 4, 3);
    let prepared = PreparedPackage::new(b"m", &a.commitments, &a.public, None).unwrap();
    assert!(matches!(prepared.sign(copy(&a.nonces[1]), &a.shares[0]), Err(Error::NonceMismatch)));
}

#[test]
fn a_member_that_did_not_commit_cannot_sign() {
    let a = attempt(8, 4, 4);
    let prepared = PreparedPackage::new(b"m", &a.commitments[..3], &a.public, None).unwrap();
    assert!(matches!(prepared.sign(copy(&a.nonces[3]), &a.shares[3]), Err(Error::NonceMismatch)));
}

#[test]
fn too_few_or_repeated_signers_are_refused() {
    let a = attempt(9, 4, 3);
    assert!(PreparedPackage::new(b"m", &a.commitments[..2], &a.public, None).is_err());
    let twice = [a.commitments[0], a.commitments[1], a.commitments[1]];
    assert!(matches!(PreparedPackage::new(b"m", &twice, &a.public, None), Err(Error::InvalidSignatureShares { .. })));
}

#[test]
fn missing_foreign_or_repeated_shares_do_not_aggregate() {
    let a = attempt(10, 4, 3);
    let prepared = PreparedPackage::new(b"m", &a.commitments, &a.public, None).unwrap();
    let shares = prepared_shares(&a, &prepared);
    assert!(prepared.aggregate(&shares[..2], &a.public).is_err());
    let doubled = [shares[0], shares[1], shares[1]];
    assert!(prepared.aggregate(&doubled, &a.public).is_err());
    let mut foreign = shares.clone();
    foreign[2].signer = a.public.ids().find(|id| !a.shares.iter().any(|s| s.id() == *id)).unwrap();
    assert!(matches!(prepared.aggregate(&foreign, &a.public), Err(Error::InvalidSignatureShares { .. })));
}

/// What a signer publishes from its nonce is what its commitment publishes.
#[test]
fn a_nonce_publishes_its_commitment() {
    let mut r = rng(11);
    for (nonce, commitment) in generate_nonces(tss_crypto::Identifier::try_from(5u16).unwrap(), 8, &mut r) {
        assert_eq!(nonce.published(), commitment.to_published());
    }
}
