//! The queries.

use cosmwasm_std::{Deps, StdError, StdResult};
use tss_bindings::TssQuery;

use crate::msg::{DeliveryResponse, ItemResponse};
use crate::state::{DeliveryState, ALLOWED, DELIVERIES, ITEMS};

/// `item { id }`.
pub fn item(deps: Deps<TssQuery>, id: u64) -> StdResult<ItemResponse> {
    let item = ITEMS.may_load(deps.storage, id)?.ok_or_else(|| StdError::msg(format!("no item {id}")))?;
    Ok(ItemResponse { id, seller: item.seller.into_string(), description: item.description, ciphertext: item.ciphertext })
}

/// `delivery { item_id, buyer }`.
pub fn delivery(deps: Deps<TssQuery>, item_id: u64, buyer: String) -> StdResult<DeliveryResponse> {
    let buyer = deps.api.addr_validate(&buyer)?;
    let none = |status: &str| DeliveryResponse { status: status.into(), transport_key: None, u: None, v: None, reason: None };
    let Some(d) = DELIVERIES.may_load(deps.storage, (item_id, &buyer))? else {
        let allowed = ALLOWED.has(deps.storage, (item_id, &buyer));
        return Ok(none(if allowed { "allowed" } else { "none" }));
    };
    let mut response = DeliveryResponse { transport_key: Some(d.transport_key), ..none("pending") };
    match d.state {
        DeliveryState::Submitted | DeliveryState::Pending { .. } => {}
        DeliveryState::Delivered { u, v } => {
            response.status = "delivered".into();
            (response.u, response.v) = (Some(u), Some(v));
        }
        DeliveryState::Failed { reason } => {
            response.status = "failed".into();
            response.reason = Some(reason);
        }
    }
    Ok(response)
}
