//! Batched public decryption shares: honest batches open every ciphertext; any tampered share
//! names its holder, a share with only a torsion component changes nothing; the wire form
//! refuses what is not a canonical point of large order.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::EdwardsPoint;
use proptest::prelude::*;
use tss_crypto::decrypt_batch::{decryption_batch, lagrange_for, open_with_shares, verify_decryption_batches, BatchToVerify, DecryptionBatch, ShareBase};
use tss_crypto::Identifier;

fn batch_of(f: &DecryptFixture, holder: &Identifier, indexes: &[usize], seed: u64) -> DecryptionBatch {
    let share = f.net.participants[holder].share.as_ref().unwrap();
    let bases: Vec<&ShareBase> = indexes.iter().map(|i| &f.bases[*i]).collect();
    decryption_batch(&bases, share, &f.public, &mut rng(seed)).unwrap()
}

/// Re-encodes a batch with one share replaced (what a byzantine holder would send).
fn with_share(batch: &DecryptionBatch, index: usize, point: EdwardsPoint) -> DecryptionBatch {
    let mut bytes = batch.to_bytes();
    bytes[2 + 32 * index..2 + 32 * index + 32].copy_from_slice(point.compress().as_bytes());
    DecryptionBatch::from_bytes(batch.holder, &bytes).unwrap()
}

fn verify(f: &DecryptFixture, batches: &[(DecryptionBatch, Vec<usize>)]) -> Vec<Identifier> {
    let list: Vec<BatchToVerify<'_>> = batches.iter().map(|(batch, indexes)| BatchToVerify { batch, indexes }).collect();
    verify_decryption_batches(&f.public, &f.bases, &list)
}

fn open_all(f: &DecryptFixture, batches: &[(DecryptionBatch, Vec<usize>)]) -> Vec<Vec<u8>> {
    let holders: Vec<Identifier> = batches.iter().map(|(b, _)| b.holder).collect();
    let lambdas = lagrange_for(&holders).unwrap();
    (0..f.cts.len())
        .map(|j| {
            let points: Vec<EdwardsPoint> = batches.iter().map(|(b, idx)| b.points[idx.iter().position(|i| *i == j).unwrap()]).collect();
            open_with_shares(&f.cts[j], &f.key, &lambdas, &points).unwrap().to_vec()
        })
        .collect()
}

#[test]
fn threshold_batches_verify_together_and_open_every_ciphertext() {
    let f = decrypt_fixture(5, 3, 6, 1);
    let all: Vec<usize> = (0..6).collect();
    // Holders list the ciphertexts in different orders; the verifier maps them by index.
    let mut reversed = all.clone();
    reversed.reverse();
    let batches = vec![(batch_of(&f, &f.ids[0], &all, 2), all.clone()), (batch_of(&f, &f.ids[2], &reversed, 3), reversed), (batch_of(&f, &f.ids[4], &all, 4), all)];
    assert!(verify(&f, &batches).is_empty());
    let opened = open_all(&f, &batches);
    for (j, plaintext) in opened.iter().enumerate() {
        assert_eq!(plaintext, format!("message {j}").as_bytes());
    }
    // t - 1 holders' shares do not open anything.
    let lambdas = lagrange_for(&[f.ids[0], f.ids[2]]).unwrap();
    let points = [batches[0].0.points[0], batches[1].0.points[5]];
    assert!(open_with_shares(&f.cts[0], &f.key, &lambdas, &points).is_err());
}

#[test]
fn a_batch_is_bound_to_its_holder_and_its_ciphertexts() {
    let f = decrypt_fixture(4, 2, 3, 5);
    let all: Vec<usize> = (0..3).collect();
    let honest = batch_of(&f, &f.ids[1], &all, 6);
    // Claimed by another holder.
    let stolen = DecryptionBatch::from_bytes(f.ids[2], &honest.to_bytes()).unwrap();
    assert_eq!(verify(&f, &[(stolen, all.clone())]), vec![f.ids[2]]);
    // Presented for other ciphertexts (the same shares in another order).
    assert_eq!(verify(&f, &[(honest.clone(), vec![2, 1, 0])]), vec![f.ids[1]]);
    // Index count not matching the shares, or out of range.
    assert_eq!(verify(&f, &[(honest.clone(), vec![0, 1])]), vec![f.ids[1]]);
    assert_eq!(verify(&f, &[(honest.clone(), vec![0, 1, 9])]), vec![f.ids[1]]);
    // The same holder twice: the second is refused, the first stands.
    assert_eq!(verify(&f, &[(honest.clone(), all.clone()), (honest, all)]), vec![f.ids[1]]);
}

