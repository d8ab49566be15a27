//! What can go wrong, naming the input or the sender at fault.

use cosmwasm_std::StdError;
use thiserror::Error;

/// An error of the delivery contract.
#[derive(Error, Debug)]
#[non_exhaustive]
pub enum ContractError {
    /// Storage, serialization or address errors.
    #[error("{0}")]
    Std(#[from] StdError),
    /// The description is longer than [`crate::msg::MAX_DESCRIPTION_LEN`].
    #[error("the description is {len} bytes, at most {max} are allowed")]
    DescriptionTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A ciphertext over [`crate::msg::MAX_CIPHERTEXT_LEN`] bytes.
    #[error("the ciphertext is {len} bytes, at most {max} are allowed")]
    CiphertextTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a ciphertext (docs/ciphertext-format.md section 7).
    #[error("the ciphertext is not a version-1 threshold ciphertext")]
    MalformedCiphertext,
    /// The ciphertext's label is not the one this seller's item must carry.
    #[error("the ciphertext's label must be {expected_hex} (ciphertext_label(contract, \"item:{seller}\"))")]
    WrongLabel {
        /// The seller.
        seller: String,
        /// The expected label, hex.
        expected_hex: String,
    },
    /// No such item.
    #[error("no item {id}")]
    NoItem {
        /// The id.
        id: u64,
    },
    /// `allow` by someone other than the item's seller.
    #[error("{sender} is not the seller of item {id}")]
    NotTheSeller {
        /// The item.
        id: u64,
        /// The sender.
        sender: String,
    },
    /// `request` by a buyer the seller did not allow.
    #[error("{buyer} is not allowed to receive item {id}")]
    NotAllowed {
        /// The item.
        id: u64,
        /// The buyer.
        buyer: String,
    },
    /// A transport key that is not 32 bytes.
    #[error("the transport key is {len} bytes, not 32")]
    TransportKeyLength {
        /// Its length.
        len: usize,
    },
    /// The buyer already has a request open for this item.
    #[error("a delivery of item {id} to {buyer} is already under way")]
    AlreadyRequested {
        /// The item.
        id: u64,
        /// The buyer.
        buyer: String,
    },
    /// The contract has [`crate::msg::MAX_OPEN_REQUESTS`] requests open.
    #[error("{max} deliveries are under way, the most the chain allows a contract; try again in a few blocks")]
    TooManyOpen {
        /// The limit.
        max: u32,
    },
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
