//! The queries.

use cosmwasm_std::{Deps, StdError, StdResult};
use tss_bindings::TssQuery;

use crate::msg::{ConfigResponse, KeyResponse, ProposalResponse, VerifyResponse};
use crate::state::{KeyState, ProposalState, CONFIG, KEY, PROPOSALS};

/// `config {}`.
pub fn config(deps: Deps<TssQuery>) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse { approvers: c.approvers.into_iter().map(String::from).collect(), approvals_needed: c.approvals_needed })
}

/// `key {}`: before the keyset request is accepted, `pending` with no id.
pub fn key(deps: Deps<TssQuery>) -> StdResult<KeyResponse> {
    let Some(key) = KEY.may_load(deps.storage)? else {
        return Ok(KeyResponse { key_set_id: None, public_key: None, status: "pending".into(), reason: None });
    };
    let status = key.state.name().to_string();
    let (public_key, reason) = match key.state {
        KeyState::Pending => (None, None),
        KeyState::Ready { public_key } => (Some(public_key), None),
        KeyState::Failed { reason } => (None, Some(reason)),
    };
    Ok(KeyResponse { key_set_id: Some(key.key_set_id), public_key, status, reason })
}

/// `proposal { id }`.
pub fn proposal(deps: Deps<TssQuery>, id: u64) -> StdResult<ProposalResponse> {
    let p = PROPOSALS.may_load(deps.storage, id)?.ok_or_else(|| StdError::msg(format!("no proposal {id}")))?;
    let status = p.state.name().to_string();
    let (signature, public_key, reason) = match p.state {
        ProposalState::Signed { signature, public_key } => (Some(signature), Some(public_key), None),
        ProposalState::Failed { reason } => (None, None, Some(reason)),
        _ => (None, None, None),
    };
    Ok(ProposalResponse {
        id,
        proposer: p.proposer.into_string(),
        payload: p.payload,
        approvals: p.approvals.into_iter().map(String::from).collect(),
        status,
        signature,
        public_key,
        reason,
    })
}

/// `verify { proposal_id }`: the stored signature checked over the payload under the keyset's
/// group key (not the key the callback named). False when unsigned.
pub fn verify(deps: Deps<TssQuery>, proposal_id: u64) -> StdResult<VerifyResponse> {
    let p = PROPOSALS
        .may_load(deps.storage, proposal_id)?
        .ok_or_else(|| StdError::msg(format!("no proposal {proposal_id}")))?;
    let key = KEY.may_load(deps.storage)?;
    let valid = match (p.state, key.map(|k| k.state)) {
        (ProposalState::Signed { signature, .. }, Some(KeyState::Ready { public_key })) => {
            deps.api.ed25519_verify(p.payload.as_slice(), signature.as_slice(), public_key.as_slice()).unwrap_or(false)
        }
        _ => false,
    };
    Ok(VerifyResponse { valid })
}
