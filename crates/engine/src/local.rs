//! The validator's own side: its secrets (transport key, shares, unspent nonces) and the
//! function that makes its next vote extension.
//!
//! # Security
//! [`LocalSecrets`] holds key shares and nonces. The node MUST persist it (encrypted, fsync'd)
//! after [`LocalSecrets::make_extension`] returns and *before* the extension leaves the node:
//! that is what guarantees a nonce is never used twice and a dealt share is never lost, even
//! across a crash. `Debug` prints no secret.

use crate::context::{id_of, identifier, key_of};
use crate::extension::{check_form, Item, VoteExtension, EMPTY_EXTENSION_LEN};
use crate::state::{EngineState, Job, SessionKind, SessionStatus};
use crate::types::{Delivery, KeysetId, ParticipantKey, RequestId, SessionNumber};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tss_crypto::complaint::complain;
use tss_crypto::dealing::{deal, open_shares, Dealing};
use tss_crypto::decrypt::reencryption_share;
use tss_crypto::encrypt::{Ciphertext, EncryptionKey};
use tss_crypto::finalize::finalize_share;
use tss_crypto::sign::{generate_nonces, SecretNonce};
use tss_crypto::{Encode, Identifier, KeyShare, TransportPublic, TransportSecret};
use zeroize::Zeroizing;

mod claims;

/// (keyset, generation, epoch).
pub type EpochRef = (KeysetId, u32, u64);

/// One validator's secrets and its memory of what it already contributed.
pub struct LocalSecrets {
    address: Vec<u8>,
    id: Identifier,
    /// The transport key the chain has for this validator (or will, once `next` is recorded).
    transport: TransportSecret,
    /// A new transport key announced and not yet recorded by the chain.
    next_transport: Option<TransportSecret>,
    /// Earlier transport keys that sessions still in state were started with; erased once none
    /// is left (forward security: `apply::transport`).
    retired_transports: Vec<TransportSecret>,
    shares: BTreeMap<EpochRef, KeyShare>,
    /// Unspent nonces by their raw commitment, with the height they were made at.
    nonces: BTreeMap<[u8; 64], (SecretNonce, u64)>,
    /// This validator's dealing per session, sent again until the chain has it.
    dealt: BTreeMap<SessionNumber, Vec<u8>>,
    /// Dealings already checked, by (session, dealing digest).
    checked: BTreeSet<(SessionNumber, [u8; 32])>,
    /// Complaints made, by (session, accused dealer): sent again in every extension (every
    /// round of a height, every later height) until judged or the session ends.
    complaints: BTreeMap<(SessionNumber, ParticipantKey), Vec<u8>>,
    /// Dealings whose shares checked out, by (session, dealer): the digest is acknowledged in
    /// every extension until the chain records it or the session ends.
    acked: BTreeMap<(SessionNumber, ParticipantKey), [u8; 32]>,
    /// Signature and decryption shares made, by (request, attempt): sent again until the chain
    /// has them, never made twice (a nonce is spent once, on one signing package).
    contributed: BTreeMap<(RequestId, u32), Vec<u8>>,
    missing: BTreeSet<EpochRef>,
    /// Shares restored without chain state, not yet checked against their key sets.
    unverified: BTreeSet<EpochRef>,
}

impl std::fmt::Debug for LocalSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSecrets")
            .field("address", &self.address)
            .field("shares", &self.shares.keys().collect::<Vec<_>>())
            .field("unspent_nonces", &self.nonces.len())
            .finish_non_exhaustive()
    }
}

/// Why local secrets could not be restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// The bytes are not a local store this build wrote.
    #[error("local secret store does not decode: {0}")]
    Corrupt(String),
    /// The address hashes to no identifier.
    #[error("validator address is not usable as an identifier")]
    BadAddress,
}

#[derive(Serialize, Deserialize)]
struct Persisted {
    address: Vec<u8>,
    transport: Vec<u8>,
    next_transport: Option<Vec<u8>>,
    retired_transports: Vec<Vec<u8>>,
    shares: Vec<(EpochRef, Vec<u8>)>,
    nonces: Vec<(Vec<u8>, Vec<u8>, u64)>,
    dealt: Vec<(SessionNumber, Vec<u8>)>,
    checked: Vec<(SessionNumber, [u8; 32])>,
    complaints: Vec<(SessionNumber, ParticipantKey, Vec<u8>)>,
    acked: Vec<(SessionNumber, ParticipantKey, [u8; 32])>,
    contributed: Vec<(RequestId, u32, Vec<u8>)>,
    missing: Vec<EpochRef>,
}

impl Drop for Persisted {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.transport.zeroize();
        self.next_transport.zeroize();
        self.retired_transports.zeroize();
        for (_, s) in &mut self.shares {
            s.zeroize();
        }
        for (_, n, _) in &mut self.nonces {
            n.zeroize();
        }
    }
}

impl LocalSecrets {
    /// Fresh secrets for a validator: a new transport (communication) key.
    pub fn generate<R: RngCore + CryptoRng>(address: &[u8], rng: &mut R) -> Result<Self, LocalError> {
        Self::from_transport(address, TransportSecret::generate(rng))
    }

    /// Secrets around an existing transport key (a key file the operator already has).
    pub fn from_transport(address: &[u8], transport: TransportSecret) -> Result<Self, LocalError> {
        let id = identifier(address).ok_or(LocalError::BadAddress)?;
        Ok(Self {
            address: address.to_vec(),
            id,
            transport,
            next_transport: None,
            retired_transports: Vec::new(),
            shares: BTreeMap::new(),
            nonces: BTreeMap::new(),
            dealt: BTreeMap::new(),
            checked: BTreeSet::new(),
            complaints: BTreeMap::new(),
            acked: BTreeMap::new(),
            contributed: BTreeMap::new(),
            missing: BTreeSet::new(),
            unverified: BTreeSet::new(),
        })
    }

    /// The X25519 communication key to register on chain.
    pub fn transport_public(&self) -> [u8; 32] {
        self.transport.public().to_bytes()
    }

