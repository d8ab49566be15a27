//! Shared checks for the fuzz targets in `fuzz_targets/`.
//!
//! Every decoder of untrusted bytes must either reject the input or return a value whose
//! canonical encoding is exactly the input: one value, one encoding.

use std::fmt::Debug;
use tss_crypto::Encode;

/// Decodes `data` as a `T`; on success checks that re-encoding gives back `data` byte for byte
/// and that decoding the re-encoding gives an equal value. Decode errors are fine; panics (in
/// the decoder, the encoder or these assertions) are findings.
pub fn check_roundtrip<T: Encode + PartialEq + Debug>(data: &[u8]) {
    let Ok(value) = T::from_bytes(data) else {
        return;
    };
    let encoded = value.to_bytes();
    assert_eq!(
        encoded.as_slice(),
        data,
        "non-canonical encoding accepted: re-encoding {value:?} does not give the input back"
    );
    let again =
        T::from_bytes(&encoded).expect("the canonical encoding of a decoded value must decode");
    assert_eq!(
        again, value,
        "decoding the re-encoding gives a different value"
    );
}
