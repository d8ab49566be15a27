#![doc = include_str!("../README.md")]

pub mod apply;
pub mod commitment_cache;
pub mod context;
pub mod extension;
pub mod json;
pub mod local;
pub mod merkle;
pub mod nonce_pool;
pub mod params;
pub mod proposal;
mod serde64;
mod signing;
pub mod state;
pub mod store;
pub mod tracked;
pub mod types;

pub use apply::{BlockInput, BlockOutput};
pub use extension::{check_form, VoteExtension};
pub use local::LocalSecrets;
pub use params::Params;
pub use state::EngineState;
pub use store::{MemStore, Store};
