//! Applying a finalized block: `(state, block inputs) -> (state, events, callbacks, validator
//! updates)`. Pure and deterministic: no clock, no randomness, ordered collections only. Nothing
//! in the inputs — extensions, proposer aggregates, requests — can make it panic or fail;
//! every bad contribution becomes a blame event.

pub(crate) mod claims;
pub(crate) mod decryption;
mod lifecycle;
mod repair;
mod requests;
mod sessions;
mod transport;

pub(crate) use requests::derivation_tweak;
pub use requests::{derived_public_key, effective_context};

use crate::context::{identifier, key_of};
use crate::extension::{check_form, Item};
use crate::state::EngineState;
use crate::types::{BlameReason, Callback, Event, Membership, ParticipantKey, RequestId, RequestInput, ValidatorUpdate};
use std::collections::{BTreeMap, BTreeSet};
use tss_crypto::keys::PublicKeySet;

/// Everything a finalized block brings to the engine.
#[derive(Clone, Debug, Default)]
pub struct BlockInput {
    /// The block height.
    pub height: u64,
    /// Vote extensions of the previous height, by validator address, as injected in this block.
    /// The caller has already checked each one's consensus-key signature.
    pub extensions: Vec<(Vec<u8>, Vec<u8>)>,
    /// Signatures the proposer aggregated: (request, attempt, signature). Untrusted: each is
    /// verified, and a bad one is ignored (the shares in the extensions are used instead).
    pub aggregates: Vec<(RequestId, u32, [u8; 64])>,
    /// Requests from this block's successful transactions, in order.
    pub requests: Vec<RequestInput>,
    /// Validator-set changes decided in this block.
    pub membership: Vec<Membership>,
    /// Governance ordered a rotation of the network key.
    pub rotate_network_key: bool,
    /// Governance changed the engine's parameters (already validated; checked again here).
    pub params: Option<crate::Params>,
    /// Governance froze (`true`) or unfroze (`false`) keysets.
    pub freeze: Vec<(crate::types::KeysetId, bool)>,
}

/// What the block produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockOutput {
    /// Events, in order.
    pub events: Vec<Event>,
    /// Callbacks to deliver, in order.
    pub callbacks: Vec<Callback>,
    /// Validator-set changes for consensus (only after a completed handover).
    pub validator_updates: Vec<ValidatorUpdate>,
    /// The id given to each input request, in input order.
    pub request_ids: Vec<RequestId>,
}

/// Items of one kind for each session, with their senders.
pub(crate) type BySession<T> = BTreeMap<u64, Vec<(ParticipantKey, T)>>;

/// Contributions of one block, routed by target.
#[derive(Default)]
struct Routed {
    dealings: BTreeMap<u64, Vec<(ParticipantKey, Vec<u8>)>>,
    complaints: BTreeMap<u64, Vec<(ParticipantKey, Vec<u8>)>>,
    acks: BySession<Vec<[u8; 32]>>,
    repair_requests: Vec<repair::RepairRequest>,
    transport_keys: Vec<(ParticipantKey, [u8; 32], [u8; tss_crypto::transport::POSSESSION_PROOF_LEN])>,
    repair_shares: BySession<([u8; 32], [u8; tss_crypto::transport::SEALED_SCALAR_LEN])>,
    nonces: Vec<(ParticipantKey, Vec<[u8; 64]>)>,
    withdrawn_nonces: Vec<ParticipantKey>,
    signature_shares: Vec<(ParticipantKey, u64, u32, [u8; 32])>,
    reencryption_shares: Vec<(ParticipantKey, u64, u32, Vec<u8>)>,
    decryption_batches: BTreeMap<(u64, u32, u64), Vec<decryption::RoutedBatch>>,
    claims: claims::ClaimsByRound,
    claim_answers: claims::AnswersByRound,
}

/// Per-block working memory: outputs and decoded key sets.
pub(crate) struct Apply<'a> {
    pub(crate) state: &'a mut EngineState,
    pub(crate) height: u64,
    pub(crate) out: BlockOutput,
    key_sets: BTreeMap<(u64, u32, u64), Option<PublicKeySet>>,
}

