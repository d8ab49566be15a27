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

criterion_group!(benches, bench_keygen, bench_sign_decrypt, bench_nonce_commitments);
criterion_main!(benches);
