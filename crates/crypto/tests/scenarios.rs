//! End-to-end scenarios of the key lifecycle among in-process participants.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use tss_crypto::decrypt::{
    combine, combine_reencryption, decryption_share, open_reencrypted, recover_shared_secret, reencryption_share, verify_decryption_shares,
};
use tss_crypto::encrypt::{encrypt, encrypt_with_ephemeral, EncryptionKey};
use tss_crypto::local::Faults;
use tss_crypto::sign::{aggregate, aggregate_derived, preprocess, sign, sign_derived, signing_package, verify_signature_share, NonceCommitment, SecretNonce};
use rand_chacha::ChaCha20Rng;
use tss_crypto::{default_threshold, Error, KeyTweak, TransportSecret};
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::CompressedEdwardsY;

#[test]
fn dkg_key_signs_and_decrypts_and_threshold_minus_one_cannot() {
    let mut rng = rng(1);
    let (mut net, ids) = network(7, &mut rng);
    let t = default_threshold(7);
    assert_eq!(t, 5);
    let report = dkg(&mut net, &ids, t, 1, &mut rng);
    assert_eq!(report.qualified, ids);
    assert!(report.disqualified.is_empty() && report.blamed.is_empty());
    let public = report.public;

    let message = b"transfer 10 to bob";
    let sig = sign_with(&net, &public, &ids[..5], message, &mut rng).unwrap();
    assert!(verifies_strict(&public.group_key(), message, &sig));
    // Any t signers, not just the first.
    let sig2 = sign_with(&net, &public, &ids[2..7], message, &mut rng).unwrap();
    assert!(verifies_strict(&public.group_key(), message, &sig2));
    // t - 1 signers are refused.
    assert!(sign_with(&net, &public, &ids[..4], message, &mut rng).is_err());

    let key = EncryptionKey::new(&public, 0);
    let ct = encrypt(&key, b"label", b"sealed bid: 42", &mut rng).unwrap();
    assert_eq!(decrypt_with(&net, &public, &key, &ct, &ids[1..6], &mut rng).unwrap(), b"sealed bid: 42");
    assert_eq!(
        decrypt_with(&net, &public, &key, &ct, &ids[..4], &mut rng).unwrap_err(),
        Error::NotEnoughContributions { have: 4, need: 5 }
    );
    // The shares interpolate to the group key; t-1 of them do not.
    assert_eq!(interpolated_key(&shares_of(&net, &ids[..5])), public.group_key());
    assert_ne!(interpolated_key(&shares_of(&net, &ids[..4])), public.group_key());
}

#[test]
fn dealer_with_bad_share_is_disqualified_and_dkg_completes() {
    let mut rng = rng(2);
    let (mut net, ids) = network(7, &mut rng);
    let cheater = ids[3];
    let faults = Faults { corrupt_share: [cheater].into(), ..Faults::default() };
    let report = dkg_with(&mut net, &ids, 5, 2, &faults, &mut rng);
    assert_eq!(report.disqualified, vec![cheater]);
    assert!(!report.qualified.contains(&cheater));
    assert!(report.blamed.is_empty());
    let sig = sign_with(&net, &report.public, &ids[2..7], b"m", &mut rng).unwrap();
    assert!(verifies_strict(&report.public.group_key(), b"m", &sig));
}

#[test]
fn false_complaint_is_rejected_and_complainer_blamed() {
    let mut rng = rng(3);
    let (mut net, ids) = network(5, &mut rng);
    let liar = ids[1];
    let faults = Faults { false_complaint: [liar].into(), ..Faults::default() };
    let report = dkg_with(&mut net, &ids, 4, 3, &faults, &mut rng);
    assert_eq!(report.blamed, vec![liar]);
    assert!(report.disqualified.is_empty());
    assert_eq!(report.qualified.len(), 5);
}

#[test]
fn dkg_fails_cleanly_when_too_few_dealers_remain() {
    let mut rng = rng(4);
    let (mut net, ids) = network(4, &mut rng);
    let committee = net.committee(&ids, 4).unwrap();
    let ctx = tss_crypto::SessionContext::new(CHAIN, session_id(4), tss_crypto::SessionKind::Dkg, committee).unwrap();
    let faults = Faults { silent: [ids[0]].into(), ..Faults::default() };
    assert_eq!(net.run(&ctx, &faults, &mut rng).unwrap_err(), Error::NotEnoughContributions { have: 3, need: 4 });
}

