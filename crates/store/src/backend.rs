//! What the store needs from the raw key-value store under it.

use std::collections::BTreeMap;

/// One raw write: a value, or `None` to delete.
pub type RawWrite = (Vec<u8>, Option<Vec<u8>>);

/// An ordered key-value store that has what is committed (reads only: writes come back from
/// [`AuthStore::commit`](crate::AuthStore::commit) to be applied atomically by the owner).
pub trait RawKv {
    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// Every entry whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)>;
    /// Every entry with `start <= key < end`, in key order.
    fn scan_range(&self, start: &[u8], end: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)>;
    /// The entry with the greatest key that is at most `key` and starts with `prefix`.
    fn last_at_or_before(&self, prefix: &[u8], key: &[u8]) -> Option<(Vec<u8>, Vec<u8>)>;
    /// The entry with the smallest key that is at least `key` and starts with `prefix`.
    fn first_at_or_after(&self, prefix: &[u8], key: &[u8]) -> Option<(Vec<u8>, Vec<u8>)>;
}

/// A [`RawKv`] in memory, for tests and the simulator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemBackend {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemBackend {
    /// Applies a commit's writes.
    pub fn apply(&mut self, writes: Vec<RawWrite>) {
        for (k, v) in writes {
            match v {
                Some(v) => {
                    self.entries.insert(k, v);
                }
                None => {
                    self.entries.remove(&k);
                }
            }
        }
    }

    /// How many raw entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl RawKv for MemBackend {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.entries.get(key).cloned()
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.entries.range(prefix.to_vec()..).take_while(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn scan_range(&self, start: &[u8], end: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        if start >= end {
            return Vec::new();
        }
        self.entries.range(start.to_vec()..end.to_vec()).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn last_at_or_before(&self, prefix: &[u8], key: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        self.entries.range(..=key.to_vec()).next_back().filter(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), v.clone()))
    }

    fn first_at_or_after(&self, prefix: &[u8], key: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        self.entries.range(key.to_vec()..).next().filter(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), v.clone()))
    }
}