impl Apply<'_> {
    /// Blames a validator (by participant key) and records it.
    pub(crate) fn blame(&mut self, key: &ParticipantKey, reason: BlameReason) {
        let address = self.state.validator(key).map(|v| v.address.clone()).unwrap_or_else(|| key.to_vec());
        tracing::debug!(height = self.height, reason = ?reason, "blame");
        *self.state.blame.entry_or_default(address.clone()).entry(reason).or_insert(0) += 1;
        self.out.events.push(Event::Blame { validator: address, reason });
    }

    /// A decoded public key set, cached for the block.
    pub(crate) fn key_set(&mut self, keyset: u64, generation: u32, epoch: u64) -> Option<PublicKeySet> {
        let state = &*self.state;
        self.key_sets.entry((keyset, generation, epoch)).or_insert_with(|| state.public_key_set(keyset, generation, epoch).ok()).clone()
    }
}

impl EngineState {
    /// Applies one finalized block.
    pub fn apply(&mut self, input: &BlockInput) -> BlockOutput {
        let span = tracing::debug_span!("apply_block", height = input.height);
        let _guard = span.enter();
        let mut a = Apply { height: input.height, state: self, out: BlockOutput::default(), key_sets: BTreeMap::new() };
        a.state.meta.height = input.height;
        let mut routed = a.route_extensions(&input.extensions);
        a.apply_transport_keys(std::mem::take(&mut routed.transport_keys));
        a.apply_dealings(routed.dealings);
        a.apply_complaints(routed.complaints);
        a.apply_acks(routed.acks);
        a.apply_repair_shares(routed.repair_shares);
        for signer in &routed.withdrawn_nonces {
            if let Some(pool) = a.state.nonces.get_mut(signer) {
                pool.clear();
            }
        }
        a.apply_nonces(routed.nonces);
        a.apply_signature_shares(routed.signature_shares);
        a.apply_reencryption_shares(routed.reencryption_shares);
        a.apply_decryption_batches(routed.decryption_batches);
        a.apply_decryption_claims(routed.claims);
        a.check_decryption_claims(routed.claim_answers);
        a.apply_aggregates(&input.aggregates);
        a.progress_sessions();
        a.progress_repairs();
        a.progress_requests();
        a.prune_decoded_commitments();
        if let Some(p) = &input.params {
            a.change_params(p);
        }
        for (keyset, frozen) in &input.freeze {
            a.freeze(*keyset, *frozen);
        }
        let checked = a.check_ciphertexts(&input.requests);
        for (r, checked) in input.requests.iter().zip(checked) {
            let id = a.submit(r, checked);
            a.out.request_ids.push(id);
        }
        a.state.meta.pending_membership.extend(input.membership.iter().cloned());
        if input.rotate_network_key {
            a.state.meta.rotation_pending = true;
            a.out.events.push(Event::RotationScheduled { reason: "governance".into() });
        }
        a.apply_repair_requests(routed.repair_requests);
        a.schedule();
        a.schedule_requests();
        a.prune();
        a.out
    }
}

