//! What can go wrong, naming the input or the sender at fault.

use cosmwasm_std::StdError;
use thiserror::Error;

/// An error of the vault contract.
#[derive(Error, Debug)]
#[non_exhaustive]
pub enum ContractError {
    /// Storage, serialization or address errors.
    #[error("{0}")]
    Std(#[from] StdError),
    /// No approvers, or more than [`crate::msg::MAX_APPROVERS`].
    #[error("between 1 and {max} approvers are needed, {count} given")]
    ApproverCount {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The same approver twice.
    #[error("approver {0} is listed twice")]
    DuplicateApprover(String),
    /// `approvals_needed` outside `1..=approvers.len()`.
    #[error("approvals_needed must be between 1 and {approvers}, not {needed}")]
    ApprovalsNeeded {
        /// The value given.
        needed: u32,
        /// The number of approvers.
        approvers: usize,
    },
    /// The sender is not an approver.
    #[error("{sender} is not an approver")]
    NotAnApprover {
        /// The sender.
        sender: String,
    },
    /// A payload over [`crate::msg::MAX_PAYLOAD_LEN`] bytes, or empty.
    #[error("the payload is {len} bytes; 1 to {max} are allowed")]
    PayloadLength {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// No such proposal.
    #[error("no proposal {id}")]
    NoProposal {
        /// The id.
        id: u64,
    },
    /// The approver already approved this proposal.
    #[error("{approver} already approved proposal {id}")]
    AlreadyApproved {
        /// The proposal.
        id: u64,
        /// The approver.
        approver: String,
    },
    /// The proposal is past approval (queued, signing, signed or failed).
    #[error("proposal {id} is {status}, not open for approval")]
    NotOpen {
        /// The proposal.
        id: u64,
        /// Its status.
        status: String,
    },
    /// `retry` of a proposal that has not failed.
    #[error("proposal {id} is {status}; only a failed proposal can be retried")]
    NotFailed {
        /// The proposal.
        id: u64,
        /// Its status.
        status: String,
    },
    /// `retry_key_set` while the keyset is not failed.
    #[error("the keyset is {status}; only a failed keyset can be created again")]
    KeySetNotFailed {
        /// Its status.
        status: String,
    },
    /// The `CreateKeySet` reply named no keyset.
    #[error("the keyset request's response carried no key_set_id")]
    NoKeySetId,
    /// A reply for a sub-message this contract did not send.
    #[error("reply {id} matches no request being submitted")]
    UnknownReply {
        /// The reply id.
        id: u64,
    },
    /// The host's sub-message response carried no `RequestSubmitted`.
    #[error("the request's response carried no request id: {0}")]
    NoRequestId(String),
}
