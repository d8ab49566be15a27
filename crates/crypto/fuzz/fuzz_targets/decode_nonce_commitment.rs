//! Decodes arbitrary bytes as a `tss_crypto::sign::NonceCommitment`; a success must re-encode to exactly the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tss_crypto_fuzz::check_roundtrip::<tss_crypto::sign::NonceCommitment>(data);
});
