//! What can go wrong, naming the input at fault.

use cosmwasm_std::StdError;
use thiserror::Error;

/// An error of the auction contract.
#[derive(Error, Debug)]
#[non_exhaustive]
pub enum ContractError {
    /// Storage, serialization or address errors.
    #[error("{0}")]
    Std(#[from] StdError),
    /// `end_height` is not in the future at instantiation.
    #[error("end_height {end_height} must be above the current height {height}")]
    EndInPast {
        /// The requested end.
        end_height: u64,
        /// The block height at instantiation.
        height: u64,
    },
    /// The description is longer than [`crate::msg::MAX_DESCRIPTION_LEN`].
    #[error("the description is {len} bytes, at most {max} are allowed")]
    DescriptionTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A bid at or after `end_height`, or once closing began.
    #[error("bidding ended at height {end_height}")]
    BiddingEnded {
        /// The end.
        end_height: u64,
    },
    /// `close` before `end_height`.
    #[error("bidding is open until height {end_height}")]
    BiddingOpen {
        /// The end.
        end_height: u64,
    },
    /// `close` after the result is in.
    #[error("the auction is already closed")]
    AlreadyClosed,
    /// A ciphertext over [`crate::msg::MAX_BID_LEN`] bytes.
    #[error("the ciphertext is {len} bytes, at most {max} are allowed")]
    BidTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A new bidder when [`crate::msg::MAX_BIDS`] bidders already bid.
    #[error("the auction already has {max} bids")]
    TooManyBids {
        /// The limit.
        max: u32,
    },
    /// Not a ciphertext (docs/ciphertext-format.md section 7).
    #[error("the ciphertext is not a version-1 threshold ciphertext")]
    MalformedCiphertext,
    /// The ciphertext's label is not the one this bidder's bid must carry.
    #[error("the ciphertext's label must be {expected_hex} (ciphertext_label(contract, \"bid:{bidder}\"))")]
    WrongLabel {
        /// The bidder.
        bidder: String,
        /// The expected label, hex.
        expected_hex: String,
    },
    /// A reply for a sub-message this contract did not send.
    #[error("reply {id} matches no bid being opened")]
    UnknownReply {
        /// The reply id.
        id: u64,
    },
    /// The host's sub-message response carried no `RequestSubmitted`.
    #[error("the request's response carried no request id: {0}")]
    NoRequestId(String),
}
