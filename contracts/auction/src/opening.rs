//! Opening the bids: `close` sends up to [`MAX_IN_FLIGHT`] decryption requests, each callback
//! records its bid and sends the next, and the last one decides the winner.
//!
//! A bid never blocks the others: a request the engine refuses outright (an error reply), a
//! failed request and a plaintext that is not an amount each exclude only that bid.

use cosmwasm_std::{
    Addr, CosmosMsg, DepsMut, Env, Order, Reply, Response, Storage, SubMsg, SubMsgResult, Uint128,
};
use cw_storage_plus::Bound;
use tss_bindings::{RequestSubmitted, TssMsg, TssQuery, TssSudoMsg};

use crate::msg::{MAX_IN_FLIGHT, NOT_AN_AMOUNT};
use crate::state::{BidState, Leader, Phase, Tally, BIDS, BY_ORDER, CONFIG, PHASE, REQUESTS, TALLY};
use crate::ContractError;

/// `close {}`: at or after `end_height`, starts (or tops up) the opening.
pub fn close(deps: DepsMut<TssQuery>, env: Env) -> Result<Response<TssMsg>, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if env.block.height < config.end_height {
        return Err(ContractError::BiddingOpen { end_height: config.end_height });
    }
    match PHASE.load(deps.storage)? {
        Phase::Closed { .. } => return Err(ContractError::AlreadyClosed),
        Phase::Bidding => PHASE.save(deps.storage, &Phase::Closing)?,
        Phase::Closing => {}
    }
    let mut tally = TALLY.load(deps.storage)?;
    let requests = send_next(deps.storage, &mut tally)?;
    let response = Response::new()
        .add_attribute("action", "close")
        .add_attribute("requested", requests.len().to_string())
        .add_submessages(requests);
    finish_if_done(deps.storage, tally, response)
}

/// Sends sealed bids, in bid order, until [`MAX_IN_FLIGHT`] are open. Each is a sub-message
/// whose reply id is the bid's place in the order.
fn send_next(storage: &mut dyn Storage, tally: &mut Tally) -> Result<Vec<SubMsg<TssMsg>>, ContractError> {
    let mut requests = Vec::new();
    while tally.in_flight < MAX_IN_FLIGHT {
        let next = BY_ORDER
            .range(storage, Some(Bound::inclusive(tally.cursor)), None, Order::Ascending)
            .next()
            .transpose()?;
        let Some((order, bidder)) = next else { break };
        tally.cursor = order + 1;
        let mut bid = BIDS.load(storage, &bidder)?;
        if bid.state != BidState::Sealed {
            continue;
        }
        let msg = TssMsg::RequestDecryption { key_set_id: None, ciphertext: bid.ciphertext.clone(), reencrypt_to: None };
        // reply_always: a request the engine refuses outright excludes this bid, not the close.
        requests.push(SubMsg::reply_always(CosmosMsg::Custom(msg), order));
        bid.state = BidState::Submitted;
        BIDS.save(storage, &bidder, &bid)?;
        tally.in_flight += 1;
    }
    Ok(requests)
}

/// `reply`: the engine accepted bid `msg.id`'s request (remember which bid it is) or refused it
/// (exclude the bid).
pub fn submitted(deps: DepsMut<TssQuery>, msg: Reply) -> Result<Response<TssMsg>, ContractError> {
    let order = msg.id;
    let bidder = BY_ORDER.may_load(deps.storage, order)?.ok_or(ContractError::UnknownReply { id: order })?;
    let mut bid = BIDS.load(deps.storage, &bidder)?;
    if bid.state != BidState::Submitted {
        return Err(ContractError::UnknownReply { id: order });
    }
    match msg.result {
        SubMsgResult::Ok(response) => {
            let request_id = RequestSubmitted::from_response(response).map_err(ContractError::NoRequestId)?.request_id;
            REQUESTS.save(deps.storage, request_id, &bidder)?;
            bid.state = BidState::Opening { request_id };
            BIDS.save(deps.storage, &bidder, &bid)?;
            Ok(Response::new()
                .add_attribute("action", "request_decryption")
                .add_attribute("bidder", bidder)
                .add_attribute("request_id", request_id.to_string()))
        }
        SubMsgResult::Err(error) => {
            let mut tally = TALLY.load(deps.storage)?;
            tally.in_flight = tally.in_flight.saturating_sub(1);
            let response = exclude(deps.storage, &mut tally, &bidder, format!("request refused: {error}"))?;
            finish_if_done(deps.storage, tally, response)
        }
    }
}

