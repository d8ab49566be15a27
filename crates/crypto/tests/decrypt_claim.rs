//! Claims of combined decryption points: an honest claim holds for any `t` answering holders and
//! opens every ciphertext; a claim with any wrong point fails, whichever holders answer, and
//! fails alone when one batch answers several claims; an answer made for another claim does not
//! verify as an answer to this one.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use proptest::prelude::*;
use tss_crypto::decrypt_batch::{decryption_batch, lagrange_for, verify_decryption_batches, BatchToVerify, DecryptionBatch, ShareBase};
use tss_crypto::decrypt_claim::{all_hold, Claim, ClaimToCheck, ClaimedPoint};
use tss_crypto::Identifier;

/// What a proposer does: every combiner's shares of every ciphertext, combined unchecked.
fn claimed_by(f: &DecryptFixture, combiners: &[Identifier], seed: u64) -> Vec<ClaimedPoint> {
    let refs: Vec<&ShareBase> = f.bases.iter().collect();
    let batches: Vec<_> = combiners.iter().map(|h| decryption_batch(&refs, f.net.participants[h].share.as_ref().unwrap(), &f.public, &mut rng(seed)).unwrap()).collect();
    let lambdas = lagrange_for(combiners).unwrap();
    (0..f.cts.len())
        .map(|j| {
            let points: Vec<EdwardsPoint> = batches.iter().map(|b| b.points[j]).collect();
            ClaimedPoint::combine(&lambdas, &points).unwrap()
        })
        .collect()
}

fn claim_of(f: &DecryptFixture, context: &[u8], claimed: &[ClaimedPoint]) -> Claim {
    let refs: Vec<&ShareBase> = f.bases.iter().collect();
    Claim::new(context, &refs, claimed).unwrap()
}

/// Each answerer's one batch answering every claim, in order.
fn answers(f: &DecryptFixture, claims: &[&Claim], holders: &[Identifier], seed: u64) -> Vec<DecryptionBatch> {
    let bases: Vec<&ShareBase> = claims.iter().map(|c| c.base()).collect();
    let mut rng = rng(seed);
    holders.iter().map(|h| decryption_batch(&bases, f.net.participants[h].share.as_ref().unwrap(), &f.public, &mut rng).unwrap()).collect()
}

/// What a verifier does: verify the answers, then check each claim with the first `t` valid
/// ones. `None` when fewer than `t` answers verify.
fn judge(f: &DecryptFixture, claims: &[(&Claim, &[ClaimedPoint])], answers: &[DecryptionBatch]) -> Option<Vec<bool>> {
    let bases: Vec<ShareBase> = claims.iter().map(|(c, _)| *c.base()).collect();
    let indexes: Vec<usize> = (0..claims.len()).collect();
    let list: Vec<BatchToVerify<'_>> = answers.iter().map(|batch| BatchToVerify { batch, indexes: &indexes }).collect();
    let bad = verify_decryption_batches(&f.public, &bases, &list);
    let t = usize::from(f.public.threshold());
    let good: Vec<&DecryptionBatch> = answers.iter().filter(|a| !bad.contains(&a.holder)).take(t).collect();
    if good.len() < t {
        return None;
    }
    let lambdas = lagrange_for(&good.iter().map(|a| a.holder).collect::<Vec<_>>()).unwrap();
    let shares: Vec<Vec<EdwardsPoint>> = (0..claims.len()).map(|k| good.iter().map(|a| a.points[k]).collect()).collect();
    let alone: Vec<bool> = claims.iter().zip(&shares).map(|((claim, claimed), answers)| claim.holds(claimed, &lambdas, answers)).collect();
    // The batched check of all claims agrees with checking each alone.
    let list: Vec<ClaimToCheck<'_>> = claims.iter().zip(&shares).map(|((claim, claimed), answers)| ClaimToCheck { claim, claimed, answers }).collect();
    assert_eq!(all_hold(&lambdas, &list), alone);
    Some(alone)
}

