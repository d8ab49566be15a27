//! Criterion benchmarks of every protocol step at n in {4, 16, 64, 100, 150},
//! t = floor(2n/3) + 1, beside raw frost-ed25519 for the signing steps.
//!
//! `cargo bench -p tss-crypto --bench protocols` (set `TSS_BENCH_SIZES=4,16` to choose sizes).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tss_crypto::dealing::{deal, open_shares, verify_dealings, Dealing};
use tss_crypto::decrypt::{combine, decryption_share};
use tss_crypto::decrypt_batch::{decryption_batch, lagrange_for, verify_decryption_batches, BatchToVerify, DecryptionBatch, ShareBase};
use tss_crypto::decrypt_claim::{all_hold, Claim, ClaimToCheck, ClaimedPoint};
use tss_crypto::encrypt::{encrypt, EncryptionKey};
use tss_crypto::finalize::{finalize_public, finalize_share, qualify};
use tss_crypto::local::{Faults, LocalNetwork};
use tss_crypto::sign::{aggregate, generate_nonces, preprocess, sign, signing_package, NonceCommitment};
use tss_crypto::prepared::PreparedPackage;
use tss_crypto::Encode;
use tss_crypto::{default_threshold, Identifier, PublicKeySet, SessionContext, SessionKind};

fn sizes() -> Vec<usize> {
    std::env::var("TSS_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![4, 16, 64, 100, 150])
}

struct Fixture {
    net: LocalNetwork,
    ids: Vec<Identifier>,
    public: PublicKeySet,
    dkg_ctx: SessionContext,
    dkg_dealings: Vec<Dealing>,
    refresh_ctx: SessionContext,
    refresh_dealings: Vec<Dealing>,
    reshare_ctx: SessionContext,
    reshare_dealings: Vec<Dealing>,
}

fn fixture(n: usize) -> Fixture {
    let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
    let mut net = LocalNetwork::default();
    let mut ids: Vec<Identifier> = (0..n).map(|i| net.add(format!("validator-{i}").as_bytes(), &mut rng).unwrap()).collect();
    ids.sort();
    let t = default_threshold(n);
    let committee = net.committee(&ids, t).unwrap();
    let dkg_ctx = SessionContext::new("bench", [1; 32], SessionKind::Dkg, committee.clone()).unwrap();
    let dkg_dealings = net.dealings(&dkg_ctx, &Faults::default(), &mut rng).unwrap();
    let public = net.conclude(&dkg_ctx, dkg_dealings.clone(), &Faults::default(), &mut rng).unwrap().public;
    let refresh_ctx = SessionContext::new("bench", [2; 32], SessionKind::Refresh { previous: public.clone() }, committee.clone()).unwrap();
    let refresh_dealings = net.dealings(&refresh_ctx, &Faults::default(), &mut rng).unwrap();
    let reshare_ctx = SessionContext::new("bench", [3; 32], SessionKind::Reshare { previous: public.clone() }, committee).unwrap();
    let reshare_dealings = net.dealings(&reshare_ctx, &Faults::default(), &mut rng).unwrap();
    Fixture { net, ids, public, dkg_ctx, dkg_dealings, refresh_ctx, refresh_dealings, reshare_ctx, reshare_dealings }
}

/// One validator's whole round: verify every dealing publicly, open its own shares, finalize.
fn validator_round(f: &Fixture, ctx: &SessionContext, dealings: &[Dealing], rng: &mut ChaCha20Rng) {
    let me = f.ids[0];
    let p = &f.net.participants[&me];
    let results = verify_dealings(ctx, dealings);
    let valid: BTreeMap<Identifier, Dealing> = dealings.iter().zip(&results).filter(|(_, r)| r.is_ok()).map(|(d, _)| (d.dealer, d.clone())).collect();
    let refs: Vec<&Dealing> = valid.values().collect();
    let (subs, bad) = open_shares(ctx, &refs, &me, &p.transport, rng).unwrap();
    assert!(bad.is_empty());
    let q = qualify(ctx, &valid.keys().copied().collect(), &BTreeSet::new()).unwrap();
    let public = finalize_public(ctx, &valid, &q).unwrap();
    finalize_share(ctx, &public, me, &subs, &q, p.share.as_ref()).unwrap();
}

fn bench_keygen(c: &mut Criterion) {
    let mut g = c.benchmark_group("keygen");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for n in sizes() {
        let f = fixture(n);
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        g.bench_with_input(BenchmarkId::new("create_dealing", n), &n, |b, _| b.iter(|| deal(&f.dkg_ctx, f.ids[0], None, &mut rng).unwrap()));
        g.bench_with_input(BenchmarkId::new("verify_all_dealings_public", n), &n, |b, _| {
            b.iter(|| assert!(verify_dealings(&f.dkg_ctx, &f.dkg_dealings).iter().all(Result::is_ok)))
        });
        let me = f.ids[0];
        let refs: Vec<&Dealing> = f.dkg_dealings.iter().collect();
        g.bench_with_input(BenchmarkId::new("verify_all_dealings_public_and_own_shares", n), &n, |b, _| {
            b.iter(|| {
                assert!(verify_dealings(&f.dkg_ctx, &f.dkg_dealings).iter().all(Result::is_ok));
                open_shares(&f.dkg_ctx, &refs, &me, &f.net.participants[&me].transport, &mut rng).unwrap()
            })
        });
        let valid: BTreeMap<Identifier, Dealing> = f.dkg_dealings.iter().map(|d| (d.dealer, d.clone())).collect();
        let q: Vec<Identifier> = valid.keys().copied().collect();
        let (subs, _) = open_shares(&f.dkg_ctx, &refs, &me, &f.net.participants[&me].transport, &mut rng).unwrap();
        g.bench_with_input(BenchmarkId::new("finalize_dkg", n), &n, |b, _| {
            b.iter(|| {
                let public = finalize_public(&f.dkg_ctx, &valid, &q).unwrap();
                finalize_share(&f.dkg_ctx, &public, me, &subs, &q, None).unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new("refresh_round_per_validator", n), &n, |b, _| {
            b.iter(|| validator_round(&f, &f.refresh_ctx, &f.refresh_dealings, &mut rng))
        });
        g.bench_with_input(BenchmarkId::new("reshare_round_per_validator", n), &n, |b, _| {
            b.iter(|| validator_round(&f, &f.reshare_ctx, &f.reshare_dealings, &mut rng))
        });
    }
    g.finish();
}

fn bench_sign_decrypt(c: &mut Criterion) {
    let mut g = c.benchmark_group("use");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for n in sizes() {
        let f = fixture(n);
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let t = usize::from(f.public.threshold());
        let signers: Vec<_> = f.ids[..t].iter().map(|id| f.net.participants[id].share.clone().unwrap()).collect();
        let mut nonces = Vec::new();
        let mut commitments = Vec::new();
        for s in &signers {
            let (nonce, c) = preprocess(s, 1, &mut rng).unwrap().pop().unwrap();
            nonces.push(nonce);
            commitments.push(c);
        }
        let message = b"benchmark message";
        let package = signing_package(message, &commitments).unwrap();
        let first_nonce_bytes = nonces[0].to_secret_bytes().unwrap();
        let shares: Vec<_> = signers.iter().zip(nonces).map(|(s, nonce)| sign(&package, nonce, s, &f.public).unwrap()).collect();

        g.bench_with_input(BenchmarkId::new("signature_share", n), &n, |b, _| {
            b.iter_batched(
                || tss_crypto::sign::SecretNonce::from_secret_bytes(&first_nonce_bytes).unwrap(),
                |nonce| sign(&package, nonce, &signers[0], &f.public).unwrap(),
                BatchSize::SmallInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("aggregate_with_cheater_detection", n), &n, |b, _| b.iter(|| aggregate(&package, &shares, &f.public).unwrap()));

        // The same two steps in raw frost-ed25519, on the same data.
        let key_package = signers[0].to_frost(&f.public).unwrap();
        let frost_nonces = frost_ed25519::round1::SigningNonces::deserialize(&first_nonce_bytes).unwrap();
        let pubkeys = f.public.to_frost().unwrap();
        let frost_shares: BTreeMap<_, _> = shares.iter().map(|s| (s.signer, s.share)).collect();
        g.bench_with_input(BenchmarkId::new("raw_frost_signature_share", n), &n, |b, _| {
            b.iter(|| frost_ed25519::round2::sign(&package, &frost_nonces, &key_package).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("raw_frost_aggregate_with_cheater_detection", n), &n, |b, _| {
            b.iter(|| frost_ed25519::aggregate_custom(&package, &frost_shares, &pubkeys, frost_ed25519::CheaterDetection::AllCheaters).unwrap())
        });

        // The prepared package (tss_crypto::prepared): RFC 9591's quantities computed once per
        // attempt, then each share and the aggregate from them.
        g.bench_with_input(BenchmarkId::new("prepare_package", n), &n, |b, _| {
            b.iter(|| PreparedPackage::new(message, &commitments, &f.public, None).unwrap())
        });
        let prepared = PreparedPackage::new(message, &commitments, &f.public, None).unwrap();
        g.bench_with_input(BenchmarkId::new("prepared_signature_share", n), &n, |b, _| {
            b.iter_batched(
                || tss_crypto::sign::SecretNonce::from_secret_bytes(&first_nonce_bytes).unwrap(),
                |nonce| prepared.sign(nonce, &signers[0]).unwrap(),
                BatchSize::SmallInput,
            )
        });
        g.bench_with_input(BenchmarkId::new("prepared_aggregate_with_cheater_detection", n), &n, |b, _| {
            b.iter(|| prepared.aggregate(&shares, &f.public).unwrap())
        });

        let key = EncryptionKey::new(&f.public, 0);
        let ct = encrypt(&key, b"bench", b"benchmark plaintext", &mut rng).unwrap();
        g.bench_with_input(BenchmarkId::new("decryption_share_with_proof", n), &n, |b, _| {
            b.iter(|| decryption_share(&ct, &key, &signers[0], &f.public, &mut rng).unwrap())
        });
        let dec: Vec<_> = signers.iter().map(|s| decryption_share(&ct, &key, s, &f.public, &mut rng).unwrap()).collect();
        g.bench_with_input(BenchmarkId::new("verify_and_combine_t_decryption_shares", n), &n, |b, _| {
            b.iter(|| combine(&ct, &key, &f.public, &dec).unwrap())
        });
    }
    g.finish();
}

/// What every node pays per published nonce commitment when a block carries it: reading the
/// published form (two decompressions, two cofactor multiplications), beside the full order
/// check it replaced (frost's decoder: decompression and a scalar multiplication per point).
fn bench_nonce_commitments(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let signer = Identifier::try_from(1u16).unwrap();
    let (_, commitment) = generate_nonces(signer, 1, &mut rng).pop().unwrap();
    let published = commitment.to_published();
    let wire = commitment.to_bytes();
    let mut g = c.benchmark_group("nonce_commitment");
    g.bench_function("from_published", |b| b.iter(|| NonceCommitment::from_published(signer, &published).unwrap()));
    g.bench_function("frost_order_check", |b| b.iter(|| NonceCommitment::from_bytes(&wire).unwrap()));
    g.bench_function("to_published", |b| b.iter(|| commitment.to_published()));
    let (nonce, _) = generate_nonces(signer, 1, &mut rng).pop().unwrap();
    g.bench_function("published_from_nonce", |b| b.iter(|| nonce.published()));
    g.finish();
}

/// A block's public decryptions checked two ways, for `m` ciphertexts (`TSS_BENCH_CLAIM_LEN`,
/// 2000): every node decoding and verifying `t` holders' batches (what FinalizeBlock does
/// today), and every node checking claims of combined points (`decrypt_claim`), either one
/// claim of all `m` or `n` claims of `m / n` (one per claimant): decoding the `m` points, each
/// claim's weights and base, `t` answer batches verified together, one comparison per claim.
/// Beside them the parts one party pays: a claimant's combination per ciphertext and a holder's
/// answer batch.
fn bench_decryption_claim(c: &mut Criterion) {
    let m: usize = std::env::var("TSS_BENCH_CLAIM_LEN").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let mut g = c.benchmark_group("decryption_claim");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for n in sizes() {
        let f = fixture(n);
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let t = usize::from(f.public.threshold());
        let key = EncryptionKey::new(&f.public, 0);
        let bases: Vec<ShareBase> = (0..m).map(|i| ShareBase::verified(&encrypt(&key, b"bench", &i.to_be_bytes(), &mut rng).unwrap(), &key).unwrap()).collect();
        let refs: Vec<&ShareBase> = bases.iter().collect();
        let holders = &f.ids[..t];
        let batches: Vec<DecryptionBatch> = holders.iter().map(|h| decryption_batch(&refs, f.net.participants[h].share.as_ref().unwrap(), &f.public, &mut rng).unwrap()).collect();
        let wire: Vec<Vec<u8>> = batches.iter().map(DecryptionBatch::to_bytes).collect();
        let indexes: Vec<usize> = (0..m).collect();
        let label = format!("{n}/{m}");
        g.bench_function(BenchmarkId::new("decode_and_verify_t_batches", &label), |b| {
            b.iter(|| {
                let decoded: Vec<DecryptionBatch> = holders.iter().zip(&wire).map(|(h, w)| DecryptionBatch::from_bytes(*h, w).unwrap()).collect();
                let list: Vec<BatchToVerify<'_>> = decoded.iter().map(|batch| BatchToVerify { batch, indexes: &indexes }).collect();
                assert!(verify_decryption_batches(&f.public, &bases, &list).is_empty());
            })
        });
        let lambdas = lagrange_for(holders).unwrap();
        let shares_of = |j: usize| -> Vec<_> { batches.iter().map(|b| b.points[j]).collect() };
        let first = shares_of(0);
        g.bench_function(BenchmarkId::new("claimant_combine_one", &label), |b| b.iter(|| ClaimedPoint::combine(&lambdas, &first).unwrap()));
        let claimed: Vec<ClaimedPoint> = (0..m).map(|j| ClaimedPoint::combine(&lambdas, &shares_of(j)).unwrap()).collect();
        let claimed_wire: Vec<[u8; 32]> = claimed.iter().map(ClaimedPoint::to_bytes).collect();
        let answerers = &f.ids[n - t..];
        for claims in [1, n] {
            let per = m.div_ceil(claims);
            let make = |points: &[ClaimedPoint]| -> Vec<Claim> {
                refs.chunks(per).zip(points.chunks(per)).enumerate().map(|(k, (r, p))| Claim::new(&k.to_be_bytes(), r, p).unwrap()).collect()
            };
            let made = make(&claimed);
            let claim_bases: Vec<ShareBase> = made.iter().map(|c| *c.base()).collect();
            let claim_refs: Vec<&ShareBase> = claim_bases.iter().collect();
            let share = f.net.participants[&f.ids[n - 1]].share.as_ref().unwrap();
            let id = format!("{label}/{}_claims", made.len());
            g.bench_function(BenchmarkId::new("holder_answer", &id), |b| {
                b.iter(|| {
                    let made = make(&claimed);
                    let bases: Vec<&ShareBase> = made.iter().map(Claim::base).collect();
                    decryption_batch(&bases, share, &f.public, &mut rng).unwrap()
                })
            });
            let answers: Vec<Vec<u8>> = answerers.iter().map(|h| decryption_batch(&claim_refs, f.net.participants[h].share.as_ref().unwrap(), &f.public, &mut rng).unwrap().to_bytes()).collect();
            let answer_lambdas = lagrange_for(answerers).unwrap();
            let claim_indexes: Vec<usize> = (0..made.len()).collect();
            g.bench_function(BenchmarkId::new("decode_and_verify_claims", &id), |b| {
                b.iter(|| {
                    let decoded: Vec<ClaimedPoint> = claimed_wire.iter().map(|q| ClaimedPoint::decode(*q).unwrap()).collect();
                    let made = make(&decoded);
                    let bases: Vec<ShareBase> = made.iter().map(|c| *c.base()).collect();
                    let batches: Vec<DecryptionBatch> = answerers.iter().zip(&answers).map(|(h, w)| DecryptionBatch::from_bytes(*h, w).unwrap()).collect();
                    let list: Vec<BatchToVerify<'_>> = batches.iter().map(|batch| BatchToVerify { batch, indexes: &claim_indexes }).collect();
                    assert!(verify_decryption_batches(&f.public, &bases, &list).is_empty());
                    let shares: Vec<Vec<_>> = (0..made.len()).map(|k| batches.iter().map(|b| b.points[k]).collect()).collect();
                    let list: Vec<ClaimToCheck<'_>> = made.iter().zip(decoded.chunks(per)).zip(&shares).map(|((claim, claimed), answers)| ClaimToCheck { claim, claimed, answers }).collect();
                    assert!(all_hold(&answer_lambdas, &list).iter().all(|h| *h));
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_keygen, bench_sign_decrypt, bench_nonce_commitments, bench_decryption_claim);
criterion_main!(benches);
