//! [`AuthStore`]: the engine's `Store` with a Merkle root per version.

use crate::backend::{RawKv, RawWrite};
use crate::keys;
use crate::snapshot::Snapshot;
use crate::tree::{node_key, View};
use jmt::storage::{Node, NodeKey, TreeUpdateBatch};
use jmt::{JellyfishMerkleTree, Version};
use std::collections::BTreeMap;
use tss_engine::Store;

/// What went wrong computing a root or reading at a version.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Roots are computed for consecutive versions.
    #[error("cannot compute the root of version {asked}: the next version is {next}")]
    OutOfOrder {
        /// The version asked for.
        asked: Version,
        /// The version that must come next.
        next: Version,
    },
    /// A version that was never committed, or was pruned.
    #[error("version {asked} is not readable: committed versions run from {oldest:?} to {last:?} (older ones are pruned)")]
    NotCommitted {
        /// The version asked for.
        asked: Version,
        /// The oldest version still readable.
        oldest: Option<Version>,
        /// The last committed version.
        last: Option<Version>,
    },
    /// The state at this version holds nothing, so there is nothing to prove a read against
    /// (ICS-23 cannot prove absence in an empty tree).
    #[error("the state at version {version} is empty: there is nothing to prove a read against")]
    Empty {
        /// The version asked for.
        version: Version,
    },
    /// The tree library failed: a corrupt or incomplete database.
    #[error("the state tree: {0}")]
    Tree(#[from] anyhow::Error),
}

