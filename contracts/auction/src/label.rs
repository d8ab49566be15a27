//! The label of a threshold ciphertext, read without decrypting (docs/ciphertext-format.md,
//! section 7). The engine checks only that a label names its requester (the contract); which
//! bidder the purpose names is the contract's to check, and it does so when the bid arrives.

/// Offset of the label length: tag (1), version (1), generation (4), ephemeral key (32).
const LABEL_LEN_AT: usize = 38;
/// Bytes after the label before the body: `R` (32), `z` (32), body length (4).
const AFTER_LABEL: usize = 68;
/// Longest label the format allows.
const MAX_LABEL: usize = 256;
/// Shortest body: the AEAD tag.
const MIN_BODY: usize = 16;

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
    if label_len > MAX_LABEL {
        return None;
    }
    let label_at = LABEL_LEN_AT + 4;
    let label = ciphertext.get(label_at..label_at + label_len)?;
    let body_len_at = label_at + label_len + AFTER_LABEL - 4;
    let body_len = u32_at(ciphertext, body_len_at)?;
    let end = (body_len_at + 4).checked_add(body_len)?;
    (body_len >= MIN_BODY && end == ciphertext.len()).then_some(label)
}

/// Lowercase hex, for error messages.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A ciphertext with the version-1 layout around `label` (points and proof zeros), for tests.
#[cfg(test)]
pub(crate) fn layout(label: &[u8], body_len: usize) -> Vec<u8> {
    let mut ct = vec![0x06, 0x01, 0, 0, 0, 1];
    ct.extend_from_slice(&[9u8; 32]);
    ct.extend_from_slice(&u32::try_from(label.len()).unwrap_or(u32::MAX).to_be_bytes());
    ct.extend_from_slice(label);
    ct.extend_from_slice(&[0u8; 64]);
    ct.extend_from_slice(&u32::try_from(body_len).unwrap_or(u32::MAX).to_be_bytes());
    ct.extend(std::iter::repeat_n(0xab, body_len));
    ct
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_label_of_a_well_laid_out_ciphertext() {
        assert_eq!(label_of(&layout(b"abc", 20)), Some(b"abc".as_slice()));
        assert_eq!(label_of(&layout(b"", 16)), Some(b"".as_slice()));
    }

    #[test]
    fn refuses_wrong_tags_short_bodies_truncation_and_trailing_bytes() {
        let good = layout(b"abc", 20);
        let mut wrong_tag = good.clone();
        wrong_tag[0] = 0x05;
        assert_eq!(label_of(&wrong_tag), None);
        assert_eq!(label_of(&layout(b"abc", 15)), None);
        assert_eq!(label_of(&good[..good.len() - 1]), None);
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(label_of(&trailing), None);
        assert_eq!(label_of(&layout(&[1u8; 257], 16)), None);
        assert_eq!(label_of(&[]), None);
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0xab, 0x1f]), "00ab1f");
    }
}
