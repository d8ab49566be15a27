//! The tree as jmt reads it: committed nodes and values in the backend, plus the batches of
//! roots computed in this block and not committed yet (newest first).

use crate::backend::RawKv;
use crate::keys;
use anyhow::{anyhow, Result};
use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};

pub struct View<'a, B> {
    pub backend: &'a B,
    pub pending: &'a [TreeUpdateBatch],
    /// Preimages of keys written since the last commit.
    pub keys: &'a std::collections::BTreeMap<[u8; 32], Vec<u8>>,
}

pub fn node_key(key: &NodeKey) -> Result<Vec<u8>> {
    Ok([keys::NODE, borsh::to_vec(key)?.as_slice()].concat())
}

impl<B: RawKv> TreeReader for View<'_, B> {
    fn get_node_option(&self, node_key: &NodeKey) -> Result<Option<Node>> {
        for batch in self.pending.iter().rev() {
            if let Some(node) = batch.node_batch.get_node(node_key) {
                return Ok(Some(node.clone()));
            }
        }
        match self.backend.get(&self::node_key(node_key)?) {
            Some(raw) => Ok(Some(borsh::from_slice(&raw).map_err(|e| anyhow!("a stored tree node does not decode: {e}"))?)),
            None => Ok(None),
        }
    }

    fn get_value_option(&self, max_version: Version, key_hash: KeyHash) -> Result<Option<OwnedValue>> {
        for batch in self.pending.iter().rev() {
            // A batch's values for this key, newest version first.
            let newest = batch.node_batch.values().iter().filter(|((v, h), _)| *h == key_hash && *v <= max_version).max_by_key(|((v, _), _)| *v);
            if let Some((_, value)) = newest {
                return Ok(value.clone());
            }
        }
        let Some(key) = self.preimage(key_hash)? else { return Ok(None) };
        match self.backend.last_at_or_before(&keys::history_of(&key), &keys::history(&key, max_version)) {
            Some((_, raw)) => Ok(keys::decode_value(&raw).map_err(|e| anyhow!(e))?.map(|v| keys::tree_value(&v))),
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> Result<Option<(NodeKey, LeafNode)>> {
        // Only jmt's restore and migration paths ask for it; this store uses neither.
        Err(anyhow!("restoring a tree from chunks is not supported by this store"))
    }
}

impl<B: RawKv> HasPreimage for View<'_, B> {
    fn preimage(&self, key_hash: KeyHash) -> Result<Option<Vec<u8>>> {
        if let Some(key) = self.keys.get(&key_hash.0) {
            return Ok(Some(key.clone()));
        }
        Ok(self.backend.get(&keys::preimage(&key_hash)))
    }
}