    /// The transport key to register with `create-validator`, with a proof of possession bound
    /// to the chain and this validator (the secret never leaves this store).
    pub fn transport_registration<R: RngCore + CryptoRng>(&self, chain_id: &str, rng: &mut R) -> ([u8; 32], [u8; tss_crypto::transport::POSSESSION_PROOF_LEN]) {
        (self.transport_public(), self.transport.prove_possession(chain_id, &self.id, rng))
    }

    /// This validator's address.
    pub fn address(&self) -> &[u8] {
        &self.address
    }

    /// The epochs this validator holds a share of.
    pub fn held_epochs(&self) -> Vec<EpochRef> {
        self.shares.keys().copied().collect()
    }

    /// A held share (for tests and tools that must prove possession).
    pub fn share(&self, epoch: &EpochRef) -> Option<&KeyShare> {
        self.shares.get(epoch)
    }

    /// Number of unspent nonces.
    pub fn unspent_nonces(&self) -> usize {
        self.nonces.len()
    }

    /// Whether a nonce with this raw commitment is still unspent here.
    pub fn has_nonce(&self, commitment: &[u8; 64]) -> bool {
        self.nonces.contains_key(commitment)
    }

    /// Serializes everything for the encrypted local store.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let p = Persisted {
            address: self.address.clone(),
            transport: self.transport.to_bytes().to_vec(),
            next_transport: self.next_transport.as_ref().map(|t| t.to_bytes().to_vec()),
            retired_transports: self.retired_transports.iter().map(|t| t.to_bytes().to_vec()).collect(),
            shares: self.shares.iter().map(|(k, s)| (*k, s.to_secret_bytes().to_vec())).collect(),
            nonces: self
                .nonces
                .iter()
                .filter_map(|(c, (n, h))| n.to_secret_bytes().ok().map(|b| (c.to_vec(), b.to_vec(), *h)))
                .collect(),
            dealt: self.dealt.iter().map(|(k, v)| (*k, v.clone())).collect(),
            checked: self.checked.iter().copied().collect(),
            complaints: self.complaints.iter().map(|((n, d), c)| (*n, *d, c.clone())).collect(),
            acked: self.acked.iter().map(|((n, d), g)| (*n, *d, *g)).collect(),
            contributed: self.contributed.iter().map(|((r, a), s)| (*r, *a, s.clone())).collect(),
            missing: self.missing.iter().copied().collect(),
        };
        Zeroizing::new(postcard::to_allocvec(&p).unwrap_or_default())
    }

    /// Restores from [`to_bytes`](Self::to_bytes). With `state`, every share is checked against
    /// its public key set and shares of epochs the chain no longer holds are dropped; without
    /// it, shares are kept as read (checked at the next [`sync`](Self::sync) with state). Every
    /// nonce must match the commitment it is filed under, and no byte may trail the store.
    pub fn from_bytes(bytes: &[u8], state: Option<&EngineState>) -> Result<Self, LocalError> {
        let (p, rest): (Persisted, &[u8]) = postcard::take_from_bytes(bytes).map_err(|e| LocalError::Corrupt(e.to_string()))?;
        if !rest.is_empty() {
            return Err(LocalError::Corrupt(format!("{} trailing bytes", rest.len())));
        }
        let id = identifier(&p.address).ok_or(LocalError::BadAddress)?;
        let key = |bytes: &[u8]| -> Result<TransportSecret, LocalError> {
            let b: [u8; 32] = bytes.try_into().map_err(|_| LocalError::Corrupt("transport key length".into()))?;
            Ok(TransportSecret::from_bytes(b))
        };
        let transport = key(&p.transport)?;
        let next_transport = p.next_transport.as_deref().map(key).transpose()?;
        let retired_transports = p.retired_transports.iter().map(|b| key(b)).collect::<Result<Vec<_>, _>>()?;
        let mut shares = BTreeMap::new();
        let mut unverified = BTreeSet::new();
        for ((k, g, e), bytes) in &p.shares {
            let secret: [u8; 32] = bytes.as_slice().try_into().map_err(|_| LocalError::Corrupt("share length".into()))?;
            let share = match state.map(|s| s.public_key_set(*k, *g, *e)) {
                Some(Ok(public)) => KeyShare::from_secret_bytes(id, &secret, &public).map_err(|e| LocalError::Corrupt(format!("share for keyset {k}: {e}")))?,
                // The epoch is gone from state: the share is useless and is erased now.
                Some(Err(_)) => continue,
                None => {
                    unverified.insert((*k, *g, *e));
                    KeyShare::from_secret_bytes_unverified(id, &secret).map_err(|e| LocalError::Corrupt(format!("share for keyset {k}: {e}")))?
                }
            };
            shares.insert((*k, *g, *e), share);
        }
        let mut nonces = BTreeMap::new();
        for (c, n, h) in &p.nonces {
            let c = crate::serde64::array64(c).ok_or_else(|| LocalError::Corrupt("nonce commitment length".into()))?;
            let nonce = SecretNonce::from_secret_bytes(n).map_err(|e| LocalError::Corrupt(e.to_string()))?;
            if nonce.published() != c {
                return Err(LocalError::Corrupt("a nonce does not match the commitment it is filed under".into()));
            }
            nonces.insert(c, (nonce, *h));
        }
        Ok(Self {
            address: p.address.clone(),
            id,
            transport,
            next_transport,
            retired_transports,
            shares,
            nonces,
            dealt: p.dealt.iter().cloned().collect(),
            checked: p.checked.iter().copied().collect(),
            complaints: p.complaints.iter().map(|(n, d, c)| ((*n, *d), c.clone())).collect(),
            acked: p.acked.iter().map(|(n, d, g)| ((*n, *d), *g)).collect(),
            contributed: p.contributed.iter().map(|(r, a, s)| ((*r, *a), s.clone())).collect(),
            missing: p.missing.iter().copied().collect(),
            unverified,
        })
    }
}

