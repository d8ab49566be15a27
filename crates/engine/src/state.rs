//! The engine's consensus state: what every honest node holds identically.
//!
//! Held in memory as [`EngineState`] during a block and stored as one entry per record under
//! `engine/` (see [`EngineState::save`]), so the node's store and its app hash see every change.

use crate::params::Params;
use crate::store::Store;
use crate::nonce_pool::NoncePool;
use crate::tracked::Tracked;
use crate::types::{Delivery, KeysetId, ParticipantKey, RequestId, SessionNumber, Validator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Storage prefix of everything the engine owns.
pub const PREFIX: &[u8] = b"engine/";

/// Who owns a keyset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    /// The chain itself (the network key).
    Network,
    /// An account or contract.
    Requester(Vec<u8>),
}

/// One epoch of a key generation: a public key set and when it is in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochKey {
    /// `PublicKeySet` wire bytes.
    pub public: Vec<u8>,
    /// First height whose requests use this epoch.
    pub active_from: u64,
}

/// One generation of a keyset: a DKG's group key and its refreshed/reshared epochs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    /// The group key.
    pub group_key: [u8; 32],
    /// Epochs by number; the newest active one is current.
    pub epochs: BTreeMap<u64, EpochKey>,
    /// Height at which this generation is retired (after a rotation).
    pub retire_at: Option<u64>,
    /// Threshold at this generation's DKG.
    pub dkg_threshold: u16,
    /// Members who held shares and left since this generation's DKG.
    pub departed: BTreeSet<ParticipantKey>,
    /// Repair sessions started per (epoch, member): bounded by `Params::repair_attempts`.
    #[serde(default)]
    pub repairs: BTreeMap<(u64, ParticipantKey), u32>,
}

impl Generation {
    /// The epoch in force at `height`.
    pub fn epoch_at(&self, height: u64) -> Option<(u64, &EpochKey)> {
        self.epochs.iter().rev().find(|(_, e)| e.active_from <= height).map(|(n, e)| (*n, e))
    }

    /// The newest epoch, active or staged.
    pub fn latest_epoch(&self) -> Option<(u64, &EpochKey)> {
        self.epochs.iter().next_back().map(|(n, e)| (*n, e))
    }
}

/// A keyset and its generations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyset {
    /// Who owns it (only the owner may use it).
    pub owner: Owner,
    /// Generations by number.
    pub generations: BTreeMap<u32, Generation>,
    /// The generation used for new signatures and encryption.
    pub current: Option<u32>,
    /// The creation request, called back when the first DKG completes.
    pub created_by: Option<RequestId>,
    /// Threshold requested at creation.
    pub threshold: Option<u16>,
    /// Frozen by governance: it signs and decrypts nothing (and its open requests failed),
    /// while its shares are still refreshed and reshared so an unfreeze finds them.
    #[serde(default)]
    pub frozen: bool,
}

/// What a session does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// A fresh key generation.
    Dkg,
    /// Refresh of the epoch `from`.
    Refresh {
        /// The epoch refreshed.
        from: u64,
    },
    /// Reshare of the epoch `from` to a new committee.
    Reshare {
        /// The epoch reshared.
        from: u64,
    },
    /// Repair of `target`'s share of the epoch `from` by the epoch's other members
    /// (`tss_crypto::repair`).
    Repair {
        /// The epoch.
        from: u64,
        /// The member that lost its share, with the transport key its share is sealed to.
        target: Validator,
    },
}

impl SessionKind {
    /// A short name.
    pub fn name(&self) -> &'static str {
        match self {
            SessionKind::Dkg => "dkg",
            SessionKind::Refresh { .. } => "refresh",
            SessionKind::Reshare { .. } => "reshare",
            SessionKind::Repair { .. } => "repair",
        }
    }
}

/// Where a session stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionStatus {
    /// Collecting dealings and complaints.
    Collecting,
    /// Done: the new epoch exists.
    Finalized {
        /// Height finalized.
        at: u64,
        /// Qualified dealers, in order.
        qualified: Vec<ParticipantKey>,
        /// The epoch it produced.
        epoch: u64,
    },
    /// Failed.
    Failed {
        /// Height failed.
        at: u64,
    },
    /// A repair's blinding round is done: helpers deliver their blinded shares to the target.
    Delivering {
        /// Qualified blinding dealers, in order.
        qualified: Vec<ParticipantKey>,
        /// Last height whose blinded shares count.
        until: u64,
    },
    /// A repair's blinded shares are all in (or the time is up): the target recovers its share.
    Delivered {
        /// Height it ended.
        at: u64,
        /// Qualified blinding dealers, in order.
        qualified: Vec<ParticipantKey>,
    },
}

