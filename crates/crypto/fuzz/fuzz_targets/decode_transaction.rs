//! Decodes arbitrary bytes as a chain transaction (`tss_tx::tx::Tx`) and runs the whole
//! pre-state check (`tss_tx::tx::decode`: signature, body, chain id, bounds). Never panics; a
//! successful decode re-encodes to exactly the input (`check_roundtrip`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tss_tx::tx::{decode, Tx};

fuzz_target!(|data: &[u8]| {
    tss_crypto_fuzz::check_roundtrip::<Tx>(data);
    let _ = decode(data, "fuzz-chain");
});