#[test]
fn refresh_keeps_group_key_and_shares_of_two_epochs_never_combine() {
    let mut rng = rng(5);
    let (mut net, ids) = network(4, &mut rng);
    let epoch0 = dkg(&mut net, &ids, 3, 5, &mut rng).public;
    let old_shares: Vec<_> = shares_of(&net, &ids).into_iter().cloned().collect();
    let key0 = EncryptionKey::new(&epoch0, 0);
    let ct = encrypt(&key0, b"l", b"before refresh", &mut rng).unwrap();

    let epoch1 = refresh(&mut net, &epoch0, 6, &mut rng).public;
    assert_eq!(epoch1.group_key(), epoch0.group_key());
    for id in &ids {
        assert_ne!(epoch1.verifying_share(id), epoch0.verifying_share(id), "every verifying share changes");
    }
    let new_shares: Vec<_> = shares_of(&net, &ids).into_iter().cloned().collect();

    // Same-epoch shares sign, decrypt and interpolate.
    let sig = sign_with(&net, &epoch1, &ids[1..4], b"after", &mut rng).unwrap();
    assert!(verifies_strict(&epoch1.group_key(), b"after", &sig));
    assert_eq!(decrypt_with(&net, &epoch1, &EncryptionKey::new(&epoch1, 0), &ct, &ids[..3], &mut rng).unwrap(), b"before refresh");

    // Mixed epochs: two shares from epoch 1 and one from epoch 0 (a thief's haul).
    let mixed = [&new_shares[0], &new_shares[1], &old_shares[2]];
    assert_ne!(interpolated_key(&mixed), epoch0.group_key());
    assert!(sign_with_shares(&mixed, &epoch1, b"x", &mut rng).is_err());
    assert!(sign_with_shares(&mixed, &epoch0, b"x", &mut rng).is_err());
    let dec: Vec<_> = mixed.iter().map(|s| decryption_share(&ct, &key0, s, &epoch1, &mut rng).unwrap()).collect();
    assert_eq!(combine(&ct, &key0, &epoch1, &dec).unwrap_err(), Error::InvalidDecryptionShares { culprits: vec![ids[2]] });
    let dec: Vec<_> = mixed.iter().map(|s| decryption_share(&ct, &key0, s, &epoch0, &mut rng).unwrap()).collect();
    assert!(combine(&ct, &key0, &epoch0, &dec).is_err());
}

#[test]
fn reshare_keeps_group_key_when_validators_join_and_leave() {
    let mut rng = rng(6);
    let (mut net, mut all) = network(7, &mut rng);
    let old: Vec<_> = all[..5].to_vec();
    let before = dkg(&mut net, &old, 4, 7, &mut rng).public;
    let leaver = old[0];
    let leaver_share = net.participants[&leaver].share.clone().unwrap();
    let joiners = [all[5], all[6]];
    let mut new_ids: Vec<_> = old[1..].iter().copied().chain(joiners).collect();
    new_ids.sort();
    let t_new = default_threshold(new_ids.len());
    let after = reshare(&mut net, &before, &new_ids, t_new, 8, &mut rng).public;
    assert_eq!(after.group_key(), before.group_key());
    assert_eq!(after.threshold(), t_new);
    assert!(after.verifying_share(&leaver).is_none());
    assert!(net.participants[&leaver].share.is_none());

    // A joiner signs together with the others.
    let signers: Vec<_> = new_ids.iter().rev().take(usize::from(t_new)).copied().collect();
    assert!(signers.contains(&joiners[1]));
    let sig = sign_with(&net, &after, &signers, b"joined", &mut rng).unwrap();
    assert!(verifies_strict(&before.group_key(), b"joined", &sig));

    // The leaver's old share does not combine with current shares.
    let mut mixed: Vec<_> = shares_of(&net, &new_ids[..usize::from(t_new) - 1]);
    mixed.push(&leaver_share);
    assert_ne!(interpolated_key(&mixed), before.group_key());
    all.retain(|id| *id != leaver);
}