/// A DKG, refresh or reshare session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The keyset.
    pub keyset: KeysetId,
    /// The generation.
    pub generation: u32,
    /// What it does.
    pub kind: SessionKind,
    /// The new committee.
    pub recipients: Vec<Validator>,
    /// The new threshold.
    pub threshold: u16,
    /// Height it started at.
    pub started: u64,
    /// Last height at which dealings are accepted.
    pub deadline: u64,
    /// Publicly valid dealings by dealer, with the height they arrived at (the first valid one
    /// per dealer; later ones are ignored).
    pub dealings: BTreeMap<ParticipantKey, (u64, Vec<u8>)>,
    /// Dealers disqualified (invalid dealing or upheld complaint).
    pub disqualified: BTreeSet<ParticipantKey>,
    /// Complaints already judged, as (complainer, dealer).
    pub judged: BTreeSet<(ParticipantKey, ParticipantKey)>,
    /// Dealers whose recorded dealing each recipient acknowledged (its shares checked out).
    #[serde(default)]
    pub acks: BTreeMap<ParticipantKey, BTreeSet<ParticipantKey>>,
    /// A repair's blinded shares by helper: (ephemeral key, sealed share).
    #[serde(default)]
    pub contributions: BTreeMap<ParticipantKey, ([u8; 32], Vec<u8>)>,
    /// Where it stands.
    pub status: SessionStatus,
    /// Whether it is part of a validator-set handover.
    pub handover: bool,
}

/// One attempt at serving a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Attempt number (from 1).
    pub number: u32,
    /// The key generation.
    pub generation: u32,
    /// The epoch whose shares are used.
    pub epoch: u64,
    /// The height that started it.
    pub started: u64,
    /// Signers and their nonce commitments (signing); empty for decryption (any holder).
    #[serde(with = "crate::serde64::map")]
    pub signers: BTreeMap<ParticipantKey, [u8; 64]>,
    /// Last height whose extensions count for this attempt.
    pub deadline: u64,
    /// Shares received, by holder: signature shares, re-encryption shares with their proofs,
    /// and for public decryption the share points of batches already verified
    /// ([`crate::apply`]'s decryption batches).
    pub shares: BTreeMap<ParticipantKey, Vec<u8>>,
}

/// What a pending request needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Job {
    /// A signature.
    Sign {
        /// The message.
        message: Vec<u8>,
        /// The derivation context.
        context: Option<Vec<u8>>,
    },
    /// A decryption.
    Decrypt {
        /// Ciphertext wire bytes (already verified at submission).
        ciphertext: Vec<u8>,
        /// Delivery mode.
        delivery: Delivery,
    },
}

/// A signing or decryption request in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    /// Who asked.
    pub requester: Vec<u8>,
    /// The keyset.
    pub keyset: KeysetId,
    /// The generation (for decryption: the ciphertext's).
    pub generation: u32,
    /// What to do.
    pub job: Job,
    /// Height it was submitted in.
    pub submitted: u64,
    /// The current attempt.
    pub attempt: Option<Attempt>,
    /// Attempts made.
    pub attempts: u32,
    /// Holders excluded after a provable fault (invalid share or commitment).
    pub excluded: BTreeSet<ParticipantKey>,
    /// Signers whose share was missing from an attempt: weak evidence (a proposer may have
    /// dropped their extension), so they are tried last, never barred.
    #[serde(default)]
    pub missed: BTreeSet<ParticipantKey>,
    /// Where a public decryption stands in a claim round (`apply::claims`); while set, the
    /// attempt does not time out and holders send it no shares.
    #[serde(default)]
    pub claim: Option<ClaimStage>,
}

/// A public decryption's place in a claim round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimStage {
    /// The block of height `round` assigned it to `combiner`, whose claim is due in the next
    /// block.
    Assigned {
        /// The round (the assigning block's height).
        round: u64,
        /// The combiner.
        combiner: ParticipantKey,
    },
    /// `combiner` claimed its combined point; the claim waits for the holders' answers.
    Claimed {
        /// The round.
        round: u64,
        /// The combiner.
        combiner: ParticipantKey,
    },
}

