//! Storage keys and what is stored under them.

use cosmwasm_std::{Addr, Binary, Uint128};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

/// The terms.
pub const CONFIG: Item<Config> = Item::new("config");
/// Bidding, closing or closed.
pub const PHASE: Item<Phase> = Item::new("phase");
/// The standing bid of each bidder.
pub const BIDS: Map<&Addr, Bid> = Map::new("bids");
/// Standing bids by their place in the bid order (a replaced bid's place is removed).
pub const BY_ORDER: Map<u64, Addr> = Map::new("by_order");
/// The next place in the bid order.
pub const NEXT_ORDER: Item<u64> = Item::new("next_order");
/// Counters of the whole auction.
pub const TALLY: Item<Tally> = Item::new("tally");
/// Open decryption requests: request id to bidder.
pub const REQUESTS: Map<u64, Addr> = Map::new("requests");

/// The terms.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// What is sold.
    pub description: String,
    /// Bids are taken below this height.
    pub end_height: u64,
}

/// The auction's phase.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Taking bids (until `end_height`), then waiting for `close`.
    Bidding,
    /// Opening bids.
    Closing,
    /// Every bid opened or excluded.
    Closed {
        /// The highest opened bid (ties: the earliest), if any was opened.
        winner: Option<Leader>,
    },
}

/// A bid.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Bid {
    /// The sealed amount.
    pub ciphertext: Binary,
    /// Place in the bid order.
    pub order: u64,
    /// How far its opening got.
    pub state: BidState,
}

/// How far a bid's opening got.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BidState {
    /// Not yet sent for decryption.
    Sealed,
    /// Sent; waiting for the engine to accept it (its reply).
    Submitted,
    /// Accepted as this request; waiting for the callback.
    Opening {
        /// The request.
        request_id: u64,
    },
    /// Decrypted to this amount.
    Opened {
        /// The amount.
        amount: Uint128,
    },
    /// Not counted.
    Excluded {
        /// Why.
        reason: String,
    },
}

/// The best opened bid so far.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Leader {
    /// The bidder.
    pub bidder: Addr,
    /// The amount.
    pub amount: Uint128,
    /// Its place in the bid order.
    pub order: u64,
}

impl Leader {
    /// Whether `self` beats `other`: a higher amount, or the same amount bid earlier.
    pub fn beats(&self, other: &Leader) -> bool {
        (self.amount, std::cmp::Reverse(self.order)) > (other.amount, std::cmp::Reverse(other.order))
    }
}

/// Counters of the whole auction.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Standing bids.
    pub bids: u32,
    /// Bids opened.
    pub opened: u32,
    /// Bids excluded.
    pub excluded: u32,
    /// Requests sent and not yet answered.
    pub in_flight: u32,
    /// The next place in the bid order to send for decryption.
    pub cursor: u64,
    /// The best opened bid so far.
    pub leader: Option<Leader>,
}

impl Tally {
    /// Every bid is opened or excluded.
    pub fn done(&self) -> bool {
        self.opened.saturating_add(self.excluded) >= self.bids
    }
}
