//! A contract's storage during one call: its namespace loaded from the chain state (the
//! committed state, the block so far and the enclosing branch), read and written in memory,
//! handed back as a list of changes when the call succeeds. cosmwasm-vm owns the storage it
//! runs on (`'static`), so the call cannot borrow the chain's store; loading the namespace
//! costs what the contract holds, which is bounded by the gas its writes paid for.

use crate::gas::{KvCosts, GAS_MULTIPLIER};
use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Storage};
use std::collections::BTreeMap;
use std::ops::Bound;

/// Longest key a contract may write (wasmd allows 64 KiB; this chain keeps it small).
pub const MAX_KEY_LEN: usize = 1024;
/// Largest value a contract may write.
pub const MAX_VALUE_LEN: usize = 128 * 1024;

/// An open iterator: its range, direction and the last key returned.
#[derive(Clone, Debug)]
struct Cursor {
    start: Option<Vec<u8>>,
    end: Option<Vec<u8>>,
    order: Order,
    last: Option<Vec<u8>>,
    done: bool,
}

/// The storage one contract call runs on.
#[derive(Debug, Default)]
pub struct ContractStorage {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    cursors: Vec<Cursor>,
    costs: KvCosts,
}

fn gas(sdk: u64) -> GasInfo {
    GasInfo::with_cost(sdk.saturating_mul(GAS_MULTIPLIER))
}

impl ContractStorage {
    /// Storage holding `data` (the contract's keys, without its namespace prefix).
    pub fn new(data: BTreeMap<Vec<u8>, Vec<u8>>) -> Self {
        Self { data, ..Self::default() }
    }

    /// The writes made, by key (`None`: removed).
    pub fn into_changes(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.changes
    }

    fn bounds(c: &Cursor) -> (Bound<&[u8]>, Bound<&[u8]>) {
        let (mut lo, mut hi) = (
            c.start.as_deref().map_or(Bound::Unbounded, Bound::Included),
            c.end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
        );
        if let Some(last) = c.last.as_deref() {
            match c.order {
                Order::Ascending => lo = Bound::Excluded(last),
                Order::Descending => hi = Bound::Excluded(last),
            }
        }
        (lo, hi)
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.data.get(key).cloned();
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
        (Ok(value), gas(self.costs.read_flat + self.costs.read_per_byte * bytes as u64))
    }

    fn scan(&mut self, start: Option<&[u8]>, end: Option<&[u8]>, order: Order) -> BackendResult<u32> {
        let cost = gas(self.costs.iter_flat);
        if self.cursors.len() >= u32::MAX as usize {
            return (Err(BackendError::user_err("too many iterators")), cost);
        }
        // An empty or inverted range is simply empty.
        let empty = matches!((start, end), (Some(s), Some(e)) if s >= e);
        self.cursors.push(Cursor { start: start.map(<[u8]>::to_vec), end: end.map(<[u8]>::to_vec), order, last: None, done: empty });
        // Ids are assigned in order from 1, the same on every node.
        (Ok(self.cursors.len() as u32), cost)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some(c) = iterator_id.checked_sub(1).and_then(|i| self.cursors.get_mut(i as usize)) else {
            return (Err(BackendError::iterator_does_not_exist(iterator_id)), gas(self.costs.iter_flat));
        };
        if c.done {
            return (Ok(None), gas(self.costs.iter_flat));
        }
        let found = {
            let mut range = self.data.range::<[u8], _>(Self::bounds(c));
            match c.order {
                Order::Ascending => range.next(),
                Order::Descending => range.next_back(),
            }
            .map(|(k, v)| (k.clone(), v.clone()))
        };
        match found {
            Some((k, v)) => {
                let cost = gas(self.costs.iter_flat + self.costs.read_per_byte * (k.len() + v.len()) as u64);
                c.last = Some(k.clone());
                (Ok(Some((k, v))), cost)
            }
            None => {
                c.done = true;
                (Ok(None), gas(self.costs.iter_flat))
            }
        }
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let cost = gas(self.costs.write_flat + self.costs.write_per_byte * (key.len() + value.len()) as u64);
        if key.is_empty() || key.len() > MAX_KEY_LEN || value.len() > MAX_VALUE_LEN {
            return (Err(BackendError::user_err(format!("a key is 1 to {MAX_KEY_LEN} bytes and a value at most {MAX_VALUE_LEN}"))), cost);
        }
        self.data.insert(key.to_vec(), value.to_vec());
        self.changes.insert(key.to_vec(), Some(value.to_vec()));
        (Ok(()), cost)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.data.remove(key);
        self.changes.insert(key.to_vec(), None);
        (Ok(()), gas(self.costs.delete))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &mut ContractStorage, start: Option<&[u8]>, end: Option<&[u8]>, order: Order) -> Vec<Vec<u8>> {
        let (id, _) = s.scan(start, end, order);
        let id = id.unwrap_or(0);
        let mut out = Vec::new();
        while let (Ok(Some((k, _))), _) = s.next(id) {
            out.push(k);
        }
        out
    }

    #[test]
    fn iterators_follow_range_and_order_and_see_writes() {
        let mut s = ContractStorage::new([(b"a".to_vec(), b"1".to_vec()), (b"c".to_vec(), b"3".to_vec())].into_iter().collect());
        let _ = s.set(b"b", b"2");
        let _ = s.remove(b"c");
        assert_eq!(keys(&mut s, None, None, Order::Ascending), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(keys(&mut s, None, None, Order::Descending), vec![b"b".to_vec(), b"a".to_vec()]);
        assert_eq!(keys(&mut s, Some(b"b"), None, Order::Ascending), vec![b"b".to_vec()]);
        assert_eq!(keys(&mut s, Some(b"a"), Some(b"b"), Order::Descending), vec![b"a".to_vec()]);
        assert!(keys(&mut s, Some(b"z"), Some(b"a"), Order::Ascending).is_empty());
        assert!(s.next(99).0.is_err());
        let changes = s.into_changes();
        assert_eq!(changes.get(b"c".as_slice()), Some(&None));
        assert_eq!(changes.get(b"b".as_slice()), Some(&Some(b"2".to_vec())));
    }

    #[test]
    fn oversized_writes_are_refused() {
        let mut s = ContractStorage::default();
        assert!(s.set(&[0u8; MAX_KEY_LEN + 1], b"v").0.is_err());
        assert!(s.set(b"", b"v").0.is_err());
        assert!(s.set(b"k", &vec![0u8; MAX_VALUE_LEN + 1]).0.is_err());
    }
}
