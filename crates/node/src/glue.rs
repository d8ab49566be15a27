//! Consensus glue: the envelope a proposer injects as the block's first transaction (the
//! previous height's vote extensions with their signatures, and the signatures it aggregated),
//! and the check of each extension's signature against the validator's consensus key with
//! CometBFT's canonical vote-extension sign bytes.

use prost::Message;
use std::collections::{BTreeMap, BTreeSet};
use tendermint_proto::v0_38::types::CanonicalVoteExtension;
use tss_crypto::wire::{DecodeError, Reader, Writer};
use tss_crypto::Encode;

/// First byte of the injected envelope; no account transaction starts with it.
pub const ENVELOPE_TAG: u8 = 0x30;
const MAX_VOTES: usize = 1024;
const MAX_EXTENSION: usize = 4 * 1024 * 1024;

/// One validator's signed vote extension, as CometBFT handed it to the proposer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedExtension {
    /// Consensus address (20 bytes).
    pub address: Vec<u8>,
    /// The extension.
    pub extension: Vec<u8>,
    /// Ed25519 signature over the canonical sign bytes.
    pub signature: Vec<u8>,
}

/// The injected first transaction of a block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    /// Height the extensions were made at (the block's height minus one).
    pub height: u64,
    /// Round of the commit they come from.
    pub round: u32,
    /// The extensions.
    pub votes: Vec<SignedExtension>,
    /// Signatures the proposer aggregated: (request, attempt, signature).
    pub aggregates: Vec<(u64, u32, [u8; 64])>,
}

impl Encode for Envelope {
    const TAG: u8 = ENVELOPE_TAG;
    const MAX_LEN: usize = 64 * 1024 * 1024;

    fn encode_body(&self, w: &mut Writer) {
        w.u64(self.height).u32(self.round).u16(u16::try_from(self.votes.len()).unwrap_or(u16::MAX));
        for v in &self.votes {
            w.bytes(&v.address).bytes(&v.extension).bytes(&v.signature);
        }
        w.u16(u16::try_from(self.aggregates.len()).unwrap_or(u16::MAX));
        for (r, a, s) in &self.aggregates {
            w.u64(*r).u32(*a).raw(s);
        }
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let height = r.u64("height")?;
        let round = r.u32("round")?;
        let n = r.count("votes", MAX_VOTES, 12)?;
        let mut votes = Vec::with_capacity(n);
        for _ in 0..n {
            votes.push(SignedExtension {
                address: r.bytes("address", 64)?.to_vec(),
                extension: r.bytes("extension", MAX_EXTENSION)?.to_vec(),
                signature: r.bytes("signature", 64)?.to_vec(),
            });
        }
        let m = r.count("aggregates", u16::MAX as usize, 76)?;
        let mut aggregates = Vec::with_capacity(m);
        for _ in 0..m {
            aggregates.push((r.u64("request")?, r.u32("attempt")?, r.array("signature")?));
        }
        Ok(Self { height, round, votes, aggregates })
    }
}

/// CometBFT's vote-extension sign bytes: `CanonicalVoteExtension{extension, height, round,
/// chain_id}`, protobuf, length-delimited.
pub fn sign_bytes(chain_id: &str, height: i64, round: i64, extension: &[u8]) -> Vec<u8> {
    CanonicalVoteExtension { extension: extension.to_vec(), height, round, chain_id: chain_id.to_owned() }.encode_length_delimited_to_vec()
}

/// A consensus validator: Ed25519 key and voting power.
#[derive(Clone, Debug)]
pub struct ConsensusKey {
    /// The Ed25519 public key.
    pub key: ed25519_dalek::VerifyingKey,
    /// Voting power.
    pub power: u64,
}

/// Why an injected envelope is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Made for another height.
    #[error("extensions of height {found}, expected {expected}")]
    WrongHeight {
        /// Found.
        found: u64,
        /// Expected.
        expected: u64,
    },
    /// Signed by someone who is not a validator.
    #[error("extension from unknown validator {0}")]
    UnknownValidator(String),
    /// The same validator twice.
    #[error("two extensions from validator {0}")]
    Duplicate(String),
    /// The signature does not verify.
    #[error("forged or tampered extension from validator {0}")]
    BadSignature(String),
    /// The envelope's round is not the round of the commit the block carries.
    #[error("extensions of round {found}, but the block's last commit is from round {expected}")]
    WrongRound {
        /// Found.
        found: u32,
        /// The commit's round.
        expected: i64,
    },
    /// An extension from a validator that did not vote for the block in the commit.
    #[error("extension from validator {0}, which did not precommit the block in the last commit")]
    NotInCommit(String),
    /// Too little voting power present.
    #[error("extensions carry {present} of {total} voting power, not more than 2/3")]
    NoQuorum {
        /// Power present.
        present: u64,
        /// Total power.
        total: u64,
    },
}

