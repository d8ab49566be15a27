//! What the proposer adds to a block besides the injected extensions: signatures it aggregated
//! from the shares in them. Every node checks each with one signature verification instead of
//! aggregating itself; a missing or wrong one only costs the fallback (nodes aggregate).
//! [`check_aggregates`] is ProcessProposal's bound on what a hostile proposer can put there.

use crate::apply::derivation_tweak;
use crate::context::{identifier, key_of};
use crate::signing::{attempt_package, parse_share};
use crate::extension::{check_form, Item};
use crate::state::{EngineState, Job};
use crate::types::{ParticipantKey, RequestId};
use std::collections::{BTreeMap, BTreeSet};

/// Aggregates every signing attempt whose shares are all in `extensions` (those of the previous
/// height). Returns (request, attempt, signature) for the block, in request order. The
/// aggregations (a group commitment and a signature check each) run on all cores.
pub fn aggregate_signatures(state: &EngineState, extensions: &[(Vec<u8>, Vec<u8>)]) -> Vec<(RequestId, u32, [u8; 64])> {
    use rayon::prelude::*;
    let budget = state.meta.params.extension_budget;
    let mut shares: BTreeMap<(RequestId, u32), BTreeMap<ParticipantKey, [u8; 32]>> = BTreeMap::new();
    for (address, bytes) in extensions {
        let Some(sender) = identifier(address).map(|i| key_of(&i)) else { continue };
        let Ok(ext) = check_form(bytes, state.meta.height, budget) else { continue };
        for item in ext.items {
            if let Item::SignatureShare { request, attempt, share } = item {
                shares.entry((request, attempt)).or_default().entry(sender).or_insert(share);
            }
        }
    }
    // Key sets decoded once, not once per request.
    let mut key_sets = BTreeMap::new();
    let mut complete = Vec::new();
    for ((request, attempt), got) in shares {
        let Some(r) = state.requests.get(&request) else { continue };
        let (Some(a), Job::Sign { message, context }) = (&r.attempt, &r.job) else { continue };
        if a.number != attempt || a.signers.keys().any(|k| !got.contains_key(k)) {
            continue;
        }
        let slot = (r.keyset, a.generation, a.epoch);
        let Some(public) = key_sets.entry(slot).or_insert_with(|| state.public_key_set(slot.0, slot.1, slot.2).ok()).clone() else { continue };
        complete.push((request, attempt, a, message, context, public, got));
    }
    complete
        .into_par_iter()
        .filter_map(|(request, attempt, a, message, context, public, got)| {
            let tweak = derivation_tweak(&public, context);
            let package = attempt_package(&state.decoded_commitments, message, &a.signers, &public, tweak.as_ref()).ok()?;
            let parsed: Vec<_> = a.signers.keys().filter_map(|k| parse_share(k, got.get(k)?)).collect();
            package.aggregate(&parsed, &public).ok().map(|signature| (request, attempt, signature))
        })
        .collect()
}

/// Why ProcessProposal refuses a proposer's aggregates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AggregateError {
    /// More aggregates than signing attempts are open.
    #[error("{found} aggregated signatures, but only {open} signing attempts are open")]
    TooMany {
        /// Aggregates in the block.
        found: usize,
        /// Open signing attempts in committed state.
        open: usize,
    },
    /// The same request twice.
    #[error("two aggregated signatures for request {0}")]
    Duplicate(RequestId),
    /// No open signing attempt with this number (unknown, finished, or another attempt).
    #[error("aggregated signature for request {0} attempt {1}, which is not an open signing attempt")]
    NotOpen(RequestId, u32),
}

/// ProcessProposal's check of the proposer's aggregates against committed state: at most one
/// per request, each for an open signing attempt, so no more than there are open attempts.
/// Cheap (no cryptography): a hostile proposer cannot make every node verify thousands of
/// signatures. Whether each signature verifies is decided in `apply`, where a bad one is
/// ignored.
pub fn check_aggregates(state: &EngineState, aggregates: &[(RequestId, u32, [u8; 64])]) -> Result<(), AggregateError> {
    let open = state.requests.values().filter(|r| matches!(r.job, Job::Sign { .. }) && r.attempt.is_some()).count();
    if aggregates.len() > open {
        return Err(AggregateError::TooMany { found: aggregates.len(), open });
    }
    let mut seen = BTreeSet::new();
    for (request, attempt, _) in aggregates {
        if !seen.insert(*request) {
            return Err(AggregateError::Duplicate(*request));
        }
        let is_open = state.requests.get(request).is_some_and(|r| matches!(r.job, Job::Sign { .. }) && r.attempt.as_ref().is_some_and(|a| a.number == *attempt));
        if !is_open {
            return Err(AggregateError::NotOpen(*request, *attempt));
        }
    }
    Ok(())
}
