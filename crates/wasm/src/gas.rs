//! Gas: contracts are metered by cosmwasm-vm in CosmWasm gas (115 per wasm operation);
//! the chain charges its own gas, `GAS_MULTIPLIER` CosmWasm gas each (wasmd's default), so a
//! transaction's one gas limit covers its bytes, its messages and its contracts' execution.

/// CosmWasm gas per unit of chain gas (wasmd's `DefaultGasMultiplier`).
pub const GAS_MULTIPLIER: u64 = 140_000;

/// Chain gas a contract's storage access costs (the Cosmos SDK's KV store costs).
#[derive(Clone, Copy, Debug)]
pub struct KvCosts {
    /// A read.
    pub read_flat: u64,
    /// Per byte read (key and value).
    pub read_per_byte: u64,
    /// A write.
    pub write_flat: u64,
    /// Per byte written.
    pub write_per_byte: u64,
    /// A delete.
    pub delete: u64,
    /// Opening an iterator or one step.
    pub iter_flat: u64,
}

impl Default for KvCosts {
    fn default() -> Self {
        Self { read_flat: 1000, read_per_byte: 3, write_flat: 2000, write_per_byte: 30, delete: 1000, iter_flat: 30 }
    }
}

/// Chain gas for CosmWasm gas, rounded up.
pub fn to_chain_gas(vm_gas: u64) -> u64 {
    vm_gas.div_ceil(GAS_MULTIPLIER)
}

/// CosmWasm gas for chain gas.
pub fn to_vm_gas(chain_gas: u64) -> u64 {
    chain_gas.saturating_mul(GAS_MULTIPLIER)
}

/// Chain gas left in one transaction (or callback) across its contract calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meter {
    /// The limit.
    pub limit: u64,
    /// Used so far.
    pub used: u64,
}

impl Meter {
    /// A meter with `limit`, `used` already spent.
    pub fn new(limit: u64, used: u64) -> Self {
        Self { limit, used }
    }

    /// Gas left.
    pub fn left(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// Charges `gas`; `false` (and the meter full) when it does not fit.
    pub fn charge(&mut self, gas: u64) -> bool {
        match self.used.checked_add(gas).filter(|u| *u <= self.limit) {
            Some(u) => {
                self.used = u;
                true
            }
            None => {
                self.used = self.limit;
                false
            }
        }
    }
}
