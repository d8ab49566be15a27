//! A delivery: the buyer's request, the engine's acceptance (`reply`) and its answer (`sudo`).
//!
//! Only a re-encryption to the buyer's transport key is ever stored. A callback carrying a
//! plaintext (which this contract never asks for) is refused: recorded as a failure, its
//! content neither stored nor put in an event.

use cosmwasm_std::{Binary, CosmosMsg, DepsMut, MessageInfo, Reply, Response, SubMsg};
use tss_bindings::{Reencrypted, RequestSubmitted, TssMsg, TssQuery, TssSudoMsg};

use crate::msg::MAX_OPEN_REQUESTS;
use crate::state::{Delivery, DeliveryState, ALLOWED, DELIVERIES, ITEMS, OPEN, REQUESTS, SUBMITTING};
use crate::ContractError;

/// The reply id of a delivery's decryption request (one per transaction; [`SUBMITTING`] says
/// which delivery it is).
pub const DELIVERY_REPLY: u64 = 1;

/// The reason recorded when a callback carries a plaintext.
pub const PLAINTEXT_REFUSED: &str = "refused: the engine returned a plaintext, not a re-encryption";

/// `request { item_id, transport_key }`: an allowed buyer asks for the item re-encrypted.
pub fn request(
    deps: DepsMut<TssQuery>,
    info: MessageInfo,
    id: u64,
    transport_key: Binary,
) -> Result<Response<TssMsg>, ContractError> {
    let item = ITEMS.may_load(deps.storage, id)?.ok_or(ContractError::NoItem { id })?;
    let buyer = info.sender;
    if !ALLOWED.has(deps.storage, (id, &buyer)) {
        return Err(ContractError::NotAllowed { id, buyer: buyer.into_string() });
    }
    if transport_key.len() != 32 {
        return Err(ContractError::TransportKeyLength { len: transport_key.len() });
    }
    let earlier = DELIVERIES.may_load(deps.storage, (id, &buyer))?;
    if matches!(earlier.map(|d| d.state), Some(DeliveryState::Submitted | DeliveryState::Pending { .. })) {
        return Err(ContractError::AlreadyRequested { id, buyer: buyer.into_string() });
    }
    if OPEN.load(deps.storage)? >= MAX_OPEN_REQUESTS {
        return Err(ContractError::TooManyOpen { max: MAX_OPEN_REQUESTS });
    }
    let delivery = Delivery { transport_key: transport_key.clone(), state: DeliveryState::Submitted };
    DELIVERIES.save(deps.storage, (id, &buyer), &delivery)?;
    SUBMITTING.save(deps.storage, &(id, buyer.clone()))?;
    let msg = TssMsg::RequestDecryption { key_set_id: None, ciphertext: item.ciphertext, reencrypt_to: Some(transport_key) };
    // reply_on_success: a refused request fails the buyer's transaction, which undoes all this.
    Ok(Response::new()
        .add_attribute("action", "request")
        .add_attribute("item_id", id.to_string())
        .add_attribute("buyer", buyer)
        .add_submessage(SubMsg::reply_on_success(CosmosMsg::Custom(msg), DELIVERY_REPLY)))
}

/// `reply`: remembers which delivery the accepted request is for.
pub fn submitted(deps: DepsMut<TssQuery>, msg: Reply) -> Result<Response<TssMsg>, ContractError> {
    let (id, buyer) = match (msg.id, SUBMITTING.may_load(deps.storage)?) {
        (DELIVERY_REPLY, Some(submitting)) => submitting,
        _ => return Err(ContractError::UnknownReply { id: msg.id }),
    };
    SUBMITTING.remove(deps.storage);
    let response = msg.result.into_result().map_err(ContractError::NoRequestId)?;
    let request_id = RequestSubmitted::from_response(response).map_err(ContractError::NoRequestId)?.request_id;
    REQUESTS.save(deps.storage, request_id, &(id, buyer.clone()))?;
    let mut delivery = DELIVERIES.load(deps.storage, (id, &buyer))?;
    delivery.state = DeliveryState::Pending { request_id };
    DELIVERIES.save(deps.storage, (id, &buyer), &delivery)?;
    OPEN.update(deps.storage, |n| Ok::<_, ContractError>(n.saturating_add(1)))?;
    Ok(Response::new().add_attribute("action", "request_decryption").add_attribute("request_id", request_id.to_string()))
}

/// `sudo`: a delivery's answer; anything else, or an unknown request, is ignored.
pub fn callback(deps: DepsMut<TssQuery>, msg: TssSudoMsg) -> Result<Response<TssMsg>, ContractError> {
    let request_id = msg.request_id();
    if !matches!(msg, TssSudoMsg::DecryptionReady { .. } | TssSudoMsg::RequestFailed { .. }) {
        return Ok(ignored(request_id, "not a decryption callback"));
    }
    let Some((id, buyer)) = REQUESTS.may_load(deps.storage, request_id)? else {
        return Ok(ignored(request_id, "unknown request"));
    };
    REQUESTS.remove(deps.storage, request_id);
    let mut delivery = DELIVERIES.load(deps.storage, (id, &buyer))?;
    if delivery.state != (DeliveryState::Pending { request_id }) {
        return Ok(ignored(request_id, "delivery not waiting for this request"));
    }
    OPEN.update(deps.storage, |n| Ok::<_, ContractError>(n.saturating_sub(1)))?;
    delivery.state = match msg {
        // Never store or emit a plaintext: a public decryption of an item is a leak.
        TssSudoMsg::DecryptionReady { plaintext: Some(_), .. } => DeliveryState::Failed { reason: PLAINTEXT_REFUSED.into() },
        TssSudoMsg::DecryptionReady { reencrypted: Some(Reencrypted { u, v }), .. } if u.len() == 32 && v.len() == 32 => {
            DeliveryState::Delivered { u, v }
        }
        TssSudoMsg::DecryptionReady { .. } => DeliveryState::Failed { reason: "no 32-byte (u, v) in the result".into() },
        TssSudoMsg::RequestFailed { reason, .. } => DeliveryState::Failed { reason },
        _ => return Ok(ignored(request_id, "not a decryption callback")),
    };
    let mut response = Response::new()
        .add_attribute("action", "delivery")
        .add_attribute("item_id", id.to_string())
        .add_attribute("buyer", buyer.as_str());
    response = match &delivery.state {
        DeliveryState::Failed { reason } => response.add_attribute("status", "failed").add_attribute("error", reason),
        _ => response.add_attribute("status", "delivered"),
    };
    DELIVERIES.save(deps.storage, (id, &buyer), &delivery)?;
    Ok(response)
}

fn ignored(request_id: u64, why: &str) -> Response<TssMsg> {
    Response::new()
        .add_attribute("action", "callback_ignored")
        .add_attribute("request_id", request_id.to_string())
        .add_attribute("ignored", why)
}