fn check(f: &DecryptFixture, context: &[u8], claimed: &[ClaimedPoint], answerers: &[Identifier], seed: u64) -> Option<bool> {
    let claim = claim_of(f, context, claimed);
    judge(f, &[(&claim, claimed)], &answers(f, &[&claim], answerers, seed)).map(|v| v[0])
}

/// 1/8 mod l, for building claimed points in tests.
fn inv8() -> Scalar {
    Scalar::from(8u64).invert()
}

/// `q` with its combined point moved by `by`.
fn moved(q: &ClaimedPoint, by: EdwardsPoint) -> ClaimedPoint {
    ClaimedPoint::decode(((q.combined() + by) * inv8()).compress().to_bytes()).unwrap()
}

#[test]
fn an_honest_claim_holds_and_opens_every_ciphertext() {
    let f = decrypt_fixture(5, 3, 6, 1);
    let claimed = claimed_by(&f, &[f.ids[0], f.ids[2], f.ids[4]], 2);
    // Other holders than the combiners answer, and more than t of them.
    assert_eq!(check(&f, b"block 7", &claimed, &[f.ids[1], f.ids[3], f.ids[4], f.ids[0]], 3), Some(true));
    for (j, (q, ct)) in claimed.iter().zip(&f.cts).enumerate() {
        assert_eq!(q.open(ct, &f.key).unwrap().to_vec(), format!("message {j}").into_bytes());
    }
    // t - 1 answers decide nothing.
    assert_eq!(check(&f, b"block 7", &claimed, &[f.ids[1], f.ids[3]], 4), None);
}

#[test]
fn two_wrong_points_cannot_cancel_out() {
    // The claimant moves one combined point by +P and another by -P: an unweighted sum would
    // not change. The weights are drawn after the points are fixed.
    let f = decrypt_fixture(4, 2, 4, 5);
    let mut claimed = claimed_by(&f, &[f.ids[0], f.ids[1]], 6);
    let p = ED25519_BASEPOINT_POINT * Scalar::from(77u64);
    claimed[0] = moved(&claimed[0], p);
    claimed[1] = moved(&claimed[1], -p);
    assert_eq!(check(&f, b"ctx", &claimed, &[f.ids[2], f.ids[3]], 7), Some(false));
}

#[test]
fn one_batch_answers_many_claims_and_each_is_judged_alone() {
    let f = decrypt_fixture(4, 2, 6, 8);
    let all = claimed_by(&f, &[f.ids[0], f.ids[1]], 9);
    let refs: Vec<&ShareBase> = f.bases.iter().collect();
    // Two claimants, three ciphertexts each; the second claim has one wrong point.
    let first = Claim::new(b"claimant 1", &refs[..3], &all[..3]).unwrap();
    let mut second_points = all[3..].to_vec();
    second_points[2] = moved(&second_points[2], ED25519_BASEPOINT_POINT);
    let second = Claim::new(b"claimant 2", &refs[3..], &second_points).unwrap();
    let batches = answers(&f, &[&first, &second], &[f.ids[3], f.ids[2]], 10);
    assert_eq!(judge(&f, &[(&first, &all[..3]), (&second, &second_points)], &batches), Some(vec![true, false]));
    // Answers made for the first claim (its base) are no answer to a claim of other points: they
    // fail verification against the other claim's base.
    let other = Claim::new(b"claimant 1", &refs[..3], &[all[0], all[1], moved(&all[2], ED25519_BASEPOINT_POINT)]).unwrap();
    let for_first = answers(&f, &[&first], &[f.ids[3], f.ids[2]], 11);
    assert_eq!(judge(&f, &[(&other, &all[..3])], &for_first), None);
    // The same points under another context are another claim: other weights, another base.
    let renamed = Claim::new(b"claimant 3", &refs[..3], &all[..3]).unwrap();
    assert_ne!(renamed.base(), first.base());
}

