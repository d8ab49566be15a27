//! Account addresses: the first 20 bytes of SHA-256 of the account's Ed25519 key (as CometBFT
//! derives a validator's address from its consensus key), written in bech32 with the chain's
//! prefix, the Cosmos convention (`mpc1...`).

use sha2::{Digest, Sha256};

/// Bytes in an address.
pub const ADDRESS_LEN: usize = 20;

/// An account (or validator operator) address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Address(pub [u8; ADDRESS_LEN]);

/// Why a string is not an address of this chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not bech32 at all.
    #[error("not a bech32 address: {0}")]
    Bech32(String),
    /// Another chain's prefix.
    #[error("address has prefix {found:?}, this chain's is {expected:?}")]
    WrongPrefix {
        /// The prefix it has.
        found: String,
        /// This chain's.
        expected: String,
    },
    /// Not 20 bytes.
    #[error("address holds {0} bytes, an account address holds 20")]
    Length(usize),
    /// The prefix cannot be used (empty, too long, or not bech32's lowercase ASCII).
    #[error("{0:?} is not a usable bech32 prefix")]
    BadPrefix(String),
}

impl Address {
    /// The address of an Ed25519 public key.
    pub fn of_key(key: &[u8; 32]) -> Self {
        let digest = Sha256::digest(key);
        let mut out = [0u8; ADDRESS_LEN];
        out.copy_from_slice(digest.get(..ADDRESS_LEN).unwrap_or(&[0u8; ADDRESS_LEN]));
        Self(out)
    }

    /// From raw bytes (exactly 20).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, AddressError> {
        <[u8; ADDRESS_LEN]>::try_from(bytes).map(Self).map_err(|_| AddressError::Length(bytes.len()))
    }

    /// The bech32 form with `prefix`.
    pub fn to_bech32(&self, prefix: &str) -> Result<String, AddressError> {
        let hrp = bech32::Hrp::parse(prefix).map_err(|_| AddressError::BadPrefix(prefix.to_owned()))?;
        bech32::encode::<bech32::Bech32>(hrp, &self.0).map_err(|e| AddressError::Bech32(e.to_string()))
    }

    /// Parses a bech32 address that must carry `prefix`.
    pub fn parse(prefix: &str, s: &str) -> Result<Self, AddressError> {
        let (hrp, data) = bech32::decode(s.trim()).map_err(|e| AddressError::Bech32(e.to_string()))?;
        if hrp.as_str() != prefix {
            return Err(AddressError::WrongPrefix { found: hrp.to_string(), expected: prefix.to_owned() });
        }
        Self::from_slice(&data)
    }
}

/// Checks that a prefix can be used for this chain's addresses.
pub fn check_prefix(prefix: &str) -> Result<(), AddressError> {
    let ok = !prefix.is_empty() && prefix.len() <= 16 && prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok && bech32::Hrp::parse(prefix).is_ok() {
        Ok(())
    } else {
        Err(AddressError::BadPrefix(prefix.to_owned()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn bech32_roundtrips_and_refuses_other_chains_and_typos() {
        let a = Address::of_key(&[7; 32]);
        let s = a.to_bech32("mpc").unwrap();
        assert!(s.starts_with("mpc1"));
        assert_eq!(Address::parse("mpc", &s).unwrap(), a);
        assert!(matches!(Address::parse("cosmos", &s), Err(AddressError::WrongPrefix { .. })));
        let mut typo = s.clone().into_bytes();
        let last = typo.len() - 1;
        typo[last] = if typo[last] == b'q' { b'p' } else { b'q' };
        assert!(matches!(Address::parse("mpc", std::str::from_utf8(&typo).unwrap()), Err(AddressError::Bech32(_))));
        let short = bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("mpc").unwrap(), &[1, 2, 3]).unwrap();
        assert_eq!(Address::parse("mpc", &short), Err(AddressError::Length(3)));
        assert!(check_prefix("mpc").is_ok());
        assert!(check_prefix("MPC").is_err() && check_prefix("").is_err());
    }
}
