//! Public decryption from batched shares (`Item::DecryptionBatch`).
//!
//! Each validator sends at most one batch per key set per extension: its shares of many public
//! decryption attempts, with one proof. Per key set the block uses only as many batches as the
//! open attempts need (`t` shares each), taken in holder order; the rest are not even decoded.
//! The chosen batches are verified together in one multiscalar multiplication
//! ([`tss_crypto::decrypt_batch::verify_decryption_batches`]); a batch that fails is blamed, its
//! sender excluded from the requests it named, and the next batches in order take its place.
//! A request with `t` verified shares opens at once (all of them on all cores); fewer are kept,
//! as verified points, for a later batch to complete.
//!
//! A key set whose block brings shares for at least `decryption_claim_min` requests takes a claim
//! round instead (`super::claims`): its batches are not decoded here at all.
//!
//! A batch is checked against the ciphertexts of every request it names, so one naming a
//! request that is no longer pending cannot be checked; it is dropped without blame (the local
//! side's schedule keeps an honest validator from sending one, see
//! `LocalSecrets::add_decryption_batches`).

use super::Apply;
use crate::context::key_of;
use crate::extension::bitmap_requests;
use crate::state::Job;
use crate::types::{BlameReason, Delivery, Outcome, ParticipantKey, RequestId};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use std::collections::{BTreeMap, BTreeSet};
use tss_crypto::decrypt_batch::{lagrange_for, open_with_shares, verify_decryption_batches, BatchToVerify, DecryptionBatch, ShareBase, EMPTY_BATCH_LEN};
use tss_crypto::encrypt::{Ciphertext, EncryptionKey};
use tss_crypto::{Encode, Identifier, PublicKeySet};

/// One key set's epoch: `(keyset, generation, epoch)`.
pub(crate) type Group = (u64, u32, u64);

/// A batch as routed from an extension: sender, the requests it names, its wire bytes.
pub(crate) struct RoutedBatch {
    pub(crate) sender: ParticipantKey,
    pub(crate) requests: Vec<RequestId>,
    pub(crate) bytes: Vec<u8>,
}

/// Routes one extension item. The first batch per sender and key set counts. Refuses (for
/// blame) a batch whose length is not that of as many shares as the bitmap names, before the
/// bitmap is expanded: the requests a batch names are then bounded by its bytes.
pub(crate) fn route(groups: &mut BTreeMap<Group, Vec<RoutedBatch>>, sender: ParticipantKey, group: Group, first_request: u64, present: &[u8], bytes: Vec<u8>) -> Result<(), ()> {
    let shares: usize = present.iter().map(|b| b.count_ones() as usize).sum();
    if bytes.len() != EMPTY_BATCH_LEN + 32 * shares {
        return Err(());
    }
    let list = groups.entry(group).or_default();
    if list.iter().any(|b| b.sender == sender) {
        return Ok(());
    }
    list.push(RoutedBatch { sender, requests: bitmap_requests(first_request, present), bytes });
    Ok(())
}

/// What one open request of the group needs and has.
struct Need {
    ct: Ciphertext,
    /// Shares verified in earlier blocks, by holder.
    kept: BTreeMap<Identifier, EdwardsPoint>,
    /// Shares verified in this block, by holder.
    fresh: BTreeMap<Identifier, EdwardsPoint>,
    excluded: BTreeSet<ParticipantKey>,
}

