//! The contract's messages and query responses (JSON, snake_case).

use cosmwasm_std::Binary;
use serde::{Deserialize, Serialize};

/// Longest description, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 256;
/// Longest ciphertext: the format's maximum (64 KiB of plaintext).
pub const MAX_CIPHERTEXT_LEN: usize = 65918;
/// Most decryption requests open at once (the chain's `max_open_requests`).
pub const MAX_OPEN_REQUESTS: u32 = 64;

/// `instantiate`: nothing to set.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InstantiateMsg {}

/// `execute`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ExecuteMsg {
    /// A seller offers an item encrypted to the network key under the label
    /// `ciphertext_label(contract, "item:" ++ sender)`; the response data is the item id (JSON).
    Offer {
        /// The ciphertext's wire encoding.
        ciphertext: Binary,
        /// What it is, for buyers (at most 256 bytes; public).
        description: String,
    },
    /// The seller allows a buyer to receive the item.
    Allow {
        /// The item.
        item_id: u64,
        /// The buyer (bech32).
        buyer: String,
    },
    /// An allowed buyer asks for the item re-encrypted to their transport key. Asking again
    /// (say, with a new key) is allowed once the last request is answered.
    Request {
        /// The item.
        item_id: u64,
        /// A 32-byte X25519 public key whose secret only the buyer holds.
        transport_key: Binary,
    },
}

/// `query`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QueryMsg {
    /// [`ItemResponse`].
    Item {
        /// The item.
        id: u64,
    },
    /// [`DeliveryResponse`].
    Delivery {
        /// The item.
        item_id: u64,
        /// The buyer (bech32).
        buyer: String,
    },
}

/// `migrate`: nothing to change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MigrateMsg {}

/// An item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ItemResponse {
    /// The item.
    pub id: u64,
    /// Who offered it.
    pub seller: String,
    /// What it is.
    pub description: String,
    /// The ciphertext (only the chain, asked by this contract, can decrypt it).
    pub ciphertext: Binary,
}

/// A buyer's delivery of an item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeliveryResponse {
    /// `none` (never requested), `allowed` (allowed, not requested), `pending`, `delivered` or
    /// `failed`.
    pub status: String,
    /// The transport key of the last request.
    pub transport_key: Option<Binary>,
    /// `U` of the re-encrypted result (32 bytes), once delivered.
    pub u: Option<Binary>,
    /// `V` of the re-encrypted result (32 bytes), once delivered.
    pub v: Option<Binary>,
    /// Why the last request failed.
    pub reason: Option<String>,
}