/// A claim round's claim, by key set, round and combiner.
pub type ClaimKey = (KeysetId, u32, u64, u64, ParticipantKey);

/// A combiner's claim waiting for answers (`apply::claims`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClaim {
    /// The requests claimed, in order.
    pub requests: Vec<RequestId>,
    /// Their claimed points (`ClaimedPoint` encodings), in the same order.
    pub points: Vec<[u8; 32]>,
    /// The height whose block recorded it.
    pub recorded: u64,
}

/// Chain-wide bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The chain id every session is bound to.
    pub chain_id: String,
    /// Parameters.
    pub params: Params,
    /// Last applied height.
    pub height: u64,
    /// The consensus validator set.
    pub validators: Vec<Validator>,
    /// Membership changes waiting for a handover.
    pub pending_membership: Vec<crate::types::Membership>,
    /// The validator set a running handover moves to.
    pub handover_to: Option<Vec<Validator>>,
    /// The membership changes the running handover applies, and the reshares it started.
    pub handover: Option<(Vec<crate::types::Membership>, u32)>,
    /// Counters for new ids.
    pub next_session: u64,
    /// Next request id.
    pub next_request: u64,
    /// Next keyset id.
    pub next_keyset: u64,
    /// Last height each validator's extension was included.
    pub last_seen: BTreeMap<ParticipantKey, u64>,
    /// A rotation of the network key was ordered and not started yet.
    pub rotation_pending: bool,
    /// Height at which each validator's transport key was last replaced (absent: genesis).
    #[serde(default)]
    pub transport_rotated: BTreeMap<ParticipantKey, u64>,
}

/// The whole engine state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineState {
    /// Bookkeeping.
    pub meta: Meta,
    /// Keysets by id.
    pub keysets: Tracked<KeysetId, Keyset>,
    /// Sessions by number (running, and finished ones kept for `session_retention`).
    pub sessions: Tracked<SessionNumber, Session>,
    /// Requests in flight.
    pub requests: Tracked<RequestId, PendingRequest>,
    /// Published nonce commitments per signer, oldest first.
    pub nonces: Tracked<ParticipantKey, NoncePool>,
    /// Blame counts per validator address and reason.
    pub blame: Tracked<Vec<u8>, BTreeMap<crate::types::BlameReason, u64>>,
    /// Claims of combined decryption points waiting for answers.
    pub claims: Tracked<ClaimKey, StoredClaim>,
    /// Published commitments already decoded (not consensus state: never saved, hashed or
    /// compared, empty after a load or a clone).
    pub decoded_commitments: crate::commitment_cache::CommitmentCache,
}