/// Builds an extension within the byte budget.
struct Builder {
    items: Vec<Item>,
    size: usize,
    budget: usize,
}

impl Builder {
    fn fits(&self, len: usize) -> bool {
        self.size + len <= self.budget
    }

    fn push(&mut self, item: Item) -> bool {
        let len = item.encoded_len();
        if !self.fits(len) {
            return false;
        }
        self.size += len;
        self.items.push(item);
        true
    }
}

/// One signature share to put in an extension: made before, or to make now.
enum Planned<'a> {
    Again { request: RequestId, attempt: u32, share: [u8; 32] },
    New { request: RequestId, attempt: u32, message: &'a [u8], signers: &'a BTreeMap<ParticipantKey, [u8; 64]>, signing: Box<(SecretNonce, KeyShare, tss_crypto::PublicKeySet, Option<tss_crypto::KeyTweak>)> },
}

impl LocalSecrets {
    fn me(&self) -> ParticipantKey {
        key_of(&self.id)
    }

    /// The transport secret for one of this validator's public transport keys, if it still
    /// holds it.
    fn transport_for(&self, public: &[u8; 32]) -> Option<&TransportSecret> {
        std::iter::once(&self.transport).chain(&self.next_transport).chain(&self.retired_transports).find(|t| t.public().to_bytes() == *public)
    }

    /// The transport secret a session sealed this validator's shares to.
    fn session_transport(&self, s: &crate::state::Session) -> Option<&TransportSecret> {
        s.recipients.iter().find(|v| v.address == self.address).and_then(|v| self.transport_for(&v.transport))
    }

    /// The transport key the chain has for this validator now.
    fn registered_transport(&self, state: &EngineState) -> Option<[u8; 32]> {
        state.meta.validators.iter().chain(state.meta.handover_to.iter().flatten()).find(|v| v.address == self.address).map(|v| v.transport)
    }

    /// Whether any transport key in this store opens this validator's shares in session
    /// `number`: what a thief of the store could read (incident response, tests).
    pub fn opens_session<R: RngCore + CryptoRng>(&self, state: &EngineState, number: SessionNumber, rng: &mut R) -> bool {
        let Some(s) = state.sessions.get(&number) else { return false };
        let Some(mine) = s.recipients.iter().find(|v| v.address == self.address) else { return false };
        let (Ok(ctx), Some(secret)) = (state.session_context(number, s), self.transport_for(&mine.transport)) else { return false };
        let dealings: Vec<Dealing> = s.dealings.values().filter_map(|(_, b)| Dealing::from_bytes(b).ok()).collect();
        let refs: Vec<&Dealing> = dealings.iter().collect();
        !refs.is_empty() && open_shares(&ctx, &refs, &self.id, secret, rng).is_ok_and(|(subs, _)| !subs.is_empty())
    }

    /// Follows the chain's record of this validator's transport key: an announced key the
    /// chain recorded becomes current; old keys no session in state was started with are erased.
    fn sync_transport(&mut self, state: &EngineState) {
        let registered = self.registered_transport(state);
        if let (Some(r), Some(next)) = (registered, &self.next_transport) {
            if next.public().to_bytes() == r {
                if let Some(next) = self.next_transport.take() {
                    let old = std::mem::replace(&mut self.transport, next);
                    self.retired_transports.push(old);
                    tracing::info!("new transport key in use");
                }
            }
        }
        let mut needed: BTreeSet<[u8; 32]> = BTreeSet::new();
        for s in state.sessions.values() {
            if matches!(s.status, SessionStatus::Failed { .. }) {
                continue;
            }
            if let Some(v) = s.recipients.iter().find(|v| v.address == self.address) {
                needed.insert(v.transport);
            }
            if let SessionKind::Repair { target, .. } = &s.kind {
                if target.address == self.address {
                    needed.insert(target.transport);
                }
            }
        }
        let before = self.retired_transports.len();
        self.retired_transports.retain(|t| needed.contains(&t.public().to_bytes()));
        if self.retired_transports.len() < before {
            tracing::info!(erased = before - self.retired_transports.len(), "old transport keys erased");
        }
    }

    /// Announces a transport key when the chain should get one: a new key in the last blocks
    /// before each epoch boundary (so the refresh there seals to it) or at once when the chain's
    /// key for this validator is not in this store; the announced key again until recorded.
    fn add_transport_key<R: RngCore + CryptoRng>(&mut self, state: &EngineState, height: u64, b: &mut Builder, rng: &mut R) {
        let Some(registered) = self.registered_transport(state) else { return };
        let length = state.meta.params.epoch_length;
        let lead = (length / 2).min(4);
        let last = state.meta.transport_rotated.get(&self.me()).copied().unwrap_or(0);
        let due = length >= 2 && height % length >= length - lead && height > last + length / 2;
        let lost = self.transport_for(&registered).is_none();
        let key = if let Some(next) = &self.next_transport {
            next
        } else if lost || due {
            // Lost: the chain has a key this store does not hold (a new store after a lost
            // disk, or an old backup whose keys were rotated away and may have been copied).
            // Either way a fresh key, never one a backup holds.
            tracing::info!(lost, "rotating this validator's transport key");
            &*self.next_transport.insert(TransportSecret::generate(rng))
        } else {
            return;
        };
        let proof = key.prove_possession(&state.meta.chain_id, &self.id, rng);
        b.push(Item::TransportKey { public: key.public().to_bytes(), proof });
    }

