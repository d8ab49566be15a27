//! Claim rounds for public decryption (`tss_crypto::decrypt_claim`).
//!
//! Checking `t` shares per request costs every node about 6.6 µs a share, so a block of 2000
//! public decryptions at `t = 43` cannot be checked in the block time on two cores. When a
//! block brings shares for at least `decryption_claim_min` open public decryptions of one key
//! set's epoch, no node decodes them. The block instead opens a *claim round* (round = its
//! height):
//!
//! 1. **Assign** ([`plan_round`]): every request with batches from at least `t` holders goes
//!    to a combiner, in contiguous slices, one per holder that sent a batch (rotated by height).
//!    FinalizeBlock and each combiner's ExtendVote compute the same plan from the same state and
//!    the same injected batches.
//! 2. **Claim**: each combiner combines its slice's shares (unchecked) and sends, in its next
//!    extension, the claimed points ([`crate::extension::Item::DecryptionClaim`]). The next
//!    block records the claims of the assigned combiners ([`Apply::apply_decryption_claims`]).
//! 3. **Answer**: each holder answers a round's claims with one decryption batch over the
//!    claims' bases ([`crate::extension::Item::ClaimAnswers`]).
//! 4. **Check** ([`Apply::check_decryption_claims`]): with `t` verified answers covering every
//!    claim of the round, all claims are checked in one multiscalar multiplication. A claim that
//!    holds completes its requests; a wrong one blames its combiner and returns its requests to
//!    the ordinary path.
//!
//! A request in a round does not time out; a round's claims that get no `t` answers by
//! `request_timeout + 1` blocks after being recorded lapse, and their requests go back to the
//! ordinary path without blame.

use super::decryption::{Group, RoutedBatch};
use super::Apply;
use crate::context::key_of;
use crate::extension::bitmap_requests;
use crate::state::{ClaimKey, ClaimStage, EngineState, Job, StoredClaim};
use crate::types::{BlameReason, Delivery, Outcome, ParticipantKey, RequestId};
use std::collections::{BTreeMap, BTreeSet};
use tss_crypto::decrypt_batch::{lagrange_for, verify_decryption_batches, BatchToVerify, DecryptionBatch, ShareBase};
use tss_crypto::decrypt_claim::{all_hold, Claim, ClaimToCheck, ClaimedPoint};
use tss_crypto::encrypt::{Ciphertext, EncryptionKey};
use tss_crypto::{Encode, Identifier, PublicKeySet};

/// A routed claim: combiner, the requests it names, their points.
pub(crate) struct RoutedClaim {
    pub(crate) combiner: ParticipantKey,
    pub(crate) requests: Vec<RequestId>,
    pub(crate) points: Vec<[u8; 32]>,
}

/// A routed answer: holder, the claimants it answers (bitmap over the key set's holders), the
/// batch's wire bytes.
pub(crate) struct RoutedAnswer {
    pub(crate) holder: ParticipantKey,
    pub(crate) claimants: Vec<u8>,
    pub(crate) batch: Vec<u8>,
}

/// Claims and answers of one block, by group and round.
pub(crate) type ClaimsByRound = BTreeMap<(Group, u64), Vec<RoutedClaim>>;
/// Answers of one block, by group and round.
pub(crate) type AnswersByRound = BTreeMap<(Group, u64), Vec<RoutedAnswer>>;

/// True for a request a claim round may take: an open public decryption of `group` whose
/// attempt is still running and which is in no round.
fn claimable(state: &EngineState, id: &RequestId, (keyset, generation, epoch): Group, height: u64) -> bool {
    state.requests.get(id).is_some_and(|r| {
        matches!(r.job, Job::Decrypt { delivery: Delivery::Public, .. })
            && r.claim.is_none()
            && r.keyset == keyset
            && r.attempt.as_ref().is_some_and(|a| a.generation == generation && a.epoch == epoch && height <= a.deadline)
    })
}

/// The batches of one group a claim round counts: from holders of the key set, one per holder
/// (the first, as routed), each naming only requests still pending as public decryptions; in
/// holder order.
pub(crate) fn round_batches<'a>(state: &EngineState, public: &PublicKeySet, batches: &'a [RoutedBatch]) -> Vec<(Identifier, &'a RoutedBatch)> {
    let holders: BTreeMap<ParticipantKey, Identifier> = public.ids().map(|id| (key_of(&id), id)).collect();
    let mut out: Vec<(Identifier, &RoutedBatch)> = batches
        .iter()
        .filter_map(|b| Some((*holders.get(&b.sender)?, b)))
        .filter(|(_, b)| b.requests.iter().all(|id| state.requests.get(id).is_some_and(|r| matches!(r.job, Job::Decrypt { delivery: Delivery::Public, .. }))))
        .collect();
    out.sort_by_key(|(id, _)| *id);
    out.dedup_by_key(|(id, _)| *id);
    out
}