impl Apply<'_> {
    /// Decodes each validator's extension and sorts its items by target. A malformed or
    /// over-budget extension is dropped whole and its author blamed.
    fn route_extensions(&mut self, extensions: &[(Vec<u8>, Vec<u8>)]) -> Routed {
        let mut routed = Routed::default();
        let mut seen: BTreeSet<ParticipantKey> = BTreeSet::new();
        let budget = self.state.meta.params.extension_budget;
        let validators: BTreeSet<ParticipantKey> = self.state.meta.validators.iter().filter_map(|v| identifier(&v.address)).map(|id| key_of(&id)).collect();
        for (address, bytes) in extensions {
            let Some(sender) = identifier(address).map(|id| key_of(&id)) else { continue };
            if !validators.contains(&sender) || !seen.insert(sender) {
                continue;
            }
            self.state.meta.last_seen.insert(sender, self.height);
            let ext = match check_form(bytes, self.height.saturating_sub(1), budget) {
                Ok(ext) => ext,
                Err(e) => {
                    tracing::debug!(error = %e, "malformed extension");
                    self.blame(&sender, BlameReason::MalformedExtension);
                    continue;
                }
            };
            for item in ext.items {
                match item {
                    Item::Dealing { session, dealing } => routed.dealings.entry(session).or_default().push((sender, dealing)),
                    Item::Complaint { session, complaint } => routed.complaints.entry(session).or_default().push((sender, complaint)),
                    Item::Acks { session, digests } => routed.acks.entry(session).or_default().push((sender, digests)),
                    Item::RepairRequest { keyset, generation, epoch } => routed.repair_requests.push((sender, keyset, generation, epoch)),
                    Item::RepairShare { session, ephemeral, sealed } => routed.repair_shares.entry(session).or_default().push((sender, (ephemeral, sealed))),
                    Item::TransportKey { public, proof } => routed.transport_keys.push((sender, public, proof)),
                    Item::WithdrawNonces => routed.withdrawn_nonces.push(sender),
                    Item::Nonces { commitments } => routed.nonces.push((sender, commitments)),
                    Item::SignatureShare { request, attempt, share } => routed.signature_shares.push((sender, request, attempt, share)),
                    Item::ReencryptionShare { request, attempt, share } => routed.reencryption_shares.push((sender, request, attempt, share)),
                    Item::DecryptionBatch { keyset, generation, epoch, first_request, present, batch } => {
                        if decryption::route(&mut routed.decryption_batches, sender, (keyset, generation, epoch), first_request, &present, batch).is_err() {
                            self.blame(&sender, BlameReason::InvalidDecryptionShare);
                        }
                    }
                    Item::DecryptionClaim { keyset, generation, epoch, round, first_request, present, points } => {
                        let requests = crate::extension::bitmap_requests(first_request, &present);
                        if requests.len() != points.len() {
                            self.blame(&sender, BlameReason::WrongDecryptionClaim);
                            continue;
                        }
                        routed.claims.entry(((keyset, generation, epoch), round)).or_default().push(claims::RoutedClaim { combiner: sender, requests, points });
                    }
                    Item::ClaimAnswers { keyset, generation, epoch, round, claimants, batch } => {
                        routed.claim_answers.entry(((keyset, generation, epoch), round)).or_default().push(claims::RoutedAnswer { holder: sender, claimants, batch });
                    }
                }
            }
        }
        routed
    }

    /// Appends published nonce commitments to each signer's pool, up to the target size. Every
    /// commitment is validated here, at publication, so that a malformed one can never be
    /// drawn into a signer set and stall the honest signers beside it: a batch with any
    /// malformed commitment is refused whole and its author blamed.
    ///
    /// The checks (one decompression per point, about 42,000 points per block at 64 validators
    /// and 500 signatures) run on all cores; each batch's verdict depends on its bytes alone.
    /// Pools keep the published bytes; what they decoded to is kept in
    /// [`crate::commitment_cache::CommitmentCache`] for the signers, the proposer and
    /// [`crate::signing::attempt_package`].
    fn apply_nonces(&mut self, nonces: Vec<(ParticipantKey, Vec<[u8; 64]>)>) {
        use rayon::prelude::*;
        use tss_crypto::sign::NonceCommitment;
        let target = self.state.meta.params.nonce_pool_target;
        let decoded: Vec<Option<Result<Vec<NonceCommitment>, tss_crypto::DecodeError>>> = nonces
            .par_iter()
            .map(|(sender, commitments)| {
                let signer = crate::context::id_of(sender)?;
                Some(commitments.par_iter().map(|c| NonceCommitment::from_published(signer, c)).collect())
            })
            .collect();
        for ((sender, commitments), decoded) in nonces.into_iter().zip(decoded) {
            let Some(decoded) = decoded else { continue };
            let Ok(decoded) = decoded else {
                self.blame(&sender, BlameReason::InvalidNonceCommitment);
                continue;
            };
            let pool = self.state.nonces.entry_or_default(sender);
            let mut known: BTreeSet<[u8; 64]> = pool.iter().copied().collect();
            for (c, d) in commitments.into_iter().zip(&decoded) {
                if pool.len() >= target {
                    break;
                }
                if known.insert(c) {
                    pool.push_back(c);
                    self.state.decoded_commitments.insert(c, d);
                }
            }
        }
    }

    /// Forgets decoded commitments that are neither in a pool nor in an open attempt.
    fn prune_decoded_commitments(&mut self) {
        let state = &mut *self.state;
        let (nonces, requests) = (&state.nonces, &state.requests);
        let attempts = || requests.values().filter_map(|r| r.attempt.as_ref());
        let count = nonces.values().map(|pool| pool.len()).sum::<usize>() + attempts().map(|a| a.signers.len()).sum::<usize>();
        state.decoded_commitments.prune(count, || nonces.values().flat_map(|pool| pool.iter()).chain(attempts().flat_map(|a| a.signers.values())));
    }
}
