//! A binary Merkle tree over ordered key-value entries (RFC 6962 hashing: leaves and inner
//! nodes are domain-separated), so the app hash commits to every entry and a single entry can be
//! proven against it.

use sha2::{Digest, Sha256};

/// The hash of one entry: `SHA-256(0x00 || len(key) || key || len(value) || value)`.
pub fn leaf_hash(key: &[u8], value: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update((key.len() as u64).to_be_bytes());
    h.update(key);
    h.update((value.len() as u64).to_be_bytes());
    h.update(value);
    h.finalize().into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root over leaf hashes (RFC 6962 `MTH`: split at the largest power of two below n).
pub fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [] => Sha256::digest([]).into(),
        [one] => *one,
        _ => {
            let k = split(leaves.len());
            node_hash(&root(leaves.get(..k).unwrap_or_default()), &root(leaves.get(k..).unwrap_or_default()))
        }
    }
}

fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The audit path of leaf `index` (siblings from the leaf up).
pub fn proof(leaves: &[[u8; 32]], index: usize) -> Vec<[u8; 32]> {
    let mut path = Vec::new();
    let mut slice = leaves;
    let mut i = index;
    let mut stack = Vec::new();
    while slice.len() > 1 {
        let k = split(slice.len());
        let (left, right) = slice.split_at(k);
        if i < k {
            stack.push(root(right));
            slice = left;
        } else {
            stack.push(root(left));
            slice = right;
            i -= k;
        }
    }
    while let Some(s) = stack.pop() {
        path.push(s);
    }
    path
}

/// Checks that `leaf` is entry `index` of `size` entries under `root`.
pub fn verify(root_hash: &[u8; 32], leaf: [u8; 32], index: usize, size: usize, path: &[[u8; 32]]) -> bool {
    fn walk(leaf: [u8; 32], index: usize, size: usize, path: &[[u8; 32]]) -> Option<[u8; 32]> {
        if size <= 1 {
            return path.is_empty().then_some(leaf);
        }
        let k = split(size);
        let (sibling, rest) = path.split_last()?;
        if index < k {
            Some(node_hash(&walk(leaf, index, k, rest)?, sibling))
        } else {
            Some(node_hash(sibling, &walk(leaf, index - k, size - k, rest)?))
        }
    }
    index < size && walk(leaf, index, size, path).as_ref() == Some(root_hash)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_proves_against_the_root_and_nothing_else_does() {
        for n in 1..=17usize {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| leaf_hash(format!("k{i}").as_bytes(), &[i as u8])).collect();
            let r = root(&leaves);
            for i in 0..n {
                let p = proof(&leaves, i);
                assert!(verify(&r, leaves[i], i, n, &p), "n={n} i={i}");
                assert!(!verify(&r, leaf_hash(b"other", b""), i, n, &p));
                if n > 1 {
                    assert!(!verify(&r, leaves[i], (i + 1) % n, n, &p));
                }
            }
        }
    }

    #[test]
    fn root_changes_with_any_entry() {
        let a = [leaf_hash(b"a", b"1"), leaf_hash(b"b", b"2"), leaf_hash(b"c", b"3")];
        let mut b = a;
        b[1] = leaf_hash(b"b", b"3");
        assert_ne!(root(&a), root(&b));
        assert_ne!(root(&a), root(&a[..2]));
    }
}
