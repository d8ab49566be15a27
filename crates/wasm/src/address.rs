//! Addresses as contracts see them: bech32 with the chain's prefix, 20 bytes for accounts
//! (SHA-256 of the key, truncated) and 32 for contracts, derived as wasmd's classic contract
//! addresses are (ADR-028's module address for `wasm` with the code id and the instance
//! number), so an address never depends on who instantiated or on the code's bytes.

use cosmwasm_vm::{BackendApi, BackendError, BackendResult, GasInfo};
use sha2::{Digest, Sha256};

/// Bytes in a contract address.
pub const CONTRACT_ADDRESS_LEN: usize = 32;
/// Bytes in an account address.
pub const ACCOUNT_ADDRESS_LEN: usize = 20;

/// The address of the `instance`-th contract instantiated (counting from 1 across all codes)
/// from code `code_id`: `sha256(sha256("module") || "wasm" || 0 || code_id || instance)`.
pub fn contract_address(code_id: u64, instance: u64) -> [u8; CONTRACT_ADDRESS_LEN] {
    let mut h = Sha256::new();
    h.update(Sha256::digest(b"module"));
    h.update(b"wasm\0");
    h.update(code_id.to_be_bytes());
    h.update(instance.to_be_bytes());
    h.finalize().into()
}

/// bech32 of raw address bytes (20 or 32).
pub fn humanize(prefix: &str, bytes: &[u8]) -> Result<String, String> {
    if bytes.len() != ACCOUNT_ADDRESS_LEN && bytes.len() != CONTRACT_ADDRESS_LEN {
        return Err(format!("an address holds 20 (account) or 32 (contract) bytes, not {}", bytes.len()));
    }
    let hrp = bech32::Hrp::parse(prefix).map_err(|_| format!("{prefix:?} is not a usable bech32 prefix"))?;
    bech32::encode::<bech32::Bech32>(hrp, bytes).map_err(|e| e.to_string())
}

/// The raw bytes of a bech32 address of this chain, which must be in canonical (lowercase)
/// form, so one address has one spelling.
pub fn canonicalize(prefix: &str, human: &str) -> Result<Vec<u8>, String> {
    let (hrp, data) = bech32::decode(human).map_err(|e| format!("{human:?} is not a bech32 address: {e}"))?;
    if hrp.as_str() != prefix {
        return Err(format!("address {human:?} has prefix {:?}, this chain's is {prefix:?}", hrp.as_str()));
    }
    if data.len() != ACCOUNT_ADDRESS_LEN && data.len() != CONTRACT_ADDRESS_LEN {
        return Err(format!("address {human:?} holds {} bytes: accounts hold 20, contracts 32", data.len()));
    }
    if humanize(prefix, &data)? != human {
        return Err(format!("address {human:?} is not in canonical lowercase form"));
    }
    Ok(data)
}

/// The `Api` contracts call: address checks in this chain's bech32.
#[derive(Clone, Debug)]
pub struct ChainApi {
    prefix: String,
}

/// Gas for one address conversion, in CosmWasm gas (wasmd's `DefaultGasCostHumanAddress`
/// times its multiplier, in spirit: cheap but not free).
const ADDRESS_GAS: u64 = 5 * crate::gas::GAS_MULTIPLIER;

impl ChainApi {
    /// An `Api` for addresses with `prefix`.
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned() }
    }
}

impl BackendApi for ChainApi {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        (canonicalize(&self.prefix, input).map(|_| ()).map_err(BackendError::user_err), GasInfo::with_cost(ADDRESS_GAS))
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        (canonicalize(&self.prefix, human).map_err(BackendError::user_err), GasInfo::with_cost(ADDRESS_GAS))
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        (humanize(&self.prefix, canonical).map_err(BackendError::user_err), GasInfo::with_cost(ADDRESS_GAS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_roundtrip_in_one_canonical_spelling() {
        let a = contract_address(1, 1);
        assert_ne!(a, contract_address(1, 2));
        assert_ne!(a, contract_address(2, 1));
        let human = humanize("mpc", &a).unwrap_or_default();
        assert!(human.starts_with("mpc1"));
        assert_eq!(canonicalize("mpc", &human).ok(), Some(a.to_vec()));
        assert!(canonicalize("mpc", &human.to_uppercase()).is_err());
        assert!(canonicalize("cosmos", &humanize("cosmos", &a).unwrap_or_default()).is_ok());
        assert!(canonicalize("mpc", &humanize("cosmos", &a).unwrap_or_default()).is_err());
        assert!(humanize("mpc", &[1u8; 21]).is_err());
    }
}
