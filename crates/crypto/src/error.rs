//! Errors. Every error caused by another party's data names that party, so blame is data
//! rather than a log line ([`Error::culprits`]).

use crate::wire::DecodeError;
use frost_ed25519::Identifier;

/// What went wrong in a protocol step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A committee or threshold is malformed (the caller's input, not a peer's).
    #[error("invalid committee: {0}")]
    InvalidCommittee(&'static str),
    /// A participant is not a member of the committee this step runs in.
    #[error("participant {0:?} is not in the committee")]
    UnknownParticipant(Identifier),
    /// A dealing fails public verification.
    #[error("dealing from {dealer:?} is invalid: {reason}")]
    InvalidDealing {
        /// The dealer.
        dealer: Identifier,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The share a dealer encrypted to us does not decrypt or does not match its commitments.
    /// The recipient should file a complaint.
    #[error("the share dealt by {dealer:?} is invalid: file a complaint")]
    InvalidShare {
        /// The dealer.
        dealer: Identifier,
    },
    /// Fewer valid contributions than the threshold.
    #[error("not enough valid contributions: have {have}, need {need}")]
    NotEnoughContributions {
        /// Valid contributions available.
        have: usize,
        /// Contributions needed.
        need: usize,
    },
    /// Signature shares failed verification.
    #[error("invalid signature shares from {culprits:?}")]
    InvalidSignatureShares {
        /// The signers whose shares are invalid.
        culprits: Vec<Identifier>,
    },
    /// Decryption shares failed verification.
    #[error("invalid decryption shares from {culprits:?}")]
    InvalidDecryptionShares {
        /// The holders whose shares are invalid.
        culprits: Vec<Identifier>,
    },
    /// A ciphertext is malformed or its proof does not verify; no share may be produced for it.
    #[error("invalid ciphertext: {0}")]
    InvalidCiphertext(&'static str),
    /// The ciphertext's body did not authenticate under the recovered key.
    #[error("decryption failed: the body does not authenticate")]
    DecryptionFailed,
    /// The nonce handed to `sign` is not the one the signing package assigns to this signer.
    #[error("the nonce does not match this signer's commitment in the signing package")]
    NonceMismatch,
    /// A key share does not match its public verifying share.
    #[error("key share for {0:?} does not match its verifying share")]
    ShareMismatch(Identifier),
    /// An error reported by frost-ed25519.
    #[error("frost: {0}")]
    Frost(String),
    /// Bytes could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl Error {
    /// The participants this error blames (empty when nobody else is at fault).
    pub fn culprits(&self) -> Vec<Identifier> {
        match self {
            Error::InvalidDealing { dealer, .. } | Error::InvalidShare { dealer } => vec![*dealer],
            Error::InvalidSignatureShares { culprits } | Error::InvalidDecryptionShares { culprits } => {
                culprits.clone()
            }
            _ => Vec::new(),
        }
    }
}

impl From<frost_ed25519::Error> for Error {
    fn from(e: frost_ed25519::Error) -> Self {
        match e {
            frost_ed25519::Error::InvalidSignatureShare { culprits } => Error::InvalidSignatureShares { culprits },
            other => Error::Frost(other.to_string()),
        }
    }
}