    /// Catches up with committed state: computes this validator's share of every finalized
    /// session it received shares in, erases shares of epochs and generations the chain no
    /// longer holds, and forgets bookkeeping of finished sessions and requests.
    pub fn sync<R: RngCore + CryptoRng>(&mut self, state: &EngineState, rng: &mut R) {
        let me = self.me();
        self.sync_transport(state);
        for (number, s) in &state.sessions {
            let SessionStatus::Finalized { qualified, epoch, .. } = &s.status else { continue };
            let slot = (s.keyset, s.generation, *epoch);
            if self.shares.contains_key(&slot) || self.missing.contains(&slot) || !s.recipients.iter().any(|v| v.address == self.address) {
                continue;
            }
            match self.compute_share(state, *number, s, qualified, *epoch, rng) {
                Ok(share) => {
                    tracing::info!(keyset = s.keyset, generation = s.generation, epoch, "new key share stored");
                    self.shares.insert(slot, share);
                }
                Err(e) => {
                    tracing::warn!(keyset = s.keyset, epoch, error = %e, "could not compute this validator's share; it needs a repair");
                    self.missing.insert(slot);
                }
            }
        }
        self.recover_repaired(state);
        // Shares restored without state are checked now; one that does not match is dropped.
        for slot in std::mem::take(&mut self.unverified) {
            let (k, g, e) = slot;
            if let (Some(share), Ok(public)) = (self.shares.get(&slot), state.public_key_set(k, g, e)) {
                if share.check(&public).is_err() {
                    tracing::warn!(keyset = k, epoch = e, "a stored share does not match the chain's key set; dropped");
                    self.shares.remove(&slot);
                }
            }
        }
        let exists = |(k, g, e): &EpochRef| state.keysets.get(k).and_then(|ks| ks.generations.get(g)).is_some_and(|gen| gen.epochs.contains_key(e));
        let before = self.shares.len();
        let superseded = self.superseded(state);
        self.shares.retain(|slot, _| exists(slot) && !superseded.contains(slot));
        if self.shares.len() < before {
            tracing::info!(erased = before - self.shares.len(), "old key shares erased");
        }
        self.missing.retain(|slot| exists(slot));
        self.dealt.retain(|n, _| state.sessions.get(n).is_some_and(|s| s.status == SessionStatus::Collecting));
        self.checked.retain(|(n, _)| state.sessions.contains_key(n));
        self.complaints.retain(|(n, _), _| state.sessions.get(n).is_some_and(|s| s.status == SessionStatus::Collecting));
        self.acked.retain(|(n, _), _| state.sessions.get(n).is_some_and(|s| s.status == SessionStatus::Collecting));
        self.contributed.retain(|(r, _), _| state.requests.contains_key(r));
        // Nonces neither in the chain's pool nor assigned to an attempt, a few blocks old, were
        // never published (the extension was dropped) or their attempt ended: drop them.
        let pool: BTreeSet<[u8; 64]> = state.nonces.get(&me).map(|p| p.iter().copied().collect()).unwrap_or_default();
        let assigned: BTreeSet<[u8; 64]> = state.requests.values().filter_map(|r| r.attempt.as_ref()).filter_map(|a| a.signers.get(&me).copied()).collect();
        let h = state.meta.height;
        self.nonces.retain(|c, (_, made)| pool.contains(c) || assigned.contains(c) || *made + 3 > h);
    }

    /// Shares a newer active epoch replaces: no request attempt uses them, and this validator
    /// either holds a share of the newer epoch or is not in its committee.
    fn superseded(&self, state: &EngineState) -> BTreeSet<EpochRef> {
        let h = state.meta.height;
        let mut in_use: BTreeSet<EpochRef> = state.requests.values().filter_map(|r| r.attempt.as_ref().map(|a| (r.keyset, a.generation, a.epoch))).collect();
        // A repair still in progress needs its helpers' shares of the repaired epoch.
        in_use.extend(state.sessions.values().filter_map(|s| match (&s.kind, &s.status) {
            (SessionKind::Repair { from, .. }, SessionStatus::Collecting | SessionStatus::Delivering { .. }) => Some((s.keyset, s.generation, *from)),
            _ => None,
        }));
        let mut out = BTreeSet::new();
        for slot @ (k, g, e) in self.shares.keys() {
            let Some(generation) = state.keysets.get(k).and_then(|ks| ks.generations.get(g)) else { continue };
            let Some((active, _)) = generation.epoch_at(h + 1) else { continue };
            if active <= *e || in_use.contains(slot) {
                continue;
            }
            let holds_newer = self.shares.keys().any(|(k2, g2, e2)| k2 == k && g2 == g && *e2 >= active);
            let member_of_newer = state.public_key_set(*k, *g, active).is_ok_and(|p| p.verifying_share(&self.id).is_some());
            if holds_newer || !member_of_newer {
                out.insert(*slot);
            }
        }
        out
    }

    fn compute_share<R: RngCore + CryptoRng>(
        &self,
        state: &EngineState,
        number: u64,
        s: &crate::state::Session,
        qualified: &[ParticipantKey],
        epoch: u64,
        rng: &mut R,
    ) -> Result<KeyShare, String> {
        let ctx = state.session_context(number, s)?;
        let public = state.public_key_set(s.keyset, s.generation, epoch)?;
        let dealings: Vec<Dealing> = qualified.iter().filter_map(|q| s.dealings.get(q)).filter_map(|(_, b)| Dealing::from_bytes(b).ok()).collect();
        let refs: Vec<&Dealing> = dealings.iter().collect();
        let transport = self.session_transport(s).ok_or("this validator no longer holds the transport key the session sealed its shares to")?;
        let (subs, _bad) = open_shares(&ctx, &refs, &self.id, transport, rng).map_err(|e| e.to_string())?;
        let previous = match s.kind {
            SessionKind::Refresh { from } => self.shares.get(&(s.keyset, s.generation, from)),
            _ => None,
        };
        let q: Vec<Identifier> = qualified.iter().filter_map(id_of).collect();
        finalize_share(&ctx, &public, self.id, &subs, &q, previous).map_err(|e| e.to_string())
    }

