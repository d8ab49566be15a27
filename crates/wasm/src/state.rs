//! The host's records in the chain's key-value store, all under `wasm/` and so inside the app
//! hash: codes (and their bytes, so a node whose module cache is gone rebuilds it from state),
//! contracts, each contract's storage, the TSS requests contracts made and how their callbacks
//! went, and the requests callbacks made for the next block.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tss_engine::types::RequestInput;
use tss_engine::Store;

/// A stored code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeInfo {
    /// Its id.
    pub code_id: u64,
    /// SHA-256 of the wasm bytes.
    pub checksum: [u8; 32],
    /// Who stored it.
    pub creator: Vec<u8>,
    /// Bytes.
    pub size: u64,
    /// Height it was stored at.
    pub height: u64,
}

/// An instantiated contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractInfo {
    /// Its address.
    pub address: Vec<u8>,
    /// The code it runs.
    pub code_id: u64,
    /// Who instantiated it.
    pub creator: Vec<u8>,
    /// Who may migrate it.
    pub admin: Option<Vec<u8>>,
    /// A name for people.
    pub label: String,
    /// Height it was instantiated at.
    pub created: u64,
}

/// What a contract's TSS request was, kept until its callback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The contract.
    pub contract: Vec<u8>,
    /// The keyset it uses (for a creation: the new one).
    pub key_set_id: u64,
    /// For a signature: the message.
    pub message: Vec<u8>,
}

/// How a callback went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackRecord {
    /// The contract called.
    pub contract: Vec<u8>,
    /// Height of delivery.
    pub height: u64,
    /// Whether `sudo` succeeded (its writes kept).
    pub ok: bool,
    /// Its error otherwise.
    pub error: String,
    /// Chain gas used.
    pub gas_used: u64,
}

fn key(section: &str, id: &[u8]) -> Vec<u8> {
    let mut k = format!("wasm/{section}/").into_bytes();
    k.extend_from_slice(id);
    k
}

/// The prefix of a contract's storage.
pub fn storage_prefix(contract: &[u8]) -> Vec<u8> {
    let mut k = key("state", contract);
    k.push(b'/');
    k
}

/// Key of a code's info.
pub fn code_key(id: u64) -> Vec<u8> {
    key("code", &id.to_be_bytes())
}

/// Key of a code's wasm bytes.
pub fn bytes_key(checksum: &[u8; 32]) -> Vec<u8> {
    key("bytes", checksum)
}

/// Key of a contract's info.
pub fn contract_key(address: &[u8]) -> Vec<u8> {
    key("contract", address)
}

/// Key of a contract in its code's list.
pub fn by_code_key(code_id: u64, address: &[u8]) -> Vec<u8> {
    let mut k = key("by_code", &code_id.to_be_bytes());
    k.extend_from_slice(address);
    k
}

/// Key of a contract's request record.
pub fn request_key(id: u64) -> Vec<u8> {
    key("request", &id.to_be_bytes())
}

/// Key of a callback record.
pub fn callback_key(id: u64) -> Vec<u8> {
    key("callback", &id.to_be_bytes())
}

/// Key of the index of callback records by the height they were made at.
pub fn callback_at_key(height: u64, id: u64) -> Vec<u8> {
    let mut k = key("callback_at", &height.to_be_bytes());
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Key of the last height whose callback records are pruned.
pub const CALLBACKS_PRUNED: &[u8] = b"wasm/seq/callbacks_pruned";

/// Most heights one block prunes (after a retention decrease the rest follow in later blocks).
pub const PRUNE_HEIGHTS_PER_BLOCK: u64 = 64;

/// Records a callback: the record and its height index.
pub fn record_callback<S: Store + ?Sized>(store: &mut S, request: u64, record: &CallbackRecord) {
    store.put(&callback_key(request), encode(record));
    store.put(&callback_at_key(record.height, request), Vec::new());
}

/// At block `height`, removes the callback records made more than `retention` blocks ago (at
/// most [`PRUNE_HEIGHTS_PER_BLOCK`] heights of them); returns how many. The work is those
/// heights' callbacks, not every record kept.
pub fn prune_callbacks<S: Store + ?Sized>(store: &mut S, height: u64, retention: u64) -> usize {
    let Some(last) = height.checked_sub(retention) else { return 0 };
    let done = store.get(CALLBACKS_PRUNED).and_then(|v| v.try_into().ok()).map(u64::from_be_bytes).unwrap_or(0);
    if last <= done {
        return 0;
    }
    let until = last.min(done.saturating_add(PRUNE_HEIGHTS_PER_BLOCK));
    let mut pruned = 0;
    for h in done + 1..=until {
        let prefix = key("callback_at", &h.to_be_bytes());
        for (k, _) in store.scan_prefix(&prefix) {
            if let Some(id) = k.get(prefix.len()..).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes) {
                store.delete(&callback_key(id));
                pruned += 1;
            }
            store.delete(&k);
        }
    }
    store.put(CALLBACKS_PRUNED, until.to_be_bytes().to_vec());
    pruned
}

/// Key of the last code id.
pub const CODE_SEQ: &[u8] = b"wasm/seq/code";
/// Key of the last instance number.
pub const INSTANCE_SEQ: &[u8] = b"wasm/seq/instance";
/// Key of the requests callbacks made, for the next block.
pub const QUEUE: &[u8] = b"wasm/queue";

/// Decodes a record.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    postcard::from_bytes(bytes).ok()
}

/// Encodes a record.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).unwrap_or_default()
}

