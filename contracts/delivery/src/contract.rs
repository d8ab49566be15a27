//! Entry points, and what sellers do.

use cosmwasm_std::{
    entry_point, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, StdResult,
};
use tss_bindings::{expect_label, LabelError, TssMsg, TssQuery, TssSudoMsg};

use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, MAX_CIPHERTEXT_LEN, MAX_DESCRIPTION_LEN};
use crate::state::{Offer, ALLOWED, ITEMS, LAST_ITEM, OPEN};
use crate::{delivering, query, ContractError};

/// Nothing to set.
#[entry_point]
pub fn instantiate(
    deps: DepsMut<TssQuery>,
    _env: Env,
    _info: MessageInfo,
    _msg: InstantiateMsg,
) -> Result<Response<TssMsg>, ContractError> {
    LAST_ITEM.save(deps.storage, &0)?;
    OPEN.save(deps.storage, &0)?;
    Ok(Response::new().add_attribute("action", "instantiate"))
}

/// `offer`, `allow`, `request`.
#[entry_point]
pub fn execute(
    deps: DepsMut<TssQuery>,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response<TssMsg>, ContractError> {
    match msg {
        ExecuteMsg::Offer { ciphertext, description } => offer(deps, env, info, ciphertext, description),
        ExecuteMsg::Allow { item_id, buyer } => allow(deps, info, item_id, buyer),
        ExecuteMsg::Request { item_id, transport_key } => delivering::request(deps, info, item_id, transport_key),
    }
}

/// An item, checked for size and label.
fn offer(
    deps: DepsMut<TssQuery>,
    env: Env,
    info: MessageInfo,
    ciphertext: Binary,
    description: String,
) -> Result<Response<TssMsg>, ContractError> {
    if description.len() > MAX_DESCRIPTION_LEN {
        return Err(ContractError::DescriptionTooLong { len: description.len(), max: MAX_DESCRIPTION_LEN });
    }
    if ciphertext.len() > MAX_CIPHERTEXT_LEN {
        return Err(ContractError::CiphertextTooLong { len: ciphertext.len(), max: MAX_CIPHERTEXT_LEN });
    }
    // The engine checks only that the label names this contract; binding the seller here means
    // nobody can offer a copy of another seller's item as their own and allow themselves.
    let seller = info.sender;
    let contract = deps.api.addr_canonicalize(env.contract.address.as_str())?;
    let purpose = [b"item:".as_slice(), seller.as_str().as_bytes()].concat();
    expect_label(ciphertext.as_slice(), contract.as_slice(), &purpose).map_err(|e| match e {
        LabelError::Malformed => ContractError::MalformedCiphertext,
        LabelError::Wrong { expected_hex } => ContractError::WrongLabel { seller: seller.to_string(), expected_hex },
    })?;
    let id = LAST_ITEM.load(deps.storage)? + 1;
    LAST_ITEM.save(deps.storage, &id)?;
    ITEMS.save(deps.storage, id, &Offer { seller: seller.clone(), description, ciphertext })?;
    Ok(Response::new()
        .add_attribute("action", "offer")
        .add_attribute("seller", seller)
        .add_attribute("item_id", id.to_string())
        .set_data(to_json_binary(&id)?))
}

/// The seller allows `buyer`.
fn allow(deps: DepsMut<TssQuery>, info: MessageInfo, id: u64, buyer: String) -> Result<Response<TssMsg>, ContractError> {
    let item = ITEMS.may_load(deps.storage, id)?.ok_or(ContractError::NoItem { id })?;
    if item.seller != info.sender {
        return Err(ContractError::NotTheSeller { id, sender: info.sender.into_string() });
    }
    let buyer = deps.api.addr_validate(&buyer)?;
    ALLOWED.save(deps.storage, (id, &buyer), &())?;
    Ok(Response::new()
        .add_attribute("action", "allow")
        .add_attribute("item_id", id.to_string())
        .add_attribute("buyer", buyer))
}

/// The engine accepted the request being submitted.
#[entry_point]
pub fn reply(deps: DepsMut<TssQuery>, _env: Env, msg: Reply) -> Result<Response<TssMsg>, ContractError> {
    delivering::submitted(deps, msg)
}

/// The engine's callbacks: a re-encryption, or a failure.
#[entry_point]
pub fn sudo(deps: DepsMut<TssQuery>, _env: Env, msg: TssSudoMsg) -> Result<Response<TssMsg>, ContractError> {
    delivering::callback(deps, msg)
}

/// `item`, `delivery`.
#[entry_point]
pub fn query(deps: Deps<TssQuery>, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Item { id } => to_json_binary(&query::item(deps, id)?),
        QueryMsg::Delivery { item_id, buyer } => to_json_binary(&query::delivery(deps, item_id, buyer)?),
    }
}

/// Nothing to migrate; accepts `{}` so that an admin can move the contract to new code.
#[entry_point]
pub fn migrate(_deps: DepsMut<TssQuery>, _env: Env, _msg: MigrateMsg) -> Result<Response<TssMsg>, ContractError> {
    Ok(Response::new().add_attribute("action", "migrate"))
}
