//! Signing and decryption requests: submission checks, attempts with a fixed signer set and
//! nonce commitments, shares as they arrive, completion, blame and retry.
//!
//! A request submitted in block `h` gets its first attempt in block `h` (signers and their
//! published nonce commitments fixed by committed state); signers put shares in the extensions
//! of `h+1`; block `h+2` carries them and the callback. Shares are due in exactly that block: a
//! signer whose share is missing or invalid then is blamed and excluded, and a new attempt
//! starts at once.

use super::Apply;
use crate::context::key_of;
use crate::state::{Attempt, Job, Owner, PendingRequest};
use crate::types::{BlameReason, Delivery, Outcome, ParticipantKey, Request, RequestInput, NETWORK_KEYSET};
use std::collections::{BTreeMap, BTreeSet};
use tss_crypto::decrypt::{combine_reencryption, verify_reencryption_shares, ReencryptionShare};
use tss_crypto::encrypt::{Ciphertext, EncryptionKey};
use crate::signing::{attempt_package, parse_share};
use tss_crypto::{Encode, KeyTweak, PublicKeySet, TransportPublic};

/// The derivation context actually used: on the network key every caller gets its own derived
/// key (`requester || context`); on a contract's own keyset the owner's context is used as is.
pub fn effective_context(keyset: u64, requester: &[u8], context: &Option<Vec<u8>>) -> Option<Vec<u8>> {
    if keyset == NETWORK_KEYSET {
        let mut c = Vec::with_capacity(2 + requester.len() + context.as_ref().map_or(0, Vec::len));
        c.extend_from_slice(&(requester.len() as u16).to_be_bytes());
        c.extend_from_slice(requester);
        c.extend_from_slice(context.as_deref().unwrap_or_default());
        Some(c)
    } else {
        context.clone()
    }
}

