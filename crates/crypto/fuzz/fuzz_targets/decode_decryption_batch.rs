//! Decodes arbitrary bytes as a `tss_crypto::decrypt_batch::DecryptionBatch` (the holder comes
//! from the envelope, here fixed); a success must re-encode to exactly the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tss_crypto::decrypt_batch::DecryptionBatch;

fuzz_target!(|data: &[u8]| {
    let Ok(holder) = tss_crypto::Identifier::try_from(1u16) else { return };
    let Ok(batch) = DecryptionBatch::from_bytes(holder, data) else { return };
    assert_eq!(batch.to_bytes(), data, "non-canonical batch encoding accepted");
    assert_eq!(batch.encoded_len(), data.len());
    assert_eq!(DecryptionBatch::from_bytes(holder, &batch.to_bytes()).ok(), Some(batch));
});