    /// Makes this validator's vote extension for `height`.
    ///
    /// CometBFT calls `ExtendVote` in every round in which this validator precommits, and only
    /// the deciding round's extension reaches the chain. So every item is made once and sent
    /// again in every later extension until the chain has it: the same dealing, the same
    /// complaint, the same signature share (its nonce was spent on exactly one signing package),
    /// the same re-encryption share. A public decryption batch is made again each time: the
    /// same shares (they are deterministic) with a new proof, whose hedged nonce is fresh for the
    /// same statement, as for any randomized Schnorr proof. Nothing secret is ever spent twice on
    /// different data.
    ///
    /// `pending` is the vote extensions injected in the block being voted on (CometBFT passes
    /// that block's transactions to `ExtendVote`): dealings in it are checked at once so a
    /// complaint lands in the very next block. Signature and decryption shares are only made for
    /// attempts in committed state (never for requests of the pending block).
    ///
    /// Mutates `self` (spent nonces, dealings made, new nonces): persist `self` before the bytes
    /// leave the node.
    pub fn make_extension<R: RngCore + CryptoRng>(&mut self, state: &EngineState, pending: &[(Vec<u8>, Vec<u8>)], height: u64, rng: &mut R) -> Vec<u8> {
        let span = tracing::debug_span!("extend_vote", height);
        let _guard = span.enter();
        if !state.meta.validators.iter().any(|v| v.address == self.address) {
            return Vec::new();
        }
        self.sync(state, rng);
        let params = &state.meta.params;
        let mut b = Builder { items: Vec::new(), size: EMPTY_EXTENSION_LEN, budget: params.extension_budget };
        // Key custody first: what keeps the key alive (its communication key, the verdicts and
        // dealings of DKG, refresh and reshare sessions, repairs) is added before the requests
        // it serves, so a backlog of signature or decryption shares can delay requests but
        // never a session. Shares left out are made again at the next height.
        self.add_transport_key(state, height, &mut b, rng);
        let pending_dealings = pending_dealings(state, pending, height);
        self.add_verdicts(state, &pending_dealings, &mut b, rng);
        self.add_dealings(state, &pending_dealings, height, &mut b, rng);
        self.add_repair_items(state, &mut b, rng);
        self.add_signature_shares(state, height, &mut b);
        self.add_claim_answers(state, pending, height, &mut b, rng);
        self.add_decryption_claims(state, pending, height, &mut b);
        self.add_decryption_shares(state, height, &mut b, rng);
        self.add_nonces(state, height, &mut b, rng);
        VoteExtension { height, items: b.items }.to_bytes()
    }

    /// Signs for every open attempt this validator is a signer of, in request order, as many as
    /// fit. Nonces leave the store first, one at a time; the signing itself (a group
    /// commitment over every signer's commitments, most of the cost) runs on all cores.
    fn add_signature_shares(&mut self, state: &EngineState, height: u64, b: &mut Builder) {
        use rayon::prelude::*;
        let me = self.me();
        let item_len = Item::SignatureShare { request: 0, attempt: 0, share: [0; 32] }.encoded_len();
        let mut room = b.budget.saturating_sub(b.size) / item_len;
        // Key sets decoded once per extension.
        let mut key_sets: BTreeMap<EpochRef, Option<tss_crypto::PublicKeySet>> = BTreeMap::new();
        let mut planned = Vec::new();
        for (id, r) in &state.requests {
            let (Some(a), Job::Sign { message, context }) = (&r.attempt, &r.job) else { continue };
            let Some(my_commitment) = a.signers.get(&me) else { continue };
            if a.shares.contains_key(&me) || height + 1 > a.deadline {
                continue;
            }
            if room == 0 {
                break;
            }
            if let Some(made) = self.contributed.get(&(*id, a.number)) {
                // Made in an earlier round or height and not yet on chain: the same share again.
                if let Ok(share) = <[u8; 32]>::try_from(made.as_slice()) {
                    planned.push(Planned::Again { request: *id, attempt: a.number, share });
                    room -= 1;
                }
                continue;
            }
            let slot = (r.keyset, a.generation, a.epoch);
            let Some(share) = self.shares.get(&slot) else { continue };
            let Some(public) = key_sets.entry(slot).or_insert_with(|| state.public_key_set(slot.0, slot.1, slot.2).ok()).clone() else { continue };
            // The nonce leaves the store now; the caller persists that before sending.
            let Some((nonce, _)) = self.nonces.remove(my_commitment) else { continue };
            // Recorded even if signing fails: the nonce is gone either way.
            self.contributed.insert((*id, a.number), Vec::new());
            let tweak = context.as_ref().map(|c| tss_crypto::KeyTweak::derive(&public.group_key(), c));
            planned.push(Planned::New { request: *id, attempt: a.number, message, signers: &a.signers, signing: Box::new((nonce, share.clone(), public, tweak)) });
            room -= 1;
        }
        let made: Vec<Option<(RequestId, u32, [u8; 32])>> = planned
            .into_par_iter()
            .map(|p| match p {
                Planned::Again { request, attempt, share } => Some((request, attempt, share)),
                Planned::New { request, attempt, message, signers, signing } => {
                    let (nonce, share, public, tweak) = *signing;
                    let signed = crate::signing::attempt_package(&state.decoded_commitments, message, signers, &public, tweak.as_ref())
                        .map_err(|_| tss_crypto::Error::Frost("a signer's published commitment does not decode".into()))
                        .and_then(|package| package.sign(nonce, &share));
                    match signed {
                        Ok(s) => Some((request, attempt, s.share.serialize().try_into().unwrap_or([0; 32]))),
                        Err(e) => {
                            tracing::warn!(request, error = %e, "could not sign");
                            None
                        }
                    }
                }
            })
            .collect();
        for (request, attempt, share) in made.into_iter().flatten() {
            self.contributed.insert((request, attempt), share.to_vec());
            b.push(Item::SignatureShare { request, attempt, share });
        }
    }

    /// Public decryption shares go out as one batch per key set (one proof for all of them);
    /// re-encryption shares one by one, each with its own proof.
    fn add_decryption_shares<R: RngCore + CryptoRng>(&mut self, state: &EngineState, height: u64, b: &mut Builder, rng: &mut R) {
        self.add_reencryption_shares(state, b, rng);
        self.add_decryption_batches(state, height, b, rng);
    }