/// `sudo`: a decryption or a failure for one of the bids; anything else is ignored.
pub fn callback(deps: DepsMut<TssQuery>, _env: Env, msg: TssSudoMsg) -> Result<Response<TssMsg>, ContractError> {
    let request_id = msg.request_id();
    let outcome = match msg {
        TssSudoMsg::DecryptionReady { plaintext: Some(plaintext), .. } => parse_amount(plaintext.as_slice()),
        TssSudoMsg::DecryptionReady { .. } => Err("the decryption carried no plaintext".to_string()),
        TssSudoMsg::RequestFailed { reason, .. } => Err(reason),
        _ => return Ok(ignored(request_id, "not a decryption callback")),
    };
    let Some(bidder) = REQUESTS.may_load(deps.storage, request_id)? else {
        return Ok(ignored(request_id, "unknown request"));
    };
    REQUESTS.remove(deps.storage, request_id);
    let bid = BIDS.load(deps.storage, &bidder)?;
    if bid.state != (BidState::Opening { request_id }) {
        return Ok(ignored(request_id, "bid not being opened by this request"));
    }
    let mut tally = TALLY.load(deps.storage)?;
    tally.in_flight = tally.in_flight.saturating_sub(1);
    let response = match outcome {
        Ok(amount) => open(deps.storage, &mut tally, &bidder, bid.order, amount)?,
        Err(reason) => exclude(deps.storage, &mut tally, &bidder, reason)?,
    };
    let requests = send_next(deps.storage, &mut tally)?;
    finish_if_done(deps.storage, tally, response.add_submessages(requests))
}

/// The bid amount: decimal ASCII digits only (no sign, space or newline), fitting a u128.
fn parse_amount(plaintext: &[u8]) -> Result<Uint128, String> {
    let digits = std::str::from_utf8(plaintext)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    digits.and_then(|s| s.parse::<u128>().ok()).map(Uint128::new).ok_or_else(|| NOT_AN_AMOUNT.to_string())
}

fn open(
    storage: &mut dyn Storage,
    tally: &mut Tally,
    bidder: &Addr,
    order: u64,
    amount: Uint128,
) -> Result<Response<TssMsg>, ContractError> {
    let mut bid = BIDS.load(storage, bidder)?;
    bid.state = BidState::Opened { amount };
    BIDS.save(storage, bidder, &bid)?;
    tally.opened += 1;
    let candidate = Leader { bidder: bidder.clone(), amount, order };
    if tally.leader.as_ref().is_none_or(|leader| candidate.beats(leader)) {
        tally.leader = Some(candidate);
    }
    Ok(Response::new()
        .add_attribute("action", "bid_opened")
        .add_attribute("bidder", bidder)
        .add_attribute("bid_amount", amount))
}

fn exclude(
    storage: &mut dyn Storage,
    tally: &mut Tally,
    bidder: &Addr,
    reason: String,
) -> Result<Response<TssMsg>, ContractError> {
    let mut bid = BIDS.load(storage, bidder)?;
    bid.state = BidState::Excluded { reason: reason.clone() };
    BIDS.save(storage, bidder, &bid)?;
    tally.excluded += 1;
    Ok(Response::new()
        .add_attribute("action", "bid_excluded")
        .add_attribute("bidder", bidder)
        .add_attribute("reason", reason))
}

/// Saves the tally; when every bid is opened or excluded, closes with the winner.
fn finish_if_done(
    storage: &mut dyn Storage,
    tally: Tally,
    response: Response<TssMsg>,
) -> Result<Response<TssMsg>, ContractError> {
    TALLY.save(storage, &tally)?;
    if !tally.done() || tally.in_flight > 0 {
        return Ok(response);
    }
    let winner = tally.leader;
    PHASE.save(storage, &Phase::Closed { winner: winner.clone() })?;
    let response = response.add_attribute("closed", "true");
    Ok(match winner {
        Some(w) => response.add_attribute("winner", w.bidder).add_attribute("amount", w.amount),
        None => response.add_attribute("winner", "none"),
    })
}

fn ignored(request_id: u64, why: &str) -> Response<TssMsg> {
    Response::new()
        .add_attribute("action", "callback_ignored")
        .add_attribute("request_id", request_id.to_string())
        .add_attribute("ignored", why)
}