impl Apply<'_> {
    /// Accepts a request, gives it an id; invalid input ends at once in a failure callback.
    /// Checks the proof of every decryption request's ciphertext, on all cores, against the
    /// key its generation has before the block's requests run. [`Self::submit`] uses a result
    /// only if the request still meets that key.
    pub(super) fn check_ciphertexts(&self, requests: &[RequestInput]) -> Vec<Option<CheckedCiphertext>> {
        use rayon::prelude::*;
        let decoded: Vec<Option<(u64, Ciphertext)>> = requests
            .par_iter()
            .map(|input| match &input.request {
                Request::Decrypt { keyset, ciphertext, .. } => Some((*keyset, Ciphertext::from_bytes(ciphertext).ok()?)),
                _ => None,
            })
            .collect();
        // Each generation's key decoded once.
        type GenerationKey = Option<([u8; 32], EncryptionKey)>;
        let mut keys: BTreeMap<(u64, u32), GenerationKey> = BTreeMap::new();
        for (keyset, ct) in decoded.iter().flatten() {
            keys.entry((*keyset, ct.generation)).or_insert_with(|| {
                let group_key = self.state.keysets.get(keyset)?.generations.get(&ct.generation)?.group_key;
                Some((group_key, EncryptionKey::from_bytes(group_key, ct.generation)?))
            });
        }
        decoded
            .into_par_iter()
            .map(|d| {
                let (keyset, ct) = d?;
                let (group_key, key) = keys.get(&(keyset, ct.generation))?.as_ref()?;
                Some(CheckedCiphertext { group_key: *group_key, generation: ct.generation, verdict: ct.verify(key).map(|_| ()).map_err(|e| e.to_string()) })
            })
            .collect()
    }

    pub(super) fn submit(&mut self, input: &RequestInput, checked: Option<CheckedCiphertext>) -> u64 {
        let id = self.state.meta.next_request;
        self.state.meta.next_request += 1;
        // Every creation takes a keyset id, even one refused below, so a contract learns both
        // ids when it submits: `next_keyset` plus the creations before it in the block.
        let keyset = matches!(input.request, Request::CreateKeyset { .. }).then(|| {
            let k = self.state.meta.next_keyset;
            self.state.meta.next_keyset += 1;
            k
        });
        self.out.events.push(crate::types::Event::RequestAccepted { request: id });
        match self.check_and_queue(id, keyset, input, checked) {
            Ok(()) => {}
            Err(reason) => self.finish(id, input.requester.clone(), self.height, Outcome::Failed { reason }),
        }
        id
    }

    fn check_and_queue(&mut self, id: u64, keyset_id: Option<u64>, input: &RequestInput, checked: Option<CheckedCiphertext>) -> Result<(), String> {
        let params = &self.state.meta.params;
        let requester = &input.requester;
        if requester.is_empty() || requester.len() > crate::types::MAX_REQUESTER_LEN {
            return Err("invalid input: requester must be 1 to 128 bytes".into());
        }
        let (keyset_id, generation, job) = match &input.request {
            Request::CreateKeyset { threshold } => {
                let keyset = keyset_id.ok_or("invalid input: no keyset id")?;
                self.create_keyset(requester.clone(), id, keyset, *threshold).map_err(|e| format!("invalid input: {e}"))?;
                return Ok(());
            }
            Request::DeleteKeyset { keyset } => {
                let k = self.state.keysets.get(keyset).ok_or_else(|| format!("invalid input: no keyset {keyset}"))?;
                if k.owner != Owner::Requester(requester.clone()) {
                    return Err(format!("invalid input: keyset {keyset} is not the requester's"));
                }
                self.delete_keyset(*keyset);
                self.finish(id, requester.clone(), self.height, Outcome::KeysetDeleted { keyset: *keyset });
                return Ok(());
            }
            Request::Sign { keyset, message, context } => {
                if message.len() > params.max_message_len {
                    return Err(format!("invalid input: message longer than {} bytes", params.max_message_len));
                }
                if context.as_ref().is_some_and(|c| c.len() > params.max_context_len) {
                    return Err(format!("invalid input: derivation context longer than {} bytes", params.max_context_len));
                }
                let k = self.state.keysets.get(keyset).ok_or_else(|| format!("invalid input: no keyset {keyset}"))?;
                if let Owner::Requester(owner) = &k.owner {
                    if owner != requester {
                        return Err(format!("invalid input: keyset {keyset} belongs to another owner"));
                    }
                }
                if k.frozen {
                    return Err(format!("keyset {keyset} is frozen by governance: it signs nothing until unfrozen"));
                }
                let generation = k.current.ok_or_else(|| format!("keyset {keyset} has no key yet"))?;
                (*keyset, generation, Job::Sign { message: message.clone(), context: effective_context(*keyset, requester, context) })
            }
            Request::Decrypt { keyset, ciphertext, delivery } => {
                let k = self.state.keysets.get(keyset).ok_or_else(|| format!("invalid input: no keyset {keyset}"))?;
                if let Owner::Requester(owner) = &k.owner {
                    if owner != requester {
                        return Err(format!("invalid input: keyset {keyset} belongs to another owner"));
                    }
                }
                if k.frozen {
                    return Err(format!("keyset {keyset} is frozen by governance: it decrypts nothing until unfrozen"));
                }
                let ct = Ciphertext::from_bytes(ciphertext).map_err(|e| format!("invalid input: ciphertext does not decode: {e}"))?;
                if tss_crypto::encrypt::label_owner(&ct.label) != Some(requester.as_slice()) {
                    return Err("invalid input: the ciphertext's label does not name the requester as its owner (make it with owned_label)".into());
                }
                let generation = k.generations.get(&ct.generation).ok_or_else(|| format!("key generation {} of keyset {keyset} does not exist or was retired", ct.generation))?;
                match checked {
                    Some(c) if c.group_key == generation.group_key && c.generation == ct.generation => c.verdict,
                    _ => {
                        let key = EncryptionKey::from_bytes(generation.group_key, ct.generation).ok_or("stored group key is invalid")?;
                        ct.verify(&key).map(|_| ()).map_err(|e| e.to_string())
                    }
                }
                .map_err(|e| format!("invalid input: {e}"))?;
                if let Delivery::Reencrypt { transport } = delivery {
                    TransportPublic::from_bytes(*transport).ok_or("invalid input: transport key is not a valid X25519 key")?;
                }
                (*keyset, ct.generation, Job::Decrypt { ciphertext: ciphertext.clone(), delivery: delivery.clone() })
            }
        };
        self.state.requests.insert(
            id,
            PendingRequest {
                requester: requester.clone(),
                keyset: keyset_id,
                generation,
                job,
                submitted: self.height,
                attempt: None,
                attempts: 0,
                excluded: Default::default(),
                missed: Default::default(),
                claim: None,
            },
        );
        Ok(())
    }

    pub(super) fn apply_signature_shares(&mut self, shares: Vec<(ParticipantKey, u64, u32, [u8; 32])>) {
        for (sender, request, attempt, share) in shares {
            let Some(a) = self.state.requests.get_mut(&request).and_then(|r| r.attempt.as_mut()) else { continue };
            if a.number == attempt && a.signers.contains_key(&sender) && !a.shares.contains_key(&sender) && self.height <= a.deadline {
                a.shares.insert(sender, share.to_vec());
            }
        }
    }

    /// Re-encryption shares, kept unverified until `t` are in ([`Self::try_decrypt`]). Public
    /// decryption shares come only in batches (`super::decryption`): the shares an attempt keeps
    /// for a public decryption are verified points, so nothing else may be put there.
    pub(super) fn apply_reencryption_shares(&mut self, shares: Vec<(ParticipantKey, u64, u32, Vec<u8>)>) {
        for (sender, request, attempt, share) in shares {
            let Some(r) = self.state.requests.get_mut(&request) else { continue };
            if r.excluded.contains(&sender) || !matches!(r.job, Job::Decrypt { delivery: Delivery::Reencrypt { .. }, .. }) {
                continue;
            }
            let Some(a) = r.attempt.as_mut() else { continue };
            if a.number == attempt && !a.shares.contains_key(&sender) && self.height <= a.deadline {
                a.shares.insert(sender, share);
            }
        }
    }

    /// The fast path: the proposer aggregated; one signature check replaces aggregation.
    ///
    /// Untrusted (the proposer chose them): only the first aggregate per open signing attempt
    /// is looked at, and each costs one signature verification under the (derived) group key —
    /// never a tweak of the whole key set. ProcessProposal refuses an envelope that carries
    /// anything else ([`crate::proposal::check_aggregates`]).
    ///
    /// The checks run on all cores; the requests complete in the order the proposer listed them.
    pub(super) fn apply_aggregates(&mut self, aggregates: &[(u64, u32, [u8; 64])]) {
        use rayon::prelude::*;
        let mut seen = BTreeSet::new();
        let mut candidates = Vec::new();
        for (request, attempt, signature) in aggregates {
            if !seen.insert(*request) {
                continue;
            }
            let Some(r) = self.state.requests.get(request) else { continue };
            let (Some(a), Job::Sign { message, context }) = (&r.attempt, &r.job) else { continue };
            if a.number != *attempt {
                continue;
            }
            let Some(group_key) = self.state.keysets.get(&r.keyset).and_then(|k| k.generations.get(&a.generation)).map(|g| g.group_key) else { continue };
            candidates.push((*request, group_key, message, context, signature));
        }
        let verified: Vec<(u64, [u8; 32], [u8; 64])> = candidates
            .into_par_iter()
            .filter_map(|(request, group_key, message, context, signature)| {
                let public_key = signing_group_key(&group_key, context)?;
                verify_signature(&public_key, message, signature).then_some((request, public_key, *signature))
            })
            .collect();
        for (request, public_key, signature) in verified {
            self.complete(request, Outcome::Signature { signature: signature.to_vec(), public_key });
        }
    }

    /// Governance's freeze or unfreeze: a frozen keyset's open requests fail now and new ones
    /// are refused at submission; its key lifecycle goes on.
    pub(super) fn freeze(&mut self, keyset: u64, frozen: bool) {
        let Some(k) = self.state.keysets.get_mut(&keyset) else {
            tracing::warn!(keyset, "freeze order for a keyset that does not exist");
            return;
        };
        if k.frozen == frozen {
            return;
        }
        k.frozen = frozen;
        if frozen {
            let open: Vec<u64> = self.state.requests.iter().filter(|(_, r)| r.keyset == keyset).map(|(id, _)| *id).collect();
            for id in open {
                self.complete(id, Outcome::Failed { reason: format!("keyset {keyset} was frozen by governance") });
            }
        }
        self.out.events.push(crate::types::Event::KeysetFrozen { keyset, frozen });
    }

    /// Governance's new parameters, in force from this block; refused (with an event) if they
    /// do not validate, so a bad order can never stop the engine.
    pub(super) fn change_params(&mut self, params: &crate::Params) {
        match params.validate() {
            Ok(()) => {
                self.state.meta.params = params.clone();
                self.out.events.push(crate::types::Event::ParamsChanged { ok: true, reason: String::new() });
            }
            Err(reason) => self.out.events.push(crate::types::Event::ParamsChanged { ok: false, reason }),
        }
    }

    /// Removes a keyset: its requests fail, its running sessions fail, its state goes.
    fn delete_keyset(&mut self, keyset: u64) {
        let requests: Vec<u64> = self.state.requests.iter().filter(|(_, r)| r.keyset == keyset).map(|(id, _)| *id).collect();
        for id in requests {
            self.complete(id, Outcome::Failed { reason: format!("keyset {keyset} was deleted by its owner") });
        }
        let h = self.height;
        let running: Vec<u64> = self
            .state
            .sessions
            .iter()
            .filter(|(_, s)| s.keyset == keyset && matches!(s.status, crate::state::SessionStatus::Collecting | crate::state::SessionStatus::Delivering { .. }))
            .map(|(n, _)| *n)
            .collect();
        for n in running {
            if let Some(s) = self.state.sessions.get_mut(&n) {
                s.status = crate::state::SessionStatus::Failed { at: h };
            }
        }
        if let Some(k) = self.state.keysets.remove(&keyset) {
            if let (Some(request), Owner::Requester(owner)) = (k.created_by, k.owner) {
                self.finish(request, owner, h, Outcome::Failed { reason: format!("keyset {keyset} was deleted before its key generation completed") });
            }
        }
        tracing::info!(keyset, "keyset deleted");
    }

    pub(super) fn complete(&mut self, request: u64, outcome: Outcome) {
        if let Some(r) = self.state.requests.remove(&request) {
            self.finish(request, r.requester, r.submitted, outcome);
        }
    }

    /// Completes requests whose shares are in, and ends attempts that are due.
    pub(super) fn progress_requests(&mut self) {
        let ids: Vec<u64> = self.state.requests.keys().copied().collect();
        for id in ids {
            let Some(r) = self.state.requests.get(&id) else { continue };
            let Some(a) = r.attempt.clone() else { continue };
            let result = match &r.job {
                Job::Sign { message, context } => {
                    if a.shares.len() < a.signers.len() && self.height < a.deadline {
                        continue;
                    }
                    let (message, context) = (message.clone(), context.clone());
                    self.try_aggregate(id, &a, &message, &context)
                }
                // In a claim round: decided by its claim (`super::claims`), never timed out.
                Job::Decrypt { .. } if r.claim.is_some() => continue,
                Job::Decrypt { ciphertext, delivery } => {
                    let (ciphertext, delivery) = (ciphertext.clone(), delivery.clone());
                    match self.try_decrypt(id, &a, &ciphertext, &delivery) {
                        Some(outcome) => Ok(outcome),
                        None if self.height >= a.deadline => Err(Vec::new()),
                        None => continue,
                    }
                }
            };
            match result {
                Ok(outcome) => self.complete(id, outcome),
                Err(culprits) => {
                    let missing: Vec<ParticipantKey> = a.signers.keys().filter(|s| !a.shares.contains_key(*s)).copied().collect();
                    for m in &missing {
                        self.blame(m, BlameReason::MissingSignatureShare);
                    }
                    if let Some(r) = self.state.requests.get_mut(&id) {
                        r.missed.extend(missing);
                        r.excluded.extend(culprits);
                        r.attempt = None;
                    }
                }
            }
        }
    }

    /// Aggregates a complete share set; on failure returns the culprits (already blamed).
    fn try_aggregate(&mut self, id: u64, a: &Attempt, message: &[u8], context: &Option<Vec<u8>>) -> Result<Outcome, Vec<ParticipantKey>> {
        if a.shares.len() < a.signers.len() {
            return Err(Vec::new());
        }
        let r_keyset = self.state.requests.get(&id).map(|r| r.keyset).unwrap_or_default();
        let Some(public) = self.key_set(r_keyset, a.generation, a.epoch) else { return Err(Vec::new()) };
        let tweak = derivation_tweak(&public, context);
        let package = match attempt_package(&self.state.decoded_commitments, message, &a.signers, &public, tweak.as_ref()) {
            Ok(package) => package,
            Err(bad) => {
                for b in &bad {
                    self.blame(b, BlameReason::InvalidNonceCommitment);
                }
                return Err(bad);
            }
        };
        let mut shares = Vec::new();
        let mut bad = Vec::new();
        for (signer, z) in &a.shares {
            match parse_share(signer, z) {
                Some(s) => shares.push(s),
                None => bad.push(*signer),
            }
        }
        if !bad.is_empty() {
            for b in &bad {
                self.blame(b, BlameReason::InvalidSignatureShare);
            }
            return Err(bad);
        }
        match package.aggregate(&shares, &public) {
            Ok(signature) => match signing_group_key(&public.group_key(), context) {
                Some(public_key) => Ok(Outcome::Signature { signature: signature.to_vec(), public_key }),
                None => Err(Vec::new()),
            },
            Err(e) => {
                let culprits: Vec<ParticipantKey> = e.culprits().iter().map(key_of).collect();
                for c in &culprits {
                    self.blame(c, BlameReason::InvalidSignatureShare);
                }
                Err(culprits)
            }
        }
    }

    /// Combines re-encryption shares once `t` valid ones are in; blames and drops invalid ones.
    fn try_decrypt(&mut self, id: u64, a: &Attempt, ciphertext: &[u8], delivery: &Delivery) -> Option<Outcome> {
        let keyset = self.state.requests.get(&id)?.keyset;
        let public = self.key_set(keyset, a.generation, a.epoch)?;
        if a.shares.len() < usize::from(public.threshold()) {
            return None;
        }
        let ct = Ciphertext::from_bytes(ciphertext).ok()?;
        let key = EncryptionKey::new(&public, a.generation);
        let outcome = match delivery {
            // Completed as their batches arrive (`super::decryption`).
            Delivery::Public => return None,
            Delivery::Reencrypt { transport } => {
                let transport = TransportPublic::from_bytes(*transport)?;
                let (shares, bad) = decode_shares::<ReencryptionShare>(&a.shares, |s| s.holder);
                self.drop_bad_shares(id, &bad);
                let (shares, culprits) = verify_reencryption_shares(&ct, &key, &public, &transport, &shares).ok()?;
                let culprits: Vec<ParticipantKey> = culprits.iter().map(key_of).collect();
                self.drop_bad_shares(id, &culprits);
                if shares.len() < usize::from(public.threshold()) {
                    return None;
                }
                match combine_reencryption(&ct, &key, &public, &transport, &shares) {
                    Ok(rk) => Outcome::Reencrypted { u: rk.u.to_bytes(), v: rk.v.to_bytes() },
                    Err(e) => {
                        let culprits: Vec<ParticipantKey> = e.culprits().iter().map(key_of).collect();
                        self.drop_bad_shares(id, &culprits);
                        return None;
                    }
                }
            }
        };
        Some(outcome)
    }

    fn drop_bad_shares(&mut self, id: u64, bad: &[ParticipantKey]) {
        for b in bad {
            self.blame(b, BlameReason::InvalidDecryptionShare);
        }
        if let Some(r) = self.state.requests.get_mut(&id) {
            r.excluded.extend(bad.iter().copied());
            if let Some(a) = r.attempt.as_mut() {
                for b in bad {
                    a.shares.remove(b);
                }
            }
        }
    }

    /// Starts attempts for requests that have none: fixes the epoch and, for signing, `t`
    /// signers (most recently seen first) with their next published nonce commitments.
    pub(super) fn schedule_requests(&mut self) {
        let h = self.height;
        let params = self.state.meta.params.clone();
        let give_up_after = params.request_timeout.saturating_mul(u64::from(params.max_attempts) + 1);
        let ids: Vec<u64> = self.state.requests.iter().filter(|(_, r)| r.attempt.is_none()).map(|(id, _)| *id).collect();
        for id in ids {
            let Some(r) = self.state.requests.get(&id).cloned() else { continue };
            let Some(generation) = self.state.keysets.get(&r.keyset).and_then(|k| k.generations.get(&r.generation)) else {
                self.complete(id, Outcome::Failed { reason: format!("key generation {} of keyset {} was retired", r.generation, r.keyset) });
                continue;
            };
            let Some((epoch, _)) = generation.epoch_at(h) else { continue };
            let Some(public) = self.key_set(r.keyset, r.generation, epoch) else { continue };
            // Each failed attempt excludes (invalid share) or deprioritises (missing share) at
            // least one signer, and f = floor((n-1)/3) byzantine signers can spoil one attempt
            // each: allow `max_attempts` beyond those f.
            let faulty = u32::try_from(tss_crypto::max_faulty(public.len())).unwrap_or(u32::MAX);
            let allowed = params.max_attempts.saturating_add(faulty);
            if r.attempts >= allowed {
                self.complete(id, Outcome::Failed { reason: format!("no valid result after {} attempts", r.attempts) });
                continue;
            }
            let t = usize::from(public.threshold());
            let signers = match r.job {
                Job::Sign { .. } => {
                    let mut candidates: Vec<(u64, ParticipantKey)> = public
                        .ids()
                        .map(|i| key_of(&i))
                        .filter(|k| !r.excluded.contains(k) && self.state.nonces.get(k).is_some_and(|p| !p.is_empty()))
                        .map(|k| (self.state.meta.last_seen.get(&k).copied().unwrap_or(0), k))
                        .collect();
                    // Signers that missed an earlier attempt last, then the most recently seen;
                    // ties broken by a per-request hash so that load spreads over the committee.
                    // (One hash per candidate, not one per comparison.)
                    candidates.sort_by_cached_key(|(seen, k)| (r.missed.contains(k), std::cmp::Reverse(*seen), rank(id, r.attempts, k)));
                    if candidates.len() < t {
                        if h >= r.submitted + give_up_after {
                            self.complete(id, Outcome::Failed { reason: format!("not enough signers with published nonces: {} of {t}", candidates.len()) });
                        }
                        continue;
                    }
                    let mut chosen = BTreeMap::new();
                    for (_, k) in candidates.into_iter().take(t) {
                        if let Some(c) = self.state.nonces.get_mut(&k).and_then(|pool| pool.pop_front()) {
                            chosen.insert(k, c);
                        }
                    }
                    chosen
                }
                Job::Decrypt { .. } => BTreeMap::new(),
            };
            if let Some(r) = self.state.requests.get_mut(&id) {
                r.attempts += 1;
                r.attempt = Some(Attempt { number: r.attempts, generation: r.generation, epoch, started: h, signers, deadline: h + params.request_timeout, shares: BTreeMap::new() });
            }
        }
    }
}