/// Why state could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("engine state entry {key} is corrupt: {reason}; the store does not hold a state this build can read")]
pub struct CorruptState {
    key: String,
    reason: String,
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, CorruptState> {
    postcard::from_bytes(bytes).map_err(|e| CorruptState { key: String::from_utf8_lossy(key).into_owned(), reason: e.to_string() })
}

fn key(section: &str, id: &[u8]) -> Vec<u8> {
    let mut k = PREFIX.to_vec();
    k.extend_from_slice(section.as_bytes());
    k.push(b'/');
    k.extend_from_slice(id);
    k
}

fn load_section<T: DeserializeOwned, S: Store + ?Sized>(store: &S, section: &str, parse: impl Fn(&[u8]) -> Option<Vec<u8>>) -> Result<Vec<(Vec<u8>, T)>, CorruptState> {
    let prefix = key(section, b"");
    store
        .scan_prefix(&prefix)
        .into_iter()
        .map(|(k, v)| {
            let id = k.get(prefix.len()..).and_then(&parse).ok_or_else(|| CorruptState { key: String::from_utf8_lossy(&k).into_owned(), reason: "bad key".into() })?;
            Ok((id, decode(&k, &v)?))
        })
        .collect()
}

/// Every signer's pool: its header (the first sequence number), then its records, which must
/// be numbered from there without a gap.
fn load_pools<S: Store + ?Sized>(store: &S) -> Result<Tracked<ParticipantKey, NoncePool>, CorruptState> {
    let corrupt = |k: &[u8], reason: &str| CorruptState { key: String::from_utf8_lossy(k).into_owned(), reason: reason.into() };
    let header_prefix = key("nonce-pool", b"");
    let mut pools = BTreeMap::new();
    for (k, v) in store.scan_prefix(&header_prefix) {
        let signer: ParticipantKey = k.get(header_prefix.len()..).and_then(|s| s.try_into().ok()).ok_or_else(|| corrupt(&k, "bad key"))?;
        let first = <[u8; 8]>::try_from(v.as_slice()).map(u64::from_be_bytes).map_err(|_| corrupt(&k, "sequence number length"))?;
        let records_prefix = key("nonce", &signer);
        let mut commitments = std::collections::VecDeque::new();
        for (rk, rv) in store.scan_prefix(&records_prefix) {
            let seq = rk.get(records_prefix.len()..).and_then(|s| <[u8; 8]>::try_from(s).ok()).map(u64::from_be_bytes).ok_or_else(|| corrupt(&rk, "bad key"))?;
            if seq != first + commitments.len() as u64 {
                return Err(corrupt(&rk, "nonce commitments are not numbered in sequence"));
            }
            commitments.push_back(<[u8; 64]>::try_from(rv.as_slice()).map_err(|_| corrupt(&rk, "commitment length"))?);
        }
        pools.insert(signer, NoncePool::loaded(first, commitments));
    }
    Ok(pools.into())
}

fn u64_id(b: &[u8]) -> Option<Vec<u8>> {
    (b.len() == 8).then(|| b.to_vec())
}

/// The record of one nonce commitment: the signer, then its sequence number.
fn nonce_key(signer: &ParticipantKey, seq: u64) -> Vec<u8> {
    let mut id = signer.to_vec();
    id.extend_from_slice(&seq.to_be_bytes());
    key("nonce", &id)
}

/// Puts each changed record, or deletes it if it is gone.
fn write_changed<S: Store + ?Sized, K: Ord + Clone, V: Serialize>(store: &mut S, section: &str, map: &mut Tracked<K, V>, id: impl Fn(&K) -> Vec<u8>) {
    map.drain_changed(|k, v| {
        let k = key(section, &id(k));
        match v {
            Some(v) => store.put(&k, encode(&*v)),
            None => store.delete(&k),
        }
    });
}

/// A claim's record id: keyset, generation, epoch, round (big-endian), combiner.
fn claim_id(k: &ClaimKey) -> Vec<u8> {
    let mut id = Vec::with_capacity(60);
    id.extend_from_slice(&k.0.to_be_bytes());
    id.extend_from_slice(&k.1.to_be_bytes());
    id.extend_from_slice(&k.2.to_be_bytes());
    id.extend_from_slice(&k.3.to_be_bytes());
    id.extend_from_slice(&k.4);
    id
}

fn parse_claim_id(b: &[u8]) -> Option<ClaimKey> {
    let u64_at = |at: usize| b.get(at..at + 8).and_then(|s| s.try_into().ok()).map(u64::from_be_bytes);
    let generation = b.get(8..12).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes)?;
    let combiner: ParticipantKey = b.get(28..60)?.try_into().ok()?;
    (b.len() == 60).then_some((u64_at(0)?, generation, u64_at(12)?, u64_at(20)?, combiner))
}

