//! A test contract: misbehaves on command so the host's tests can check each failure gives a
//! clear result and leaves state consistent. See README.md.

use cosmwasm_std::{
    entry_point, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Order, Reply, Response, StdError, StdResult, SubMsg, SubMsgResult, WasmMsg,
};
use serde::{Deserialize, Serialize};
use tss_bindings::{TssMsg, TssQuery, TssSudoMsg};

/// Instantiate: nothing to configure.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct InstantiateMsg {}

/// How a reply is asked for.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReplyOn {
    /// Never.
    Never,
    /// On success.
    Success,
    /// On error.
    Error,
    /// Always.
    Always,
}

/// The commands.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExecuteMsg {
    /// Stores a value.
    Set {
        /// Key.
        key: String,
        /// Value.
        value: String,
    },
    /// Panics.
    Panic {},
    /// Loops until the gas runs out.
    Loop {},
    /// Returns an error.
    Fail {
        /// The error.
        message: String,
    },
    /// Writes a key, then fails (the write must not stay).
    WriteThenFail {
        /// Key.
        key: String,
    },
    /// Executes another contract as a sub-message.
    Call {
        /// The contract.
        contract: String,
        /// Its execute message.
        msg: Binary,
        /// When to reply.
        reply: ReplyOn,
    },
    /// Sends a TSS message (with a reply on success, recording the ids).
    Tss {
        /// The message.
        msg: TssMsg,
    },
    /// How `sudo` behaves from now on: `ok`, `fail`, `panic`, `loop`, or `sign_again` (a new
    /// signature request from the callback).
    SudoMode {
        /// The mode.
        mode: String,
    },
}

/// The queries.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QueryMsg {
    /// A stored value.
    Get {
        /// Key.
        key: String,
    },
    /// Every stored entry whose key starts with a prefix (`cb/`, `reply/`).
    List {
        /// The prefix.
        prefix: String,
    },
    /// A TSS query, passed through.
    Tss {
        /// The query.
        query: TssQuery,
    },
}

const REPLY_TSS: u64 = 1;
const REPLY_CALL: u64 = 2;

/// Instantiate.
#[entry_point]
pub fn instantiate(deps: DepsMut<TssQuery>, _env: Env, info: MessageInfo, _msg: InstantiateMsg) -> StdResult<Response<TssMsg>> {
    deps.storage.set(b"creator", info.sender.as_bytes());
    Ok(Response::new().add_attribute("action", "instantiate"))
}

/// Execute.
#[entry_point]
pub fn execute(deps: DepsMut<TssQuery>, _env: Env, _info: MessageInfo, msg: ExecuteMsg) -> StdResult<Response<TssMsg>> {
    match msg {
        ExecuteMsg::Set { key, value } => {
            deps.storage.set(key.as_bytes(), value.as_bytes());
            Ok(Response::new().add_attribute("set", key))
        }
        ExecuteMsg::Panic {} => panic!("the probe panics on command"),
        ExecuteMsg::Loop {} => {
            let mut i: u64 = 0;
            loop {
                i = core::hint::black_box(i.wrapping_add(1));
                if i == 0 {
                    return Ok(Response::new());
                }
            }
        }
        ExecuteMsg::Fail { message } => Err(StdError::msg(message)),
        ExecuteMsg::WriteThenFail { key } => {
            deps.storage.set(key.as_bytes(), b"must not stay");
            Err(StdError::msg("failed after writing"))
        }
        ExecuteMsg::Call { contract, msg, reply } => {
            let wasm = WasmMsg::Execute { contract_addr: contract, msg, funds: vec![] };
            let sub = match reply {
                ReplyOn::Never => SubMsg::new(wasm),
                ReplyOn::Success => SubMsg::reply_on_success(wasm, REPLY_CALL),
                ReplyOn::Error => SubMsg::reply_on_error(wasm, REPLY_CALL),
                ReplyOn::Always => SubMsg::reply_always(wasm, REPLY_CALL),
            };
            Ok(Response::new().add_submessage(sub))
        }
        ExecuteMsg::Tss { msg } => Ok(Response::new().add_submessage(SubMsg::reply_always(cosmwasm_std::CosmosMsg::Custom(msg), REPLY_TSS))),
        ExecuteMsg::SudoMode { mode } => {
            deps.storage.set(b"sudo_mode", mode.as_bytes());
            Ok(Response::new())
        }
    }
}

