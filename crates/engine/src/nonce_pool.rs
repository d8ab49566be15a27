//! One signer's published nonce commitments, oldest first.
//!
//! Every commitment has a sequence number, never reused: the store keeps one record per
//! commitment under it, so a block writes the commitments it added and deletes the ones it drew,
//! not the whole pool (up to 4,096 commitments of 64 bytes, for each of the validators, most of
//! which change every block under load).

use std::collections::VecDeque;
use std::ops::{Deref, Range};

/// A signer's pool. Reads go through `Deref` to the queue.
#[derive(Clone, Debug, Default)]
pub struct NoncePool {
    /// The sequence number of the oldest commitment.
    first: u64,
    commitments: VecDeque<[u8; 64]>,
    /// The sequence numbers the store holds records for.
    saved: Range<u64>,
}

impl NoncePool {
    /// A pool as loaded from the store: `commitments` are numbered from `first`, and stored.
    pub fn loaded(first: u64, commitments: VecDeque<[u8; 64]>) -> Self {
        let end = first + commitments.len() as u64;
        Self { first, commitments, saved: first..end }
    }

    /// Appends a commitment.
    pub fn push_back(&mut self, commitment: [u8; 64]) {
        self.commitments.push_back(commitment);
    }

    /// Draws the oldest commitment.
    pub fn pop_front(&mut self) -> Option<[u8; 64]> {
        let c = self.commitments.pop_front()?;
        self.first += 1;
        Some(c)
    }

    /// Drops every commitment (the signer withdrew them); numbering goes on after them.
    pub fn clear(&mut self) {
        self.first += self.commitments.len() as u64;
        self.commitments.clear();
    }

    /// The sequence number of the oldest commitment (of the next one, if empty).
    pub fn first(&self) -> u64 {
        self.first
    }

    /// The commitments with their sequence numbers.
    pub fn numbered(&self) -> impl Iterator<Item = (u64, &[u8; 64])> {
        (self.first..).zip(self.commitments.iter())
    }

    /// What the store must do to hold this pool: the sequence numbers to delete and the
    /// numbered commitments to write. Marks the pool saved.
    pub fn take_writes(&mut self) -> (Vec<u64>, Vec<(u64, [u8; 64])>) {
        let now = self.first..self.first + self.commitments.len() as u64;
        let deletes = self.saved.clone().filter(|s| !now.contains(s)).collect();
        let writes = self.numbered().filter(|(s, _)| !self.saved.contains(s)).map(|(s, c)| (s, *c)).collect();
        self.saved = now;
        (deletes, writes)
    }
}

impl Deref for NoncePool {
    type Target = VecDeque<[u8; 64]>;

    fn deref(&self) -> &VecDeque<[u8; 64]> {
        &self.commitments
    }
}

/// Equal when the numbered commitments are: what the store holds is bookkeeping.
impl PartialEq for NoncePool {
    fn eq(&self, other: &Self) -> bool {
        self.first == other.first && self.commitments == other.commitments
    }
}

impl Eq for NoncePool {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_follow_what_changed() {
        let mut p = NoncePool::default();
        for i in 0..4 {
            p.push_back([i; 64]);
        }
        assert_eq!(p.take_writes(), (vec![], (0..4).map(|i| (u64::from(i), [i; 64])).collect()));
        p.pop_front();
        p.pop_front();
        p.push_back([9; 64]);
        assert_eq!(p.take_writes(), (vec![0, 1], vec![(4, [9; 64])]));
        assert_eq!(p.take_writes(), (vec![], vec![]));
        p.clear();
        assert_eq!(p.first(), 5);
        assert_eq!(p.take_writes(), (vec![2, 3, 4], vec![]));
        p.push_back([1; 64]);
        assert_eq!(p.take_writes(), (vec![], vec![(5, [1; 64])]));
        assert_eq!(p, NoncePool::loaded(5, [[1; 64]].into_iter().collect()));
    }
}
