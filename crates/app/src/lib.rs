#![doc = include_str!("../README.md")]

pub mod accounts;
pub mod contracts;
pub mod exec;
pub mod gov;
pub mod params;
pub mod settle;
pub mod slashing;
pub mod staking;

/// The transaction format and addresses live in `tss-tx`; here under their old paths.
pub use tss_tx::{address, tx};

pub use accounts::{Account, Deposit};
pub use address::Address;
pub use exec::{check_tx, code, genesis, Block, BlockTxs, Mempool, Refusal, TxOutcome};
pub use params::AppParams;
pub use settle::end_block;
pub use tx::{Fee, Msg, Tx, TxBody};