/// Fits an envelope into the block's `max_tx_bytes`, as PrepareProposal must (CometBFT cannot
/// build a block whose transactions exceed it). First the aggregated signatures go (every node
/// aggregates from the shares itself when they are absent), then the largest extensions, one at
/// a time, while more than 2/3 of the power stays. Returns the bytes, or `None` when even that
/// does not fit: consensus block `max_bytes` is too small for the validator set's extension
/// budget, a configuration error InitChain should have caught.
pub fn fit_envelope(env: &mut Envelope, max: usize, validators: &BTreeMap<Vec<u8>, ConsensusKey>) -> Option<Vec<u8>> {
    let mut bytes = env.to_bytes();
    if bytes.len() <= max {
        return Some(bytes);
    }
    tracing::warn!(size = bytes.len(), max, aggregates = env.aggregates.len(), "envelope over max_tx_bytes: leaving the aggregated signatures out");
    env.aggregates.clear();
    bytes = env.to_bytes();
    let total: u64 = validators.values().map(|v| v.power).sum();
    let power = |v: &SignedExtension| validators.get(&v.address).map_or(0, |k| k.power);
    let mut present: u64 = env.votes.iter().map(power).sum();
    while bytes.len() > max {
        // The largest extension whose removal keeps more than 2/3 of the power.
        let candidate = env
            .votes
            .iter()
            .enumerate()
            .filter(|(_, v)| present.saturating_sub(power(v)).saturating_mul(3) > total.saturating_mul(2))
            .max_by_key(|(i, v)| (v.extension.len(), std::cmp::Reverse(*i)))
            .map(|(i, _)| i)?;
        let dropped = env.votes.remove(candidate);
        present = present.saturating_sub(power(&dropped));
        tracing::warn!(validator = %hex::encode(&dropped.address), bytes = dropped.extension.len(), "envelope over max_tx_bytes: extension left out");
        bytes = env.to_bytes();
    }
    Some(bytes)
}

/// Checks the envelope against the commit information CometBFT puts in the block
/// (`proposed_last_commit` in ProcessProposal, `decided_last_commit` in FinalizeBlock), as the
/// Cosmos SDK's `ValidateVoteExtensions` does: the extensions come from the commit's round, and
/// only from validators whose precommit for the block is in that commit. A proposer cannot slip
/// in an extension a validator signed in a round that did not decide.
pub fn match_commit(env: &Envelope, round: i64, committed: &BTreeSet<Vec<u8>>) -> Result<(), EnvelopeError> {
    if i64::from(env.round) != round {
        return Err(EnvelopeError::WrongRound { found: env.round, expected: round });
    }
    match env.votes.iter().find(|v| !committed.contains(&v.address)) {
        Some(v) => Err(EnvelopeError::NotInCommit(hex::encode(&v.address))),
        None => Ok(()),
    }
}

/// Verified extensions: (validator address, extension bytes).
pub type Extensions = Vec<(Vec<u8>, Vec<u8>)>;

