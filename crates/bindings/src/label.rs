//! Labels of threshold ciphertexts: the one a contract's ciphertexts must carry, and reading a
//! ciphertext's label without decrypting it (docs/ciphertext-format.md, section 7).
//!
//! The engine checks only that a label names the contract asking for the decryption. What the
//! purpose says (which bidder, which seller) is the contract's to check, when the ciphertext
//! arrives: [`expect_label`].

/// Longest ciphertext label the engine accepts.
pub const MAX_LABEL_LEN: usize = 256;

/// Offset of the label length: tag (1), version (1), generation (4), ephemeral key (32).
const LABEL_LEN_AT: usize = 38;
/// Bytes after the label before the body: `R` (32), `z` (32), body length (4).
const AFTER_LABEL: usize = 68;
/// Shortest body: the AEAD tag.
const MIN_BODY: usize = 16;

/// The label a ciphertext must carry for `owner` (a contract's canonical address, from
/// `deps.api.addr_canonicalize`) to have it decrypted: the owner's length (2 bytes, big
/// endian), the owner, then `purpose` (what the plaintext is, e.g. `b"bid"`). The length
/// framing means no owner's label is another's prefix. `None` when it would exceed
/// [`MAX_LABEL_LEN`] or `owner` is empty.
pub fn ciphertext_label(owner: &[u8], purpose: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(owner.len()).ok().filter(|l| *l > 0)?;
    if 2 + owner.len() + purpose.len() > MAX_LABEL_LEN {
        return None;
    }
    let mut label = Vec::with_capacity(2 + owner.len() + purpose.len());
    label.extend_from_slice(&len.to_be_bytes());
    label.extend_from_slice(owner);
    label.extend_from_slice(purpose);
    Some(label)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(b)).ok()
}

/// The label of `ciphertext` when it has the layout of a version-1 ciphertext (tag `0x06`,
/// version `1`, lengths consistent, nothing trailing); none otherwise. The curve points and the
/// proof are not checked here: the validators do that before any share is made.
pub fn label_of(ciphertext: &[u8]) -> Option<&[u8]> {
    if ciphertext.get(..2)? != [0x06, 0x01] {
        return None;
    }
    let label_len = u32_at(ciphertext, LABEL_LEN_AT)?;
    if label_len > MAX_LABEL_LEN {
        return None;
    }
    let label_at = LABEL_LEN_AT + 4;
    let label = ciphertext.get(label_at..label_at + label_len)?;
    let body_len_at = label_at + label_len + AFTER_LABEL - 4;
    let body_len = u32_at(ciphertext, body_len_at)?;
    let end = (body_len_at + 4).checked_add(body_len)?;
    (body_len >= MIN_BODY && end == ciphertext.len()).then_some(label)
}

/// Why a ciphertext does not carry the label a contract expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelError {
    /// Not laid out as a version-1 ciphertext, or the expected label cannot be made.
    Malformed,
    /// A well-formed ciphertext with another label.
    Wrong {
        /// The label it must carry, as lowercase hex (for the error message).
        expected_hex: String,
    },
}

/// Checks that `ciphertext` carries `ciphertext_label(owner, purpose)`.
pub fn expect_label(ciphertext: &[u8], owner: &[u8], purpose: &[u8]) -> Result<(), LabelError> {
    let expected = ciphertext_label(owner, purpose).ok_or(LabelError::Malformed)?;
    match label_of(ciphertext) {
        None => Err(LabelError::Malformed),
        Some(label) if label == expected.as_slice() => Ok(()),
        Some(_) => Err(LabelError::Wrong { expected_hex: expected.iter().map(|b| format!("{b:02x}")).collect() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::layout;

    #[test]
    fn labels_are_framed_so_no_owner_is_anothers_prefix() {
        let a = ciphertext_label(b"ab", b"cbid").unwrap_or_default();
        let b = ciphertext_label(b"abc", b"bid").unwrap_or_default();
        assert_ne!(a, b);
        assert_eq!(a.get(..2), Some([0u8, 2].as_slice()));
        assert!(ciphertext_label(b"", b"x").is_none());
        assert!(ciphertext_label(&[1u8; 250], b"toolong").is_none());
    }

    #[test]
    fn reads_the_label_of_a_well_laid_out_ciphertext() {
        assert_eq!(label_of(&layout(b"abc", &[0; 20])), Some(b"abc".as_slice()));
        assert_eq!(label_of(&layout(b"", &[0; 16])), Some(b"".as_slice()));
    }

    #[test]
    fn refuses_wrong_tags_short_bodies_truncation_and_trailing_bytes() {
        let good = layout(b"abc", &[0; 20]);
        let mut wrong_tag = good.clone();
        wrong_tag[0] = 0x05;
        assert_eq!(label_of(&wrong_tag), None);
        assert_eq!(label_of(&layout(b"abc", &[0; 15])), None);
        assert_eq!(label_of(&good[..good.len() - 1]), None);
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(label_of(&trailing), None);
        assert_eq!(label_of(&layout(&[1u8; 257], &[0; 16])), None);
        assert_eq!(label_of(&[]), None);
    }

    #[test]
    fn expect_label_names_the_label_it_wanted() {
        let label = ciphertext_label(b"contract", b"bid:bob").unwrap_or_default();
        assert_eq!(expect_label(&layout(&label, &[0; 16]), b"contract", b"bid:bob"), Ok(()));
        let wrong = expect_label(&layout(&label, &[0; 16]), b"contract", b"bid:eve");
        let want = ciphertext_label(b"contract", b"bid:eve").unwrap_or_default().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(wrong, Err(LabelError::Wrong { expected_hex: want }));
        assert_eq!(expect_label(b"junk", b"contract", b"bid:bob"), Err(LabelError::Malformed));
        assert_eq!(expect_label(&layout(&label, &[0; 16]), b"", b"bid:bob"), Err(LabelError::Malformed));
    }
}