#[test]
fn reshare_to_disjoint_committee_with_any_threshold() {
    let mut rng = rng(7);
    let (mut net, ids) = network(8, &mut rng);
    let (old, new) = ids.split_at(3);
    let before = dkg(&mut net, old, 2, 9, &mut rng).public;
    for t_new in [1u16, 3, 5] {
        let (mut net2, ids2) = network(8, &mut rng);
        let (old2, new2) = ids2.split_at(3);
        let before2 = dkg(&mut net2, old2, 2, 10, &mut rng).public;
        let after = reshare(&mut net2, &before2, new2, t_new, 11, &mut rng).public;
        assert_eq!(after.group_key(), before2.group_key());
        let signers = &new2[..usize::from(t_new)];
        let sig = sign_with(&net2, &after, signers, b"disjoint", &mut rng).unwrap();
        assert!(verifies_strict(&before2.group_key(), b"disjoint", &sig));
        if t_new > 1 {
            assert!(sign_with(&net2, &after, &signers[1..], b"disjoint", &mut rng).is_err());
        }
    }
    let after = reshare(&mut net, &before, new, 5, 12, &mut rng).public;
    assert_eq!(after.group_key(), before.group_key());
}

#[test]
fn derived_key_signature_verifies_under_derived_public_key_only() {
    let mut rng = rng(8);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 13, &mut rng).public;
    let tweak = KeyTweak::derive(&public.group_key(), b"contract-1/solana/0");
    let derived = public.tweaked(&tweak);
    assert_ne!(derived.group_key(), public.group_key());
    let shares: Vec<_> = shares_of(&net, &ids[..3]).into_iter().map(|s| s.tweaked(&tweak)).collect();
    let refs: Vec<_> = shares.iter().collect();
    let sig = sign_with_shares(&refs, &derived, b"derived", &mut rng).unwrap();
    assert!(verifies_strict(&derived.group_key(), b"derived", &sig));
    assert!(!verifies_strict(&public.group_key(), b"derived", &sig));
    let other = KeyTweak::derive(&public.group_key(), b"contract-2/solana/0");
    assert_ne!(public.tweaked(&other).group_key(), derived.group_key());
}

/// The engine's path for derived keys: the untweaked shares and key set with the tweak passed
/// along (nothing re-encoded) make a signature that verifies under the derived key; a share
/// made under another tweak is named by cheater detection.
#[test]
fn signing_and_aggregating_under_a_tweak_match_the_tweaked_key_set() {
    let mut rng = rng(17);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 17, &mut rng).public;
    let tweak = KeyTweak::derive(&public.group_key(), b"contract-1/eth/0");
    let other = KeyTweak::derive(&public.group_key(), b"contract-1/eth/1");
    let shares = shares_of(&net, &ids[..3]);
    let run = |tweaks: [&KeyTweak; 3], rng: &mut ChaCha20Rng| {
        let mut nonces = Vec::new();
        let mut commitments = Vec::new();
        for s in &shares {
            let (n, c) = preprocess(s, 1, rng).unwrap().pop().unwrap();
            nonces.push(n);
            commitments.push(c);
        }
        let package = signing_package(b"derived", &commitments).unwrap();
        let sig_shares: Vec<_> = shares.iter().zip(nonces).zip(tweaks).map(|((s, n), t)| sign_derived(&package, n, s, &public, Some(t)).unwrap()).collect();
        aggregate_derived(&package, &sig_shares, &public, Some(&tweak))
    };
    let sig = run([&tweak; 3], &mut rng).unwrap();
    assert!(verifies_strict(&public.tweaked(&tweak).group_key(), b"derived", &sig));
    assert_eq!(run([&tweak, &other, &tweak], &mut rng).unwrap_err(), Error::InvalidSignatureShares { culprits: vec![ids[1]] });
}

