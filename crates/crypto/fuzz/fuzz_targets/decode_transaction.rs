//! Decodes arbitrary bytes as a chain transaction (`tss_tx::tx::Tx`) and runs the whole
//! pre-state check (`tss_tx::tx::decode`: signature, body, chain id, bounds). Never panics; a
//! successful decode re-encodes to exactly the input (`check_roundtrip`). The proposer's gas
//! reader (`tss_tx::tx::gas_limit`, no signature check) never panics either, and names the same
//! gas limit as a full decode wherever that succeeds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tss_tx::tx::{decode, gas_limit, Tx};

fuzz_target!(|data: &[u8]| {
    tss_crypto_fuzz::check_roundtrip::<Tx>(data);
    let gas = gas_limit(data);
    if let Ok((_, body)) = decode(data, "fuzz-chain") {
        assert_eq!(gas, Some(body.fee.gas_limit));
    }
});
