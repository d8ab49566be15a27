//! The raw keyspace under the store: latest values for reads and scans, each key's history for
//! reads at a version, the tree's nodes and key preimages for roots and proofs, and the stale
//! indexes pruning follows.

use jmt::{KeyHash, Version};

/// Latest value of a state key: `s/ ++ key`.
pub const STATE: &[u8] = b"s/";
/// A tree node: `n/ ++ borsh(NodeKey)`.
pub const NODE: &[u8] = b"n/";
/// A state key's value as of a version: `h/ ++ escape(key) ++ 00 00 ++ version (8, BE)`; the
/// value is `0` (deleted) or `1 ++ value`. The escape keeps key order and prefixes, so one
/// key's versions are adjacent and a prefix scan at a version is a scan of `h/ ++ escape(prefix)`.
pub const HISTORY: &[u8] = b"h/";
/// A key hash's preimage: `k/ ++ key_hash`.
pub const PREIMAGE: &[u8] = b"k/";
/// A tree node made stale at a version: `x/ ++ version (8, BE) ++ borsh(NodeKey)`.
pub const STALE_NODE: &[u8] = b"x/";
/// A history entry superseded at a version: `y/ ++ version (8, BE) ++ the entry's raw key`.
pub const STALE_VALUE: &[u8] = b"y/";
/// The last committed version: `m/version`.
pub const VERSION: &[u8] = b"m/version";
/// The oldest version still readable (older ones are pruned): `m/oldest`.
pub const OLDEST: &[u8] = b"m/oldest";

const END: [u8; 2] = [0, 0];

pub fn state(key: &[u8]) -> Vec<u8> {
    [STATE, key].concat()
}

/// `0x00` becomes `00 ff`; `00 00` then ends a key. Escaped keys sort as the keys do, and the
/// escape of a prefix is a prefix of the escape of every key it starts.
fn escape(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 2);
    for &b in key {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out
}

/// Every version of `key`: `h/ ++ escape(key) ++ 00 00`.
pub fn history_of(key: &[u8]) -> Vec<u8> {
    [HISTORY, &escape(key), &END].concat()
}

pub fn history(key: &[u8], version: Version) -> Vec<u8> {
    [history_of(key).as_slice(), &version.to_be_bytes()].concat()
}

/// Every version of every key starting with `prefix`.
pub fn history_under(prefix: &[u8]) -> Vec<u8> {
    [HISTORY, &escape(prefix)].concat()
}

/// The state key and version of a raw history key.
pub fn split_history(raw: &[u8]) -> Option<(Vec<u8>, Version)> {
    let mut rest = raw.strip_prefix(HISTORY)?;
    let mut key = Vec::new();
    loop {
        match rest {
            [0, 0, version @ ..] => return Some((key, u64::from_be_bytes(version.try_into().ok()?))),
            [0, 0xff, tail @ ..] => {
                key.push(0);
                rest = tail;
            }
            [b, tail @ ..] if *b != 0 => {
                key.push(*b);
                rest = tail;
            }
            _ => return None,
        }
    }
}

pub fn preimage(key_hash: &KeyHash) -> Vec<u8> {
    [PREIMAGE, key_hash.0.as_slice()].concat()
}

pub fn stale(section: &[u8], since: Version, what: &[u8]) -> Vec<u8> {
    [section, &since.to_be_bytes(), what].concat()
}

/// The raw key a stale index entry names, and the version it went stale at.
pub fn split_stale<'a>(section: &[u8], raw: &'a [u8]) -> Option<(Version, &'a [u8])> {
    let rest = raw.strip_prefix(section)?;
    let (since, what) = rest.split_at_checked(8)?;
    Some((u64::from_be_bytes(since.try_into().ok()?), what))
}

/// Encodes a versioned value.
pub fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        Some(v) => [&[1u8][..], v].concat(),
        None => vec![0],
    }
}

/// Decodes a versioned value; `None` for a deletion, an error for bytes that are neither.
pub fn decode_value(raw: &[u8]) -> Result<Option<Vec<u8>>, &'static str> {
    match raw.split_first() {
        Some((0, [])) => Ok(None),
        Some((1, v)) => Ok(Some(v.to_vec())),
        _ => Err("a versioned value is neither a deletion nor a value"),
    }
}

pub fn hash(key: &[u8]) -> KeyHash {
    KeyHash::with::<sha2::Sha256>(key)
}

/// What the tree holds for a value: `0x01 ++ value`. ICS-23 cannot prove an empty value, and the
/// chain may store one; the frame makes every tree value non-empty.
pub fn tree_value(value: &[u8]) -> Vec<u8> {
    [&[1u8][..], value].concat()
}

/// The value inside a tree value.
pub fn from_tree_value(framed: &[u8]) -> Option<Vec<u8>> {
    match framed.split_first() {
        Some((1, v)) => Some(v.to_vec()),
        _ => None,
    }
}

pub fn version(raw: Option<Vec<u8>>) -> Option<Version> {
    raw.and_then(|v| v.try_into().ok()).map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn history_keys_keep_order_prefixes_and_round_trip(a in proptest::collection::vec(0u8..3, 0..6), b in proptest::collection::vec(0u8..3, 0..6), va in 0u64..3, vb in 0u64..3) {
            prop_assert_eq!(split_history(&history(&a, va)), Some((a.clone(), va)));
            // Keys in key order, then versions in order.
            prop_assert_eq!(history(&a, va).cmp(&history(&b, vb)), a.cmp(&b).then(va.cmp(&vb)));
            prop_assert_eq!(history(&b, vb).starts_with(&history_under(&a)), b.starts_with(&a));
        }
    }

    #[test]
    fn malformed_history_keys_are_refused() {
        assert_eq!(split_history(b"h/a\x00\x01"), None);
        assert_eq!(split_history(b"h/a\x00\x00\x01"), None);
        assert_eq!(split_history(b"s/a"), None);
        assert_eq!(split_stale(STALE_NODE, b"x/\x00\x01"), None);
    }
}
