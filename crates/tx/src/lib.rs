//! The chain's transaction format.
//!
//! - [`address`]: account addresses (SHA-256 of the Ed25519 key, 20 bytes, bech32).
//! - [`tx`]: messages, the fee, the signed envelope and its bounded, canonical decoder.
//! - [`gov`]: the governance vocabulary messages carry (votes, proposal contents).
//!
//! The rules that execute transactions are `tss-app`'s, which re-exports these modules under
//! the same names (`tss_app::tx`, `tss_app::address`).

pub mod address;
pub mod gov;
pub mod tx;

pub use address::Address;
pub use tx::{Fee, Msg, Tx, TxBody};
