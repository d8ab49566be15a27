//! Entry points, and what approvers do.

use cosmwasm_std::{
    entry_point, to_json_binary, Addr, Binary, CosmosMsg, Deps, DepsMut, Env, MessageInfo, Reply, Response,
    StdResult, SubMsg,
};
use tss_bindings::{TssMsg, TssQuery, TssSudoMsg};

use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, MAX_APPROVERS, MAX_PAYLOAD_LEN};
use crate::signing::{self, KEY_SET_REPLY};
use crate::state::{Config, KeyState, Proposal, ProposalState, CONFIG, IN_FLIGHT, KEY, LAST_PROPOSAL, PROPOSALS, QUEUE};
use crate::{query, ContractError};

/// Checks the approvers and asks for the vault's keyset; the reply records its id.
#[entry_point]
pub fn instantiate(
    deps: DepsMut<TssQuery>,
    env: Env,
    _info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response<TssMsg>, ContractError> {
    if msg.approvers.is_empty() || msg.approvers.len() > MAX_APPROVERS {
        return Err(ContractError::ApproverCount { count: msg.approvers.len(), max: MAX_APPROVERS });
    }
    let mut approvers: Vec<Addr> = Vec::with_capacity(msg.approvers.len());
    for a in &msg.approvers {
        let addr = deps.api.addr_validate(a)?;
        if approvers.contains(&addr) {
            return Err(ContractError::DuplicateApprover(addr.into_string()));
        }
        approvers.push(addr);
    }
    let needed = usize::try_from(msg.approvals_needed).unwrap_or(usize::MAX);
    if needed == 0 || needed > approvers.len() {
        return Err(ContractError::ApprovalsNeeded { needed: msg.approvals_needed, approvers: approvers.len() });
    }
    let config = Config { approvers, approvals_needed: msg.approvals_needed, key_threshold: msg.key_threshold };
    CONFIG.save(deps.storage, &config)?;
    LAST_PROPOSAL.save(deps.storage, &0)?;
    IN_FLIGHT.save(deps.storage, &0)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_submessage(create_key_set(&env, &config)))
}

/// `CreateKeySet` for this vault, answered in `reply` (its ids) and `sudo` (`KeySetReady`).
fn create_key_set(env: &Env, config: &Config) -> SubMsg<TssMsg> {
    let msg = TssMsg::CreateKeySet {
        threshold: config.key_threshold,
        description: format!("tss-vault {}", env.contract.address),
    };
    SubMsg::reply_on_success(CosmosMsg::Custom(msg), KEY_SET_REPLY)
}

/// `propose`, `approve`, `retry`, `retry_key_set`: approvers only.
#[entry_point]
pub fn execute(
    deps: DepsMut<TssQuery>,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response<TssMsg>, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if !config.approvers.contains(&info.sender) {
        return Err(ContractError::NotAnApprover { sender: info.sender.into_string() });
    }
    let response = match msg {
        ExecuteMsg::Propose { payload } => propose(deps.storage, info.sender, payload)?,
        ExecuteMsg::Approve { proposal_id } => approve(deps.storage, &config, info.sender, proposal_id)?,
        ExecuteMsg::Retry { proposal_id } => retry(deps.storage, proposal_id)?,
        ExecuteMsg::RetryKeySet {} => {
            let key = KEY.may_load(deps.storage)?;
            match key.as_ref().map(|k| &k.state) {
                Some(KeyState::Failed { .. }) => {}
                other => {
                    let status = other.map_or("pending", KeyState::name).to_string();
                    return Err(ContractError::KeySetNotFailed { status });
                }
            }
            return Ok(Response::new()
                .add_attribute("action", "retry_key_set")
                .add_submessage(create_key_set(&env, &config)));
        }
    };
    // Any approver action also sends what waits in the queue, should a slot have freed.
    let requests = signing::send_queued(deps.storage)?;
    Ok(response.add_submessages(requests))
}

