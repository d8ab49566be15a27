//! Property tests of the protocol invariants and the decoders.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use proptest::prelude::*;
use rand_chacha::rand_core::RngCore;
use std::sync::OnceLock;
use tss_crypto::complaint::{complain, Complaint};
use tss_crypto::dealing::{deal, Dealing};
use tss_crypto::decrypt::{combine_reencryption, decryption_share, reencryption_share, DecryptionShare, ReencryptedKey, ReencryptionShare};
use tss_crypto::encrypt::{encrypt, Ciphertext, EncryptionKey};
use tss_crypto::sign::{preprocess, sign, signing_package, NonceCommitment, SignatureShare};
use tss_crypto::{Encode, Identifier, PublicKeySet, SessionContext, SessionKind, TransportPublic, TransportSecret};

#[derive(Clone, Debug)]
enum Op {
    Refresh,
    /// Leave: members whose bit is set leave (at least one member stays); join: how many new
    /// members; threshold: where in 1..=n' the new threshold falls, in percent.
    Reshare { leave: u32, join: usize, threshold_pct: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Refresh),
        (any::<u32>(), 0usize..=3, 0u8..=100).prop_map(|(leave, join, threshold_pct)| Op::Reshare { leave, join, threshold_pct }),
    ]
}

fn shuffled(ids: &[Identifier], seed: u64) -> Vec<Identifier> {
    let mut rng = rng(seed);
    let mut v = ids.to_vec();
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// After any sequence of up to 5 refreshes and reshares with random joins and leaves, any t
    /// current shares sign under the original group key (ed25519-dalek `verify_strict`) and
    /// decrypt a ciphertext made before the first refresh; t-1 shares do neither.
    #[test]
    fn any_t_current_shares_sign_and_decrypt_after_refreshes_and_reshares(
        n in 1usize..=20,
        t_pct in 0u8..=100,
        ops in proptest::collection::vec(op(), 0..=5),
        seed in any::<u64>(),
    ) {
        let mut rng = rng(seed);
        let (mut net, pool) = network(n + 15, &mut rng);
        let mut committee: Vec<Identifier> = pool[..n].to_vec();
        let mut next_joiner = n;
        let t = 1 + (usize::from(t_pct) * (n - 1) / 100) as u16;
        let mut public = dkg(&mut net, &committee, t, 0, &mut rng).public;
        let group_key = public.group_key();
        let key = EncryptionKey::new(&public, 0);
        let ct = encrypt(&key, b"property", b"made before any refresh", &mut rng).unwrap();

        for (i, op) in ops.iter().enumerate() {
            let sid = u8::try_from(i + 1).unwrap();
            match op {
                Op::Refresh => public = refresh(&mut net, &public, sid, &mut rng).public,
                Op::Reshare { leave, join, threshold_pct } => {
                    let mut next: Vec<Identifier> = committee.iter().enumerate().filter(|(k, _)| leave & (1 << (k % 32)) == 0).map(|(_, id)| *id).collect();
                    if next.is_empty() {
                        next.push(committee[0]);
                    }
                    for _ in 0..*join {
                        next.push(pool[next_joiner]);
                        next_joiner += 1;
                    }
                    next.sort();
                    let t_new = 1 + (usize::from(*threshold_pct) * (next.len() - 1) / 100) as u16;
                    public = reshare(&mut net, &public, &next, t_new, sid, &mut rng).public;
                    committee = next;
                }
            }
            prop_assert_eq!(public.group_key(), group_key);
        }

        let t = usize::from(public.threshold());
        let order = shuffled(&committee, seed ^ 0x5eed);
        let signers = &order[..t];
        let sig = sign_with(&net, &public, signers, b"after the lifecycle", &mut rng).unwrap();
        prop_assert!(verifies_strict(&group_key, b"after the lifecycle", &sig));
        prop_assert_eq!(decrypt_with(&net, &public, &key, &ct, signers, &mut rng).unwrap(), b"made before any refresh".to_vec());
        if t > 1 {
            prop_assert!(sign_with(&net, &public, &signers[1..], b"x", &mut rng).is_err());
            prop_assert!(decrypt_with(&net, &public, &key, &ct, &signers[1..], &mut rng).is_err());
            prop_assert_ne!(interpolated_key(&shares_of(&net, &signers[1..])), group_key);
        }
    }
}