/// Replies: recorded under `reply/<n>` in arrival order.
#[entry_point]
pub fn reply(deps: DepsMut<TssQuery>, _env: Env, msg: Reply) -> StdResult<Response<TssMsg>> {
    let n = deps.storage.range(Some(b"reply/"), Some(b"reply0"), Order::Ascending).count();
    let record = match &msg.result {
        #[allow(deprecated)]
        SubMsgResult::Ok(r) => format!("ok id={} data={} responses={}", msg.id, r.data.as_ref().map(|d| String::from_utf8_lossy(d.as_slice()).into_owned()).unwrap_or_default(), r.msg_responses.len()),
        SubMsgResult::Err(e) => format!("err id={} {e}", msg.id),
    };
    deps.storage.set(format!("reply/{n:04}").as_bytes(), record.as_bytes());
    Ok(Response::new())
}

/// Callbacks: recorded under `cb/<request id>`; a second one for the same id is an error the
/// tests look for (`dup/<request id>`).
#[entry_point]
pub fn sudo(deps: DepsMut<TssQuery>, _env: Env, msg: TssSudoMsg) -> StdResult<Response<TssMsg>> {
    let key = format!("cb/{:08}", msg.request_id());
    if deps.storage.get(key.as_bytes()).is_some() {
        deps.storage.set(format!("dup/{:08}", msg.request_id()).as_bytes(), b"1");
    }
    deps.storage.set(key.as_bytes(), &cosmwasm_std::to_json_vec(&msg)?);
    let mode = deps.storage.get(b"sudo_mode").unwrap_or_default();
    match mode.as_slice() {
        b"fail" => Err(StdError::msg("the probe's callback fails on command")),
        b"panic" => panic!("the probe's callback panics on command"),
        b"loop" => loop {
            core::hint::black_box(());
        },
        b"sign_again" => {
            let sign = TssMsg::RequestSignature { key_set_id: None, message: Binary::from(b"again".as_slice()), derivation: None };
            Ok(Response::new().add_submessage(SubMsg::reply_on_success(cosmwasm_std::CosmosMsg::Custom(sign), REPLY_TSS)))
        }
        _ => Ok(Response::new().add_attribute("callback", msg.request_id().to_string())),
    }
}

/// Migrate: records that it happened.
#[entry_point]
pub fn migrate(deps: DepsMut<TssQuery>, _env: Env, _msg: cosmwasm_std::Empty) -> StdResult<Response<TssMsg>> {
    deps.storage.set(b"migrated", b"1");
    Ok(Response::new())
}

/// Query.
#[entry_point]
pub fn query(deps: Deps<TssQuery>, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Get { key } => to_json_binary(&deps.storage.get(key.as_bytes()).map(|v| String::from_utf8_lossy(&v).into_owned())),
        QueryMsg::List { prefix } => {
            let entries: Vec<(String, String)> = deps
                .storage
                .range(None, None, Order::Ascending)
                .filter(|(k, _)| k.starts_with(prefix.as_bytes()))
                .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), String::from_utf8_lossy(&v).into_owned()))
                .collect();
            to_json_binary(&entries)
        }
        QueryMsg::Tss { query } => {
            let request = cosmwasm_std::to_json_vec(&cosmwasm_std::QueryRequest::Custom(query))?;
            match deps.querier.raw_query(&request) {
                cosmwasm_std::SystemResult::Ok(cosmwasm_std::ContractResult::Ok(answer)) => Ok(answer),
                cosmwasm_std::SystemResult::Ok(cosmwasm_std::ContractResult::Err(e)) => Err(StdError::msg(e)),
                cosmwasm_std::SystemResult::Err(e) => Err(StdError::msg(e.to_string())),
            }
        }
    }
}
