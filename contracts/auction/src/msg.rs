//! The contract's messages and query responses (JSON, snake_case).

use cosmwasm_std::{Binary, Uint128};
use serde::{Deserialize, Serialize};

/// Longest description, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 256;
/// Longest bid ciphertext, in bytes (10 KiB).
pub const MAX_BID_LEN: usize = 10 * 1024;
/// Most bidders.
pub const MAX_BIDS: u32 = 1000;
/// Most decryption requests open at once (the chain allows a contract 64).
pub const MAX_IN_FLIGHT: u32 = 32;
/// Most bids one `bids` query returns.
pub const MAX_PAGE: u32 = 1000;
/// The reason a bid whose plaintext is not a decimal u128 is excluded.
pub const NOT_AN_AMOUNT: &str = "not a decimal amount";

/// `instantiate`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {
    /// What is sold (at most 256 bytes).
    pub description: String,
    /// Bids are taken while the block height is below this.
    pub end_height: u64,
}

/// `execute`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExecuteMsg {
    /// A sealed bid: the amount as decimal ASCII, encrypted to the network key under the label
    /// `ciphertext_label(contract, "bid:" ++ sender)`. A later bid replaces the sender's earlier
    /// one and takes a new place in the bid order.
    Bid {
        /// The ciphertext's wire encoding (at most 10 KiB).
        ciphertext: Binary,
    },
    /// At or after `end_height`, by anyone: starts opening the bids, 32 at a time. Calling it
    /// again while opening tops the open requests up to 32 (needed only if the engine refused
    /// requests outright, which leaves no callback to continue from).
    Close {},
}

/// `query`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QueryMsg {
    /// [`ConfigResponse`].
    Config {},
    /// [`BidsResponse`]: bids ordered by bidder address.
    Bids {
        /// Start after this bidder.
        #[serde(default)]
        start_after: Option<String>,
        /// At most this many (default and maximum 1000).
        #[serde(default)]
        limit: Option<u32>,
    },
    /// [`ResultResponse`].
    Result {},
}

/// `migrate`: nothing to change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MigrateMsg {}

/// The auction's terms.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConfigResponse {
    /// What is sold.
    pub description: String,
    /// Bids are taken below this height.
    pub end_height: u64,
}

/// One bid as the public may see it (never the ciphertext's plaintext before it is opened).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BidView {
    /// The bidder.
    pub bidder: String,
    /// Place in the bid order (ties go to the lower).
    pub order: u64,
    /// `pending`, `opened` or `excluded`.
    pub status: String,
    /// The opened amount.
    pub amount: Option<Uint128>,
    /// Why it was excluded.
    pub reason: Option<String>,
}

/// The bids.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BidsResponse {
    /// Ordered by bidder address.
    pub bids: Vec<BidView>,
}

/// Where the auction stands.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ResultResponse {
    /// `bidding` (below `end_height`), `ended` (bidding over, `close` not called yet),
    /// `closing` (bids being opened) or `closed`.
    pub status: String,
    /// The highest opened bid's bidder (ties: the earliest bid), once closed.
    pub winner: Option<String>,
    /// Its amount.
    pub amount: Option<Uint128>,
    /// Bids made.
    pub bids: u32,
    /// Bids opened so far.
    pub opened: u32,
    /// Bids excluded so far.
    pub excluded: u32,
}