/// A root computed and not committed yet: the tree's new nodes and what changed.
struct Pending {
    version: Version,
    batch: TreeUpdateBatch,
    changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

/// The chain state over a raw backend `B`, authenticated by a Jellyfish Merkle tree.
pub struct AuthStore<B> {
    backend: B,
    /// Every write since the last commit, for reads.
    overlay: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Writes since the last root.
    dirty: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Preimages of the keys written since the last commit, by key hash.
    preimages: BTreeMap<[u8; 32], Vec<u8>>,
    /// Roots computed since the last commit, oldest first.
    pending: Vec<Pending>,
    /// A null root seeded below the first version, when the first version is not 0.
    seed: Option<NodeKey>,
}

impl<B: RawKv> AuthStore<B> {
    /// The store over `backend`, as last committed.
    pub fn new(backend: B) -> Self {
        Self { backend, overlay: BTreeMap::new(), dirty: BTreeMap::new(), preimages: BTreeMap::new(), pending: Vec::new(), seed: None }
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The backend (to apply a commit's writes to it).
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// The last committed version; none on a fresh store.
    pub fn committed_version(&self) -> Option<Version> {
        keys::version(self.backend.get(keys::VERSION))
    }

    /// The oldest committed version still readable; none on a fresh store.
    pub fn oldest_version(&self) -> Option<Version> {
        keys::version(self.backend.get(keys::OLDEST))
    }

    fn last_version(&self) -> Option<Version> {
        self.pending.last().map(|p| p.version).or_else(|| self.committed_version())
    }

    /// The root over every entry as of now, recorded as `version`: the version after the last
    /// one (committed or computed in this block), or any version on a fresh store. The work is
    /// proportional to the writes since the last root.
    pub fn root(&mut self, version: Version) -> Result<[u8; 32], Error> {
        if let Some(last) = self.last_version() {
            if version != last + 1 {
                return Err(Error::OutOfOrder { asked: version, next: last + 1 });
            }
        } else if version > 0 && self.seed.is_none() {
            // jmt builds version v on the root of v - 1; a chain that starts above height 1
            // starts from an empty tree one version below its first.
            self.seed = Some(NodeKey::new(version - 1, empty_path()?));
        }
        let changes = std::mem::take(&mut self.dirty);
        let set: Vec<_> = changes.iter().map(|(k, v)| (keys::hash(k), v.as_deref().map(keys::tree_value))).collect();
        let batches: Vec<TreeUpdateBatch> = self.seed_batch().into_iter().chain(self.pending.iter().map(|p| p.batch.clone())).collect();
        let view = View { backend: &self.backend, pending: &batches, keys: &self.preimages };
        let (root, batch) = JellyfishMerkleTree::<_, sha2::Sha256>::new(&view).put_value_set(set, version)?;
        self.pending.push(Pending { version, batch, changes });
        Ok(root.0)
    }

    /// The null root below a chain's first version, as a batch the tree reads.
    fn seed_batch(&self) -> Option<TreeUpdateBatch> {
        let key = self.seed.clone()?;
        if self.committed_version().is_some() {
            return None;
        }
        let mut batch = TreeUpdateBatch::default();
        batch.node_batch.insert_node(key, Node::Null);
        Some(batch)
    }

    /// Every raw write since the last commit, for the owner to apply atomically: the latest
    /// values, each changed key's new version and what it superseded, the tree's new nodes and
    /// those it made stale, key preimages and the version. Writes after the last root are
    /// refused: they would be on disk but outside every app hash.
    pub fn commit(&mut self) -> Result<Vec<RawWrite>, Error> {
        let Some(version) = self.pending.last().map(|p| p.version) else {
            let last = self.committed_version();
            return Err(Error::NotCommitted { asked: last.map_or(0, |v| v + 1), oldest: self.oldest_version(), last });
        };
        if !self.dirty.is_empty() {
            return Err(Error::OutOfOrder { asked: version, next: version + 1 });
        }
        let fresh = self.committed_version().is_none();
        let mut writes: Vec<RawWrite> = std::mem::take(&mut self.overlay).into_iter().map(|(k, v)| (keys::state(&k), v)).collect();
        let seeded = if fresh { self.seed_batch() } else { None };
        for (key, node) in seeded.iter().flat_map(|b| b.node_batch.nodes()) {
            writes.push((node_key(key)?, Some(borsh::to_vec(node).map_err(anyhow::Error::from)?)));
        }
        let pending = std::mem::take(&mut self.pending);
        if fresh {
            let first = pending.first().map_or(version, |p| p.version);
            writes.push((keys::OLDEST.to_vec(), Some(first.to_be_bytes().to_vec())));
        }
        // The last version of each key written in this commit, for the entry it supersedes.
        let mut latest: BTreeMap<&[u8], Version> = BTreeMap::new();
        for p in &pending {
            for (key, node) in p.batch.node_batch.nodes() {
                writes.push((node_key(key)?, Some(borsh::to_vec(node).map_err(anyhow::Error::from)?)));
            }
            for stale in &p.batch.stale_node_index_batch {
                writes.push((keys::stale(keys::STALE_NODE, stale.stale_since_version, &borsh::to_vec(&stale.node_key).map_err(anyhow::Error::from)?), Some(Vec::new())));
            }
            for (key, value) in &p.changes {
                let before = latest.get(key.as_slice()).copied().or_else(|| {
                    let (raw, _) = self.backend.last_at_or_before(&keys::history_of(key), &keys::history(key, p.version))?;
                    keys::split_history(&raw).map(|(_, v)| v)
                });
                if let Some(before) = before {
                    writes.push((keys::stale(keys::STALE_VALUE, p.version, &keys::history(key, before)), Some(Vec::new())));
                }
                writes.push((keys::history(key, p.version), Some(keys::encode_value(value.as_deref()))));
                latest.insert(key, p.version);
            }
        }
        for (hash, key) in std::mem::take(&mut self.preimages) {
            writes.push((keys::preimage(&jmt::KeyHash(hash)), Some(key)));
        }
        writes.push((keys::VERSION.to_vec(), Some(version.to_be_bytes().to_vec())));
        self.seed = None;
        Ok(writes)
    }

    /// The raw writes that make every version below `oldest` unreadable and drop what only
    /// those versions needed: tree nodes and history entries superseded at or before `oldest`.
    /// The work is what those versions changed. The last committed version is never pruned.
    pub fn prune(&self, oldest: Version) -> Vec<RawWrite> {
        let (Some(last), Some(current)) = (self.committed_version(), self.oldest_version()) else { return Vec::new() };
        let oldest = oldest.min(last);
        if oldest <= current {
            return Vec::new();
        }
        let mut writes = Vec::new();
        for section in [keys::STALE_NODE, keys::STALE_VALUE] {
            let end = keys::stale(section, oldest.saturating_add(1), b"");
            for (raw, _) in self.backend.scan_range(section, &end) {
                if let Some((_, what)) = keys::split_stale(section, &raw) {
                    let target = if section == keys::STALE_NODE { [keys::NODE, what].concat() } else { what.to_vec() };
                    writes.push((target, None));
                }
                writes.push((raw, None));
            }
        }
        writes.push((keys::OLDEST.to_vec(), Some(oldest.to_be_bytes().to_vec())));
        writes
    }

    /// Drops everything since the last commit.
    pub fn discard(&mut self) {
        self.overlay.clear();
        self.dirty.clear();
        self.preimages.clear();
        self.pending.clear();
        self.seed = None;
    }

    fn readable(&self, version: Version) -> Result<(), Error> {
        let (oldest, last) = (self.oldest_version(), self.committed_version());
        match (oldest, last) {
            (Some(o), Some(l)) if (o..=l).contains(&version) => Ok(()),
            _ => Err(Error::NotCommitted { asked: version, oldest, last }),
        }
    }

    /// The state as committed at `version`, read-only (writes to it are dropped with it).
    pub fn at(&self, version: Version) -> Result<Snapshot<'_, B>, Error> {
        self.readable(version)?;
        Ok(Snapshot::new(&self.backend, version, self.committed_version() == Some(version)))
    }

    /// `key` at committed `version`, with an ICS-23 proof (of membership, or of absence)
    /// against that version's root.
    pub fn get_at(&self, key: &[u8], version: Version) -> Result<(Option<Vec<u8>>, ics23::CommitmentProof), Error> {
        self.readable(version)?;
        let none = BTreeMap::new();
        let view = View { backend: &self.backend, pending: &[], keys: &none };
        let tree = JellyfishMerkleTree::<_, sha2::Sha256>::new(&view);
        if tree.get_root_hash(version)? == JellyfishMerkleTree::<View<'_, B>, sha2::Sha256>::EMPTY_ROOT {
            return Err(Error::Empty { version });
        }
        let (value, proof) = tree.get_with_ics23_proof(key.to_vec(), version)?;
        let value = value.map(|v| keys::from_tree_value(&v).ok_or_else(|| Error::Tree(anyhow::anyhow!("a value in the tree lacks its frame")))).transpose()?;
        Ok((value, proof))
    }

