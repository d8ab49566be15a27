//! The contract's messages and query responses (JSON, snake_case).

use cosmwasm_std::Binary;
use serde::{Deserialize, Serialize};

/// Most approvers.
pub const MAX_APPROVERS: usize = 100;
/// Longest payload, in bytes (the chain's default `max_message_len`).
pub const MAX_PAYLOAD_LEN: usize = 1024;
/// Most signature requests open at once (the chain allows a contract 64; the margin leaves room
/// for a request sent from a callback before the host counts the answered one as closed).
pub const MAX_IN_FLIGHT: u32 = 32;

/// `instantiate`: also sends `CreateKeySet` for the vault's own keyset.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// Who may propose, approve and retry (bech32, 1 to 100, no repeats).
    pub approvers: Vec<String>,
    /// Approvals a payload needs before it is signed (1 to `approvers.len()`).
    pub approvals_needed: u32,
    /// The keyset's signing threshold; none: the chain's default.
    #[serde(default)]
    pub key_threshold: Option<u16>,
}

/// `execute`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExecuteMsg {
    /// An approver proposes `payload` for signing; the response data is the proposal id (JSON).
    /// Proposing is not approving: the proposer approves like anyone else.
    Propose {
        /// The bytes to sign (1 to 1024).
        payload: Binary,
    },
    /// An approver approves, once; the approval that reaches `approvals_needed` queues the
    /// signature request, sent as soon as the keyset is ready.
    Approve {
        /// The proposal.
        proposal_id: u64,
    },
    /// An approver asks again for a signature whose request failed (approvals are kept).
    Retry {
        /// The proposal.
        proposal_id: u64,
    },
    /// An approver asks for a new keyset after the key generation failed. The sender pays the
    /// keyset deposit.
    RetryKeySet {},
}

/// `query`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QueryMsg {
    /// [`ConfigResponse`].
    Config {},
    /// [`KeyResponse`].
    Key {},
    /// [`ProposalResponse`].
    Proposal {
        /// The proposal.
        id: u64,
    },
    /// [`VerifyResponse`]: checks the stored signature under the keyset's public key.
    Verify {
        /// The proposal.
        proposal_id: u64,
    },
}

/// `migrate`: nothing to change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MigrateMsg {}

/// Who approves, and how many must.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigResponse {
    /// The approvers.
    pub approvers: Vec<String>,
    /// Approvals needed.
    pub approvals_needed: u32,
}

/// The vault's keyset.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyResponse {
    /// The keyset.
    pub key_set_id: Option<u64>,
    /// Its Ed25519 group key, once ready.
    pub public_key: Option<Binary>,
    /// `pending` (key generation running), `ready` or `failed`.
    pub status: String,
    /// Why the key generation failed.
    pub reason: Option<String>,
}

/// A proposal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProposalResponse {
    /// The proposal.
    pub id: u64,
    /// Who proposed it.
    pub proposer: String,
    /// The bytes to sign.
    pub payload: Binary,
    /// Who approved, in order.
    pub approvals: Vec<String>,
    /// `open`, `queued` (approved, waiting for the key or a free request slot), `signing`,
    /// `signed` or `failed`.
    pub status: String,
    /// The Ed25519 signature, once signed.
    pub signature: Option<Binary>,
    /// The key the engine says it verifies under.
    pub public_key: Option<Binary>,
    /// Why the signature request failed.
    pub reason: Option<String>,
}

/// Whether the stored signature verifies.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct VerifyResponse {
    /// True when signed and the signature verifies over the payload under the keyset's key.
    pub valid: bool,
}