fn be_u64(b: &[u8]) -> u64 {
    b.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

impl EngineState {
    /// A fresh state for a chain's genesis.
    pub fn genesis(chain_id: &str, params: Params, validators: Vec<Validator>) -> Self {
        Self {
            meta: Meta {
                chain_id: chain_id.to_owned(),
                params,
                height: 0,
                validators,
                pending_membership: Vec::new(),
                handover_to: None,
                handover: None,
                next_session: 1,
                next_request: 1,
                next_keyset: 1,
                last_seen: BTreeMap::new(),
                rotation_pending: false,
                transport_rotated: BTreeMap::new(),
            },
            keysets: Tracked::default(),
            sessions: Tracked::default(),
            requests: Tracked::default(),
            nonces: Tracked::default(),
            blame: Tracked::default(),
            claims: Tracked::default(),
            decoded_commitments: Default::default(),
        }
    }

    /// Loads the state; `None` if the store holds none.
    pub fn load<S: Store + ?Sized>(store: &S) -> Result<Option<Self>, CorruptState> {
        let meta_key = key("meta", b"");
        let Some(meta_bytes) = store.get(&meta_key) else { return Ok(None) };
        let meta: Meta = decode(&meta_key, &meta_bytes)?;
        let keysets = load_section(store, "keyset", u64_id)?.into_iter().map(|(id, v)| (be_u64(&id), v)).collect();
        let sessions = load_section(store, "session", u64_id)?.into_iter().map(|(id, v)| (be_u64(&id), v)).collect();
        let requests = load_section(store, "request", u64_id)?.into_iter().map(|(id, v)| (be_u64(&id), v)).collect();
        let nonces = load_pools(store)?;
        let blame = load_section(store, "blame", |b| Some(b.to_vec()))?.into_iter().collect();
        let claims = load_section(store, "claim", |b| parse_claim_id(b).map(|_| b.to_vec()))?.into_iter().filter_map(|(id, v)| Some((parse_claim_id(&id)?, v))).collect();
        Ok(Some(Self { meta, keysets, sessions, requests, nonces, blame, claims, decoded_commitments: Default::default() }))
    }

    /// Writes what changed since the last save (or load): the records that apply changed or
    /// removed, and the bookkeeping record. Its cost follows the block, not the state's size.
    pub fn save<S: Store + ?Sized>(&mut self, store: &mut S) {
        let meta_key = key("meta", b"");
        let meta = encode(&self.meta);
        if store.get(&meta_key).as_deref() != Some(meta.as_slice()) {
            store.put(&meta_key, meta);
        }
        write_changed(store, "keyset", &mut self.keysets, |id| id.to_be_bytes().to_vec());
        write_changed(store, "session", &mut self.sessions, |id| id.to_be_bytes().to_vec());
        write_changed(store, "request", &mut self.requests, |id| id.to_be_bytes().to_vec());
        write_changed(store, "blame", &mut self.blame, Clone::clone);
        write_changed(store, "claim", &mut self.claims, claim_id);
        self.nonces.drain_changed(|signer, pool| match pool {
            Some(pool) => {
                store.put(&key("nonce-pool", signer), pool.first().to_be_bytes().to_vec());
                let (deletes, writes) = pool.take_writes();
                for seq in deletes {
                    store.delete(&nonce_key(signer, seq));
                }
                for (seq, c) in writes {
                    store.put(&nonce_key(signer, seq), c.to_vec());
                }
            }
            None => {
                store.delete(&key("nonce-pool", signer));
                for (k, _) in store.scan_prefix(&key("nonce", signer)) {
                    store.delete(&k);
                }
            }
        });
    }

    /// Writes every record and deletes every other one under the engine's prefix: the store
    /// then holds exactly this state. What [`EngineState::save`] must always be equivalent to.
    pub fn save_all<S: Store + ?Sized>(&self, store: &mut S) {
        let mut live: BTreeSet<Vec<u8>> = BTreeSet::new();
        let mut put = |store: &mut S, k: Vec<u8>, v: Vec<u8>| {
            if store.get(&k).as_deref() != Some(v.as_slice()) {
                store.put(&k, v);
            }
            live.insert(k);
        };
        put(store, key("meta", b""), encode(&self.meta));
        for (id, v) in self.keysets.iter() {
            put(store, key("keyset", &id.to_be_bytes()), encode(v));
        }
        for (id, v) in self.sessions.iter() {
            put(store, key("session", &id.to_be_bytes()), encode(v));
        }
        for (id, v) in self.requests.iter() {
            put(store, key("request", &id.to_be_bytes()), encode(v));
        }
        for (signer, pool) in self.nonces.iter() {
            put(store, key("nonce-pool", signer), pool.first().to_be_bytes().to_vec());
            for (seq, c) in pool.numbered() {
                put(store, nonce_key(signer, seq), c.to_vec());
            }
        }
        for (id, v) in self.blame.iter() {
            put(store, key("blame", id), encode(v));
        }
        for (id, v) in self.claims.iter() {
            put(store, key("claim", &claim_id(id)), encode(v));
        }
        for (k, _) in store.scan_prefix(PREFIX) {
            if !live.contains(&k) {
                store.delete(&k);
            }
        }
    }

    /// The participant key of a validator address.
    pub fn participant(address: &[u8]) -> Option<ParticipantKey> {
        tss_crypto::participant_id(address).ok().and_then(|id| id.serialize().try_into().ok())
    }
}