/// Verifies every extension of an envelope (ProcessProposal, and again in FinalizeBlock from the
/// block itself): known validator, no duplicate, valid signature, more than 2/3 of the power.
pub fn verify_envelope(chain_id: &str, expected_height: u64, env: &Envelope, validators: &BTreeMap<Vec<u8>, ConsensusKey>, require_quorum: bool) -> Result<Extensions, EnvelopeError> {
    if env.height != expected_height {
        return Err(EnvelopeError::WrongHeight { found: env.height, expected: expected_height });
    }
    let mut seen = BTreeSet::new();
    let mut present = 0u64;
    let mut out = Vec::with_capacity(env.votes.len());
    for v in &env.votes {
        let who = hex::encode(&v.address);
        let validator = validators.get(&v.address).ok_or_else(|| EnvelopeError::UnknownValidator(who.clone()))?;
        if !seen.insert(v.address.clone()) {
            return Err(EnvelopeError::Duplicate(who));
        }
        let sig = ed25519_dalek::Signature::from_slice(&v.signature).map_err(|_| EnvelopeError::BadSignature(who.clone()))?;
        let msg = sign_bytes(chain_id, i64::try_from(env.height).unwrap_or(i64::MAX), i64::from(env.round), &v.extension);
        validator.key.verify_strict(&msg, &sig).map_err(|_| EnvelopeError::BadSignature(who))?;
        present = present.saturating_add(validator.power);
        out.push((v.address.clone(), v.extension.clone()));
    }
    let total: u64 = validators.values().map(|v| v.power).sum();
    if require_quorum && present.saturating_mul(3) <= total.saturating_mul(2) {
        return Err(EnvelopeError::NoQuorum { present, total });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn setup() -> (Vec<SigningKey>, BTreeMap<Vec<u8>, ConsensusKey>) {
        let keys: Vec<SigningKey> = (1..=4u8).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
        let validators = keys.iter().enumerate().map(|(i, k)| (vec![i as u8; 20], ConsensusKey { key: k.verifying_key(), power: 10 })).collect();
        (keys, validators)
    }

    fn signed(keys: &[SigningKey], which: &[usize], height: u64) -> Envelope {
        let votes = which
            .iter()
            .map(|&i| {
                let ext = vec![i as u8; 5];
                let sig = keys[i].sign(&sign_bytes("c", height as i64, 0, &ext)).to_bytes().to_vec();
                SignedExtension { address: vec![i as u8; 20], extension: ext, signature: sig }
            })
            .collect();
        Envelope { height, round: 0, votes, aggregates: vec![] }
    }

    #[test]
    fn envelope_roundtrips_and_verifies() {
        let (keys, validators) = setup();
        let env = signed(&keys, &[0, 1, 2], 7);
        let decoded = Envelope::from_bytes(&env.to_bytes()).unwrap();
        assert_eq!(decoded, env);
        assert_eq!(verify_envelope("c", 7, &decoded, &validators, true).unwrap().len(), 3);
    }

    /// Review finding 6: an envelope larger than the block's `max_tx_bytes` made CometBFT fail
    /// to build the block. It is now cut to fit, keeping more than 2/3 of the power.
    #[test]
    fn oversized_envelope_is_cut_to_fit_keeping_a_quorum() {
        let (keys, validators) = setup();
        let mut env = signed(&keys, &[0, 1, 2, 3], 7);
        for (i, v) in env.votes.iter_mut().enumerate() {
            v.extension = vec![i as u8; 1000 * (i + 1)];
            v.signature = keys[i].sign(&sign_bytes("c", 7, 0, &v.extension)).to_bytes().to_vec();
        }
        env.aggregates = vec![(1, 0, [9; 64]); 100];
        let full = env.to_bytes().len();
        // Without the aggregates it fits: only they go.
        let mut a = env.clone();
        let bytes = fit_envelope(&mut a, full - 100 * 76, &validators).unwrap();
        assert!(bytes.len() <= full - 100 * 76 && a.aggregates.is_empty() && a.votes.len() == 4);
        // Smaller: the largest extension goes (3 of 4 validators is still over 2/3).
        let mut b = env.clone();
        let bytes = fit_envelope(&mut b, 7000, &validators).unwrap();
        assert!(bytes.len() <= 7000);
        assert_eq!(b.votes.len(), 3);
        assert!(b.votes.iter().all(|v| v.extension.len() < 4000));
        verify_envelope("c", 7, &Envelope::from_bytes(&bytes).unwrap(), &validators, true).unwrap();
        // Too small for any quorum: none.
        assert_eq!(fit_envelope(&mut env.clone(), 2000, &validators), None);
    }

    /// Review finding 5: an extension a validator signed in a round that did not decide (or a
    /// vote from a validator absent from the commit) must not pass because its signature is
    /// valid.
    #[test]
    fn envelope_must_match_the_commit_it_claims() {
        let (keys, _) = setup();
        let env = signed(&keys, &[0, 1, 2], 7);
        let committed: BTreeSet<Vec<u8>> = [0u8, 1, 2].iter().map(|i| vec![*i; 20]).collect();
        assert_eq!(match_commit(&env, 0, &committed), Ok(()));
        assert!(matches!(match_commit(&env, 1, &committed), Err(EnvelopeError::WrongRound { found: 0, expected: 1 })));
        let fewer: BTreeSet<Vec<u8>> = [0u8, 1].iter().map(|i| vec![*i; 20]).collect();
        assert!(matches!(match_commit(&env, 0, &fewer), Err(EnvelopeError::NotInCommit(_))));
    }

    #[test]
    fn forged_tampered_duplicated_or_thin_envelopes_are_refused() {
        let (keys, validators) = setup();
        let mut env = signed(&keys, &[0, 1, 2], 7);
        env.votes[1].extension.push(0);
        assert!(matches!(verify_envelope("c", 7, &env, &validators, true), Err(EnvelopeError::BadSignature(_))));
        let mut env = signed(&keys, &[0, 1, 2], 7);
        env.votes.push(env.votes[0].clone());
        assert!(matches!(verify_envelope("c", 7, &env, &validators, true), Err(EnvelopeError::Duplicate(_))));
        let env = signed(&keys, &[0, 1], 7);
        assert!(matches!(verify_envelope("c", 7, &env, &validators, true), Err(EnvelopeError::NoQuorum { .. })));
        let env = signed(&keys, &[0, 1, 2], 7);
        assert!(matches!(verify_envelope("other-chain", 7, &env, &validators, true), Err(EnvelopeError::BadSignature(_))));
        assert!(matches!(verify_envelope("c", 8, &env, &validators, true), Err(EnvelopeError::WrongHeight { .. })));
    }
}
