//! This validator's part in claim rounds (`crate::apply::claims`): combining its slice of a
//! round's requests into a claim, and answering the claims of every round it holds a share for.
//! Both read the block being voted on (`pending`), as the chain will apply it, so a round takes
//! two blocks after its shares: the claim is in the next extension, the answers in the one
//! after.

use super::{Builder, LocalSecrets};
use crate::apply::claims::{build_claim, claim_is_assigned, plan_round, round_batches, RoutedClaim};
use crate::apply::decryption::{route, Group, RoutedBatch};
use crate::context::{identifier, key_of};
use crate::extension::{bitmap_requests, check_form, request_bitmap, Item};
use crate::state::{ClaimKey, EngineState, Job};
use crate::types::{ParticipantKey, RequestId};
use curve25519_dalek::edwards::EdwardsPoint;
use rand_core::{CryptoRng, RngCore};
use std::collections::{BTreeMap, BTreeSet};
use tss_crypto::decrypt_batch::{decryption_batch, lagrange_for, unverified_share, verify_decryption_batches, BatchToVerify, DecryptionBatch, ShareBase};
use tss_crypto::decrypt_claim::ClaimedPoint;
use tss_crypto::encrypt::{Ciphertext, EncryptionKey};
use tss_crypto::{Encode, Identifier, PublicKeySet};

/// A claim as read for answering: its key, requests and points.
type ClaimRecord = (ClaimKey, Vec<RequestId>, Vec<[u8; 32]>);
/// A request's combination: the claimed point, whether the body opens under it, the holders used.
type Combined = Option<(ClaimedPoint, bool, Vec<Identifier>)>;

/// The items of the block being voted on, as `apply` routes them: from validators of committed
/// state, the first extension of each, well formed for the previous height.
fn pending_items(state: &EngineState, pending: &[(Vec<u8>, Vec<u8>)], height: u64) -> Vec<(ParticipantKey, Item)> {
    let validators: BTreeSet<ParticipantKey> = state.meta.validators.iter().filter_map(|v| identifier(&v.address)).map(|id| key_of(&id)).collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (address, bytes) in pending {
        let Some(sender) = identifier(address).map(|id| key_of(&id)) else { continue };
        if !validators.contains(&sender) || !seen.insert(sender) {
            continue;
        }
        let Ok(ext) = check_form(bytes, height.saturating_sub(1), state.meta.params.extension_budget) else { continue };
        out.extend(ext.items.into_iter().map(|item| (sender, item)));
    }
    out
}

/// A bitmap over positions `0..`, least significant bit first.
fn position_bitmap(positions: &[usize]) -> Vec<u8> {
    let mut bits = vec![0u8; positions.iter().max().map_or(0, |m| m / 8 + 1)];
    for p in positions {
        if let Some(byte) = bits.get_mut(p / 8) {
            *byte |= 1 << (p % 8);
        }
    }
    bits
}

impl LocalSecrets {
    /// Combines the slice of every claim round the block being voted on opens that is assigned
    /// to this validator. The shares are combined unchecked; a body that does not open under
    /// its combined point makes the combiner verify the batches it used, drop the invalid ones
    /// and combine again from the next holders.
    pub(super) fn add_decryption_claims(&self, state: &EngineState, pending: &[(Vec<u8>, Vec<u8>)], height: u64, b: &mut Builder) {
        let me = self.me();
        let mut groups: BTreeMap<Group, Vec<RoutedBatch>> = BTreeMap::new();
        for (sender, item) in pending_items(state, pending, height) {
            if let Item::DecryptionBatch { keyset, generation, epoch, first_request, present, batch } = item {
                let _ = route(&mut groups, sender, (keyset, generation, epoch), first_request, &present, batch);
            }
        }
        for (group, batches) in groups {
            let Ok(public) = state.public_key_set(group.0, group.1, group.2) else { continue };
            let counted = round_batches(state, &public, &batches);
            let Some(plan) = plan_round(state, group, &public, &counted, height) else { continue };
            let mine: Vec<RequestId> = plan.iter().filter(|(_, c)| *c == me).map(|(id, _)| *id).collect();
            if mine.is_empty() {
                continue;
            }
            let points = combine_slice(state, &public, group.1, &counted, &mine);
            let (ids, points): (Vec<RequestId>, Vec<[u8; 32]>) = points.into_iter().unzip();
            let Some((first_request, present)) = request_bitmap(&ids) else { continue };
            let (keyset, generation, epoch) = group;
            b.push(Item::DecryptionClaim { keyset, generation, epoch, round: height, first_request, present, points });
        }
    }