    /// For every key set of which it holds a share, this validator's shares of the public
    /// decryption attempts it has not contributed to yet, in request order, as many as fit.
    ///
    /// An attempt started at height `s` gets shares in the extensions of `s + 1`, `s + 3`, ...:
    /// a batch made at `h` is applied at `h + 1`, and the block at `h` applies only batches
    /// for attempts of the other parity, so no request a batch names can complete before the
    /// batch arrives (a batch naming a request that is gone cannot be checked and is dropped).
    /// The chain verified each ciphertext's proof at submission. Batches leave room for one
    /// batch of nonce commitments (or half the room left, if less), so that a decryption
    /// backlog never crowds out nonces (key custody items are added before them). When not every share fits, each holder starts at
    /// its own place in the list (its position among the key set's holders), so that the
    /// holders together still cover every request about evenly; the rest go out at the next
    /// due height. Requests in a claim round get no shares.
    fn add_decryption_batches<R: RngCore + CryptoRng>(&mut self, state: &EngineState, height: u64, b: &mut Builder, rng: &mut R) {
        use tss_crypto::decrypt_batch::{decryption_batch, ShareBase, EMPTY_BATCH_LEN};
        let me = self.me();
        let mut groups: BTreeMap<EpochRef, Vec<(RequestId, &[u8])>> = BTreeMap::new();
        for (id, r) in &state.requests {
            let (Some(a), Job::Decrypt { ciphertext, delivery: Delivery::Public }) = (&r.attempt, &r.job) else { continue };
            let due = height > a.started && (height - a.started) % 2 == 1 && height < a.deadline;
            if !due || r.claim.is_some() || a.shares.contains_key(&me) || r.excluded.contains(&me) || !self.shares.contains_key(&(r.keyset, a.generation, a.epoch)) {
                continue;
            }
            groups.entry((r.keyset, a.generation, a.epoch)).or_default().push((*id, ciphertext));
        }
        let nonce_room = Item::Nonces { commitments: vec![[0; crate::extension::NONCE_COMMITMENT_LEN]; state.meta.params.nonce_batch] }.encoded_len();
        let limit = b.budget.saturating_sub(nonce_room.min(b.budget.saturating_sub(b.size) / 2));
        for (group, requests) in groups {
            let (Some(share), Ok(public)) = (self.shares.get(&group), state.public_key_set(group.0, group.1, group.2)) else { continue };
            let holders = public.ids().count().max(1);
            let position = public.ids().position(|id| id == self.id).unwrap_or(0);
            let start = requests.len() * position / holders;
            let header = Item::DecryptionBatch { keyset: 0, generation: 0, epoch: 0, first_request: 0, present: Vec::new(), batch: Vec::new() }.encoded_len() + EMPTY_BATCH_LEN;
            let mut chosen: Vec<(RequestId, ShareBase)> = Vec::new();
            let (mut low, mut high) = (u64::MAX, 0u64);
            for (id, ct) in requests.iter().skip(start).chain(requests.iter().take(start)) {
                let Some(base) = Ciphertext::from_bytes(ct).ok().as_ref().and_then(ShareBase::checked_before) else { continue };
                let span = high.max(*id) - low.min(*id);
                let bitmap = usize::try_from(span / 8 + 1).unwrap_or(usize::MAX);
                let len = header + 32 * (chosen.len() + 1) + bitmap;
                if bitmap > crate::extension::MAX_BITMAP || b.size + len > limit {
                    break;
                }
                low = low.min(*id);
                high = high.max(*id);
                chosen.push((*id, base));
            }
            chosen.sort_by_key(|(id, _)| *id);
            let ids: Vec<RequestId> = chosen.iter().map(|(id, _)| *id).collect();
            let bases: Vec<&ShareBase> = chosen.iter().map(|(_, base)| base).collect();
            let (Some((first_request, present)), Ok(batch)) = (crate::extension::request_bitmap(&ids), decryption_batch(&bases, share, &public, rng)) else { continue };
            let (keyset, generation, epoch) = group;
            b.push(Item::DecryptionBatch { keyset, generation, epoch, first_request, present, batch: batch.to_bytes() });
        }
    }

    fn add_reencryption_shares<R: RngCore + CryptoRng>(&mut self, state: &EngineState, b: &mut Builder, rng: &mut R) {
        let me = self.me();
        for (id, r) in &state.requests {
            let (Some(a), Job::Decrypt { ciphertext, delivery: Delivery::Reencrypt { transport } }) = (&r.attempt, &r.job) else { continue };
            if a.shares.contains_key(&me) || r.excluded.contains(&me) {
                continue;
            }
            if let Some(made) = self.contributed.get(&(*id, a.number)) {
                b.push(Item::ReencryptionShare { request: *id, attempt: a.number, share: made.clone() });
                continue;
            }
            let Some(share) = self.shares.get(&(r.keyset, a.generation, a.epoch)) else { continue };
            let (Ok(public), Ok(ct), Some(transport)) = (state.public_key_set(r.keyset, a.generation, a.epoch), Ciphertext::from_bytes(ciphertext), TransportPublic::from_bytes(*transport)) else { continue };
            let key = EncryptionKey::new(&public, a.generation);
            match reencryption_share(&ct, &key, share, &public, &transport, rng) {
                Ok(made) => {
                    let share = made.to_bytes();
                    self.contributed.insert((*id, a.number), share.clone());
                    b.push(Item::ReencryptionShare { request: *id, attempt: a.number, share });
                }
                Err(e) => tracing::warn!(request = id, error = %e, "refused to make a re-encryption share"),
            }
        }
    }

