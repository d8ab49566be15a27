//! The keyset and the signature requests: sent in proposal order, at most [`MAX_IN_FLIGHT`]
//! open, each answered by one callback. A refused or failed request fails only its proposal.

use cosmwasm_std::{CosmosMsg, DepsMut, Order, Reply, Response, Storage, SubMsg, SubMsgResult};
use tss_bindings::{RequestSubmitted, TssMsg, TssQuery, TssSudoMsg};

use crate::msg::MAX_IN_FLIGHT;
use crate::state::{Key, KeyState, ProposalState, IN_FLIGHT, KEY, PROPOSALS, QUEUE, REQUESTS};
use crate::ContractError;

/// The reply id of `CreateKeySet`; a signature request's reply id is its proposal's id (from 1).
pub const KEY_SET_REPLY: u64 = 0;

/// Sends queued proposals for signing while the key is ready and fewer than
/// [`MAX_IN_FLIGHT`] requests are open.
pub fn send_queued(storage: &mut dyn Storage) -> Result<Vec<SubMsg<TssMsg>>, ContractError> {
    let Some(Key { key_set_id, state: KeyState::Ready { .. }, .. }) = KEY.may_load(storage)? else {
        return Ok(vec![]);
    };
    let mut in_flight = IN_FLIGHT.load(storage)?;
    let room = usize::try_from(MAX_IN_FLIGHT.saturating_sub(in_flight)).unwrap_or(0);
    let ids = QUEUE.keys(storage, None, None, Order::Ascending).take(room).collect::<Result<Vec<u64>, _>>()?;
    let mut requests = Vec::with_capacity(ids.len());
    for id in ids {
        QUEUE.remove(storage, id);
        let mut proposal = PROPOSALS.load(storage, id)?;
        let msg = TssMsg::RequestSignature { key_set_id: Some(key_set_id), message: proposal.payload.clone(), derivation: None };
        // reply_always: a request the engine refuses outright fails this proposal only.
        requests.push(SubMsg::reply_always(CosmosMsg::Custom(msg), id));
        proposal.state = ProposalState::Submitted;
        PROPOSALS.save(storage, id, &proposal)?;
        in_flight += 1;
    }
    IN_FLIGHT.save(storage, &in_flight)?;
    Ok(requests)
}

/// `reply`: records the keyset's ids, or which proposal a request signs (or that the engine
/// refused it).
pub fn submitted(deps: DepsMut<TssQuery>, msg: Reply) -> Result<Response<TssMsg>, ContractError> {
    if msg.id == KEY_SET_REPLY {
        let response = msg.result.into_result().map_err(|e| ContractError::NoRequestId(e.to_string()))?;
        let submitted = RequestSubmitted::from_response(response).map_err(ContractError::NoRequestId)?;
        let key_set_id = submitted.key_set_id.ok_or(ContractError::NoKeySetId)?;
        KEY.save(deps.storage, &Key { request_id: submitted.request_id, key_set_id, state: KeyState::Pending })?;
        return Ok(Response::new()
            .add_attribute("action", "create_key_set")
            .add_attribute("key_set_id", key_set_id.to_string())
            .add_attribute("request_id", submitted.request_id.to_string()));
    }
    let id = msg.id;
    let mut proposal = PROPOSALS.may_load(deps.storage, id)?.ok_or(ContractError::UnknownReply { id })?;
    if proposal.state != ProposalState::Submitted {
        return Err(ContractError::UnknownReply { id });
    }
    let response = Response::new().add_attribute("proposal_id", id.to_string());
    let response = match msg.result {
        SubMsgResult::Ok(r) => {
            let request_id = RequestSubmitted::from_response(r).map_err(ContractError::NoRequestId)?.request_id;
            REQUESTS.save(deps.storage, request_id, &id)?;
            proposal.state = ProposalState::Signing { request_id };
            response.add_attribute("action", "request_signature").add_attribute("request_id", request_id.to_string())
        }
        SubMsgResult::Err(error) => {
            IN_FLIGHT.update(deps.storage, |n| Ok::<_, ContractError>(n.saturating_sub(1)))?;
            let reason = format!("request refused: {error}");
            proposal.state = ProposalState::Failed { reason: reason.clone() };
            response.add_attribute("action", "signature_failed").add_attribute("reason", reason)
        }
    };
    PROPOSALS.save(deps.storage, id, &proposal)?;
    Ok(response)
}