    /// The root of committed `version`.
    pub fn root_at(&self, version: Version) -> Result<[u8; 32], Error> {
        self.readable(version)?;
        let none = BTreeMap::new();
        let view = View { backend: &self.backend, pending: &[], keys: &none };
        Ok(JellyfishMerkleTree::<_, sha2::Sha256>::new(&view).get_root_hash(version)?.0)
    }

    fn write(&mut self, key: &[u8], value: Option<Vec<u8>>) {
        self.preimages.entry(keys::hash(key).0).or_insert_with(|| key.to_vec());
        self.overlay.insert(key.to_vec(), value.clone());
        self.dirty.insert(key.to_vec(), value);
    }
}

/// The root's nibble path (empty). jmt keeps its constructors to itself; its borsh form is
/// public and stable: the nibble count (u64) and the bytes (u32 length, none).
fn empty_path() -> Result<jmt::storage::NibblePath, Error> {
    borsh::from_slice(&[0u8; 12]).map_err(|e| Error::Tree(anyhow::anyhow!("the empty nibble path: {e}")))
}

impl<B: RawKv> Store for AuthStore<B> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.overlay.get(key) {
            Some(v) => v.clone(),
            None => self.backend.get(&keys::state(key)),
        }
    }

    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        self.write(key, Some(value));
    }

    fn delete(&mut self, key: &[u8]) {
        self.write(key, None);
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = self.backend.scan_prefix(&keys::state(prefix)).into_iter().filter_map(|(k, v)| Some((k.strip_prefix(keys::STATE)?.to_vec(), v))).collect();
        crate::snapshot::merge(&mut merged, &self.overlay, prefix);
        merged.into_iter().collect()
    }
}
