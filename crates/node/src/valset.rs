//! The validator set CometBFT used at each height, kept in chain state.
//!
//! CometBFT applies the `ValidatorUpdate`s returned by `FinalizeBlock(h)` from height `h+2`.
//! Vote extensions of height `h` are signed by the set of height `h`, so they are verified
//! against that set, not against the engine's current one (review finding 5: the two differ for
//! two heights after every handover, and checking against the wrong one halts the chain). A set
//! is recorded under the first height it applies to; a lookup takes the newest record at or
//! below the height asked for. Records no envelope can need any more are pruned.

use crate::glue::ConsensusKey;
use std::collections::BTreeMap;
use tss_engine::Store;

/// Key prefix of the records (inside the node's section of chain state).
const SECTION: &[u8] = b"node/consensus_set/";

/// A consensus set: address -> (Ed25519 key, power).
pub type ConsensusSet = BTreeMap<Vec<u8>, ConsensusKey>;

fn key(height: u64) -> Vec<u8> {
    let mut k = SECTION.to_vec();
    k.extend_from_slice(&height.to_be_bytes());
    k
}

fn encode(set: &ConsensusSet) -> Vec<u8> {
    let entries: Vec<(Vec<u8>, [u8; 32], u64)> = set.iter().map(|(a, c)| (a.clone(), c.key.to_bytes(), c.power)).collect();
    postcard::to_allocvec(&entries).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<ConsensusSet> {
    let entries: Vec<(Vec<u8>, [u8; 32], u64)> = postcard::from_bytes(bytes).ok()?;
    entries
        .into_iter()
        .map(|(a, k, power)| Some((a, ConsensusKey { key: ed25519_dalek::VerifyingKey::from_bytes(&k).ok()?, power })))
        .collect()
}

/// Records `set` as CometBFT's validator set from `height` on.
pub fn record<S: Store>(db: &mut S, height: u64, set: &ConsensusSet) {
    db.put(&key(height), encode(set));
}

/// The set CometBFT used at `height` (empty before the first record).
pub fn at<S: Store>(db: &S, height: u64) -> ConsensusSet {
    db.scan_prefix(SECTION)
        .into_iter()
        .filter_map(|(k, v)| {
            let h = u64::from_be_bytes(k.get(SECTION.len()..)?.try_into().ok()?);
            (h <= height).then_some((h, v))
        })
        .max_by_key(|(h, _)| *h)
        .and_then(|(_, v)| decode(&v))
        .unwrap_or_default()
}

/// Applies validator updates decided at `decided` (power 0 removes): the result is CometBFT's
/// set from `decided + 2`, recorded under that height. Updates for an address whose key is
/// unknown are skipped and returned, so the caller can report them.
pub fn apply_updates<S: Store>(db: &mut S, decided: u64, updates: &[(Vec<u8>, Option<ed25519_dalek::VerifyingKey>, u64)]) -> ConsensusSet {
    let from = decided.saturating_add(2);
    let mut set = at(db, from);
    for (address, key, power) in updates {
        if *power == 0 {
            set.remove(address);
        } else if let Some(key) = (*key).or_else(|| set.get(address).map(|c| c.key)) {
            set.insert(address.clone(), ConsensusKey { key, power: *power });
        }
    }
    record(db, from, &set);
    set
}

/// Drops records that no envelope from `height` on can need: every record older than the one
/// in force at `height`.
pub fn prune<S: Store>(db: &mut S, height: u64) {
    let records: Vec<u64> = db.scan_prefix(SECTION).into_iter().filter_map(|(k, _)| Some(u64::from_be_bytes(k.get(SECTION.len()..)?.try_into().ok()?))).collect();
    let Some(in_force) = records.iter().copied().filter(|h| *h <= height).max() else { return };
    for h in records.into_iter().filter(|h| *h < in_force) {
        db.delete(&key(h));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use tss_engine::MemStore;

    fn key_of(i: u8) -> ed25519_dalek::VerifyingKey {
        ed25519_dalek::SigningKey::from_bytes(&[i; 32]).verifying_key()
    }

    fn set(members: &[u8]) -> ConsensusSet {
        members.iter().map(|i| (vec![*i; 20], ConsensusKey { key: key_of(*i), power: 10 })).collect()
    }

    #[test]
    fn updates_decided_at_h_apply_from_h_plus_2() {
        let mut db = MemStore::default();
        record(&mut db, 1, &set(&[1, 2, 3, 4]));
        // Height 10 decides: 4 leaves, 5 joins.
        apply_updates(&mut db, 10, &[(vec![4; 20], None, 0), (vec![5; 20], Some(key_of(5)), 10)]);
        for h in [1, 10, 11] {
            assert_eq!(at(&db, h).keys().cloned().collect::<Vec<_>>(), set(&[1, 2, 3, 4]).keys().cloned().collect::<Vec<_>>(), "height {h}");
        }
        assert_eq!(at(&db, 12).keys().cloned().collect::<Vec<_>>(), set(&[1, 2, 3, 5]).keys().cloned().collect::<Vec<_>>());
        assert!(at(&db, 0).is_empty());
        // Pruning keeps what heights 11 and later need.
        prune(&mut db, 11);
        assert_eq!(at(&db, 11).len(), 4);
        prune(&mut db, 12);
        assert_eq!(at(&db, 12).len(), 4);
        assert!(at(&db, 11).is_empty(), "the older record is gone once nothing needs it");
    }
}