fn propose(
    storage: &mut dyn cosmwasm_std::Storage,
    proposer: Addr,
    payload: Binary,
) -> Result<Response<TssMsg>, ContractError> {
    if payload.is_empty() || payload.len() > MAX_PAYLOAD_LEN {
        return Err(ContractError::PayloadLength { len: payload.len(), max: MAX_PAYLOAD_LEN });
    }
    let id = LAST_PROPOSAL.load(storage)? + 1;
    LAST_PROPOSAL.save(storage, &id)?;
    let proposal = Proposal { proposer: proposer.clone(), payload, approvals: vec![], state: ProposalState::Open };
    PROPOSALS.save(storage, id, &proposal)?;
    Ok(Response::new()
        .add_attribute("action", "propose")
        .add_attribute("proposer", proposer)
        .add_attribute("proposal_id", id.to_string())
        .set_data(to_json_binary(&id)?))
}

fn approve(
    storage: &mut dyn cosmwasm_std::Storage,
    config: &Config,
    approver: Addr,
    id: u64,
) -> Result<Response<TssMsg>, ContractError> {
    let mut proposal = PROPOSALS.may_load(storage, id)?.ok_or(ContractError::NoProposal { id })?;
    if proposal.approvals.contains(&approver) {
        return Err(ContractError::AlreadyApproved { id, approver: approver.into_string() });
    }
    if proposal.state != ProposalState::Open {
        return Err(ContractError::NotOpen { id, status: proposal.state.name().into() });
    }
    proposal.approvals.push(approver.clone());
    let count = u32::try_from(proposal.approvals.len()).unwrap_or(u32::MAX);
    if count >= config.approvals_needed {
        proposal.state = ProposalState::Queued;
        QUEUE.save(storage, id, &())?;
    }
    PROPOSALS.save(storage, id, &proposal)?;
    Ok(Response::new()
        .add_attribute("action", "approve")
        .add_attribute("approver", approver)
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("approvals", count.to_string())
        .add_attribute("status", proposal.state.name()))
}

fn retry(storage: &mut dyn cosmwasm_std::Storage, id: u64) -> Result<Response<TssMsg>, ContractError> {
    let mut proposal = PROPOSALS.may_load(storage, id)?.ok_or(ContractError::NoProposal { id })?;
    if !matches!(proposal.state, ProposalState::Failed { .. }) {
        return Err(ContractError::NotFailed { id, status: proposal.state.name().into() });
    }
    proposal.state = ProposalState::Queued;
    PROPOSALS.save(storage, id, &proposal)?;
    QUEUE.save(storage, id, &())?;
    Ok(Response::new().add_attribute("action", "retry").add_attribute("proposal_id", id.to_string()))
}

/// The engine accepted (or refused) a request: the keyset's or a proposal's.
#[entry_point]
pub fn reply(deps: DepsMut<TssQuery>, _env: Env, msg: Reply) -> Result<Response<TssMsg>, ContractError> {
    signing::submitted(deps, msg)
}

/// The engine's callbacks: the keyset ready, a signature, or a failure.
#[entry_point]
pub fn sudo(deps: DepsMut<TssQuery>, _env: Env, msg: TssSudoMsg) -> Result<Response<TssMsg>, ContractError> {
    signing::callback(deps, msg)
}

/// `config`, `key`, `proposal`, `verify`.
#[entry_point]
pub fn query(deps: Deps<TssQuery>, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Key {} => to_json_binary(&query::key(deps)?),
        QueryMsg::Proposal { id } => to_json_binary(&query::proposal(deps, id)?),
        QueryMsg::Verify { proposal_id } => to_json_binary(&query::verify(deps, proposal_id)?),
    }
}

/// Nothing to migrate; accepts `{}` so that an admin can move the contract to new code.
#[entry_point]
pub fn migrate(_deps: DepsMut<TssQuery>, _env: Env, _msg: MigrateMsg) -> Result<Response<TssMsg>, ContractError> {
    Ok(Response::new().add_attribute("action", "migrate"))
}