/// The claim round a block opens for one group, if any: each assigned request with its
/// combiner, in request order. Pure, so that each combiner finds its slice as the chain does.
pub(crate) fn plan_round(state: &EngineState, group: Group, public: &PublicKeySet, batches: &[(Identifier, &RoutedBatch)], height: u64) -> Option<Vec<(RequestId, ParticipantKey)>> {
    let t = usize::from(public.threshold());
    // Per named request: whether a round may take it, and how many eligible senders name it.
    let mut senders: BTreeMap<RequestId, (bool, usize)> = BTreeMap::new();
    for (_, b) in batches {
        for id in &b.requests {
            let entry = senders.entry(*id).or_insert_with(|| (claimable(state, id, group, height), 0));
            if entry.0 && !state.requests.get(id).is_some_and(|r| r.excluded.contains(&b.sender)) {
                entry.1 += 1;
            }
        }
    }
    let open = senders.values().filter(|(ok, _)| *ok).count();
    if open < state.meta.params.decryption_claim_min || batches.is_empty() {
        return None;
    }
    let eligible: Vec<RequestId> = senders.into_iter().filter(|(_, (_, n))| *n >= t).map(|(id, _)| id).collect();
    let combiners: Vec<ParticipantKey> = batches.iter().map(|(_, b)| b.sender).collect();
    let per = eligible.len().div_ceil(combiners.len()).max(1);
    let rotation = usize::try_from(height % combiners.len() as u64).unwrap_or(0);
    Some(
        eligible
            .chunks(per)
            .enumerate()
            .filter_map(|(k, slice)| Some((slice, *combiners.get((k + rotation) % combiners.len())?)))
            .flat_map(|(slice, combiner)| slice.iter().map(move |id| (*id, combiner)))
            .collect(),
    )
}

/// The context a claim's weights are bound to.
pub(crate) fn claim_context(chain_id: &str, key: &ClaimKey) -> Vec<u8> {
    let mut c = Vec::with_capacity(chain_id.len() + 64);
    c.extend_from_slice(&(chain_id.len() as u32).to_be_bytes());
    c.extend_from_slice(chain_id.as_bytes());
    c.extend_from_slice(&key.0.to_be_bytes());
    c.extend_from_slice(&key.1.to_be_bytes());
    c.extend_from_slice(&key.2.to_be_bytes());
    c.extend_from_slice(&key.3.to_be_bytes());
    c.extend_from_slice(&key.4);
    c
}

/// A claim's checkable form: its bases, decoded points and the claim. `None` when a point does
/// not decode or a request's ciphertext is gone.
pub(crate) fn build_claim(state: &EngineState, key: &ClaimKey, requests: &[RequestId], points: &[[u8; 32]]) -> Option<BuiltClaim> {
    let mut ciphertexts = Vec::with_capacity(requests.len());
    let mut bases = Vec::with_capacity(requests.len());
    for id in requests {
        let Some(Job::Decrypt { ciphertext, .. }) = state.requests.get(id).map(|r| &r.job) else { return None };
        let ct = Ciphertext::from_bytes(ciphertext).ok()?;
        bases.push(ShareBase::checked_before(&ct)?);
        ciphertexts.push(ct);
    }
    let claimed: Vec<ClaimedPoint> = points.iter().map(|p| ClaimedPoint::decode(*p)).collect::<Option<_>>()?;
    let refs: Vec<&ShareBase> = bases.iter().collect();
    let claim = Claim::new(&claim_context(&state.meta.chain_id, key), &refs, &claimed).ok()?;
    Some(BuiltClaim { ciphertexts, claimed, claim })
}

/// A claim decoded for checking: its requests' ciphertexts, its points, the claim.
pub(crate) struct BuiltClaim {
    pub(crate) ciphertexts: Vec<Ciphertext>,
    pub(crate) claimed: Vec<ClaimedPoint>,
    pub(crate) claim: Claim,
}

/// Whether a routed claim is the one its combiner was assigned: every request it names assigned
/// to it in `round`, one point each.
pub(crate) fn claim_is_assigned(state: &EngineState, round: u64, c: &RoutedClaim) -> bool {
    !c.requests.is_empty()
        && c.requests.len() == c.points.len()
        && c.requests.iter().all(|id| state.requests.get(id).is_some_and(|r| r.claim == Some(ClaimStage::Assigned { round, combiner: c.combiner })))
}