impl Apply<'_> {
    pub(super) fn apply_decryption_batches(&mut self, groups: BTreeMap<Group, Vec<RoutedBatch>>) {
        // Claim rounds are planned first, all from the state before this block's decryptions,
        // as each combiner plans them in ExtendVote (`super::claims`): nobody decodes their
        // batches. The other groups are verified and opened.
        let mut ordinary = Vec::new();
        for (group, batches) in groups {
            let Some(public) = self.key_set(group.0, group.1, group.2) else { continue };
            let counted = super::claims::round_batches(self.state, &public, &batches);
            match super::claims::plan_round(self.state, group, &public, &counted, self.height) {
                Some(plan) => self.assign_round(plan),
                None => ordinary.push((group, batches)),
            }
        }
        for (group, batches) in ordinary {
            self.apply_group(group, batches);
        }
    }

    fn apply_group(&mut self, (keyset, generation, epoch): Group, mut batches: Vec<RoutedBatch>) {
        let Some(public) = self.key_set(keyset, generation, epoch) else { return };
        let t = usize::from(public.threshold());
        let holders: BTreeMap<ParticipantKey, Identifier> = public.ids().map(|id| (key_of(&id), id)).collect();
        batches.retain(|b| holders.contains_key(&b.sender));
        batches.sort_by_key(|b| holders.get(&b.sender).copied());

        // Every request some batch names, with its ciphertext's base; and which of them are
        // open public attempts of this group.
        let named: BTreeSet<RequestId> = batches.iter().flat_map(|b| b.requests.iter().copied()).collect();
        let mut bases: Vec<ShareBase> = Vec::new();
        let mut index: BTreeMap<RequestId, usize> = BTreeMap::new();
        let mut needs: BTreeMap<RequestId, Need> = BTreeMap::new();
        let resolved: Vec<(RequestId, Option<(Ciphertext, ShareBase)>)> = {
            use rayon::prelude::*;
            let jobs: Vec<(RequestId, &[u8])> = named
                .iter()
                .filter_map(|id| match self.state.requests.get(id).map(|r| &r.job) {
                    Some(Job::Decrypt { ciphertext, delivery: Delivery::Public }) => Some((*id, ciphertext.as_slice())),
                    _ => None,
                })
                .collect();
            jobs.into_par_iter()
                .map(|(id, bytes)| {
                    let ct = Ciphertext::from_bytes(bytes).ok();
                    let base = ct.as_ref().and_then(ShareBase::checked_before);
                    (id, ct.zip(base))
                })
                .collect()
        };
        for (id, found) in resolved {
            let Some((ct, base)) = found else { continue };
            index.insert(id, bases.len());
            bases.push(base);
            let Some(r) = self.state.requests.get(&id) else { continue };
            let Some(a) = r.attempt.as_ref() else { continue };
            if r.keyset != keyset || a.generation != generation || a.epoch != epoch || self.height > a.deadline || r.claim.is_some() {
                continue;
            }
            let kept = a.shares.iter().filter_map(|(k, bytes)| Some((*holders.get(k)?, decode_kept(bytes)?))).collect();
            needs.insert(id, Need { ct, kept, fresh: BTreeMap::new(), excluded: r.excluded.clone() });
        }
        // A batch naming a request that is not pending (gone, or not a public decryption)
        // cannot be checked.
        batches.retain(|b| b.requests.iter().all(|id| index.contains_key(id)));

        // Take batches in holder order while some request still needs shares; verify them
        // together; replace the failures with the next ones.
        let mut pending: std::collections::VecDeque<RoutedBatch> = batches.into();
        loop {
            let mut chosen: Vec<(RoutedBatch, Identifier)> = Vec::new();
            let mut planned: BTreeMap<RequestId, usize> = BTreeMap::new();
            let mut skipped = std::collections::VecDeque::new();
            while let Some(b) = pending.pop_front() {
                let Some(holder) = holders.get(&b.sender).copied() else { continue };
                let useful = b.requests.iter().any(|id| {
                    needs.get(id).is_some_and(|n| {
                        let have = n.kept.len() + n.fresh.len() + planned.get(id).copied().unwrap_or(0);
                        have < t && !n.excluded.contains(&b.sender) && !n.kept.contains_key(&holder) && !n.fresh.contains_key(&holder)
                    })
                });
                if useful {
                    for id in &b.requests {
                        *planned.entry(*id).or_default() += 1;
                    }
                    chosen.push((b, holder));
                } else {
                    skipped.push_back(b);
                }
            }
            // Batches skipped now may be needed if a chosen one fails.
            pending = skipped;
            if chosen.is_empty() {
                break;
            }
            let any_failed = self.verify_and_take(&public, &bases, &index, &mut needs, chosen);
            if !any_failed {
                break;
            }
        }
        self.open_ready(keyset, generation, &public, needs);
    }

    /// Decodes and verifies the chosen batches; records the valid shares in `needs`; blames and
    /// excludes the senders of invalid ones. True if any failed.
    fn verify_and_take(&mut self, public: &PublicKeySet, bases: &[ShareBase], index: &BTreeMap<RequestId, usize>, needs: &mut BTreeMap<RequestId, Need>, chosen: Vec<(RoutedBatch, Identifier)>) -> bool {
        use rayon::prelude::*;
        let decoded: Vec<(RoutedBatch, Option<DecryptionBatch>)> = chosen
            .into_par_iter()
            .map(|(b, holder)| {
                let batch = DecryptionBatch::from_bytes(holder, &b.bytes).ok().filter(|d| d.points.len() == b.requests.len());
                (b, batch)
            })
            .collect();
        let mut failed: Vec<(ParticipantKey, Vec<RequestId>)> = Vec::new();
        let mut good: Vec<(RoutedBatch, DecryptionBatch, Vec<usize>)> = Vec::new();
        for (b, batch) in decoded {
            match batch {
                Some(batch) => {
                    let indexes = b.requests.iter().filter_map(|id| index.get(id).copied()).collect();
                    good.push((b, batch, indexes));
                }
                None => failed.push((b.sender, b.requests)),
            }
        }
        let list: Vec<BatchToVerify<'_>> = good.iter().map(|(_, batch, indexes)| BatchToVerify { batch, indexes }).collect();
        let culprits: BTreeSet<Identifier> = verify_decryption_batches(public, bases, &list).into_iter().collect();
        for (b, batch, _) in good {
            if culprits.contains(&batch.holder) {
                failed.push((b.sender, b.requests));
                continue;
            }
            for (id, point) in b.requests.iter().zip(batch.points) {
                if let Some(n) = needs.get_mut(id) {
                    if !n.excluded.contains(&b.sender) && !n.kept.contains_key(&batch.holder) {
                        n.fresh.entry(batch.holder).or_insert(point);
                    }
                }
            }
        }
        let any = !failed.is_empty();
        for (sender, requests) in failed {
            self.blame(&sender, BlameReason::InvalidDecryptionShare);
            for id in requests {
                if let Some(r) = self.state.requests.get_mut(&id) {
                    r.excluded.insert(sender);
                }
                if let Some(n) = needs.get_mut(&id) {
                    n.excluded.insert(sender);
                }
            }
        }
        any
    }

    /// Opens every request with `t` verified shares (on all cores); keeps the new shares of the
    /// others. Verified shares that do not open the body mean the body was not made for this
    /// key: the request fails.
    fn open_ready(&mut self, keyset: u64, generation: u32, public: &PublicKeySet, needs: BTreeMap<RequestId, Need>) {
        use rayon::prelude::*;
        let t = usize::from(public.threshold());
        let key = EncryptionKey::new(public, generation);
        let mut lagrange: BTreeMap<Vec<Identifier>, Option<Vec<curve25519_dalek::scalar::Scalar>>> = BTreeMap::new();
        let mut ready = Vec::new();
        for (id, n) in needs {
            if n.kept.len() + n.fresh.len() < t {
                if let Some(a) = self.state.requests.get_mut(&id).and_then(|r| r.attempt.as_mut()) {
                    for (holder, point) in &n.fresh {
                        a.shares.insert(key_of(holder), point.compress().to_bytes().to_vec());
                    }
                }
                continue;
            }
            let mut all: Vec<(Identifier, EdwardsPoint)> = n.kept.iter().chain(&n.fresh).map(|(h, p)| (*h, *p)).collect();
            all.sort_by_key(|(h, _)| *h);
            all.truncate(t);
            let holders: Vec<Identifier> = all.iter().map(|(h, _)| *h).collect();
            let lambdas = lagrange.entry(holders.clone()).or_insert_with(|| lagrange_for(&holders)).clone();
            let points: Vec<EdwardsPoint> = all.into_iter().map(|(_, p)| p).collect();
            ready.push((id, n.ct, lambdas, points));
        }
        let opened: Vec<(RequestId, Outcome)> = ready
            .into_par_iter()
            .map(|(id, ct, lambdas, points)| {
                let outcome = match lambdas.map(|l| open_with_shares(&ct, &key, &l, &points)) {
                    Some(Ok(plaintext)) => Outcome::Plaintext(plaintext.to_vec()),
                    _ => Outcome::Failed { reason: format!("the ciphertext does not open under keyset {keyset}'s key: its body was not encrypted to it") },
                };
                (id, outcome)
            })
            .collect();
        for (id, outcome) in opened {
            self.complete(id, outcome);
        }
    }
}

/// A share point kept from an earlier block (verified then; the encoding is this code's own).
fn decode_kept(bytes: &[u8]) -> Option<EdwardsPoint> {
    CompressedEdwardsY(bytes.try_into().ok()?).decompress()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_bitmap_must_match_the_batch_it_comes_with() {
        let mut groups = BTreeMap::new();
        // 65,536 requests named, two shares' worth of bytes: refused before expanding.
        assert!(route(&mut groups, [1; 32], (0, 0, 1), 0, &[0xff; 8192], vec![0; EMPTY_BATCH_LEN + 64]).is_err());
        assert!(groups.is_empty());
        assert!(route(&mut groups, [1; 32], (0, 0, 1), 10, &[0b101], vec![0; EMPTY_BATCH_LEN + 64]).is_ok());
        // The sender's second batch for the same key set does not count.
        assert!(route(&mut groups, [1; 32], (0, 0, 1), 20, &[0b1], vec![0; EMPTY_BATCH_LEN + 32]).is_ok());
        let list = &groups[&(0, 0, 1)];
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].requests, vec![10, 12]);
    }
}