/// A decryption request's ciphertext proof, checked ahead of the block's submissions.
pub(super) struct CheckedCiphertext {
    group_key: [u8; 32],
    generation: u32,
    verdict: Result<(), String>,
}

/// A deterministic per-request ordering of candidates.
fn rank(request: u64, attempt: u32, key: &ParticipantKey) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"tss/engine/signer-rank/v1");
    h.update(request.to_be_bytes());
    h.update(attempt.to_be_bytes());
    h.update(key);
    h.finalize().into()
}

fn decode_shares<T: Encode>(raw: &BTreeMap<ParticipantKey, Vec<u8>>, holder: impl Fn(&T) -> tss_crypto::Identifier) -> (Vec<T>, Vec<ParticipantKey>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (sender, bytes) in raw {
        match T::from_bytes(bytes) {
            Ok(s) if key_of(&holder(&s)) == *sender => good.push(s),
            _ => bad.push(*sender),
        }
    }
    (good, bad)
}

/// The public key a signing request will be answered under: what a client computes in advance
/// (for example to know its address on another chain) from the keyset's group key.
pub fn derived_public_key(group_key: &[u8; 32], keyset: u64, requester: &[u8], context: &Option<Vec<u8>>) -> Option<[u8; 32]> {
    tss_crypto::group::decode_prime_order(*group_key)?;
    signing_group_key(group_key, &effective_context(keyset, requester, context))
}