    /// Answers every claim round of a key set this validator holds a share of: the claims the
    /// block being voted on records, and those recorded earlier that are still waiting and
    /// whose answers in that block are fewer than `t` (so it cannot decide them). One batch per
    /// round over its claims' bases, in claimant order.
    pub(super) fn add_claim_answers<R: RngCore + CryptoRng>(&self, state: &EngineState, pending: &[(Vec<u8>, Vec<u8>)], height: u64, b: &mut Builder, rng: &mut R) {
        let items = pending_items(state, pending, height);
        // Answers the block being voted on already carries, by round: a waiting round whose
        // block has fewer than `t` of them (it cannot be decided there) is answered again.
        let mut answered: BTreeMap<(Group, u64), BTreeSet<ParticipantKey>> = BTreeMap::new();
        for (sender, item) in &items {
            if let Item::ClaimAnswers { keyset, generation, epoch, round, .. } = item {
                answered.entry(((*keyset, *generation, *epoch), *round)).or_default().insert(*sender);
            }
        }
        let mut rounds: BTreeMap<(Group, u64), Vec<ClaimRecord>> = BTreeMap::new();
        for (key, c) in state.claims.iter() {
            let group = (key.0, key.1, key.2);
            let t = state.public_key_set(group.0, group.1, group.2).map_or(0, |p| usize::from(p.threshold()));
            if c.recorded < height && answered.get(&(group, key.3)).map_or(0, BTreeSet::len) < t {
                rounds.entry((group, key.3)).or_default().push((*key, c.requests.clone(), c.points.clone()));
            }
        }
        let mut seen = BTreeSet::new();
        for (sender, item) in items {
            let Item::DecryptionClaim { keyset, generation, epoch, round, first_request, present, points } = item else { continue };
            let c = RoutedClaim { combiner: sender, requests: bitmap_requests(first_request, &present), points };
            let key: ClaimKey = (keyset, generation, epoch, round, sender);
            if !seen.insert((keyset, generation, epoch, round, sender)) || !claim_is_assigned(state, round, &c) {
                continue;
            }
            rounds.entry(((keyset, generation, epoch), round)).or_default().push((key, c.requests, c.points));
        }
        for ((group, round), claims) in rounds {
            let (Some(share), Ok(public)) = (self.shares.get(&group), state.public_key_set(group.0, group.1, group.2)) else { continue };
            let position: BTreeMap<ParticipantKey, usize> = public.ids().enumerate().map(|(k, id)| (key_of(&id), k)).collect();
            let mut ordered: Vec<(usize, ClaimRecord)> = claims.into_iter().filter_map(|c| Some((*position.get(&c.0 .4)?, c))).collect();
            ordered.sort_by_key(|(p, _)| *p);
            // Only the claims that can be built are answered, as the chain checks only those.
            let built: Vec<(usize, ShareBase)> = {
                use rayon::prelude::*;
                ordered.par_iter().filter_map(|(p, (k, r, pts))| build_claim(state, k, r, pts).map(|b| (*p, *b.claim.base()))).collect()
            };
            if built.is_empty() {
                continue;
            }
            let bases: Vec<ShareBase> = built.iter().map(|(_, b)| *b).collect();
            let refs: Vec<&ShareBase> = bases.iter().collect();
            let Ok(batch) = decryption_batch(&refs, share, &public, rng) else { continue };
            let claimants = position_bitmap(&built.iter().map(|(p, _)| *p).collect::<Vec<_>>());
            let (keyset, generation, epoch) = group;
            b.push(Item::ClaimAnswers { keyset, generation, epoch, round, claimants, batch: batch.to_bytes() });
        }
    }
}