/// Writes not yet in the chain's store: a transaction's, or a sub-message's branch of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Branch {
    /// Changes by key (`None`: deleted).
    pub writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Branch {
    /// Sets a key.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }

    /// Writes the branch into `store`.
    pub fn apply<S: Store + ?Sized>(self, store: &mut S) {
        for (k, v) in self.writes {
            match v {
                Some(v) => store.put(&k, v),
                None => store.delete(&k),
            }
        }
    }
}

/// The chain's store seen through a branch.
pub struct View<'a, S: Store + ?Sized> {
    /// The store.
    pub base: &'a S,
    /// The branch over it.
    pub branch: &'a Branch,
}

impl<S: Store + ?Sized> View<'_, S> {
    /// The value at `key`.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.branch.writes.get(key) {
            Some(v) => v.clone(),
            None => self.base.get(key),
        }
    }

    /// A record at `key`.
    pub fn read<T: DeserializeOwned>(&self, key: &[u8]) -> Option<T> {
        self.get(key).and_then(|v| decode(&v))
    }

    /// Every entry under `prefix`, the prefix cut off, in key order.
    pub fn scan(&self, prefix: &[u8]) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut out: BTreeMap<Vec<u8>, Vec<u8>> = self.base.scan_prefix(prefix).into_iter().collect();
        for (k, v) in self.branch.writes.range(prefix.to_vec()..).take_while(|(k, _)| k.starts_with(prefix)) {
            match v {
                Some(v) => out.insert(k.clone(), v.clone()),
                None => out.remove(k),
            };
        }
        out.into_iter().filter_map(|(k, v)| Some((k.get(prefix.len()..)?.to_vec(), v))).collect()
    }
}

/// Every code, in id order.
pub fn codes<S: Store + ?Sized>(store: &S) -> Vec<CodeInfo> {
    store.scan_prefix(b"wasm/code/").iter().filter_map(|(_, v)| decode(v)).collect()
}

/// A code.
pub fn code<S: Store + ?Sized>(store: &S, id: u64) -> Option<CodeInfo> {
    store.get(&code_key(id)).and_then(|v| decode(&v))
}

/// A contract.
pub fn contract<S: Store + ?Sized>(store: &S, address: &[u8]) -> Option<ContractInfo> {
    store.get(&contract_key(address)).and_then(|v| decode(&v))
}

/// The contracts of a code, in address order.
pub fn contracts_by_code<S: Store + ?Sized>(store: &S, code_id: u64) -> Vec<Vec<u8>> {
    let prefix = by_code_key(code_id, b"");
    store.scan_prefix(&prefix).into_iter().filter_map(|(k, _)| k.get(prefix.len()..).map(<[u8]>::to_vec)).collect()
}

/// A contract's raw storage value.
pub fn raw<S: Store + ?Sized>(store: &S, address: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    let mut k = storage_prefix(address);
    k.extend_from_slice(key);
    store.get(&k)
}

/// How a request's callback went.
pub fn callback<S: Store + ?Sized>(store: &S, request: u64) -> Option<CallbackRecord> {
    store.get(&callback_key(request)).and_then(|v| decode(&v))
}

/// The requests callbacks queued for the next block (and removes them).
pub fn take_queue<S: Store + ?Sized>(store: &mut S) -> Vec<RequestInput> {
    let queued = store.get(QUEUE).and_then(|v| decode(&v)).unwrap_or_default();
    store.delete(QUEUE);
    queued
}

/// The queued requests, without removing them.
pub fn queue<S: Store + ?Sized>(store: &S) -> Vec<RequestInput> {
    store.get(QUEUE).and_then(|v| decode(&v)).unwrap_or_default()
}

/// Key of the last block's height and time (what queries run with).
pub const LAST_BLOCK: &[u8] = b"wasm/last_block";

/// The last finalized block's height and time (nanoseconds).
pub fn last_block<S: Store + ?Sized>(store: &S) -> (u64, u64) {
    store.get(LAST_BLOCK).and_then(|v| decode(&v)).unwrap_or((0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tss_engine::MemStore;

    fn record(height: u64) -> CallbackRecord {
        CallbackRecord { contract: vec![1; 20], height, ok: true, error: String::new(), gas_used: 1 }
    }

    #[test]
    fn callback_records_leave_after_the_retention_window_and_only_they() {
        let mut store = MemStore::default();
        for (id, height) in (1..=10u64).map(|h| (h * 100, h)) {
            record_callback(&mut store, id, &record(height));
            record_callback(&mut store, id + 1, &record(height));
        }
        // At height 12 with 5 blocks kept, heights 1..=7 go.
        assert_eq!(prune_callbacks(&mut store, 12, 5), 14);
        assert!(callback(&store, 700).is_none() && callback(&store, 701).is_none());
        assert!(callback(&store, 800).is_some(), "height 8 is within the window");
        assert_eq!(prune_callbacks(&mut store, 12, 5), 0, "pruning again finds nothing");
        // Nothing of a pruned record stays, index included.
        assert_eq!(store.scan_prefix(b"wasm/callback_at/").len(), 6);
        // A far later block prunes at most PRUNE_HEIGHTS_PER_BLOCK heights, then the rest.
        assert_eq!(prune_callbacks(&mut store, 1_000, 1), 6);
        assert_eq!(store.get(CALLBACKS_PRUNED), Some((7 + PRUNE_HEIGHTS_PER_BLOCK).to_be_bytes().to_vec()));
        assert!(store.scan_prefix(b"wasm/callback").is_empty());
    }
}
