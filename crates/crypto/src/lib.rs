#![doc = include_str!("../README.md")]

pub mod committee;
pub mod complaint;
pub mod dealing;
pub mod decrypt;
pub mod decrypt_batch;
pub mod decrypt_claim;
pub mod dleq;
pub mod encrypt;
pub mod error;
pub mod finalize;
pub mod group;
pub mod keys;
pub mod local;
pub mod pok;
pub mod prepared;
pub mod repair;
pub mod session;
pub mod sign;
pub mod transcript;
pub mod transport;
pub mod wire;

#[cfg(test)]
mod oracle_tests;

pub use committee::{default_threshold, max_faulty, participant_id, Committee, Member};
pub use error::Error;
pub use frost_ed25519::Identifier;
pub use keys::{KeyShare, KeyTweak, PublicKeySet};
pub use session::{SessionContext, SessionKind};
pub use transport::{TransportPublic, TransportSecret};
pub use wire::{DecodeError, Encode};
