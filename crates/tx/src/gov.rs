//! The governance vocabulary transactions carry: votes and what a proposal does. The rules
//! (deposits, tally, execution) are in `tss-app`'s `gov` module.

use serde::{Deserialize, Serialize};

/// A vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum VoteOption {
    /// For.
    Yes,
    /// Against.
    No,
    /// Counts for the quorum only.
    Abstain,
    /// Against, and the deposit should burn.
    NoWithVeto,
}

impl std::str::FromStr for VoteOption {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "yes" => Ok(Self::Yes),
            "no" => Ok(Self::No),
            "abstain" => Ok(Self::Abstain),
            "no_with_veto" => Ok(Self::NoWithVeto),
            other => Err(format!("{other:?} is not a vote: yes, no, abstain or no_with_veto")),
        }
    }
}

impl VoteOption {
    /// The name clients use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Abstain => "abstain",
            Self::NoWithVeto => "no_with_veto",
        }
    }
}

/// What a proposal does when it passes (postcard in transactions and state; proposal files
/// are JSON with a `kind`, read by [`ProposalFile::content`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Content {
    /// A fresh DKG makes the network key's next generation; the old one keeps decrypting for
    /// the engine's `retirement_delay` blocks, then its shares are erased.
    RotateNetworkKey,
    /// New values for some parameters: `engine` (docs/params.md, engine section) and `app`
    /// (chain section; nested objects merge field by field) as JSON objects of the fields to
    /// change. Both are checked at submission and again at execution.
    ChangeParams {
        /// Engine fields to change, as a JSON object text.
        engine: Option<String>,
        /// Chain fields to change, as a JSON object text.
        app: Option<String>,
    },
    /// The keyset signs and decrypts nothing (its open requests fail) until unfrozen.
    FreezeKeyset {
        /// The keyset.
        keyset: u64,
    },
    /// Undoes a freeze.
    UnfreezeKeyset {
        /// The keyset.
        keyset: u64,
    },
    /// The validator leaves through a reshare and may not come back (jailed for good).
    RemoveValidator {
        /// Its consensus address, hex.
        validator: String,
    },
}
