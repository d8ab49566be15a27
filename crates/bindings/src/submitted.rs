//! What a contract learns, in `reply`, from a `TssMsg` the engine accepted.

use cosmwasm_std::{from_json, SubMsgResponse};
use serde::{Deserialize, Serialize};

/// The response data of a [`TssMsg`](crate::TssMsg) sub-message (JSON).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RequestSubmitted {
    /// The request; its callback carries the same id.
    pub request_id: u64,
    /// For `CreateKeySet` and `DeleteKeySet`: the keyset.
    pub key_set_id: Option<u64>,
}

impl RequestSubmitted {
    /// Reads it from an accepted sub-message's response: the value of the first
    /// `msg_responses` entry, or the (deprecated) `data` when there is none. The error says
    /// what was missing or malformed.
    pub fn from_response(response: SubMsgResponse) -> Result<Self, String> {
        #[allow(deprecated)]
        let data = response.data;
        let value = match response.msg_responses.into_iter().next() {
            Some(first) => first.value,
            None => data.ok_or_else(|| "no msg_responses and no data".to_string())?,
        };
        from_json(&value).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{to_json_binary, Binary, MsgResponse};

    fn response(msg_responses: Vec<MsgResponse>, data: Option<Binary>) -> SubMsgResponse {
        #[allow(deprecated)]
        SubMsgResponse { events: vec![], data, msg_responses }
    }

    #[test]
    fn reads_msg_responses_first_then_data_and_says_what_is_missing() {
        let ok = RequestSubmitted { request_id: 7, key_set_id: Some(3) };
        let json = to_json_binary(&ok).unwrap_or_default();
        let entry = MsgResponse { type_url: "/tss.v1.MsgRequestResponse".into(), value: json.clone() };
        assert_eq!(RequestSubmitted::from_response(response(vec![entry], None)), Ok(ok.clone()));
        assert_eq!(RequestSubmitted::from_response(response(vec![], Some(json))), Ok(ok));
        assert!(RequestSubmitted::from_response(response(vec![], None)).is_err_and(|e| e.contains("no msg_responses")));
        assert!(RequestSubmitted::from_response(response(vec![], Some(Binary::from(b"{}".as_slice())))).is_err());
    }
}
