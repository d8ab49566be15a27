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
    /// Too little voting power present.
    #[error("extensions carry {present} of {total} voting power, not more than 2/3")]
    NoQuorum {
        /// Power present.
        present: u64,
        /// Total power.
        total: u64,
    },
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
