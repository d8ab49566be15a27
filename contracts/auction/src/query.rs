//! The queries.

use cosmwasm_std::{Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;
use tss_bindings::TssQuery;

use crate::msg::{BidView, BidsResponse, ConfigResponse, ResultResponse, MAX_PAGE};
use crate::state::{BidState, Phase, BIDS, CONFIG, PHASE, TALLY};

/// `config {}`.
pub fn config(deps: Deps<TssQuery>) -> StdResult<ConfigResponse> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ConfigResponse { description: c.description, end_height: c.end_height })
}

/// `bids {}`: by bidder address, after `start_after`, at most `limit` (1000).
pub fn bids(deps: Deps<TssQuery>, start_after: Option<String>, limit: Option<u32>) -> StdResult<BidsResponse> {
    let start = start_after.map(|a| deps.api.addr_validate(&a)).transpose()?;
    let limit = usize::try_from(limit.unwrap_or(MAX_PAGE).min(MAX_PAGE)).unwrap_or(usize::MAX);
    let bids = BIDS
        .range(deps.storage, start.as_ref().map(Bound::exclusive), None, Order::Ascending)
        .take(limit)
        .map(|item| {
            let (bidder, bid) = item?;
            let (status, amount, reason) = match bid.state {
                BidState::Sealed | BidState::Submitted | BidState::Opening { .. } => ("pending", None, None),
                BidState::Opened { amount } => ("opened", Some(amount), None),
                BidState::Excluded { reason } => ("excluded", None, Some(reason)),
            };
            Ok(BidView { bidder: bidder.to_string(), order: bid.order, status: status.into(), amount, reason })
        })
        .collect::<StdResult<_>>()?;
    Ok(BidsResponse { bids })
}

/// `result {}`.
pub fn result(deps: Deps<TssQuery>, env: Env) -> StdResult<ResultResponse> {
    let config = CONFIG.load(deps.storage)?;
    let tally = TALLY.load(deps.storage)?;
    let (status, winner) = match PHASE.load(deps.storage)? {
        Phase::Bidding if env.block.height < config.end_height => ("bidding", None),
        Phase::Bidding => ("ended", None),
        Phase::Closing => ("closing", None),
        Phase::Closed { winner } => ("closed", winner),
    };
    Ok(ResultResponse {
        status: status.into(),
        winner: winner.as_ref().map(|w| w.bidder.to_string()),
        amount: winner.map(|w| w.amount),
        bids: tally.bids,
        opened: tally.opened,
        excluded: tally.excluded,
    })
}
