#![doc = include_str!("../README.md")]

pub mod contract;
pub mod delivering;
pub mod error;
pub mod msg;
pub mod query;
pub mod state;

#[cfg(test)]
mod tests;

pub use crate::error::ContractError;

/// Declares that this contract needs the chain's threshold engine: a chain without the `tss`
/// capability ([`tss_bindings::CAPABILITY`]) refuses to store it.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
extern "C" fn requires_tss() {}
