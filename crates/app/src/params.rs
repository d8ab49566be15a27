//! Chain parameters: the denom, gas prices and limits, what threshold work costs, and the
//! bounds against spam that fees alone do not give. Set in genesis (later by governance).

use serde::{Deserialize, Serialize};

/// Gas charged per operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GasSchedule {
    /// Every transaction: signature check and account update.
    pub tx_base: u64,
    /// Per byte of the transaction.
    pub per_byte: u64,
    /// A bank transfer.
    pub bank_send: u64,
    /// A threshold signature: every signer's share and the aggregation.
    pub sign: u64,
    /// A threshold decryption: every holder's share and its proof.
    pub decrypt: u64,
    /// A staking message (bond, unbond, unjail; four times this to create a validator).
    pub staking: u64,
    /// A keyset, on top of its deposit: a DKG among every validator ...
    pub keyset_base: u64,
    /// ... plus this much per validator (it drafts each into the DKG and a refresh per epoch).
    pub keyset_per_validator: u64,
}

impl Default for GasSchedule {
    fn default() -> Self {
        Self { tx_base: 20_000, per_byte: 10, bank_send: 10_000, staking: 50_000, sign: 100_000, decrypt: 150_000, keyset_base: 500_000, keyset_per_validator: 100_000 }
    }
}

/// The chain's parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppParams {
    /// Bech32 prefix of account addresses.
    pub address_prefix: String,
    /// The native denom (fees, deposits, bonds).
    pub denom: String,
    /// Smallest fee per unit of gas, as a fraction `numerator / 1_000_000` of the denom (so
    /// 25 means 0.000025 per gas).
    pub min_gas_price_micro: u128,
    /// Most gas one transaction may ask for.
    pub max_tx_gas: u64,
    /// Most gas one block may use; transactions past it are refused in that block.
    pub max_block_gas: u64,
    /// What operations cost.
    pub gas: GasSchedule,
    /// Deposit locked per keyset, refunded when its owner deletes it.
    pub keyset_deposit: u128,
    /// Signature and decryption requests one requester may have open at once.
    pub max_open_requests: u32,
    /// Keysets one owner may hold at once.
    pub max_keysets: u32,
    /// Validators: the active set, bonds, unbonding, jailing.
    #[serde(default)]
    pub staking: crate::staking::StakingParams,
    /// Governance: deposits, voting period, tally thresholds.
    #[serde(default)]
    pub gov: crate::gov::GovParams,
    /// Contracts: gas for callbacks and queries.
    #[serde(default)]
    pub wasm: WasmParams,
}

/// Contract parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WasmParams {
    /// Gas each `sudo` callback may use (its own limit, apart from any transaction's).
    pub callback_gas_limit: u64,
    /// Gas a smart query may use.
    pub query_gas_limit: u64,
    /// Chain gas every wasm message costs up front, on top of the gas its contract uses.
    pub msg_base_gas: u64,
    /// Blocks a callback's record (`query wasm callback`) is kept; then it is pruned, and how
    /// the callback went stays in that block's events and in the contract's own state.
    pub callback_retention_blocks: u64,
}

impl Default for WasmParams {
    fn default() -> Self {
        Self { callback_gas_limit: 2_000_000, query_gas_limit: 3_000_000, msg_base_gas: 10_000, callback_retention_blocks: 10_000 }
    }
}

impl Default for AppParams {
    fn default() -> Self {
        Self {
            address_prefix: "mpc".into(),
            denom: "umpc".into(),
            min_gas_price_micro: 25,
            max_tx_gas: 10_000_000,
            max_block_gas: 100_000_000,
            gas: GasSchedule::default(),
            keyset_deposit: 10_000_000,
            max_open_requests: 64,
            max_keysets: 8,
            staking: crate::staking::StakingParams::default(),
            gov: crate::gov::GovParams::default(),
            wasm: WasmParams::default(),
        }
    }
}

impl AppParams {
    /// Smallest fee for a gas limit (rounded up).
    pub fn min_fee(&self, gas_limit: u64) -> u128 {
        u128::from(gas_limit).saturating_mul(self.min_gas_price_micro).div_ceil(1_000_000)
    }

    /// Checks the parameters make sense; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        crate::address::check_prefix(&self.address_prefix).map_err(|e| format!("address_prefix: {e}"))?;
        if self.denom.is_empty() || self.denom.len() > 64 || !self.denom.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'/') {
            return Err(format!("denom: {:?} must be 1 to 64 letters, digits or '/'", self.denom));
        }
        if self.max_tx_gas == 0 || self.max_block_gas < self.max_tx_gas {
            return Err("max_block_gas must be at least max_tx_gas, and max_tx_gas above 0".into());
        }
        if self.max_open_requests == 0 || self.max_keysets == 0 {
            return Err("max_open_requests and max_keysets must be at least 1".into());
        }
        let s = &self.staking;
        if s.slash_permille > 1000 {
            return Err(format!("staking.slash_permille is {}, at most 1000 (the whole bond)", s.slash_permille));
        }
        if s.max_validators == 0 {
            return Err("staking.max_validators must be at least 1".into());
        }
        if self.wasm.callback_gas_limit == 0 || self.wasm.query_gas_limit == 0 {
            return Err("wasm.callback_gas_limit and wasm.query_gas_limit must be above 0".into());
        }
        if self.wasm.callback_retention_blocks == 0 {
            return Err("wasm.callback_retention_blocks must be at least 1 (a callback's record is kept that many blocks)".into());
        }
        self.gov.validate()
    }
}
