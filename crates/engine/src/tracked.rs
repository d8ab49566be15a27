//! A map that remembers which of its keys changed since the state was last saved, so that a
//! block writes the records it changed and not every record there is.
//!
//! Reads go through `Deref` to the inner `BTreeMap`; every way to change the map goes through a
//! method here that marks the keys it may change. There is no `DerefMut`, so a change that
//! forgets to mark cannot compile. The simulator's scenario tests compare, after every block,
//! what the incremental save left in the store with a full rewrite of the state.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

/// A `BTreeMap` with the set of keys changed since [`Tracked::drain_changed`].
#[derive(Clone)]
pub struct Tracked<K, V> {
    map: BTreeMap<K, V>,
    changed: BTreeSet<K>,
}

impl<K: Ord + Clone, V> Tracked<K, V> {
    /// Mutable access to one value.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let value = self.map.get_mut(key)?;
        self.changed.insert(key.clone());
        Some(value)
    }

    /// Inserts or replaces a value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.changed.insert(key.clone());
        self.map.insert(key, value)
    }

    /// Removes a value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let old = self.map.remove(key)?;
        self.changed.insert(key.clone());
        Some(old)
    }

    /// The value at `key`, inserted as `V::default()` if absent.
    pub fn entry_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        self.changed.insert(key.clone());
        self.map.entry(key).or_default()
    }

    /// Mutable access to every value: marks every key. For rare events (a handover); per-block
    /// code finds the keys it changes first and uses [`Tracked::get_mut`].
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.changed.extend(self.map.keys().cloned());
        self.map.values_mut()
    }

    /// Keeps the entries `keep` accepts (it sees them read-only) and marks the removed ones.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        let changed = &mut self.changed;
        self.map.retain(|k, v| {
            let kept = keep(k, v);
            if !kept {
                changed.insert(k.clone());
            }
            kept
        });
    }

    /// Calls `write` for each key changed since the last call, in key order, with its value
    /// now (`None`: removed), and forgets the changes.
    pub fn drain_changed(&mut self, mut write: impl FnMut(&K, Option<&mut V>)) {
        for k in std::mem::take(&mut self.changed) {
            write(&k, self.map.get_mut(&k));
        }
    }
}

impl<K, V> Deref for Tracked<K, V> {
    type Target = BTreeMap<K, V>;

    fn deref(&self) -> &BTreeMap<K, V> {
        &self.map
    }
}

impl<'a, K, V> IntoIterator for &'a Tracked<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl<K, V> Default for Tracked<K, V> {
    fn default() -> Self {
        Self { map: BTreeMap::new(), changed: BTreeSet::new() }
    }
}

/// A map loaded from the store: nothing has changed yet.
impl<K, V> From<BTreeMap<K, V>> for Tracked<K, V> {
    fn from(map: BTreeMap<K, V>) -> Self {
        Self { map, changed: BTreeSet::new() }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for Tracked<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self { map: iter.into_iter().collect(), changed: BTreeSet::new() }
    }
}

/// Equal when the maps are: what changed since the last save is bookkeeping, not state.
impl<K: PartialEq, V: PartialEq> PartialEq for Tracked<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<K: Eq, V: Eq> Eq for Tracked<K, V> {}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for Tracked<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.map.fmt(f)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn changed(m: &mut Tracked<u8, u32>) -> Vec<(u8, Option<u32>)> {
        let mut out = Vec::new();
        m.drain_changed(|k, v| out.push((*k, v.map(|v| *v))));
        out
    }

    #[test]
    fn every_change_is_reported_once() {
        let mut m: Tracked<u8, u32> = [(1, 10), (2, 20), (3, 30)].into_iter().collect();
        assert!(changed(&mut m).is_empty());
        *m.get_mut(&1).unwrap() += 1;
        m.insert(4, 40);
        m.remove(&2);
        assert!(m.get_mut(&9).is_none());
        assert!(m.remove(&9).is_none());
        *m.entry_or_default(5) += 5;
        m.retain(|k, _| *k != 3);
        assert_eq!(changed(&mut m), vec![(1, Some(11)), (2, None), (3, None), (4, Some(40)), (5, Some(5))]);
        assert!(changed(&mut m).is_empty());
        m.values_mut().for_each(|v| *v += 1);
        assert_eq!(changed(&mut m).len(), 3);
    }
}