    /// Checks this validator's shares in every dealing it has not checked yet (those in
    /// committed state and those in the block being voted on), then complains about each bad
    /// one and acknowledges the good ones. Complaints and acknowledgements the chain has not
    /// recorded yet go out again.
    fn add_verdicts<R: RngCore + CryptoRng>(&mut self, state: &EngineState, pending: &[(SessionNumber, Dealing)], b: &mut Builder, rng: &mut R) {
        let me = self.me();
        for ((number, dealer), complaint) in &self.complaints {
            if state.sessions.get(number).is_some_and(|s| s.status == SessionStatus::Collecting && !s.judged.contains(&(me, *dealer))) {
                b.push(Item::Complaint { session: *number, complaint: complaint.clone() });
            }
        }
        let mut candidates: Vec<(SessionNumber, Dealing)> = Vec::new();
        for (number, s) in &state.sessions {
            if s.status != SessionStatus::Collecting || !s.recipients.iter().any(|v| v.address == self.address) {
                continue;
            }
            let done = s.acks.get(&me);
            for (dealer, (_, bytes)) in &s.dealings {
                // Already acknowledged or judged on chain: nothing to decode or check again.
                let settled = done.is_some_and(|a| a.contains(dealer)) || s.judged.contains(&(me, *dealer));
                if *dealer != me && !s.disqualified.contains(dealer) && !settled {
                    if let Ok(d) = Dealing::from_bytes(bytes) {
                        candidates.push((*number, d));
                    }
                }
            }
        }
        candidates.extend(pending.iter().cloned());
        // Group by session and check every new dealing's share in one multiscalar
        // multiplication per session (`open_shares`).
        let mut by_session: BTreeMap<SessionNumber, Vec<Dealing>> = BTreeMap::new();
        for (number, d) in candidates {
            if key_of(&d.dealer) != me && self.checked.insert((number, d.digest())) {
                by_session.entry(number).or_default().push(d);
            }
        }
        for (number, dealings) in by_session {
            let Some(s) = state.sessions.get(&number) else { continue };
            let Ok(ctx) = state.session_context(number, s) else { continue };
            if ctx.recipients().get(&self.id).is_none() {
                continue;
            }
            let refs: Vec<&Dealing> = dealings.iter().collect();
            // A copy (zeroized on drop): the loop below records complaints and acks in `self`.
            let Some(transport) = self.session_transport(s).map(|t| TransportSecret::from_bytes(*t.to_bytes())) else { continue };
            let Ok((_, bad)) = open_shares(&ctx, &refs, &self.id, &transport, rng) else { continue };
            for d in &dealings {
                if !bad.contains(&d.dealer) {
                    self.acked.insert((number, key_of(&d.dealer)), d.digest());
                    continue;
                }
                tracing::warn!(session = number, "share from a dealer is bad: complaining");
                if let Ok(c) = complain(&ctx, d, &self.id, &transport, rng) {
                    let bytes = c.to_bytes();
                    self.complaints.insert((number, key_of(&d.dealer)), bytes.clone());
                    b.push(Item::Complaint { session: number, complaint: bytes });
                }
            }
        }
        let mut acks: BTreeMap<SessionNumber, Vec<[u8; 32]>> = BTreeMap::new();
        for ((number, dealer), digest) in &self.acked {
            let Some(s) = state.sessions.get(number) else { continue };
            let recorded = s.acks.get(&me).is_some_and(|a| a.contains(dealer));
            if s.status == SessionStatus::Collecting && !recorded {
                acks.entry(*number).or_default().push(*digest);
            }
        }
        for (session, digests) in acks {
            b.push(Item::Acks { session, digests });
        }
    }

    fn add_dealings<R: RngCore + CryptoRng>(&mut self, state: &EngineState, pending: &[(SessionNumber, Dealing)], height: u64, b: &mut Builder, rng: &mut R) {
        let me = self.me();
        for (number, s) in &state.sessions {
            if s.status != SessionStatus::Collecting || height + 1 > s.deadline || s.dealings.contains_key(&me) || s.disqualified.contains(&me) {
                continue;
            }
            if pending.iter().any(|(n, d)| n == number && key_of(&d.dealer) == me) {
                continue;
            }
            let current = match &s.kind {
                SessionKind::Dkg => None,
                // A repair's blinding dealing needs no share, but a helper without one could
                // not deliver: it stays out.
                SessionKind::Refresh { from } | SessionKind::Reshare { from } | SessionKind::Repair { from, .. } => match self.shares.get(&(s.keyset, s.generation, *from)) {
                    Some(share) => Some(share.clone()),
                    None => continue,
                },
            };
            let bytes = match self.dealt.get(number) {
                Some(bytes) => bytes.clone(),
                None => {
                    let Ok(ctx) = state.session_context(*number, s) else { continue };
                    if !ctx.is_dealer(&self.id) {
                        continue;
                    }
                    match deal(&ctx, self.id, current.as_ref(), rng) {
                        Ok(d) => {
                            let bytes = d.to_bytes();
                            self.dealt.insert(*number, bytes.clone());
                            bytes
                        }
                        Err(e) => {
                            tracing::warn!(session = number, error = %e, "could not deal");
                            continue;
                        }
                    }
                }
            };
            b.push(Item::Dealing { session: *number, dealing: bytes });
        }
    }

