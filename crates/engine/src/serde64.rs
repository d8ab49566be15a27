//! serde for 64-byte nonce commitments (serde's derives stop at 32-byte arrays).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// A 64-byte array from a byte vector of exactly that length.
pub fn array64(v: &[u8]) -> Option<[u8; 64]> {
    v.try_into().ok()
}

/// `BTreeMap<[u8; 32], [u8; 64]>` as a list of (key, bytes).
pub mod map {
    use super::*;

    /// Serializes.
    pub fn serialize<S: Serializer>(m: &BTreeMap<[u8; 32], [u8; 64]>, s: S) -> Result<S::Ok, S::Error> {
        m.iter().map(|(k, v)| (*k, v.to_vec())).collect::<Vec<_>>().serialize(s)
    }

    /// Deserializes, refusing values that are not 64 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<[u8; 32], [u8; 64]>, D::Error> {
        Vec::<([u8; 32], Vec<u8>)>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| array64(&v).map(|a| (k, a)).ok_or_else(|| D::Error::custom("nonce commitment is not 64 bytes")))
            .collect()
    }
}