/// The key a signing request uses: the keyset's, or the derived one.
/// The tweak of a signing request's derived key, if it has a derivation context.
pub(crate) fn derivation_tweak(public: &PublicKeySet, context: &Option<Vec<u8>>) -> Option<KeyTweak> {
    context.as_ref().map(|c| KeyTweak::derive(&public.group_key(), c))
}

/// The group key a signing request's signature verifies under: the keyset's, or `Y + tweak*G`
/// for a derivation context. One scalar multiplication, whatever the committee size.
pub(crate) fn signing_group_key(group_key: &[u8; 32], context: &Option<Vec<u8>>) -> Option<[u8; 32]> {
    match context {
        None => Some(*group_key),
        Some(c) => {
            let point = tss_crypto::group::decode_prime_order(*group_key)?;
            let tweak = KeyTweak::derive(group_key, c);
            Some((point.point() + tss_crypto::group::mul_base(&tweak.scalar())).compress().to_bytes())
        }
    }
}

/// Ed25519 (RFC 8032, as FROST(Ed25519) produces it) over `message`, checked strictly:
/// cofactorless, `R` canonical and `s < l`, neither `R` nor the key of small order. This is the
/// set of signatures every Ed25519 verifier accepts, so a hostile proposer cannot get a
/// signature delivered that some verifier would refuse. ed25519-dalek's `verify_strict`; about a
/// sixth of the cost of frost's decoders, which check both points' order with a scalar
/// multiplication each.
pub(crate) fn verify_signature(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(public_key) else { return false };
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature)).is_ok()
}
