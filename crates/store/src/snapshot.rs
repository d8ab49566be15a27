//! [`Snapshot`]: the state as committed at one version, for queries. Nothing written since that
//! version is visible, and nothing uncommitted ever is.

use crate::backend::RawKv;
use crate::keys;
use jmt::Version;
use std::collections::BTreeMap;
use tss_engine::Store;

/// A read-only view of committed `version`. The engine's `Store` needs writes; a snapshot keeps
/// them in memory and drops them with itself (a query that runs a contract may write).
pub struct Snapshot<'a, B> {
    backend: &'a B,
    version: Version,
    /// Whether `version` is the last committed one (then the latest values are it).
    latest: bool,
    scratch: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a, B: RawKv> Snapshot<'a, B> {
    pub(crate) fn new(backend: &'a B, version: Version, latest: bool) -> Self {
        Self { backend, version, latest, scratch: BTreeMap::new() }
    }

    /// The version this snapshot shows.
    pub fn version(&self) -> Version {
        self.version
    }

    fn committed(&self, key: &[u8]) -> Option<Vec<u8>> {
        if self.latest {
            return self.backend.get(&keys::state(key));
        }
        let (_, raw) = self.backend.last_at_or_before(&keys::history_of(key), &keys::history(key, self.version))?;
        keys::decode_value(&raw).ok().flatten()
    }

    fn committed_under(&self, prefix: &[u8]) -> BTreeMap<Vec<u8>, Vec<u8>> {
        if self.latest {
            return self.backend.scan_prefix(&keys::state(prefix)).into_iter().filter_map(|(k, v)| Some((k.strip_prefix(keys::STATE)?.to_vec(), v))).collect();
        }
        // One key's versions are adjacent and ascending: per key, one seek for its first entry
        // and one for its last at or below the version, however long its history.
        let under = keys::history_under(prefix);
        let mut held = BTreeMap::new();
        let mut cursor = under.clone();
        while let Some((raw, _)) = self.backend.first_at_or_after(&under, &cursor) {
            let Some((key, _)) = keys::split_history(&raw) else { break };
            if let Some((_, value)) = self.backend.last_at_or_before(&keys::history_of(&key), &keys::history(&key, self.version)) {
                if let Ok(Some(v)) = keys::decode_value(&value) {
                    held.insert(key.clone(), v);
                }
            }
            // Just past this key's last possible version.
            cursor = [keys::history(&key, Version::MAX).as_slice(), &[0]].concat();
        }
        held
    }
}

/// Applies `overlay`'s writes under `prefix` to `merged`.
pub(crate) fn merge(merged: &mut BTreeMap<Vec<u8>, Vec<u8>>, overlay: &BTreeMap<Vec<u8>, Option<Vec<u8>>>, prefix: &[u8]) {
    for (k, v) in overlay.range(prefix.to_vec()..).take_while(|(k, _)| k.starts_with(prefix)) {
        match v {
            Some(v) => {
                merged.insert(k.clone(), v.clone());
            }
            None => {
                merged.remove(k);
            }
        }
    }
}

impl<B: RawKv> Store for Snapshot<'_, B> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.scratch.get(key) {
            Some(v) => v.clone(),
            None => self.committed(key),
        }
    }

    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        self.scratch.insert(key.to_vec(), Some(value));
    }

    fn delete(&mut self, key: &[u8]) {
        self.scratch.insert(key.to_vec(), None);
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut merged = self.committed_under(prefix);
        merge(&mut merged, &self.scratch, prefix);
        merged.into_iter().collect()
    }
}