/// One valid instance of every public message, encoded.
struct Samples {
    encodings: Vec<(&'static str, Vec<u8>)>,
}

fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let mut rng = rng(99);
        let (mut net, ids) = network(4, &mut rng);
        let public = dkg(&mut net, &ids, 3, 1, &mut rng).public;
        let committee = net.committee(&ids, 3).unwrap();
        let ctx = SessionContext::new(CHAIN, session_id(2), SessionKind::Refresh { previous: public.clone() }, committee.clone()).unwrap();
        let dealing = deal(&ctx, ids[0], None, &mut rng).unwrap();
        let dkg_ctx = SessionContext::new(CHAIN, session_id(3), SessionKind::Dkg, committee).unwrap();
        let dkg_dealing = deal(&dkg_ctx, ids[0], None, &mut rng).unwrap();
        let complaint = complain(&ctx, &dealing, &ids[1], &net.participants[&ids[1]].transport, &mut rng).unwrap();
        let share = net.participants[&ids[0]].share.clone().unwrap();
        let (nonce, commitment) = preprocess(&share, 1, &mut rng).unwrap().pop().unwrap();
        let package = signing_package(b"m", &[commitment]).unwrap();
        let one_of_one = dkg(&mut net, &ids[..1], 1, 4, &mut rng).public;
        let solo = net.participants[&ids[0]].share.clone().unwrap();
        let (solo_nonce, solo_commitment) = preprocess(&solo, 1, &mut rng).unwrap().pop().unwrap();
        let solo_package = signing_package(b"m", &[solo_commitment]).unwrap();
        let sig_share = sign(&solo_package, solo_nonce, &solo, &one_of_one).unwrap();
        drop((nonce, package));
        let key = EncryptionKey::new(&one_of_one, 3);
        let ct = encrypt(&key, b"label", b"plaintext", &mut rng).unwrap();
        let dec = decryption_share(&ct, &key, &solo, &one_of_one, &mut rng).unwrap();
        let tpk = TransportSecret::generate(&mut rng).public();
        let re = reencryption_share(&ct, &key, &solo, &one_of_one, &tpk, &mut rng).unwrap();
        let rk = combine_reencryption(&ct, &key, &one_of_one, &tpk, &[re]).unwrap();
        Samples {
            encodings: vec![
                ("dealing", dealing.to_bytes()),
                ("dkg dealing", dkg_dealing.to_bytes()),
                ("complaint", complaint.to_bytes()),
                ("nonce commitment", commitment.to_bytes()),
                ("signature share", sig_share.to_bytes()),
                ("decryption share", dec.to_bytes()),
                ("reencryption share", re.to_bytes()),
                ("reencrypted key", rk.to_bytes()),
                ("ciphertext", ct.to_bytes()),
                ("public key set", public.to_bytes()),
            ],
        }
    })
}

/// Decodes with every decoder; each that accepts must re-encode to exactly the input
/// (canonical encoding). Returns how many accepted.
fn decode_all(bytes: &[u8]) -> usize {
    fn check<T: Encode>(bytes: &[u8]) -> usize {
        match T::from_bytes(bytes) {
            Ok(v) => {
                assert_eq!(v.to_bytes(), bytes, "{} is not canonical", std::any::type_name::<T>());
                1
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                0
            }
        }
    }
    let mut accepted = check::<Dealing>(bytes)
        + check::<Complaint>(bytes)
        + check::<NonceCommitment>(bytes)
        + check::<SignatureShare>(bytes)
        + check::<DecryptionShare>(bytes)
        + check::<ReencryptionShare>(bytes)
        + check::<ReencryptedKey>(bytes)
        + check::<Ciphertext>(bytes)
        + check::<PublicKeySet>(bytes);
    if let Ok(key) = <[u8; 32]>::try_from(bytes) {
        accepted += usize::from(TransportPublic::from_bytes(key).is_some());
    }
    accepted
}

#[test]
fn every_valid_sample_decodes_with_exactly_its_own_decoder() {
    for (name, bytes) in &samples().encodings {
        assert_eq!(decode_all(bytes), 1, "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        decode_all(&bytes);
    }

    #[test]
    fn decoders_never_panic_on_random_bodies_behind_valid_headers(tag in 1u8..=9, body in proptest::collection::vec(any::<u8>(), 0..400)) {
        // Dealings and complaints are at version 2, every other message at 1.
        let version = if tag <= 2 { 2 } else { 1 };
        let mut bytes = vec![tag, version];
        bytes.extend(body);
        decode_all(&bytes);
    }

    #[test]
    fn decoders_stay_canonical_under_mutation(
        which in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let samples = &samples().encodings;
        let (_, original) = &samples[which.index(samples.len())];
        let mut bytes = original.clone();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len() + 1));
        }
        prop_assert!(decode_all(&bytes) <= 1);
    }
}