#[test]
fn invalid_signature_share_is_named() {
    let mut rng = rng(9);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 14, &mut rng).public;
    let shares = shares_of(&net, &ids[..3]);
    let mut nonces = Vec::new();
    let mut commitments = Vec::new();
    for s in &shares {
        let (n, c) = preprocess(s, 1, &mut rng).unwrap().pop().unwrap();
        nonces.push(n);
        commitments.push(c);
    }
    let package = signing_package(b"msg", &commitments).unwrap();
    let mut sig_shares: Vec<_> = shares.iter().zip(nonces).map(|(s, n)| sign(&package, n, s, &public).unwrap()).collect();
    for s in &sig_shares {
        verify_signature_share(&package, s, &public).unwrap();
    }
    // Signer 1 sends the share of signer 2.
    sig_shares[1].share = sig_shares[2].share;
    assert_eq!(verify_signature_share(&package, &sig_shares[1], &public).unwrap_err().culprits(), vec![ids[1]]);
    assert_eq!(aggregate(&package, &sig_shares, &public).unwrap_err(), Error::InvalidSignatureShares { culprits: vec![ids[1]] });
}

/// The engine's path: commitments travel in their published form ([1/8]D || [1/8]E) and the
/// package is built from what every node reads back. Signer 0 adds a point of order 8 to both
/// halves of what it publishes (it can, the bytes are its own): the torsion is cleared on
/// reading, so the group commitment has none and the signature verifies strictly, not only
/// under a cofactored verifier.
#[test]
fn signing_with_commitments_read_from_their_published_form() {
    let mut rng = rng(16);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 16, &mut rng).public;
    let shares = shares_of(&net, &ids[..3]);
    let mut nonces = Vec::new();
    let mut commitments = Vec::new();
    for (i, s) in shares.iter().enumerate() {
        let (n, c) = preprocess(s, 1, &mut rng).unwrap().pop().unwrap();
        let mut published = c.to_published();
        if i == 0 {
            for half in published.chunks_mut(32) {
                let p = CompressedEdwardsY(half.try_into().unwrap()).decompress().unwrap();
                half.copy_from_slice((p + EIGHT_TORSION[1]).compress().as_bytes());
            }
            assert_ne!(published, c.to_published());
        }
        commitments.push(NonceCommitment::from_published(s.id(), &published).unwrap());
        nonces.push(n);
    }
    let package = signing_package(b"published", &commitments).unwrap();
    let sig_shares: Vec<_> = shares.iter().zip(nonces).map(|(s, n)| sign(&package, n, s, &public).unwrap()).collect();
    let sig = aggregate(&package, &sig_shares, &public).unwrap();
    assert!(verifies_strict(&public.group_key(), b"published", &sig));
}

#[test]
fn nonce_for_another_commitment_is_refused_and_nonces_survive_the_store() {
    let mut rng = rng(10);
    let (mut net, ids) = network(3, &mut rng);
    let public = dkg(&mut net, &ids, 2, 15, &mut rng).public;
    let shares = shares_of(&net, &ids[..2]);
    let mut a = preprocess(shares[0], 2, &mut rng).unwrap();
    let (n1, c1) = a.pop().unwrap();
    let (n0, _c0) = a.pop().unwrap();
    let (m, cm) = preprocess(shares[1], 1, &mut rng).unwrap().pop().unwrap();
    let package = signing_package(b"msg", &[c1, cm]).unwrap();
    // n0 is not the nonce the package assigns to signer 0.
    assert_eq!(sign(&package, n0, shares[0], &public).unwrap_err(), Error::NonceMismatch);
    // A nonce written to the store and read back still signs.
    let stored = n1.to_secret_bytes().unwrap();
    drop(n1);
    let restored = SecretNonce::from_secret_bytes(&stored).unwrap();
    let s0 = sign(&package, restored, shares[0], &public).unwrap();
    let s1 = sign(&package, m, shares[1], &public).unwrap();
    let sig = aggregate(&package, &[s0, s1], &public).unwrap();
    assert!(verifies_strict(&public.group_key(), b"msg", &sig));
    assert!(signing_package(b"msg", &[c1, c1]).is_err(), "a signer listed twice is refused");
}

