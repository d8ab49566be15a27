//! Entry points, and the bidding phase.

use cosmwasm_std::{
    entry_point, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response,
    StdResult,
};
use tss_bindings::{expect_label, LabelError, TssMsg, TssQuery, TssSudoMsg};

use crate::msg::{
    ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, MAX_BIDS, MAX_BID_LEN, MAX_DESCRIPTION_LEN,
};
use crate::state::{Bid, BidState, Config, Phase, Tally, BIDS, BY_ORDER, CONFIG, NEXT_ORDER, PHASE, TALLY};
use crate::{opening, query, ContractError};

/// Sets the terms; bidding opens at once.
#[entry_point]
pub fn instantiate(
    deps: DepsMut<TssQuery>,
    env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response<TssMsg>, ContractError> {
    if msg.end_height <= env.block.height {
        return Err(ContractError::EndInPast { end_height: msg.end_height, height: env.block.height });
    }
    if msg.description.len() > MAX_DESCRIPTION_LEN {
        return Err(ContractError::DescriptionTooLong { len: msg.description.len(), max: MAX_DESCRIPTION_LEN });
    }
    CONFIG.save(deps.storage, &Config { description: msg.description, end_height: msg.end_height })?;
    PHASE.save(deps.storage, &Phase::Bidding)?;
    NEXT_ORDER.save(deps.storage, &0)?;
    TALLY.save(deps.storage, &Tally::default())?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("end_height", msg.end_height.to_string()))
}

/// `bid` and `close`.
#[entry_point]
pub fn execute(
    deps: DepsMut<TssQuery>,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response<TssMsg>, ContractError> {
    match msg {
        ExecuteMsg::Bid { ciphertext } => bid(deps, env, info, ciphertext),
        ExecuteMsg::Close {} => opening::close(deps, env),
    }
}

/// A sealed bid: checked for size and label, then stored; it replaces the sender's earlier bid.
fn bid(
    deps: DepsMut<TssQuery>,
    env: Env,
    info: MessageInfo,
    ciphertext: Binary,
) -> Result<Response<TssMsg>, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if env.block.height >= config.end_height || PHASE.load(deps.storage)? != Phase::Bidding {
        return Err(ContractError::BiddingEnded { end_height: config.end_height });
    }
    if ciphertext.len() > MAX_BID_LEN {
        return Err(ContractError::BidTooLong { len: ciphertext.len(), max: MAX_BID_LEN });
    }
    // The engine checks only that the label names this contract; binding the bidder here is
    // what makes a copy of someone else's ciphertext useless (it carries their address).
    let bidder = info.sender;
    let contract = deps.api.addr_canonicalize(env.contract.address.as_str())?;
    let purpose = [b"bid:".as_slice(), bidder.as_str().as_bytes()].concat();
    expect_label(ciphertext.as_slice(), contract.as_slice(), &purpose).map_err(|e| match e {
        LabelError::Malformed => ContractError::MalformedCiphertext,
        LabelError::Wrong { expected_hex } => ContractError::WrongLabel { bidder: bidder.to_string(), expected_hex },
    })?;

    let mut tally = TALLY.load(deps.storage)?;
    let replaced = BIDS.may_load(deps.storage, &bidder)?;
    match &replaced {
        Some(earlier) => BY_ORDER.remove(deps.storage, earlier.order),
        None if tally.bids >= MAX_BIDS => return Err(ContractError::TooManyBids { max: MAX_BIDS }),
        None => tally.bids += 1,
    }
    let order = NEXT_ORDER.load(deps.storage)?;
    NEXT_ORDER.save(deps.storage, &(order + 1))?;
    BY_ORDER.save(deps.storage, order, &bidder)?;
    BIDS.save(deps.storage, &bidder, &Bid { ciphertext, order, state: BidState::Sealed })?;
    TALLY.save(deps.storage, &tally)?;
    Ok(Response::new()
        .add_attribute("action", "bid")
        .add_attribute("bidder", bidder)
        .add_attribute("order", order.to_string())
        .add_attribute("replaced", replaced.is_some().to_string()))
}

/// The engine accepted (or refused) a decryption request.
#[entry_point]
pub fn reply(deps: DepsMut<TssQuery>, _env: Env, msg: Reply) -> Result<Response<TssMsg>, ContractError> {
    opening::submitted(deps, msg)
}

/// The engine's callbacks: a decryption or a failure.
#[entry_point]
pub fn sudo(deps: DepsMut<TssQuery>, env: Env, msg: TssSudoMsg) -> Result<Response<TssMsg>, ContractError> {
    opening::callback(deps, env, msg)
}

/// `config`, `bids`, `result`.
#[entry_point]
pub fn query(deps: Deps<TssQuery>, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Bids { start_after, limit } => to_json_binary(&query::bids(deps, start_after, limit)?),
        QueryMsg::Result {} => to_json_binary(&query::result(deps, env)?),
    }
}

/// Nothing to migrate; accepts `{}` so that an admin can move the contract to new code.
#[entry_point]
pub fn migrate(_deps: DepsMut<TssQuery>, _env: Env, _msg: MigrateMsg) -> Result<Response<TssMsg>, ContractError> {
    Ok(Response::new().add_attribute("action", "migrate"))
}