impl Apply<'_> {
    /// Opens a claim round: marks each assigned request with its combiner.
    pub(super) fn assign_round(&mut self, assignments: Vec<(RequestId, ParticipantKey)>) {
        let round = self.height;
        for (id, combiner) in assignments {
            if let Some(r) = self.state.requests.get_mut(&id) {
                r.claim = Some(ClaimStage::Assigned { round, combiner });
            }
        }
    }

    /// Records the claims of assigned combiners (the first per combiner, group and round); a
    /// claim that names requests not assigned to it is dropped. Nothing is decoded here: a point
    /// that does not decode makes its claim wrong when the round is checked. Then ends the
    /// assignments no claim took up.
    pub(super) fn apply_decryption_claims(&mut self, claims: ClaimsByRound) {
        for (((keyset, generation, epoch), round), list) in claims {
            let mut seen = BTreeSet::new();
            for c in list {
                if !seen.insert(c.combiner) || !claim_is_assigned(self.state, round, &c) {
                    continue;
                }
                let key: ClaimKey = (keyset, generation, epoch, round, c.combiner);
                for id in &c.requests {
                    if let Some(r) = self.state.requests.get_mut(id) {
                        r.claim = Some(ClaimStage::Claimed { round, combiner: c.combiner });
                    }
                }
                self.state.claims.insert(key, StoredClaim { requests: c.requests, points: c.points, recorded: self.height });
            }
        }
        let height = self.height;
        let lapsed: Vec<RequestId> = self.state.requests.iter().filter(|(_, r)| matches!(r.claim, Some(ClaimStage::Assigned { round, .. }) if round < height)).map(|(id, _)| *id).collect();
        for id in lapsed {
            if let Some(r) = self.state.requests.get_mut(&id) {
                r.claim = None;
            }
        }
    }

    /// Checks each round's claims with the block's answers: the first `t` answers (holder order)
    /// that verify and answer every claim of the round decide all its claims at once. Claims
    /// that hold complete their requests; wrong ones blame their combiners. Rounds without `t`
    /// such answers wait, until `request_timeout` blocks after their claims were recorded.
    pub(super) fn check_decryption_claims(&mut self, mut answers: AnswersByRound) {
        let mut rounds: BTreeMap<(Group, u64), Vec<ClaimKey>> = BTreeMap::new();
        for key in self.state.claims.keys() {
            rounds.entry(((key.0, key.1, key.2), key.3)).or_default().push(*key);
        }
        for ((group, round), keys) in rounds {
            let decided = match answers.remove(&(group, round)) {
                Some(list) => self.check_round(group, &keys, list),
                None => false,
            };
            let timeout = self.state.meta.params.request_timeout;
            // Answers made from state (a second chance) land `2` blocks after the claims were
            // recorded, so a round waits past `recorded + request_timeout` for them.
            let stale = keys.iter().all(|k| self.state.claims.get(k).is_some_and(|c| self.height > c.recorded + timeout));
            if !decided && stale {
                for key in &keys {
                    self.end_claim(key);
                }
            }
        }
    }

    /// Removes a claim and returns its still-pending requests to the ordinary path.
    fn end_claim(&mut self, key: &ClaimKey) {
        let Some(claim) = self.state.claims.remove(key) else { return };
        for id in claim.requests {
            if let Some(r) = self.state.requests.get_mut(&id) {
                if matches!(r.claim, Some(ClaimStage::Claimed { round, combiner }) if round == key.3 && combiner == key.4) {
                    r.claim = None;
                }
            }
        }
    }

    /// One round's check. True if it was decided (every claim completed or refuted).
    fn check_round(&mut self, (keyset, generation, epoch): Group, keys: &[ClaimKey], answers: Vec<RoutedAnswer>) -> bool {
        let Some(public) = self.key_set(keyset, generation, epoch) else { return false };
        let t = usize::from(public.threshold());
        let ids: Vec<Identifier> = public.ids().collect();
        let position: BTreeMap<ParticipantKey, usize> = ids.iter().enumerate().map(|(k, id)| (key_of(id), k)).collect();
        // The round's claims in claimant order, as answers index them.
        let mut claims: Vec<(ClaimKey, usize)> = keys.iter().filter_map(|k| Some((*k, *position.get(&k.4)?))).collect();
        claims.sort_by_key(|(_, p)| *p);
        let built: Vec<Option<BuiltClaim>> = {
            use rayon::prelude::*;
            let state = &*self.state;
            claims.par_iter().map(|(k, _)| state.claims.get(k).and_then(|c| build_claim(state, k, &c.requests, &c.points))).collect()
        };
        // A claim that cannot be built has a point that does not decode (its combiner is to
        // blame) or a request that is gone; answers cover only the claims that can be.
        let mut checkable: Vec<((ClaimKey, usize), BuiltClaim)> = Vec::new();
        for (c, b) in claims.into_iter().zip(built) {
            match b {
                Some(b) => checkable.push((c, b)),
                None => {
                    let points_decode = self.state.claims.get(&c.0).is_some_and(|s| s.points.iter().all(|p| ClaimedPoint::decode(*p).is_some()));
                    if !points_decode {
                        self.blame(&c.0 .4, BlameReason::WrongDecryptionClaim);
                    }
                    self.end_claim(&c.0);
                }
            }
        }
        if checkable.is_empty() {
            return true;
        }
        let (claims, built): (Vec<(ClaimKey, usize)>, Vec<BuiltClaim>) = checkable.into_iter().unzip();
        let wanted: Vec<usize> = claims.iter().map(|(_, p)| *p).collect();
        let bases: Vec<ShareBase> = built.iter().map(|b| *b.claim.base()).collect();
        let indexes: Vec<usize> = (0..bases.len()).collect();
        // Answers that name exactly this round's claims, one per holder, in holder order.
        let mut usable: Vec<(Identifier, DecryptionBatch)> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut sorted = answers;
        sorted.sort_by_key(|a| position.get(&a.holder).copied());
        for a in sorted {
            let Some(&p) = position.get(&a.holder) else { continue };
            if !seen.insert(a.holder) || bitmap_requests(0, &a.claimants).iter().map(|k| usize::try_from(*k).unwrap_or(usize::MAX)).collect::<Vec<_>>() != wanted {
                continue;
            }
            let Some(id) = ids.get(p).copied() else { continue };
            match DecryptionBatch::from_bytes(id, &a.batch) {
                Ok(batch) if batch.points.len() == bases.len() => usable.push((id, batch)),
                _ => self.blame(&a.holder, BlameReason::InvalidDecryptionShare),
            }
        }
        // Verify t at a time; replace the invalid ones by the next.
        let mut chosen: Vec<(Identifier, DecryptionBatch)> = Vec::new();
        let mut rest = usable.into_iter();
        while chosen.len() < t {
            let mut fresh: Vec<(Identifier, DecryptionBatch)> = rest.by_ref().take(t - chosen.len()).collect();
            if fresh.is_empty() {
                return false;
            }
            let list: Vec<BatchToVerify<'_>> = fresh.iter().map(|(_, batch)| BatchToVerify { batch, indexes: &indexes }).collect();
            let bad: BTreeSet<Identifier> = verify_decryption_batches(&public, &bases, &list).into_iter().collect();
            for id in &bad {
                self.blame(&key_of(id), BlameReason::InvalidDecryptionShare);
            }
            fresh.retain(|(id, _)| !bad.contains(id));
            chosen.extend(fresh);
        }
        let holders: Vec<Identifier> = chosen.iter().map(|(id, _)| *id).collect();
        let Some(lambdas) = lagrange_for(&holders) else { return false };
        let shares: Vec<Vec<_>> = (0..built.len()).map(|k| chosen.iter().filter_map(|(_, b)| b.points.get(k).copied()).collect()).collect();
        let list: Vec<ClaimToCheck<'_>> = built.iter().zip(&shares).map(|(b, answers)| ClaimToCheck { claim: &b.claim, claimed: &b.claimed, answers }).collect();
        let verdicts = all_hold(&lambdas, &list);
        let key = EncryptionKey::new(&public, generation);
        for (((k, _), b), holds) in claims.iter().zip(built).zip(verdicts) {
            if holds {
                self.complete_claim(k, b, &key);
            } else {
                self.blame(&k.4, BlameReason::WrongDecryptionClaim);
                self.end_claim(k);
            }
        }
        true
    }

    /// Opens every request of a claim that held with its point (on all cores) and completes it.
    fn complete_claim(&mut self, key: &ClaimKey, built: BuiltClaim, enc: &EncryptionKey) {
        use rayon::prelude::*;
        let Some(claim) = self.state.claims.remove(key) else { return };
        let jobs: Vec<(RequestId, Ciphertext, ClaimedPoint)> = claim.requests.into_iter().zip(built.ciphertexts).zip(built.claimed).map(|((id, ct), q)| (id, ct, q)).collect();
        let keyset = key.0;
        let opened: Vec<(RequestId, Outcome)> = jobs
            .into_par_iter()
            .map(|(id, ct, q)| {
                let outcome = match q.open(&ct, enc) {
                    Ok(plaintext) => Outcome::Plaintext(plaintext.to_vec()),
                    Err(_) => Outcome::Failed { reason: format!("the ciphertext does not open under keyset {keyset}'s key: its body was not encrypted to it") },
                };
                (id, outcome)
            })
            .collect();
        for (id, outcome) in opened {
            self.complete(id, outcome);
        }
    }
}
