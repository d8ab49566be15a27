//! Published nonce commitments, decoded once. Every node decodes every published commitment
//! when its block is applied (to refuse malformed ones, see `apply_nonces`); the signers, the
//! proposer and block application decode the same bytes again when an attempt signs with them,
//! one or more blocks later. At 64 validators and 500 signatures a block that was 43 commitments
//! (about 0.35 ms) for every share and every aggregate.
//!
//! This cache keeps the decoded points from publication until the commitment is used. It is not
//! consensus state: it is never saved or hashed, a node that restarts starts with it empty, a
//! clone starts empty, and a miss decodes the bytes exactly as publication did
//! ([`NonceCommitment::from_published`]), so what any caller computes never depends on it.

use std::collections::{HashMap, HashSet};
use frost_ed25519::round1::SigningCommitments;
use tss_crypto::sign::NonceCommitment;
use tss_crypto::{DecodeError, Identifier};

/// Decoded published commitments, by their 64 published bytes.
#[derive(Default)]
pub struct CommitmentCache {
    decoded: HashMap<[u8; 64], SigningCommitments>,
}

impl CommitmentCache {
    /// Remembers what `raw` decoded to.
    pub(crate) fn insert(&mut self, raw: [u8; 64], commitment: &NonceCommitment) {
        self.decoded.insert(raw, commitment.commitments);
    }

    /// `raw` as `signer`'s commitment: from the cache, or decoded now. The points do not depend
    /// on the signer, so bytes a byzantine validator copied from another still read as they
    /// would uncached.
    pub(crate) fn decode(&self, signer: Identifier, raw: &[u8; 64]) -> Result<NonceCommitment, DecodeError> {
        match self.decoded.get(raw) {
            Some(commitments) => Ok(NonceCommitment { signer, commitments: *commitments }),
            None => NonceCommitment::from_published(signer, raw),
        }
    }

    /// Keeps only the commitments `live` names, once the cache holds more than twice the
    /// `live_count` (plus some slack): amortized, one pass per that many insertions.
    pub(crate) fn prune<'a, I: Iterator<Item = &'a [u8; 64]>>(&mut self, live_count: usize, live: impl FnOnce() -> I) {
        if self.decoded.len() > 2 * live_count + 1024 {
            let live: HashSet<&[u8; 64]> = live().collect();
            self.decoded.retain(|raw, _| live.contains(raw));
        }
    }
}

/// A clone starts cold: the cache is an optimization of one node, not part of its state.
impl Clone for CommitmentCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// Never part of what makes two states equal.
impl PartialEq for CommitmentCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for CommitmentCache {}

impl std::fmt::Debug for CommitmentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CommitmentCache({} decoded)", self.decoded.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    fn published(n: usize) -> Vec<([u8; 64], NonceCommitment)> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let signer = Identifier::try_from(2u16).unwrap();
        tss_crypto::sign::generate_nonces(signer, n, &mut rng).into_iter().map(|(nonce, c)| (nonce.published(), c)).collect()
    }

    #[test]
    fn a_hit_and_a_miss_read_the_same() {
        let [(raw, c)] = <[_; 1]>::try_from(published(1)).unwrap();
        let mut cache = CommitmentCache::default();
        let other = Identifier::try_from(9u16).unwrap();
        let cold = cache.decode(other, &raw).unwrap();
        cache.insert(raw, &c);
        assert_eq!(cache.decode(other, &raw).unwrap(), cold);
        assert_eq!(cold.signer, other);
        assert!(cache.clone().decoded.is_empty());
    }

    #[test]
    fn pruning_keeps_what_is_live() {
        let all = published(1100);
        let mut cache = CommitmentCache::default();
        for (raw, c) in &all {
            cache.insert(*raw, c);
        }
        // 1100 held, 30 live: over 2*30 + 1024, so only the live ones stay.
        cache.prune(30, || all.iter().take(30).map(|(raw, _)| raw));
        assert_eq!(cache.decoded.len(), 30);
        // Under the bound nothing is dropped.
        cache.prune(1, || all.iter().take(1).map(|(raw, _)| raw));
        assert_eq!(cache.decoded.len(), 30);
    }
}
