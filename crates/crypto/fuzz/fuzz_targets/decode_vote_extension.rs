//! Decodes arbitrary bytes as a `tss_engine::extension::VoteExtension` and runs the
//! `VerifyVoteExtension` form check (`tss_engine::extension::check_form`) on them.
//!
//! Input layout: `height (u64, big-endian) || budget (u32, big-endian) || extension bytes`.
//! Inputs shorter than the 12-byte header are skipped.
//!
//! - Decoding: a success must re-encode to exactly the extension bytes and decode again to an
//!   equal value (`check_roundtrip`).
//! - Form check: never panics; when it accepts, the extension names the given height and
//!   (unless the bytes are empty, which is the valid empty extension) fits the budget. It
//!   accepts exactly the bytes that are empty, or within the budget, decode, and name the height.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tss_crypto::Encode;
use tss_engine::extension::{check_form, VoteExtension};

fuzz_target!(|data: &[u8]| {
    let Some((height, rest)) = data.split_first_chunk::<8>() else {
        return;
    };
    let Some((budget, bytes)) = rest.split_first_chunk::<4>() else {
        return;
    };
    let height = u64::from_be_bytes(*height);
    let budget = u32::from_be_bytes(*budget) as usize;

    tss_crypto_fuzz::check_roundtrip::<VoteExtension>(bytes);

    let decoded = VoteExtension::from_bytes(bytes).ok();
    let should_accept = bytes.is_empty()
        || (bytes.len() <= budget && decoded.as_ref().is_some_and(|e| e.height == height));
    match check_form(bytes, height, budget) {
        Ok(ext) => {
            assert_eq!(
                ext.height, height,
                "check_form accepted an extension for another height"
            );
            if bytes.is_empty() {
                assert!(
                    ext.items.is_empty(),
                    "the empty extension must have no items"
                );
            } else {
                assert!(
                    bytes.len() <= budget,
                    "check_form accepted {} bytes over a budget of {budget}",
                    bytes.len()
                );
                assert_eq!(
                    Some(&ext),
                    decoded.as_ref(),
                    "check_form returned another value than the decoder"
                );
            }
        }
        Err(e) => assert!(
            !should_accept,
            "check_form rejected a decodable extension of the right height within the budget: {e}"
        ),
    }
});
