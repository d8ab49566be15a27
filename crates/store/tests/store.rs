//! The authenticated store: roots depend only on content, proofs verify at every committed
//! version (and fail for anything else), a block's writes follow the block and not the state's
//! size, and misuse is refused.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use proptest::prelude::*;
use tss_engine::Store;
use tss_store::{verify, AuthStore, Error, MemBackend};

/// One block's writes, `None` deleting.
type Block = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Runs `blocks` (each a list of writes, `None` deleting) from version `first`; returns the
/// store with everything committed and the root of each version.
fn run(first: u64, blocks: &[Block]) -> (AuthStore<MemBackend>, Vec<[u8; 32]>) {
    let mut store = AuthStore::new(MemBackend::default());
    let mut roots = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        for (k, v) in block {
            match v {
                Some(v) => store.put(k, v.clone()),
                None => store.delete(k),
            }
        }
        roots.push(store.root(first + i as u64).unwrap());
        let writes = store.commit().unwrap();
        store.backend_mut().apply(writes);
    }
    (store, roots)
}

fn entry() -> impl Strategy<Value = (Vec<u8>, Option<Vec<u8>>)> {
    (proptest::collection::vec(0u8..4, 1..3), proptest::option::weighted(0.8, proptest::collection::vec(any::<u8>(), 0..4)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Two histories that end in the same entries end in the same root, and every committed
    /// read is proven against its version's root.
    #[test]
    fn the_root_is_the_content_and_every_read_is_proven(blocks in proptest::collection::vec(proptest::collection::vec(entry(), 0..6), 1..6)) {
        let (store, roots) = run(0, &blocks);
        let content: Vec<(Vec<u8>, Vec<u8>)> = store.scan_prefix(b"");
        let (fresh, fresh_roots) = run(0, &[content.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect()]);
        prop_assert_eq!(roots.last(), fresh_roots.last());
        prop_assert_eq!(fresh.scan_prefix(b""), content.clone());
        // Every key ever written, at every version: the proof verifies for what the key held
        // then, and for nothing else.
        let keys: std::collections::BTreeSet<Vec<u8>> = blocks.iter().flatten().map(|(k, _)| k.clone()).collect();
        let mut expected = std::collections::BTreeMap::new();
        for (version, block) in blocks.iter().enumerate() {
            for (k, v) in block {
                expected.insert(k.clone(), v.clone());
            }
            if expected.values().all(Option::is_none) {
                let empty = matches!(store.get_at(b"any", version as u64), Err(Error::Empty { .. }));
                prop_assert!(empty, "an empty version gives Error::Empty");
                continue;
            }
            for k in &keys {
                let (value, proof) = store.get_at(k, version as u64).unwrap();
                let want = expected.get(k).cloned().flatten();
                prop_assert_eq!(&value, &want);
                prop_assert!(verify(&roots[version], k, value.as_deref(), &proof));
                let wrong = match &value { Some(v) => Some([v.as_slice(), b"x"].concat()), None => Some(b"x".to_vec()) };
                prop_assert!(!verify(&roots[version], k, wrong.as_deref(), &proof));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The state at every committed version, read and scanned, is what the writes up to that
    /// version made it; after pruning, the versions kept still are, and older ones are refused.
    #[test]
    fn every_version_reads_as_it_was_and_pruning_keeps_the_rest(blocks in proptest::collection::vec(proptest::collection::vec(entry(), 0..6), 1..8), keep in 1usize..4) {
        let (mut store, roots) = run(3, &blocks);
        let mut states = Vec::new();
        let mut state = std::collections::BTreeMap::new();
        for block in &blocks {
            for (k, v) in block {
                match v {
                    Some(v) => state.insert(k.clone(), v.clone()),
                    None => state.remove(k),
                };
            }
            states.push(state.clone());
        }
        let check = |store: &AuthStore<MemBackend>, from: usize| -> Result<(), TestCaseError> {
            for (i, expected) in states.iter().enumerate().skip(from) {
                let snap = store.at(3 + i as u64).unwrap();
                let all: std::collections::BTreeMap<_, _> = snap.scan_prefix(b"").into_iter().collect();
                prop_assert_eq!(&all, expected, "version {}", 3 + i);
                let under: Vec<_> = snap.scan_prefix(&[1]);
                prop_assert_eq!(under, expected.iter().filter(|(k, _)| k.starts_with(&[1])).map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>());
                for k in [vec![0u8], vec![1], vec![1, 2], vec![3, 0]] {
                    prop_assert_eq!(snap.get(&k), expected.get(&k).cloned());
                }
                prop_assert_eq!(store.root_at(3 + i as u64).unwrap(), roots[i]);
            }
            Ok(())
        };
        check(&store, 0)?;
        let oldest = blocks.len().saturating_sub(keep);
        let before = store.backend().len();
        let writes = store.prune(3 + oldest as u64);
        store.backend_mut().apply(writes);
        prop_assert!(store.backend().len() <= before);
        check(&store, oldest)?;
        if oldest > 0 {
            let refused = matches!(store.at(2 + oldest as u64), Err(Error::NotCommitted { .. }));
            prop_assert!(refused, "a pruned version is refused");
        }
        // What is kept still proves against its root.
        let last = blocks.len() - 1;
        if !states[last].is_empty() {
            for k in [vec![0u8], vec![1], vec![2, 3]] {
                let (value, proof) = store.get_at(&k, 3 + last as u64).unwrap();
                prop_assert!(verify(&roots[last], &k, value.as_deref(), &proof));
            }
        }
    }
}

#[test]
fn pruning_bounds_what_a_key_rewritten_every_block_keeps() {
    let blocks: Vec<_> = (0..50u8).map(|i| vec![(b"counter".to_vec(), Some(vec![i])), (format!("fixed/{i}").into_bytes(), Some(vec![1]))]).collect();
    let (mut store, _) = run(1, &blocks[..1]);
    let mut sizes = Vec::new();
    for (i, block) in blocks.iter().enumerate().skip(1) {
        let version = 1 + i as u64;
        for (k, v) in block {
            store.put(k, v.clone().unwrap());
        }
        store.root(version).unwrap();
        let mut writes = store.commit().unwrap();
        store.backend_mut().apply(std::mem::take(&mut writes));
        let writes = store.prune(version.saturating_sub(5));
        store.backend_mut().apply(writes);
        sizes.push(store.backend().len());
    }
    // Growth comes from the new `fixed/` entries only: the counter's history and the tree's
    // replaced nodes stay within the five kept versions.
    let growth: Vec<usize> = sizes.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(growth[20..].iter().all(|g| *g <= 12), "per-block growth after pruning: {growth:?}");
    assert_eq!(store.at(50).unwrap().get(b"counter"), Some(vec![49]));
    assert_eq!(store.at(45).unwrap().get(b"counter"), Some(vec![44]));
    assert!(store.at(44).is_err());
}

#[test]
fn a_block_writes_what_it_changed_not_what_the_state_holds() {
    let writes_of_one_change = |size: usize| {
        let block: Vec<_> = (0..size).map(|i| (format!("entry/{i}").into_bytes(), Some(vec![1u8; 16]))).collect();
        let (mut store, _) = run(0, &[block]);
        store.put(b"entry/0", vec![2u8; 16]);
        store.root(1).unwrap();
        store.commit().unwrap().len()
    };
    let small = writes_of_one_change(10);
    let large = writes_of_one_change(2_000);
    // One changed entry: its latest value, its new version and the one that supersedes, its
    // preimage, the version, and the new and stale nodes on its path (the tree's depth, a few
    // nibbles), in both sizes.
    assert!(large <= 20, "one change over 2,000 entries wrote {large} raw entries");
    // 200 times the entries: about two more levels, each a new node and a stale one.
    assert!(large <= small + 8, "one change wrote {small} raw entries over 10 entries and {large} over 2,000");
}

#[test]
fn a_chain_may_start_above_version_0() {
    let (store, roots) = run(100, &[vec![(b"a".to_vec(), Some(b"1".to_vec()))], vec![(b"b".to_vec(), Some(b"2".to_vec()))]]);
    assert_eq!(store.committed_version(), Some(101));
    let (value, proof) = store.get_at(b"a", 101).unwrap();
    assert!(verify(&roots[1], b"a", value.as_deref(), &proof));
    assert_eq!(store.root_at(100).unwrap(), roots[0]);
}

#[test]
fn misuse_is_refused_with_what_to_do() {
    let (mut store, _) = run(0, &[vec![(b"a".to_vec(), Some(b"1".to_vec()))]]);
    assert!(matches!(store.root(5), Err(Error::OutOfOrder { asked: 5, next: 1 })));
    assert!(matches!(store.commit(), Err(Error::NotCommitted { .. })), "a commit needs a root");
    store.put(b"b", b"2".to_vec());
    store.root(1).unwrap();
    store.put(b"c", b"3".to_vec());
    assert!(store.commit().is_err(), "a write after the last root would be outside every app hash");
    store.discard();
    assert_eq!(store.get(b"b"), None);
    assert!(matches!(store.get_at(b"a", 9), Err(Error::NotCommitted { asked: 9, oldest: Some(0), last: Some(0) })));
}

#[test]
fn two_roots_in_one_block_commit_together() {
    // InitChain's root and the first block's, committed at once (CometBFT commits genesis
    // state with the first block).
    let mut store = AuthStore::new(MemBackend::default());
    store.put(b"genesis", b"g".to_vec());
    let r0 = store.root(0).unwrap();
    store.put(b"block", b"b".to_vec());
    let r1 = store.root(1).unwrap();
    let writes = store.commit().unwrap();
    store.backend_mut().apply(writes);
    assert_eq!((store.root_at(0).unwrap(), store.root_at(1).unwrap()), (r0, r1));
    assert_eq!(store.get_at(b"block", 0).unwrap().0, None);
    assert_eq!(store.get_at(b"block", 1).unwrap().0, Some(b"b".to_vec()));
}
