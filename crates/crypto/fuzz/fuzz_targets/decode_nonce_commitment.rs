//! Decodes arbitrary bytes as a `tss_crypto::sign::NonceCommitment`: as its wire encoding (a
//! success must re-encode to exactly the input), and its first 64 bytes in the published form
//! vote extensions carry (a success must publish again to bytes that read back the same).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tss_crypto::sign::NonceCommitment;

fuzz_target!(|data: &[u8]| {
    tss_crypto_fuzz::check_roundtrip::<NonceCommitment>(data);
    let Some(raw) = data.get(..64).and_then(|d| <[u8; 64]>::try_from(d).ok()) else { return };
    let Ok(signer) = tss_crypto::Identifier::try_from(1u16) else { return };
    if let Ok(c) = NonceCommitment::from_published(signer, &raw) {
        let again = NonceCommitment::from_published(signer, &c.to_published()).expect("a commitment's published form reads back");
        assert_eq!(again, c);
    }
});