#[test]
fn claims_refuse_what_they_cannot_check() {
    let f = decrypt_fixture(3, 2, 2, 12);
    let claimed = claimed_by(&f, &[f.ids[0], f.ids[1]], 13);
    for q in &claimed {
        assert_eq!(ClaimedPoint::decode(q.to_bytes()).unwrap(), *q);
    }
    // y >= p.
    let mut bad = [0xff; 32];
    bad[0] = 0xed;
    bad[31] = 0x7f;
    assert!(ClaimedPoint::decode(bad).is_none());
    let refs: Vec<&ShareBase> = f.bases.iter().collect();
    assert!(Claim::new(b"ctx", &[], &[]).is_err());
    assert!(Claim::new(b"ctx", &refs, &claimed[..1]).is_err());
    let claim = Claim::new(b"ctx", &refs, &claimed).unwrap();
    // A point list other than the claim's, or answers not matching their coefficients.
    let lambdas = lagrange_for(&[f.ids[0], f.ids[1]]).unwrap();
    assert!(!claim.holds(&claimed[..1], &lambdas, &[ED25519_BASEPOINT_POINT, ED25519_BASEPOINT_POINT]));
    assert!(!claim.holds(&claimed, &lambdas, &[ED25519_BASEPOINT_POINT]));
    assert!(!claim.holds(&claimed, &[], &[]));
    assert!(ClaimedPoint::combine(&lambdas, &[ED25519_BASEPOINT_POINT]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// For any combiners and any answerers (t of n each), an honest claim holds; moving any one
    /// claimed point by a point of large order makes it fail, by a torsion point changes
    /// nothing (the same plaintext opens); a forged answer among all n is named by the batch
    /// check and the next valid ones decide.
    #[test]
    fn any_wrong_point_is_found_by_any_answerers(seed in 0u64..1000, combine_mask in 0u8..32, answer_mask in 0u8..32, index in 0usize..4, shift in 1u64..1000, torsion in 1usize..8) {
        let f = decrypt_fixture(5, 3, 4, seed);
        let pick = |mask: u8| -> Vec<Identifier> {
            let mut chosen: Vec<Identifier> = (0..5).filter(|i| mask & (1 << i) != 0).map(|i| f.ids[i]).collect();
            for id in &f.ids {
                if chosen.len() >= 3 { break; }
                if !chosen.contains(id) { chosen.push(*id); }
            }
            chosen.sort();
            chosen.truncate(3);
            chosen
        };
        let combiners = pick(combine_mask);
        let answerers = pick(answer_mask);
        let claimed = claimed_by(&f, &combiners, seed + 1);
        prop_assert_eq!(check(&f, b"ctx", &claimed, &answerers, seed + 2), Some(true));

        let mut wrong = claimed.clone();
        wrong[index] = moved(&claimed[index], ED25519_BASEPOINT_POINT * Scalar::from(shift));
        prop_assert_eq!(check(&f, b"ctx", &wrong, &answerers, seed + 3), Some(false));

        let mut torsioned = claimed.clone();
        let q = claimed[index].combined() * inv8();
        torsioned[index] = ClaimedPoint::decode((q + EIGHT_TORSION[torsion]).compress().to_bytes()).unwrap();
        prop_assert_eq!(check(&f, b"ctx", &torsioned, &answerers, seed + 4), Some(true));
        prop_assert_eq!(torsioned[index].open(&f.cts[index], &f.key).unwrap().to_vec(), format!("message {index}").into_bytes());

        // A forged answer (shifted after the proof) among all n answers: named, the rest decide.
        let claim = claim_of(&f, b"ctx", &claimed);
        let mut all = answers(&f, &[&claim], &f.ids, seed + 5);
        let forged = answerers[0];
        let k = f.ids.iter().position(|id| *id == forged).unwrap();
        let mut bytes = all[k].to_bytes();
        let shifted = all[k].points[0] + ED25519_BASEPOINT_POINT * Scalar::from(shift);
        bytes[2..34].copy_from_slice(shifted.compress().as_bytes());
        all[k] = DecryptionBatch::from_bytes(forged, &bytes).unwrap();
        let bases = [*claim.base()];
        let list: Vec<BatchToVerify<'_>> = all.iter().map(|batch| BatchToVerify { batch, indexes: &[0] }).collect();
        prop_assert_eq!(verify_decryption_batches(&f.public, &bases, &list), vec![forged]);
        prop_assert_eq!(judge(&f, &[(&claim, &claimed)], &all), Some(vec![true]));
    }
}