/// The claimed point of each request of a slice, from the first `t` holders (in order) whose
/// batches name it and are not excluded from it. Requests whose body does not open are combined
/// again after the batches they used are verified; a request with fewer than `t` usable shares
/// is left out (it goes back to the ordinary path).
fn combine_slice(state: &EngineState, public: &PublicKeySet, generation: u32, batches: &[(Identifier, &RoutedBatch)], slice: &[RequestId]) -> Vec<(RequestId, [u8; 32])> {
    use rayon::prelude::*;
    let t = usize::from(public.threshold());
    let key = EncryptionKey::new(public, generation);
    let attempt = |id: &RequestId, bad: &BTreeSet<Identifier>| -> Combined {
        let r = state.requests.get(id)?;
        let Job::Decrypt { ciphertext, .. } = &r.job else { return None };
        let mut holders = Vec::with_capacity(t);
        let mut shares: Vec<EdwardsPoint> = Vec::with_capacity(t);
        for (holder, b) in batches {
            if shares.len() == t {
                break;
            }
            if bad.contains(holder) || r.excluded.contains(&b.sender) {
                continue;
            }
            let Ok(index) = b.requests.binary_search(id) else { continue };
            if let Some(p) = unverified_share(&b.bytes, index) {
                holders.push(*holder);
                shares.push(p);
            }
        }
        let lambdas = lagrange_for(&holders).filter(|_| holders.len() == t)?;
        let q = ClaimedPoint::combine(&lambdas, &shares).ok()?;
        let opens = Ciphertext::from_bytes(ciphertext).ok().is_some_and(|ct| q.open(&ct, &key).is_ok());
        Some((q, opens, holders))
    };
    let none = BTreeSet::new();
    let first: Vec<(RequestId, Combined)> = slice.par_iter().map(|id| (*id, attempt(id, &none))).collect();
    let failed: BTreeSet<Identifier> = first.iter().filter_map(|(_, a)| a.as_ref()).filter(|(_, opens, _)| !opens).flat_map(|(_, _, h)| h.iter().copied()).collect();
    let bad = if failed.is_empty() { BTreeSet::new() } else { invalid_batches(state, public, batches, &failed) };
    first
        .into_par_iter()
        .filter_map(|(id, a)| {
            let (q, opens, holders) = a?;
            let q = if opens || !holders.iter().any(|h| bad.contains(h)) { q } else { attempt(&id, &bad)?.0 };
            Some((id, q.to_bytes()))
        })
        .collect()
}

/// Which of the given holders' batches do not verify (decoded and checked in full).
fn invalid_batches(state: &EngineState, public: &PublicKeySet, batches: &[(Identifier, &RoutedBatch)], suspects: &BTreeSet<Identifier>) -> BTreeSet<Identifier> {
    let chosen: Vec<(Identifier, &RoutedBatch)> = batches.iter().filter(|(h, _)| suspects.contains(h)).map(|(h, b)| (*h, *b)).collect();
    let mut index: BTreeMap<RequestId, usize> = BTreeMap::new();
    let mut bases: Vec<ShareBase> = Vec::new();
    for (_, b) in &chosen {
        for id in &b.requests {
            if index.contains_key(id) {
                continue;
            }
            let base = match state.requests.get(id).map(|r| &r.job) {
                Some(Job::Decrypt { ciphertext, .. }) => Ciphertext::from_bytes(ciphertext).ok().as_ref().and_then(ShareBase::checked_before),
                _ => None,
            };
            if let Some(base) = base {
                index.insert(*id, bases.len());
                bases.push(base);
            }
        }
    }
    let mut bad = BTreeSet::new();
    let mut decoded: Vec<(DecryptionBatch, Vec<usize>)> = Vec::new();
    for (holder, b) in chosen {
        let indexes: Option<Vec<usize>> = b.requests.iter().map(|id| index.get(id).copied()).collect();
        match (DecryptionBatch::from_bytes(holder, &b.bytes), indexes) {
            (Ok(batch), Some(indexes)) if batch.points.len() == indexes.len() => decoded.push((batch, indexes)),
            _ => {
                bad.insert(holder);
            }
        }
    }
    let list: Vec<BatchToVerify<'_>> = decoded.iter().map(|(batch, indexes)| BatchToVerify { batch, indexes }).collect();
    bad.extend(verify_decryption_batches(public, &bases, &list));
    bad
}