#[test]
fn invalid_decryption_shares_are_named_and_skipped() {
    let mut rng = rng(11);
    let (mut net, ids) = network(5, &mut rng);
    let public = dkg(&mut net, &ids, 3, 16, &mut rng).public;
    let key = EncryptionKey::new(&public, 0);
    let ct = encrypt(&key, b"l", b"payload", &mut rng).unwrap();
    let mut shares: Vec<_> = shares_of(&net, &ids).iter().map(|s| decryption_share(&ct, &key, s, &public, &mut rng).unwrap()).collect();
    shares[0].point = shares[1].point;
    let dup = shares[2];
    shares.push(dup);
    let (valid, culprits) = verify_decryption_shares(&ct, &key, &public, &shares).unwrap();
    assert_eq!(valid.len(), 4);
    assert_eq!(culprits, vec![ids[2], ids[0]]);
    // Enough valid shares remain: the bad one is skipped.
    assert_eq!(combine(&ct, &key, &public, &shares).unwrap().as_slice(), b"payload");
}

#[test]
fn ciphertext_is_bound_to_label_key_and_generation() {
    let mut rng = rng(12);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 17, &mut rng).public;
    let key = EncryptionKey::new(&public, 7);
    let share = shares_of(&net, &ids)[0];
    let ct = encrypt(&key, b"owner-a", b"secret", &mut rng).unwrap();
    ct.verify(&key).unwrap();
    let mut relabeled = ct.clone();
    relabeled.label = b"owner-b".to_vec();
    assert!(matches!(decryption_share(&relabeled, &key, share, &public, &mut rng), Err(Error::InvalidCiphertext(_))));
    let mut body = ct.clone();
    body.body[0] ^= 1;
    assert!(body.verify(&key).is_err());
    assert!(ct.verify(&EncryptionKey::new(&public, 8)).is_err());
    let other = dkg(&mut net, &ids, 3, 18, &mut rng).public;
    assert!(ct.verify(&EncryptionKey::new(&other, 7)).is_err());
}

#[test]
fn plain_x25519_client_agrees_with_threshold_decryption() {
    let mut rng = rng(13);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 19, &mut rng).public;
    let key = EncryptionKey::new(&public, 0);
    assert_eq!(key.x25519(), public.group_key_x25519());
    // The client: x25519-dalek only, against the published X25519 network key.
    let client = x25519_dalek::StaticSecret::random_from_rng(&mut rng);
    let client_shared = client.diffie_hellman(&x25519_dalek::PublicKey::from(public.group_key_x25519()));
    let ct = encrypt_with_ephemeral(&key, b"l", b"hello", &TransportSecret::from_bytes(client.to_bytes()), &mut rng).unwrap();
    assert_eq!(ct.ephemeral, x25519_dalek::PublicKey::from(&client).to_bytes());
    let shares: Vec<_> = shares_of(&net, &ids[1..]).iter().map(|s| decryption_share(&ct, &key, s, &public, &mut rng).unwrap()).collect();
    assert_eq!(*recover_shared_secret(&ct, &key, &public, &shares).unwrap(), *client_shared.as_bytes());
    assert_eq!(combine(&ct, &key, &public, &shares).unwrap().as_slice(), b"hello");
}

#[test]
fn reencrypted_decryption_opens_only_for_the_transport_key() {
    let mut rng = rng(14);
    let (mut net, ids) = network(5, &mut rng);
    let public = dkg(&mut net, &ids, 3, 20, &mut rng).public;
    let key = EncryptionKey::new(&public, 0);
    let ct = encrypt(&key, b"l", b"for requester only", &mut rng).unwrap();
    let requester = TransportSecret::generate(&mut rng);
    let tpk = requester.public();
    let mut shares: Vec<_> = shares_of(&net, &ids).iter().map(|s| reencryption_share(&ct, &key, s, &public, &tpk, &mut rng).unwrap()).collect();
    let rk = combine_reencryption(&ct, &key, &public, &tpk, &shares).unwrap();
    assert_eq!(open_reencrypted(&ct, &key, &rk, &requester).unwrap().as_slice(), b"for requester only");
    let stranger = TransportSecret::generate(&mut rng);
    assert_eq!(open_reencrypted(&ct, &key, &rk, &stranger).unwrap_err(), Error::DecryptionFailed);
    // Shares made for another transport key do not verify for this one.
    let other: Vec<_> = shares_of(&net, &ids).iter().map(|s| reencryption_share(&ct, &key, s, &public, &stranger.public(), &mut rng).unwrap()).collect();
    assert!(matches!(combine_reencryption(&ct, &key, &public, &tpk, &other), Err(Error::InvalidDecryptionShares { .. })));
    // A forged share is named; with enough honest ones it is skipped.
    shares[4].v = shares[3].v;
    let culprits = combine_reencryption(&ct, &key, &public, &tpk, &shares[2..]).unwrap_err().culprits();
    assert_eq!(culprits, vec![ids[4]]);
    assert!(combine_reencryption(&ct, &key, &public, &tpk, &shares).is_ok());
}