/// `sudo`: the keyset, a signature or a failure; anything else, or an unknown request, is
/// ignored.
pub fn callback(deps: DepsMut<TssQuery>, msg: TssSudoMsg) -> Result<Response<TssMsg>, ContractError> {
    let request_id = msg.request_id();
    let key = KEY.may_load(deps.storage)?;
    let for_key = key.as_ref().filter(|k| k.request_id == request_id && k.state == KeyState::Pending);
    let response = match (msg, for_key) {
        (TssSudoMsg::KeySetReady { key_set_id, public_key, .. }, Some(key)) if key_set_id == key.key_set_id => {
            let state = if public_key.len() == 32 {
                KeyState::Ready { public_key }
            } else {
                KeyState::Failed { reason: format!("the group key is {} bytes, not 32", public_key.len()) }
            };
            let response = Response::new().add_attribute("action", "key_set").add_attribute("status", state.name());
            KEY.save(deps.storage, &Key { state, ..key.clone() })?;
            response
        }
        (TssSudoMsg::RequestFailed { reason, .. }, Some(key)) => {
            KEY.save(deps.storage, &Key { state: KeyState::Failed { reason: reason.clone() }, ..key.clone() })?;
            Response::new().add_attribute("action", "key_set").add_attribute("status", "failed").add_attribute("reason", reason)
        }
        (msg @ (TssSudoMsg::SignatureReady { .. } | TssSudoMsg::RequestFailed { .. }), None) => {
            match signature_answered(deps.storage, key.as_ref(), msg)? {
                Some(response) => response,
                None => return Ok(ignored(request_id, "unknown request")),
            }
        }
        _ => return Ok(ignored(request_id, "not a callback this vault expects")),
    };
    let requests = send_queued(deps.storage)?;
    Ok(response.add_submessages(requests))
}

/// A signature request's answer; none when no proposal waits for this request.
fn signature_answered(
    storage: &mut dyn Storage,
    key: Option<&Key>,
    msg: TssSudoMsg,
) -> Result<Option<Response<TssMsg>>, ContractError> {
    let request_id = msg.request_id();
    let Some(id) = REQUESTS.may_load(storage, request_id)? else { return Ok(None) };
    REQUESTS.remove(storage, request_id);
    let mut proposal = PROPOSALS.load(storage, id)?;
    if proposal.state != (ProposalState::Signing { request_id }) {
        return Ok(None);
    }
    IN_FLIGHT.update(storage, |n| Ok::<_, ContractError>(n.saturating_sub(1)))?;
    proposal.state = match msg {
        TssSudoMsg::SignatureReady { key_set_id, public_key, message, signature, .. } => {
            if Some(key_set_id) != key.map(|k| k.key_set_id) || message != proposal.payload {
                ProposalState::Failed { reason: "the signature is not over this payload by this keyset".into() }
            } else {
                ProposalState::Signed { signature, public_key }
            }
        }
        TssSudoMsg::RequestFailed { reason, .. } => ProposalState::Failed { reason },
        _ => return Ok(None),
    };
    PROPOSALS.save(storage, id, &proposal)?;
    let mut response = Response::new()
        .add_attribute("action", "signature")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("status", proposal.state.name());
    if let ProposalState::Failed { reason } = &proposal.state {
        response = response.add_attribute("reason", reason);
    }
    Ok(Some(response))
}

fn ignored(request_id: u64, why: &str) -> Response<TssMsg> {
    Response::new()
        .add_attribute("action", "callback_ignored")
        .add_attribute("request_id", request_id.to_string())
        .add_attribute("ignored", why)
}
