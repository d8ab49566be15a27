//! Chain state in rocksdb: reads see the block being applied, writes are buffered and land in
//! one atomic batch at `Commit`, together with the height and app hash `Info` reports. After a
//! crash between `FinalizeBlock` and `Commit` nothing of the block is on disk and CometBFT
//! replays it.

use std::collections::BTreeMap;
use std::path::Path;
use tss_engine::Store;

/// The database's own bookkeeping, outside the chain state and its app hash.
pub const META_PREFIX: &[u8] = b"meta/";
pub(crate) const META_HEIGHT: &[u8] = b"meta/height";
const META_APP_HASH: &[u8] = b"meta/app_hash";

/// rocksdb with a write overlay for the current block.
pub struct ChainDb {
    db: rocksdb::DB,
    overlay: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl ChainDb {
    /// Opens (or creates) the database.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        let db = rocksdb::DB::open(&opts, path).map_err(|e| anyhow::anyhow!("{}: cannot open the chain database: {e}", path.display()))?;
        Ok(Self { db, overlay: BTreeMap::new() })
    }

    /// The last committed height and app hash.
    pub fn last_commit(&self) -> (i64, Vec<u8>) {
        let height = self.db.get(META_HEIGHT).ok().flatten().and_then(|v| v.try_into().ok()).map(i64::from_be_bytes).unwrap_or(0);
        let hash = self.db.get(META_APP_HASH).ok().flatten().unwrap_or_default();
        (height, hash)
    }

    /// Writes the block's changes, height and app hash in one atomic, synced batch.
    pub fn commit(&mut self, height: i64, app_hash: &[u8]) -> anyhow::Result<()> {
        let mut batch = rocksdb::WriteBatch::default();
        for (k, v) in std::mem::take(&mut self.overlay) {
            match v {
                Some(v) => batch.put(k, v),
                None => batch.delete(k),
            }
        }
        batch.put(META_HEIGHT, height.to_be_bytes());
        batch.put(META_APP_HASH, app_hash);
        let mut wo = rocksdb::WriteOptions::default();
        wo.set_sync(true);
        self.db.write_opt(batch, &wo).map_err(|e| anyhow::anyhow!("cannot write block {height} to the chain database: {e}"))
    }

    /// Drops uncommitted changes.
    pub fn discard(&mut self) {
        self.overlay.clear();
    }
}

impl Store for ChainDb {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.overlay.get(key) {
            Some(v) => v.clone(),
            None => self.db.get(key).ok().flatten(),
        }
    }

    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        self.overlay.insert(key.to_vec(), Some(value));
    }

    fn delete(&mut self, key: &[u8]) {
        self.overlay.insert(key.to_vec(), None);
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for item in self.db.prefix_iterator(prefix) {
            let Ok((k, v)) = item else { break };
            if !k.starts_with(prefix) {
                break;
            }
            merged.insert(k.to_vec(), v.to_vec());
        }
        for (k, v) in self.overlay.range(prefix.to_vec()..).take_while(|(k, _)| k.starts_with(prefix)) {
            match v {
                Some(v) => {
                    merged.insert(k.clone(), v.clone());
                }
                None => {
                    merged.remove(k);
                }
            }
        }
        merged.into_iter().collect()
    }
}
