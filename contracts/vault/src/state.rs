//! Storage keys and what is stored under them.

use cosmwasm_std::{Addr, Binary};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

/// Approvers and the approvals needed.
pub const CONFIG: Item<Config> = Item::new("config");
/// The vault's keyset.
pub const KEY: Item<Key> = Item::new("key");
/// Proposals by id (from 1).
pub const PROPOSALS: Map<u64, Proposal> = Map::new("proposals");
/// The last proposal id given.
pub const LAST_PROPOSAL: Item<u64> = Item::new("last_proposal");
/// Approved proposals waiting to be sent for signing, by id.
pub const QUEUE: Map<u64, ()> = Map::new("queue");
/// Open signature requests: request id to proposal id.
pub const REQUESTS: Map<u64, u64> = Map::new("requests");
/// Signature requests sent and not yet answered.
pub const IN_FLIGHT: Item<u32> = Item::new("in_flight");

/// Approvers and the approvals needed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The approvers, as given.
    pub approvers: Vec<Addr>,
    /// Approvals needed.
    pub approvals_needed: u32,
    /// The keyset's threshold (none: the chain's default).
    pub key_threshold: Option<u16>,
}

/// The vault's keyset.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The `CreateKeySet` request.
    pub request_id: u64,
    /// The keyset.
    pub key_set_id: u64,
    /// Its state.
    pub state: KeyState,
}

/// A keyset's state.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Key generation running.
    Pending,
    /// Ready, with its group key.
    Ready {
        /// The Ed25519 group key.
        public_key: Binary,
    },
    /// Key generation failed.
    Failed {
        /// Why.
        reason: String,
    },
}

impl KeyState {
    /// `pending`, `ready` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready { .. } => "ready",
            Self::Failed { .. } => "failed",
        }
    }
}

/// A proposal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Who proposed it.
    pub proposer: Addr,
    /// The bytes to sign.
    pub payload: Binary,
    /// Who approved, in order.
    pub approvals: Vec<Addr>,
    /// How far it got.
    pub state: ProposalState,
}

/// How far a proposal got.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    /// Collecting approvals.
    Open,
    /// Approved; waiting for the key or a free request slot.
    Queued,
    /// Sent; waiting for the engine to accept it (its reply).
    Submitted,
    /// Accepted as this request; waiting for the callback.
    Signing {
        /// The request.
        request_id: u64,
    },
    /// Signed.
    Signed {
        /// The 64-byte Ed25519 signature.
        signature: Binary,
        /// The key the engine says it verifies under.
        public_key: Binary,
    },
    /// The request failed; an approver may retry.
    Failed {
        /// Why.
        reason: String,
    },
}

impl ProposalState {
    /// `open`, `queued`, `signing`, `signed` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Queued => "queued",
            Self::Submitted | Self::Signing { .. } => "signing",
            Self::Signed { .. } => "signed",
            Self::Failed { .. } => "failed",
        }
    }
}
