//! Chain state in rocksdb, authenticated by `tss-store`'s Jellyfish Merkle tree. Reads see the
//! block being applied; writes are buffered and land in one atomic, synced batch at `Commit`,
//! together with the tree's new nodes, the height and the app hash `Info` reports. After a crash
//! between `FinalizeBlock` and `Commit` nothing of the block is on disk and CometBFT replays it.
//!
//! The app hash of height `h` is the tree's root at version `h` (InitChain's state is version
//! `initial_height - 1`). Computing it costs what the block changed, not what the state holds.

use std::path::Path;
use tss_engine::Store;
use tss_store::{AuthStore, RawKv, RawWrite, Snapshot};

/// The database's own bookkeeping, outside the chain state (the store's keys are
/// `s/`, `h/`, `n/`, `k/`, `x/`, `y/` and `m/`).
const META_HEIGHT: &[u8] = b"meta/height";
const META_APP_HASH: &[u8] = b"meta/app_hash";
/// The layout this build reads: `meta/format`.
const META_FORMAT: &[u8] = b"meta/format";
/// 2: the engine keeps one record per nonce commitment (`engine/nonce/`, `engine/nonce-pool/`),
/// and commitments are published as `[1/8]D || [1/8]E`. 3: an attempt records the height that
/// started it, and public decryption shares are kept as the verified points of batches.
const FORMAT: &[u8] = b"jmt-3";

/// rocksdb as the store's raw backend.
pub struct Rocks(rocksdb::DB);

impl RawKv for Rocks {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.0.get(key).ok().flatten()
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for item in self.0.prefix_iterator(prefix) {
            let Ok((k, v)) = item else { break };
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        out
    }

    fn scan_range(&self, start: &[u8], end: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for item in self.0.iterator(rocksdb::IteratorMode::From(start, rocksdb::Direction::Forward)) {
            let Ok((k, v)) = item else { break };
            if &*k >= end {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        out
    }

    fn last_at_or_before(&self, prefix: &[u8], key: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut it = self.0.raw_iterator();
        it.seek_for_prev(key);
        let (k, v) = (it.key()?, it.value()?);
        k.starts_with(prefix).then(|| (k.to_vec(), v.to_vec()))
    }

    fn first_at_or_after(&self, prefix: &[u8], key: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut it = self.0.raw_iterator();
        it.seek(key);
        let (k, v) = (it.key()?, it.value()?);
        k.starts_with(prefix).then(|| (k.to_vec(), v.to_vec()))
    }
}

/// The chain database.
pub struct ChainDb {
    store: AuthStore<Rocks>,
    /// Committed heights kept readable (queries at a height, proofs); 0 keeps all.
    keep: u64,
}

impl ChainDb {
    /// Opens (or creates) the database, keeping the last `keep` committed heights readable
    /// (0: every height).
    pub fn open(path: &Path, keep: u64) -> anyhow::Result<Self> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        let db = rocksdb::DB::open(&opts, path).map_err(|e| anyhow::anyhow!("{}: cannot open the chain database: {e}", path.display()))?;
        match db.get(META_FORMAT).ok().flatten() {
            Some(f) if f == FORMAT => {}
            Some(f) => anyhow::bail!("{}: the chain database has layout {:?}, this mpcd reads {:?}: sync this node from genesis into an empty data directory", path.display(), String::from_utf8_lossy(&f), String::from_utf8_lossy(FORMAT)),
            None if db.get(META_HEIGHT).ok().flatten().is_some() => {
                anyhow::bail!("{}: the chain database is from an mpcd before the authenticated store (flat layout): sync this node from genesis into an empty data directory", path.display())
            }
            None => db.put(META_FORMAT, FORMAT).map_err(|e| anyhow::anyhow!("{}: cannot write the chain database: {e}", path.display()))?,
        }
        Ok(Self { store: AuthStore::new(Rocks(db)), keep })
    }

    /// The last committed height and app hash.
    pub fn last_commit(&self) -> (i64, Vec<u8>) {
        let db = &self.store.backend().0;
        let height = db.get(META_HEIGHT).ok().flatten().and_then(|v| v.try_into().ok()).map(i64::from_be_bytes).unwrap_or(0);
        let hash = db.get(META_APP_HASH).ok().flatten().unwrap_or_default();
        (height, hash)
    }

    /// The app hash of the state as it is now, recorded as `version` (a block's height, or
    /// InitChain's `initial_height - 1`).
    pub fn root(&mut self, version: u64) -> anyhow::Result<Vec<u8>> {
        Ok(self.store.root(version)?.to_vec())
    }

    /// Writes the block's changes, the tree's new nodes, the height and app hash in one atomic,
    /// synced batch, and drops what only heights older than the kept ones need.
    pub fn commit(&mut self, height: i64, app_hash: &[u8]) -> anyhow::Result<()> {
        let mut writes = self.store.commit()?;
        let mut batch = rocksdb::WriteBatch::default();
        let add = |batch: &mut rocksdb::WriteBatch, writes: Vec<RawWrite>| {
            for (k, v) in writes {
                match v {
                    Some(v) => batch.put(k, v),
                    None => batch.delete(k),
                }
            }
        };
        add(&mut batch, std::mem::take(&mut writes));
        batch.put(META_HEIGHT, height.to_be_bytes());
        batch.put(META_APP_HASH, app_hash);
        let mut wo = rocksdb::WriteOptions::default();
        wo.set_sync(true);
        let db = &self.store.backend().0;
        db.write_opt(batch, &wo).map_err(|e| anyhow::anyhow!("cannot write block {height} to the chain database: {e}"))?;
        // Pruning after the block is on disk: a crash in between leaves only more history.
        let last = u64::try_from(height).unwrap_or(0);
        if self.keep > 0 && last >= self.keep {
            let mut batch = rocksdb::WriteBatch::default();
            add(&mut batch, self.store.prune(last + 1 - self.keep));
            db.write(batch).map_err(|e| anyhow::anyhow!("cannot prune the chain database at block {height}: {e}"))?;
        }
        Ok(())
    }

    /// Drops uncommitted changes.
    pub fn discard(&mut self) {
        self.store.discard();
    }

    /// The state as committed at `height` (0: the last committed height), read-only.
    pub fn at(&self, height: u64) -> Result<Snapshot<'_, Rocks>, tss_store::Error> {
        let version = if height == 0 { self.store.committed_version().unwrap_or(0) } else { height };
        self.store.at(version)
    }

