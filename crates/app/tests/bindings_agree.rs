//! The contract bindings restate two things the engine defines, so that contracts need not
//! depend on the crypto crate: the label a contract's ciphertexts carry, and where a
//! ciphertext's label sits in its wire encoding. These properties hold the two to one meaning.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, label_owner, owned_label, EncryptionKey};
use tss_crypto::Encode;

fn key() -> EncryptionKey {
    let point = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key().to_bytes();
    EncryptionKey::from_bytes(point, 3).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_bindings_label_is_the_engines(owner in proptest::collection::vec(any::<u8>(), 0..64), purpose in proptest::collection::vec(any::<u8>(), 0..260)) {
        let ours = tss_bindings::ciphertext_label(&owner, &purpose);
        prop_assert_eq!(&ours, &owned_label(&owner, &purpose));
        if let Some(label) = ours {
            prop_assert_eq!(label_owner(&label), Some(owner.as_slice()));
        }
    }

    #[test]
    fn the_bindings_read_the_label_of_a_real_ciphertext(label in proptest::collection::vec(any::<u8>(), 0..=256), plaintext in proptest::collection::vec(any::<u8>(), 0..300), seed in any::<u64>()) {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        let ct = encrypt(&key(), &label, &plaintext, &mut rng).unwrap().to_bytes();
        prop_assert_eq!(tss_bindings::label_of(&ct), Some(label.as_slice()));
        // Any truncation or trailing byte is refused, as the engine's decoder refuses it.
        prop_assert_eq!(tss_bindings::label_of(&ct[..ct.len() - 1]), None);
        let mut longer = ct.clone();
        longer.push(0);
        prop_assert_eq!(tss_bindings::label_of(&longer), None);
    }
}