#[test]
fn two_wrong_shares_cannot_cancel_out() {
    // A holder shifts one share by +P and another by -P: the sum of its shares is unchanged,
    // which an unweighted batch would accept. The weights come from the shares themselves.
    let f = decrypt_fixture(4, 2, 4, 7);
    let all: Vec<usize> = (0..4).collect();
    let honest = batch_of(&f, &f.ids[0], &all, 8);
    let p = *f.bases[3].point();
    let shifted = with_share(&with_share(&honest, 0, honest.points[0] + p), 1, honest.points[1] - p);
    let other = batch_of(&f, &f.ids[3], &all, 9);
    assert_eq!(verify(&f, &[(other, all.clone()), (shifted, all)]), vec![f.ids[0]]);
}

#[test]
fn the_wire_form_refuses_bad_points_and_trailing_bytes() {
    let f = decrypt_fixture(3, 2, 2, 10);
    let b = batch_of(&f, &f.ids[0], &[0, 1], 11);
    let bytes = b.to_bytes();
    assert_eq!(bytes.len(), b.encoded_len());
    assert_eq!(DecryptionBatch::from_bytes(b.holder, &bytes).unwrap(), b);
    for t in EIGHT_TORSION.iter() {
        let mut bad = bytes.clone();
        bad[2..34].copy_from_slice(t.compress().as_bytes());
        assert!(DecryptionBatch::from_bytes(b.holder, &bad).is_err(), "small-order share accepted");
    }
    // y = p + 1, a second encoding of y = 1.
    let mut non_canonical = bytes.clone();
    non_canonical[2..34].fill(0xff);
    non_canonical[2] = 0xee;
    non_canonical[33] = 0x7f;
    assert!(DecryptionBatch::from_bytes(b.holder, &non_canonical).is_err());
    let mut long = bytes.clone();
    long.push(0);
    assert!(DecryptionBatch::from_bytes(b.holder, &long).is_err());
    assert!(DecryptionBatch::from_bytes(b.holder, &bytes[..bytes.len() - 1]).is_err());
    // A count claiming more shares than are there.
    let mut count = bytes;
    count[0] = 0xff;
    assert!(DecryptionBatch::from_bytes(b.holder, &count).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Whatever share of whichever batch is changed after the proof, by a torsion point or a
    /// point of large order, exactly that holder is named; the untouched batches open every
    /// ciphertext. (A holder that proves a share with torsion is the unit test in the module.)
    #[test]
    fn a_tampered_share_names_exactly_its_holder(seed in 0u64..1000, victim in 0usize..3, index in 0usize..4, torsion in 1usize..8, shift in 1u64..1000) {
        let f = decrypt_fixture(5, 3, 4, seed);
        let all: Vec<usize> = (0..4).collect();
        let holders = [f.ids[0], f.ids[1], f.ids[3]];
        let mut batches: Vec<(DecryptionBatch, Vec<usize>)> = holders.iter().enumerate().map(|(k, h)| (batch_of(&f, h, &all, seed + k as u64), all.clone())).collect();
        let original = batches[victim].0.clone();

        prop_assert!(verify(&f, &batches).is_empty());
        for (j, plaintext) in open_all(&f, &batches).iter().enumerate() {
            let expected = format!("message {j}");
            prop_assert_eq!(plaintext, expected.as_bytes());
        }

        batches[victim].0 = with_share(&original, index, original.points[index] + EIGHT_TORSION[torsion]);
        prop_assert_eq!(verify(&f, &batches), vec![holders[victim]]);
        let offset = curve25519_dalek::constants::ED25519_BASEPOINT_POINT * curve25519_dalek::scalar::Scalar::from(shift);
        batches[victim].0 = with_share(&original, index, original.points[index] + offset);
        prop_assert_eq!(verify(&f, &batches), vec![holders[victim]]);
    }
}

#[test]
fn one_share_decodes_alone_as_in_the_whole_batch() {
    let f = decrypt_fixture(3, 2, 3, 13);
    let b = batch_of(&f, &f.ids[1], &[0, 1, 2], 14);
    let bytes = b.to_bytes();
    for (j, p) in b.points.iter().enumerate() {
        assert_eq!(tss_crypto::decrypt_batch::unverified_share(&bytes, j), Some(*p));
    }
    assert_eq!(tss_crypto::decrypt_batch::unverified_share(&bytes, 3), None);
    assert_eq!(tss_crypto::decrypt_batch::unverified_share(&bytes[..bytes.len() - 1], 0), None);
    assert_eq!(tss_crypto::decrypt_batch::unverified_share(&[], 0), None);
}

#[test]
fn checked_before_gives_the_same_base_as_verifying() {
    let f = decrypt_fixture(3, 2, 3, 12);
    for (ct, base) in f.cts.iter().zip(&f.bases) {
        assert_eq!(ShareBase::checked_before(ct).unwrap(), *base);
    }
}
