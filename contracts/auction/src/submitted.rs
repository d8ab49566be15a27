//! Reading the id of a request the engine accepted from a sub-message's reply.

use cosmwasm_std::{from_json, SubMsgResponse};
use tss_bindings::RequestSubmitted;

use crate::ContractError;

/// The `RequestSubmitted` of an accepted `TssMsg`: the value of the first `msg_responses`
/// entry, or the (deprecated) `data` when there is none.
pub fn request_submitted(response: SubMsgResponse) -> Result<RequestSubmitted, ContractError> {
    #[allow(deprecated)]
    let data = response.data;
    let value = match response.msg_responses.into_iter().next() {
        Some(first) => first.value,
        None => data.ok_or_else(|| ContractError::NoRequestId("no msg_responses and no data".into()))?,
    };
    from_json(&value).map_err(|e| ContractError::NoRequestId(e.to_string()))
}