    /// Share repair, both sides. As a member of an epoch in force whose share it lacks, this
    /// validator asks for a repair (unless one is open, or a session of the key is about to make
    /// a new epoch: then it repairs that one). As a helper of a repair in delivery, it sends its blinded share
    /// sealed to the target, at every height until the chain has it.
    fn add_repair_items<R: RngCore + CryptoRng>(&mut self, state: &EngineState, b: &mut Builder, rng: &mut R) {
        let me = self.me();
        let h = state.meta.height;
        for (keyset, k) in &state.keysets {
            for (generation, g) in &k.generations {
                let Some((epoch, _)) = g.epoch_at(h + 1) else { continue };
                if g.retire_at.is_some() || self.shares.contains_key(&(*keyset, *generation, epoch)) {
                    continue;
                }
                if g.repairs.get(&(epoch, me)).copied().unwrap_or(0) >= state.meta.params.repair_attempts {
                    continue;
                }
                let member = state.public_key_set(*keyset, *generation, epoch).is_ok_and(|p| p.verifying_share(&self.id).is_some());
                let busy = state.sessions.values().any(|s| {
                    s.keyset == *keyset
                        && match &s.kind {
                            SessionKind::Repair { target, .. } => target.address == self.address && matches!(s.status, SessionStatus::Collecting | SessionStatus::Delivering { .. }),
                            // A refresh or reshare in progress makes a new epoch soon: repair
                            // that one instead (a reshare even brings this validator's share).
                            SessionKind::Reshare { .. } | SessionKind::Dkg | SessionKind::Refresh { .. } => s.status == SessionStatus::Collecting,
                        }
                });
                let reachable = self.registered_transport(state).is_some_and(|r| self.transport_for(&r).is_some());
                if member && !busy && reachable {
                    tracing::warn!(keyset, generation, epoch, "this validator holds no share of the epoch in force: asking for a repair");
                    b.push(Item::RepairRequest { keyset: *keyset, generation: *generation, epoch });
                }
            }
        }
        for (number, s) in &state.sessions {
            let (SessionStatus::Delivering { qualified, .. }, SessionKind::Repair { from, target }) = (&s.status, &s.kind) else { continue };
            if s.contributions.contains_key(&me) || !s.recipients.iter().any(|v| v.address == self.address) {
                continue;
            }
            let Some(share) = self.shares.get(&(s.keyset, s.generation, *from)) else { continue };
            let (Ok(ctx), Some(target_transport)) = (state.session_context(*number, s), TransportPublic::from_bytes(target.transport)) else { continue };
            let dealings: Vec<Dealing> = qualified.iter().filter_map(|q| s.dealings.get(q)).filter_map(|(_, bytes)| Dealing::from_bytes(bytes).ok()).collect();
            let refs: Vec<&Dealing> = dealings.iter().collect();
            let Some(transport) = self.session_transport(s) else { continue };
            match tss_crypto::repair::contribute(&ctx, &refs, share, transport, &target_transport, rng) {
                Ok(c) => {
                    b.push(Item::RepairShare { session: *number, ephemeral: c.ephemeral, sealed: c.sealed });
                }
                Err(e) => tracing::warn!(session = number, error = %e, "could not make a blinded share for a repair"),
            }
        }
    }

    /// As the target of a delivered repair, recovers the share from the blinded shares.
    fn recover_repaired(&mut self, state: &EngineState) {
        for (number, s) in &state.sessions {
            let (SessionStatus::Delivered { qualified, .. }, SessionKind::Repair { from, target }) = (&s.status, &s.kind) else { continue };
            let slot = (s.keyset, s.generation, *from);
            if target.address != self.address || self.shares.contains_key(&slot) {
                continue;
            }
            let Some(transport) = self.transport_for(&target.transport) else { continue };
            let Ok(ctx) = state.session_context(*number, s) else { continue };
            let dealings: Vec<Dealing> = qualified.iter().filter_map(|q| s.dealings.get(q)).filter_map(|(_, bytes)| Dealing::from_bytes(bytes).ok()).collect();
            let refs: Vec<&Dealing> = dealings.iter().collect();
            let contributions: Vec<tss_crypto::repair::RepairContribution> = s
                .contributions
                .iter()
                .filter_map(|(helper, (ephemeral, sealed))| {
                    Some(tss_crypto::repair::RepairContribution { helper: id_of(helper)?, ephemeral: *ephemeral, sealed: sealed.as_slice().try_into().ok()? })
                })
                .collect();
            match tss_crypto::repair::recover(&ctx, &refs, &contributions, self.id, transport) {
                Ok(share) => {
                    tracing::info!(keyset = s.keyset, generation = s.generation, epoch = from, "key share repaired");
                    self.shares.insert(slot, share);
                    self.missing.remove(&slot);
                }
                Err(e) => tracing::warn!(session = number, error = %e, "share repair failed; a new repair will be asked for"),
            }
        }
    }

    fn add_nonces<R: RngCore + CryptoRng>(&mut self, state: &EngineState, height: u64, b: &mut Builder, rng: &mut R) {
        let me = self.me();
        let params = &state.meta.params;
        let on_chain = state.nonces.get(&me).map_or(0, |p| p.len());
        let pool: BTreeSet<&[u8; 64]> = state.nonces.get(&me).map(|p| p.iter().collect()).unwrap_or_default();
        if pool.iter().any(|c| !self.nonces.contains_key(*c)) {
            // Commitments this store cannot sign with: withdraw them all, publish anew after.
            tracing::warn!("nonce commitments on chain that this store does not hold: withdrawing them");
            b.push(Item::WithdrawNonces);
            return;
        }
        let in_flight = self.nonces.iter().filter(|(c, (_, made))| !pool.contains(c) && *made + 3 > height).count();
        let need = params.nonce_pool_target.saturating_sub(on_chain + in_flight).min(params.nonce_batch);
        let room = b.budget.saturating_sub(b.size + 3) / crate::extension::NONCE_COMMITMENT_LEN;
        let count = need.min(room);
        if count == 0 {
            return;
        }
        let mut commitments = Vec::with_capacity(count);
        for (nonce, _) in generate_nonces(self.id, count, rng) {
            let raw = nonce.published();
            self.nonces.insert(raw, (nonce, height));
            commitments.push(raw);
        }
        b.push(Item::Nonces { commitments });
    }
}

/// Dealings in the block being voted on, for sessions collecting in committed state.
fn pending_dealings(state: &EngineState, pending: &[(Vec<u8>, Vec<u8>)], height: u64) -> Vec<(SessionNumber, Dealing)> {
    let mut out = Vec::new();
    for (address, bytes) in pending {
        let Some(sender) = identifier(address) else { continue };
        let Ok(ext) = check_form(bytes, height.saturating_sub(1), state.meta.params.extension_budget) else { continue };
        for item in ext.items {
            if let Item::Dealing { session, dealing } = item {
                if state.sessions.get(&session).is_some_and(|s| s.status == SessionStatus::Collecting) {
                    if let Ok(d) = Dealing::from_bytes(&dealing) {
                        if d.dealer == sender {
                            out.push((session, d));
                        }
                    }
                }
            }
        }
    }
    out
}
