//! The key-value store the engine's state lives in. The node backs it with rocksdb, tests with
//! memory. Keys and values are opaque bytes; iteration is in key order, so everything derived
//! from a scan is deterministic.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Ordered key-value storage.
pub trait Store {
    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// Sets `key` to `value`.
    fn put(&mut self, key: &[u8], value: Vec<u8>);
    /// Removes `key`.
    fn delete(&mut self, key: &[u8]);
    /// All entries whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)>;
}

/// An in-memory store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemStore {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Store for MemStore {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.entries.get(key).cloned()
    }

    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        self.entries.insert(key.to_vec(), value);
    }

    fn delete(&mut self, key: &[u8]) {
        self.entries.remove(key);
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.entries.range(prefix.to_vec()..).take_while(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// SHA-256 over every entry under `prefix` (length-prefixed key and value, in key order): the
/// digest two honest nodes must agree on after every block.
pub fn state_hash<S: Store + ?Sized>(store: &S, prefix: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    for (k, v) in store.scan_prefix(prefix) {
        h.update((k.len() as u64).to_be_bytes());
        h.update(&k);
        h.update((v.len() as u64).to_be_bytes());
        h.update(&v);
    }
    h.finalize().into()
}
