//! The Python client `clients/python/tss_encrypt.py`, written from `docs/ciphertext-format.md`,
//! against the crate: ciphertexts it prints for a group key made by an in-process DKG must
//! decode, carry the owned label the chain requires, verify, and threshold-decrypt to the
//! plaintext; a changed label must be refused. It must also reproduce the document's test
//! vectors byte for byte, the owned-label one of which the crate decrypts here.
//!
//! Needs `python3` with the `cryptography` package; `bash scripts/install-deps` installs them.
//! Without them the test fails (it does not skip).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Command;
use tss_crypto::decrypt::{combine_reencryption, decryption_share, reencryption_share};
use tss_crypto::encrypt::{label_owner, owned_label, Ciphertext, EncryptionKey};
use tss_crypto::{Encode, Error, Identifier, KeyShare, PublicKeySet, TransportPublic};

const DOC: &str = include_str!("../../../docs/ciphertext-format.md");

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../clients/python")
        .join(name)
}

/// Fails, saying how to get them, when python3 or its `cryptography` package is missing.
fn require_python() {
    let hint = "run `bash scripts/install-deps` (it installs python3 and python3-cryptography)";
    match Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
    {
        Err(e) => panic!("python3 is needed by this test and was not found ({e}): {hint}"),
        Ok(out) if !out.status.success() => {
            panic!(
                "python3's `cryptography` package is needed by this test: {hint}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        }
        Ok(_) => {}
    }
}

/// Runs the encryption client; Ok(stdout) on success, Err(stderr) otherwise.
fn run(args: &[&str]) -> Result<String, String> {
    run_script("tss_encrypt.py", args)
}

fn run_script(name: &str, args: &[&str]) -> Result<String, String> {
    require_python();
    let out = Command::new("python3")
        .arg(script(name))
        .args(args)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn encrypt(group_key: &[u8; 32], generation: u32, who: &[&str], plaintext: &[&str]) -> Vec<u8> {
    let (key, gen) = (hex::encode(group_key), generation.to_string());
    let mut args = vec!["--group-key", &key, "--generation", &gen];
    args.extend_from_slice(who);
    args.extend_from_slice(plaintext);
    hex::decode(run(&args).unwrap_or_else(|e| panic!("tss_encrypt.py {args:?}: {e}"))).unwrap()
}

/// An account address and its bech32 form, computed with the `bech32` crate (the address of
/// the Ed25519 key `[7; 32]` with the prefix `mpc`).
const OWNER_HEX: &str = "4bb06f8e4e3a7715d201d573d0aa423762e55dab";
const OWNER_BECH32: &str = "mpc1fwcxlrjw8fm3t5sp64eap2jzxa3w2hdtdwlvvw";

#[test]
fn python_ciphertexts_carry_the_owned_label_verify_and_threshold_decrypt() {
    let mut rng = rng(0x9e7);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 1, &mut rng).public;
    let generation = 3;
    let key = EncryptionKey::new(&public, generation);
    let owner = hex::decode(OWNER_HEX).unwrap();
    let expected_label = owned_label(&owner, b"/demo").unwrap();

    let cases: [(&[&str], &[&str], &[u8]); 4] = [
        (
            &["--owner-hex", OWNER_HEX, "--purpose", "/demo"],
            &["--plaintext", "sealed bid: 42"],
            b"sealed bid: 42",
        ),
        (
            &["--owner", OWNER_BECH32, "--purpose", "/demo"],
            &["--plaintext-hex", "00ff10"],
            &[0x00, 0xff, 0x10],
        ),
        (
            &["--owner", OWNER_BECH32, "--purpose", "/demo"],
            &["--plaintext", ""],
            b"",
        ),
        (
            &[
                "--owner",
                &OWNER_BECH32.to_uppercase(),
                "--purpose",
                "/demo",
            ],
            &["--plaintext", "upper-case bech32"],
            b"upper-case bech32",
        ),
    ];
    for (i, (who, what, plaintext)) in cases.iter().enumerate() {
        let bytes = encrypt(&public.group_key(), generation, who, what);
        let ct =
            Ciphertext::from_bytes(&bytes).expect("the crate decodes the Python client's bytes");
        assert_eq!(ct.to_bytes(), bytes, "canonical encoding");
        assert_eq!(ct.generation, generation);
        assert_eq!(
            ct.label, expected_label,
            "the owned label u16be(len) || owner || purpose"
        );
        assert_eq!(
            label_owner(&ct.label),
            Some(owner.as_slice()),
            "the chain's owner check passes"
        );
        ct.verify(&key).expect("the Python client's proof verifies");
        let holders: Vec<Identifier> = ids.iter().copied().filter(|id| *id != ids[i % 4]).collect();
        assert_eq!(
            decrypt_with(&net, &public, &key, &ct, &holders, &mut rng).unwrap(),
            *plaintext
        );
    }

    // Sixteen fresh ephemeral keys: about half need the sign fix of section 5, all verify.
    for _ in 0..16 {
        let bytes = encrypt(
            &public.group_key(),
            generation,
            &["--owner-hex", OWNER_HEX],
            &["--plaintext", "x"],
        );
        Ciphertext::from_bytes(&bytes)
            .unwrap()
            .verify(&key)
            .expect("verifies whatever the sign of r*G");
    }

    // Another generation, or another key, gets no shares.
    let bytes = encrypt(
        &public.group_key(),
        generation,
        &["--owner-hex", OWNER_HEX, "--purpose", "/demo"],
        &["--plaintext", "bid"],
    );
    let ct = Ciphertext::from_bytes(&bytes).unwrap();
    assert!(ct
        .verify(&EncryptionKey::new(&public, generation + 1))
        .is_err());
}

/// `tss_reencrypt.py`: results combined by the crate from three holders' re-encryption shares
/// open with `open`, for a key made by `keygen` and for fixed keys of both signs (section 5);
/// another key does not open them.
#[test]
fn python_requester_opens_a_reencrypted_result() {
    use rand_chacha::rand_core::RngCore;
    let mut rng = rng(0x4e);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 1, &mut rng).public;
    let key = EncryptionKey::new(&public, 1);
    let group_key = hex::encode(public.group_key());
    let ct_bytes = encrypt(
        &public.group_key(),
        1,
        &["--owner-hex", OWNER_HEX, "--purpose", "/private"],
        &["--plaintext", "only for alice"],
    );
    let ct = Ciphertext::from_bytes(&ct_bytes).unwrap();
    let ct_hex = hex::encode(&ct_bytes);
    let dir = std::env::temp_dir().join(format!("tss-python-client-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // Secrets whose clamped scalar needs the negation of section 5, and secrets that do not.
    let needs_negation = |secret: &[u8; 32]| {
        let mut clamped = *secret;
        clamped[0] &= 248;
        clamped[31] = (clamped[31] & 127) | 64;
        tss_crypto::group::mul_base(&curve25519_dalek::scalar::Scalar::from_bytes_mod_order(
            clamped,
        ))
        .compress()
        .to_bytes()[31]
            >> 7
            == 1
    };
    let mut secrets: Vec<[u8; 32]> = Vec::new();
    let (mut negated, mut plain) = (0, 0);
    while negated < 2 || plain < 2 {
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut s);
        let n = needs_negation(&s);
        if (n && negated < 2) || (!n && plain < 2) {
            if n {
                negated += 1
            } else {
                plain += 1
            }
            secrets.push(s);
        }
    }
    let mut files: Vec<(PathBuf, String)> = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let file = dir.join(format!("fixed-{i}.key"));
            std::fs::write(&file, hex::encode(s)).unwrap();
            (
                file,
                hex::encode(
                    x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*s)).to_bytes(),
                ),
            )
        })
        .collect();
    let made = dir.join("keygen.key");
    let printed = run_script(
        "tss_reencrypt.py",
        &["keygen", "--out", made.to_str().unwrap()],
    )
    .unwrap();
    files.push((made, printed));

    let other = dir.join("other.key");
    std::fs::write(&other, hex::encode([0x42u8; 32])).unwrap();
    for (file, public_hex) in &files {
        let transport =
            TransportPublic::from_bytes(hex::decode(public_hex).unwrap().try_into().unwrap())
                .expect("a valid X25519 key");
        let shares: Vec<_> = shares_of(&net, &ids[1..])
            .into_iter()
            .map(|s| reencryption_share(&ct, &key, s, &public, &transport, &mut rng).unwrap())
            .collect();
        let rk = combine_reencryption(&ct, &key, &public, &transport, &shares)
            .unwrap()
            .to_bytes();
        let (u, v) = (hex::encode(&rk[2..34]), hex::encode(&rk[34..66]));
        let open = |secret: &std::path::Path| {
            run_script(
                "tss_reencrypt.py",
                &[
                    "open",
                    "--secret",
                    secret.to_str().unwrap(),
                    "--group-key",
                    &group_key,
                    "--ciphertext",
                    &ct_hex,
                    "--u",
                    &u,
                    "--v",
                    &v,
                ],
            )
        };
        assert_eq!(
            hex::decode(open(file).unwrap()).unwrap(),
            b"only for alice",
            "{}",
            file.display()
        );
        assert!(open(&other).unwrap_err().contains("does not open"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_ciphertext_under_a_tampered_label_is_refused() {
    let mut rng = rng(0x1abe);
    let (mut net, ids) = network(4, &mut rng);
    let public = dkg(&mut net, &ids, 3, 1, &mut rng).public;
    let key = EncryptionKey::new(&public, 0);
    let bytes = encrypt(
        &public.group_key(),
        0,
        &["--owner-hex", OWNER_HEX, "--purpose", "/vote"],
        &["--plaintext", "yes"],
    );
    let label_at = 2 + 4 + 32 + 4;
    let label_len = 2 + 20 + 5;
    Ciphertext::from_bytes(&bytes)
        .unwrap()
        .verify(&key)
        .expect("untouched, it verifies");
    let share = shares_of(&net, &ids[..1])[0];
    // Every byte of the label: the owner's length, the owner and the purpose.
    for i in 0..label_len {
        let mut tampered = bytes.clone();
        tampered[label_at + i] ^= 0x01;
        let ct = Ciphertext::from_bytes(&tampered).expect("still well-formed on the wire");
        assert!(
            matches!(ct.verify(&key), Err(Error::InvalidCiphertext(_))),
            "label byte {i}"
        );
        assert!(
            decryption_share(&ct, &key, share, &public, &mut rng).is_err(),
            "no share for label byte {i}"
        );
    }
    // Claimed for another owner, the label no longer names the requester: what the chain
    // checks before it asks anyone for a share.
    let ct = Ciphertext::from_bytes(&bytes).unwrap();
    let other = hex::decode("2578ccf8645b2d1dc10c465eff843585970f3a7e").unwrap();
    assert_ne!(label_owner(&ct.label), Some(other.as_slice()));
    // A raw label the chain would refuse still verifies cryptographically.
    let raw = encrypt(
        &public.group_key(),
        0,
        &["--label-hex", "626f622f626964"],
        &["--plaintext", "bob/bid"],
    );
    let raw = Ciphertext::from_bytes(&raw).unwrap();
    raw.verify(&key).unwrap();
    assert_eq!(
        label_owner(&raw.label),
        None,
        "not an owned label: the chain serves nobody"
    );
}

#[test]
fn the_client_refuses_bad_input() {
    let gk = "06d22b731ba15968911befe6b5238cd03d38bf5728f5e7f581bb1f99a11b0b54";
    let ok = [
        "--group-key",
        gk,
        "--generation",
        "1",
        "--owner-hex",
        OWNER_HEX,
        "--plaintext",
        "p",
    ];
    assert!(run(&ok).is_ok());
    let identity = format!("01{}", "00".repeat(31));
    let negative_zero = format!("01{}80", "00".repeat(30)); // y = 1, x = 0 with sign bit 1
    let non_canonical = format!("ed{}7f", "ff".repeat(30)); // y = p
    let order_four = "00".repeat(32); // y = 0: a point of order 4
    for bad_key in [
        identity.as_str(),
        negative_zero.as_str(),
        non_canonical.as_str(),
        order_four.as_str(),
        "00",
    ] {
        let err = run(&[
            "--group-key",
            bad_key,
            "--generation",
            "1",
            "--owner-hex",
            OWNER_HEX,
            "--plaintext",
            "p",
        ])
        .unwrap_err();
        assert!(err.contains("error"), "{bad_key}: {err}");
    }
    let typo = format!("{}q", &OWNER_BECH32[..OWNER_BECH32.len() - 1]);
    assert!(run(&[
        "--group-key",
        gk,
        "--generation",
        "1",
        "--owner",
        &typo,
        "--plaintext",
        "p"
    ])
    .unwrap_err()
    .contains("checksum"));
    assert!(
        run(&[
            "--group-key",
            gk,
            "--generation",
            "1",
            "--owner-hex",
            "",
            "--plaintext",
            "p"
        ])
        .is_err(),
        "empty owner"
    );
    let long_purpose = "x".repeat(235);
    assert!(
        run(&[
            "--group-key",
            gk,
            "--generation",
            "1",
            "--owner-hex",
            OWNER_HEX,
            "--purpose",
            &long_purpose,
            "--plaintext",
            "p"
        ])
        .is_err(),
        "label over 256 bytes"
    );
    assert!(
        run(&["--group-key", gk, "--generation", "1", "--plaintext", "p"]).is_err(),
        "no owner or label"
    );
}

/// Section 11 of the document: both vectors, recomputed by the Python client with the fixed
/// ephemeral secret and proof nonce the document gives.
#[test]
fn python_client_reproduces_the_document_vectors() {
    let e = "0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292c";
    let k = "0c2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a0b";
    let s =
        hex::decode("4a1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e70f").unwrap();
    let y = tss_crypto::group::mul_base(
        &curve25519_dalek::scalar::Scalar::from_canonical_bytes(s.clone().try_into().unwrap())
            .unwrap(),
    )
    .compress()
    .to_bytes();
    let plaintext = ["--plaintext", "threshold encryption test vector"];
    let raw_label = hex::encode(b"contract:example/purpose:vector");

    let cryptographic = encrypt(
        &y,
        7,
        &[
            "--label-hex",
            &raw_label,
            "--test-ephemeral-hex",
            e,
            "--test-nonce-hex",
            k,
        ],
        &plaintext,
    );
    assert!(
        DOC.contains(&hex::encode(&cryptographic)),
        "docs/ciphertext-format.md lacks the Python client's ciphertext {}",
        hex::encode(&cryptographic)
    );

    let owned = encrypt(
        &y,
        7,
        &[
            "--owner",
            OWNER_BECH32,
            "--purpose",
            "/vector",
            "--test-ephemeral-hex",
            e,
            "--test-nonce-hex",
            k,
        ],
        &plaintext,
    );
    assert!(
        DOC.contains(&hex::encode(&owned)),
        "docs/ciphertext-format.md lacks the owned-label ciphertext {}",
        hex::encode(&owned)
    );
    let label = owned_label(&hex::decode(OWNER_HEX).unwrap(), b"/vector").unwrap();
    assert!(
        DOC.contains(&hex::encode(&label)),
        "docs/ciphertext-format.md lacks the owned label {}",
        hex::encode(&label)
    );

    // The crate decrypts the owned-label vector with a 1-of-1 key set holding s (its wire
    // encoding, docs/wire-format.md: tag 0x09, version, threshold, group key, one member).
    let mut id = [0u8; 32];
    id[0] = 1;
    let mut pks = vec![0x09, 0x01];
    pks.extend_from_slice(&1u16.to_be_bytes());
    pks.extend_from_slice(&y);
    pks.extend_from_slice(&1u16.to_be_bytes());
    pks.extend_from_slice(&id);
    pks.extend_from_slice(&y);
    let public = PublicKeySet::from_bytes(&pks).unwrap();
    let share = KeyShare::from_secret_bytes(
        Identifier::deserialize(&id).unwrap(),
        &s.try_into().unwrap(),
        &public,
    )
    .unwrap();
    let key = EncryptionKey::new(&public, 7);
    let ct = Ciphertext::from_bytes(&owned).unwrap();
    assert_eq!(
        label_owner(&ct.label),
        Some(&hex::decode(OWNER_HEX).unwrap()[..])
    );
    ct.verify(&key).unwrap();
    let mut rng = rng(1);
    let d = decryption_share(&ct, &key, &share, &public, &mut rng).unwrap();
    assert_eq!(
        tss_crypto::decrypt::combine(&ct, &key, &public, &[d])
            .unwrap()
            .as_slice(),
        b"threshold encryption test vector"
    );
}
