//! Storage keys and what is stored under them. Nothing here opens without the buyer's
//! transport secret: the items are encrypted to the network key, the results to the buyers.

use cosmwasm_std::{Addr, Binary};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

/// Items by id (from 1).
pub const ITEMS: Map<u64, Offer> = Map::new("items");
/// The last item id given.
pub const LAST_ITEM: Item<u64> = Item::new("last_item");
/// Buyers the seller allowed, by (item, buyer).
pub const ALLOWED: Map<(u64, &Addr), ()> = Map::new("allowed");
/// Deliveries by (item, buyer).
pub const DELIVERIES: Map<(u64, &Addr), Delivery> = Map::new("deliveries");
/// Open requests: request id to (item, buyer).
pub const REQUESTS: Map<u64, (u64, Addr)> = Map::new("requests");
/// The delivery whose request is being submitted, until its reply.
pub const SUBMITTING: Item<(u64, Addr)> = Item::new("submitting");
/// Requests accepted and not yet answered.
pub const OPEN: Item<u32> = Item::new("open");

/// An item on offer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Who offered it.
    pub seller: Addr,
    /// What it is.
    pub description: String,
    /// The item, encrypted to the network key.
    pub ciphertext: Binary,
}

/// A buyer's delivery of an item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The transport key of the last request.
    pub transport_key: Binary,
    /// How far it got.
    pub state: DeliveryState,
}

/// How far a delivery got.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Sent; waiting for the engine to accept it (its reply).
    Submitted,
    /// Accepted as this request; waiting for the callback.
    Pending {
        /// The request.
        request_id: u64,
    },
    /// Re-encrypted to the transport key: only its holder opens `(u, v)`.
    Delivered {
        /// `U`.
        u: Binary,
        /// `V`.
        v: Binary,
    },
    /// Not delivered.
    Failed {
        /// Why.
        reason: String,
    },
}