    /// `key` as committed at `height` (0: the last committed height), with an ICS-23 proof
    /// against that height's app hash.
    pub fn get_proven(&self, key: &[u8], height: u64) -> Result<(u64, Option<Vec<u8>>, tss_store::CommitmentProof), tss_store::Error> {
        let version = if height == 0 { self.store.committed_version().unwrap_or(0) } else { height };
        let (value, proof) = self.store.get_at(key, version)?;
        Ok((version, value, proof))
    }
}

impl Store for ChainDb {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.store.get(key)
    }

    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        self.store.put(key, value);
    }

    fn delete(&mut self, key: &[u8]) {
        self.store.delete(key);
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.store.scan_prefix(prefix)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_on_disk_after_commit_and_nothing_of_it_before() {
        let dir = tempfile::tempdir().unwrap();
        let hash = {
            let mut db = ChainDb::open(dir.path(), 0).unwrap();
            db.put(b"app/x", b"1".to_vec());
            let hash = db.root(1).unwrap();
            db.commit(1, &hash).unwrap();
            db.put(b"app/x", b"2".to_vec());
            db.root(2).unwrap();
            // No commit: a crash here.
            hash
        };
        let db = ChainDb::open(dir.path(), 0).unwrap();
        assert_eq!(db.last_commit(), (1, hash));
        assert_eq!(db.get(b"app/x"), Some(b"1".to_vec()));
        assert_eq!(db.at(0).unwrap().get(b"app/x"), Some(b"1".to_vec()));
    }

    #[test]
    fn an_old_flat_database_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = rocksdb::DB::open_default(dir.path()).unwrap();
            db.put(META_HEIGHT, 5i64.to_be_bytes()).unwrap();
        }
        let err = ChainDb::open(dir.path(), 0).err().unwrap().to_string();
        assert!(err.contains("sync this node from genesis"), "{err}");
    }

    #[test]
    fn old_heights_are_pruned_past_what_the_node_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = ChainDb::open(dir.path(), 3).unwrap();
        for h in 1..=10u64 {
            db.put(b"app/counter", h.to_be_bytes().to_vec());
            let hash = db.root(h).unwrap();
            db.commit(h as i64, &hash).unwrap();
        }
        assert_eq!(db.at(8).unwrap().get(b"app/counter"), Some(8u64.to_be_bytes().to_vec()));
        assert!(db.at(7).is_err(), "height 7 is older than the 3 kept");
        let (version, value, proof) = db.get_proven(b"app/counter", 0).unwrap();
        assert_eq!((version, value.as_deref()), (10, Some(10u64.to_be_bytes().as_slice())));
        let root: [u8; 32] = db.last_commit().1.try_into().unwrap();
        assert!(tss_store::verify(&root, b"app/counter", Some(&10u64.to_be_bytes()), &proof));
    }
}