#[test]
fn key_share_debug_is_redacted_and_store_roundtrip_checks_the_share() {
    let mut rng = rng(15);
    let (mut net, ids) = network(3, &mut rng);
    let public = dkg(&mut net, &ids, 2, 21, &mut rng).public;
    let share = shares_of(&net, &ids)[0];
    let printed = format!("{share:?}");
    assert!(printed.contains("redacted"));
    assert!(!printed.contains(&hex::encode(share.to_secret_bytes().as_ref())));
    let bytes = share.to_secret_bytes();
    let restored = tss_crypto::KeyShare::from_secret_bytes(share.id(), &bytes, &public).unwrap();
    assert_eq!(restored.to_secret_bytes(), bytes);
    assert!(tss_crypto::KeyShare::from_secret_bytes(ids[1], &bytes, &public).is_err(), "a share under the wrong identity is refused");
}

#[test]
fn dealer_adding_torsion_to_commitments_gains_nothing() {
    use tss_crypto::group::CanonicalPoint;
    let mut rng = rng(16);
    let (mut net, ids) = network(4, &mut rng);
    let committee = net.committee(&ids, 3).unwrap();
    let ctx = tss_crypto::SessionContext::new(CHAIN, session_id(22), tss_crypto::SessionKind::Dkg, committee).unwrap();
    let mut dealings = net.dealings(&ctx, &Faults::default(), &mut rng).unwrap();
    let torsion = curve25519_dalek::constants::EIGHT_TORSION[1];
    for c in dealings[0].commitments.iter_mut().skip(1) {
        *c = CanonicalPoint::new(c.point() + torsion);
    }
    let report = net.conclude(&ctx, dealings, &Faults::default(), &mut rng).unwrap();
    assert!(report.disqualified.is_empty());
    let sig = sign_with(&net, &report.public, &ids[1..], b"torsion", &mut rng).unwrap();
    assert!(verifies_strict(&report.public.group_key(), b"torsion", &sig));
}

#[test]
fn reencrypted_key_with_small_order_component_is_refused() {
    use tss_crypto::decrypt::ReencryptedKey;
    use tss_crypto::group::CanonicalPoint;
    use tss_crypto::Encode;
    let mut rng = rng(17);
    let (mut net, ids) = network(3, &mut rng);
    let public = dkg(&mut net, &ids, 2, 23, &mut rng).public;
    let key = EncryptionKey::new(&public, 0);
    let ct = encrypt(&key, b"l", b"private", &mut rng).unwrap();
    let requester = TransportSecret::generate(&mut rng);
    let shares: Vec<_> = shares_of(&net, &ids).iter().map(|s| reencryption_share(&ct, &key, s, &public, &requester.public(), &mut rng).unwrap()).collect();
    let rk = combine_reencryption(&ct, &key, &public, &requester.public(), &shares).unwrap();
    let torsion = curve25519_dalek::constants::EIGHT_TORSION[4];
    let tampered = ReencryptedKey { u: CanonicalPoint::new(rk.u.point() + torsion), v: rk.v };
    assert!(matches!(open_reencrypted(&ct, &key, &tampered, &requester), Err(Error::InvalidCiphertext(_))));
    assert!(ReencryptedKey::from_bytes(&tampered.to_bytes()).is_err());
    assert_eq!(open_reencrypted(&ct, &key, &rk, &requester).unwrap().as_slice(), b"private");
}
