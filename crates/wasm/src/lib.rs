//! The contract host: CosmWasm contracts (cosmwasm-vm 3.0) run over the chain's key-value
//! store, with this chain's addresses, gas and the threshold engine behind
//! `CosmosMsg::Custom(TssMsg)`, `TssQuery` and `sudo` callbacks (`tss-bindings`).
//!
//! - [`host`]: the module cache under the node's home, code checks.
//! - [`exec`]: store, instantiate, execute, migrate, sudo, sub-messages and replies.
//! - [`storage`], [`querier`], [`address`]: what a contract instance runs on.
//! - [`state`]: the host's records in the chain state.
//! - [`gas`]: CosmWasm gas and chain gas.
//! - [`callback`]: engine results turned into `TssSudoMsg`.

pub mod address;
pub mod callback;
pub mod exec;
pub mod gas;
pub mod host;
pub mod querier;
pub mod state;
pub mod storage;

pub use address::ChainApi;
pub use exec::{BlockEnv, ContractEvent, Exec, Submitted, TssRouter, WasmError};
pub use host::Host;
pub use querier::TssView;
