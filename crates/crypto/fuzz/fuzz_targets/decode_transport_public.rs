//! Validates arbitrary 32-byte strings as X25519 transport public keys (`TransportPublic`).
//! Inputs of any other length are not keys and are skipped. An accepted key must give back
//! exactly its input bytes, and validating those again must give an equal key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tss_crypto::TransportPublic;

fuzz_target!(|data: &[u8]| {
    let Ok(bytes) = <[u8; 32]>::try_from(data) else {
        return;
    };
    let Some(key) = TransportPublic::from_bytes(bytes) else {
        return;
    };
    assert_eq!(
        key.to_bytes(),
        bytes,
        "accepted key {key:?} does not re-encode to its input"
    );
    let again = TransportPublic::from_bytes(key.to_bytes())
        .expect("an accepted key's encoding must be accepted again");
    assert_eq!(
        again, key,
        "re-validating the encoding gives a different key"
    );
});
