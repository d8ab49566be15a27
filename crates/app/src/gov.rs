//! Governance: proposals with deposits, votes weighted by bonded stake, a tally at the end of
//! the voting period, and each passed proposal executed exactly once.
//!
//! Lifecycle (the Cosmos SDK's `x/gov`, in blocks instead of time):
//! 1. `submit-proposal` with an initial deposit opens the **deposit period**
//!    (`max_deposit_blocks`); anyone may add to the deposit. Once it reaches `min_deposit` the
//!    **voting period** (`voting_blocks`) starts. A proposal that never reaches it expires and
//!    its deposits are refunded.
//! 2. Operators of bonded validators vote `yes`, `no`, `abstain` or `no_with_veto`, and may
//!    change their vote until the period ends. A vote weighs the voter's bond **at the tally**
//!    (bonds change during the period; slashing or leaving the active set reduces a weight to
//!    what remains, or to 0).
//! 3. The tally, over the active set's total bond: no quorum (`quorum_permille` of the power
//!    voted) rejects; more than `veto_permille` of the votes cast as `no_with_veto` vetoes and
//!    **burns** the deposits; otherwise it passes when `yes` is more than `threshold_permille` of
//!    the non-abstaining votes. Deposits are refunded unless vetoed (the SDK's defaults:
//!    quorum 33.4%, threshold 50%, veto 33.4%).
//! 4. A passed proposal is executed in the same block, once: its status becomes `passed`, or
//!    `failed` with the reason (a keyset deleted meanwhile, parameters that no longer validate)
//!    — recorded, never a halt. What the engine must do (rotate, new parameters, freeze) is
//!    handed to it in the next block ([`take_orders`]).

use crate::accounts::{self, key, read, write};
use crate::address::Address;
use crate::exec::AppEvent;
use crate::params::AppParams;
use crate::staking;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tss_engine::{EngineState, Params, Store};

/// Longest title.
pub const MAX_TITLE: usize = 140;
/// Longest summary.
pub const MAX_SUMMARY: usize = 10_000;

/// Governance parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GovParams {
    /// Deposit that opens the voting period.
    pub min_deposit: u128,
    /// Blocks a proposal may wait for its deposit.
    pub max_deposit_blocks: u64,
    /// Blocks of voting.
    pub voting_blocks: u64,
    /// Power that must vote, parts per thousand of the active set's bond.
    pub quorum_permille: u32,
    /// `yes` needed, parts per thousand of `yes + no + no_with_veto`.
    pub threshold_permille: u32,
    /// `no_with_veto` that vetoes, parts per thousand of all votes cast.
    pub veto_permille: u32,
}

impl Default for GovParams {
    fn default() -> Self {
        Self { min_deposit: 10_000_000, max_deposit_blocks: 200, voting_blocks: 200, quorum_permille: 334, threshold_permille: 500, veto_permille: 334 }
    }
}

impl GovParams {
    /// Refuses values that would make governance unusable or trivially captured.
    pub fn validate(&self) -> Result<(), String> {
        if self.voting_blocks == 0 || self.max_deposit_blocks == 0 {
            return Err("gov.voting_blocks and gov.max_deposit_blocks must be at least 1".into());
        }
        if !(1..=1000).contains(&self.quorum_permille) || !(1..1000).contains(&self.threshold_permille) || !(1..=1000).contains(&self.veto_permille) {
            return Err("gov.quorum_permille and gov.veto_permille must be 1 to 1000, gov.threshold_permille 1 to 999".into());
        }
        Ok(())
    }
}

pub use tss_tx::gov::{Content, VoteOption};

/// Where a proposal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for `min_deposit`.
    DepositPeriod,
    /// Being voted on.
    VotingPeriod,
    /// Passed and executed.
    Passed,
    /// Passed, but its execution failed (recorded in `result`).
    Failed,
    /// Not passed (no quorum, or not enough `yes`).
    Rejected,
    /// Vetoed: its deposits were burned.
    Vetoed,
    /// The deposit period ended first.
    DepositExpired,
}

/// The counted votes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Bond voting yes.
    pub yes: u128,
    /// Bond voting no.
    pub no: u128,
    /// Bond abstaining.
    pub abstain: u128,
    /// Bond voting no with veto.
    pub no_with_veto: u128,
    /// The active set's total bond.
    pub total_power: u128,
}

/// A proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Its id.
    pub id: u64,
    /// Who submitted it.
    pub proposer: Address,
    /// A title.
    pub title: String,
    /// What and why.
    pub summary: String,
    /// What it does.
    pub content: Content,
    /// Where it is.
    pub status: Status,
    /// Height of submission.
    pub submitted: u64,
    /// Last height of the deposit period.
    pub deposit_end: u64,
    /// Last height of the voting period, once it started.
    pub voting_end: Option<u64>,
    /// Deposits so far.
    pub deposit: u128,
    /// The final tally.
    pub tally: Option<Tally>,
    /// What the execution did, or why it failed.
    pub result: String,
}

/// What the engine is to do in the next block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orders {
    /// Rotate the network key.
    pub rotate_network_key: bool,
    /// New engine parameters.
    pub params: Option<Params>,
    /// Keysets to freeze (`true`) or unfreeze.
    pub freeze: Vec<(u64, bool)>,
}

/// A proposal file (`governance/*.json`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalFile {
    /// A title.
    pub title: String,
    /// What and why.
    pub summary: String,
    /// What it does: `{"kind": "...", ...}`; `change_params` takes JSON objects.
    pub content: Value,
}

impl ProposalFile {
    /// The content: `{"kind": "rotate_network_key" | "change_params" (with `engine` and/or
    /// `app` objects) | "freeze_keyset" | "unfreeze_keyset" (with `keyset`) |
    /// "remove_validator" (with `validator`, hex)}`; any other field is refused.
    pub fn content(&self) -> Result<Content, String> {
        let obj = self.content.as_object().ok_or("content must be a JSON object with a \"kind\"")?;
        let kind = obj.get("kind").and_then(Value::as_str).ok_or("content.kind is missing")?;
        let allowed: &[&str] = match kind {
            "rotate_network_key" => &["kind"],
            "change_params" => &["kind", "engine", "app"],
            "freeze_keyset" | "unfreeze_keyset" => &["kind", "keyset"],
            "remove_validator" => &["kind", "validator"],
            other => return Err(format!("content.kind {other:?} is unknown (kinds: rotate_network_key, change_params, freeze_keyset, unfreeze_keyset, remove_validator)")),
        };
        if let Some(extra) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!("content.{extra} is not a field of {kind}"));
        }
        let keyset = || obj.get("keyset").and_then(Value::as_u64).ok_or(format!("{kind} needs content.keyset, a keyset id"));
        let object = |field: &str| -> Result<Option<String>, String> {
            match obj.get(field) {
                None => Ok(None),
                Some(v) if v.is_object() => Ok(Some(v.to_string())),
                Some(_) => Err(format!("content.{field} must be a JSON object of the parameters to change")),
            }
        };
        Ok(match kind {
            "rotate_network_key" => Content::RotateNetworkKey,
            "change_params" => Content::ChangeParams { engine: object("engine")?, app: object("app")? },
            "freeze_keyset" => Content::FreezeKeyset { keyset: keyset()? },
            "unfreeze_keyset" => Content::UnfreezeKeyset { keyset: keyset()? },
            _ => Content::RemoveValidator { validator: obj.get("validator").and_then(Value::as_str).ok_or("remove_validator needs content.validator, its consensus address in hex")?.to_owned() },
        })
    }
}

fn id_key(section: &str, id: u64, rest: &[u8]) -> Vec<u8> {
    let mut k = id.to_be_bytes().to_vec();
    k.extend_from_slice(rest);
    key(section, &k)
}

/// The id the next proposal gets.
pub fn next_id<S: Store + ?Sized>(store: &S) -> u64 {
    read(store, &key("gov_next", b"")).unwrap_or(1)
}

/// A proposal.
pub fn proposal<S: Store + ?Sized>(store: &S, id: u64) -> Option<Proposal> {
    read(store, &id_key("proposal", id, b""))
}

/// Every proposal, by id.
pub fn proposals<S: Store + ?Sized>(store: &S) -> Vec<Proposal> {
    store.scan_prefix(&key("proposal", b"")).into_iter().filter_map(|(_, v)| postcard::from_bytes(&v).ok()).collect()
}

/// Writes a proposal (and keeps the open index and the id counter).
pub fn set_proposal<S: Store + ?Sized>(store: &mut S, p: &Proposal) {
    write(store, &id_key("proposal", p.id, b""), p);
    let open = id_key("gov_open", p.id, b"");
    if matches!(p.status, Status::DepositPeriod | Status::VotingPeriod) {
        store.put(&open, vec![1]);
    } else {
        store.delete(&open);
    }
    if p.id >= next_id(store) {
        write(store, &key("gov_next", b""), &(p.id + 1));
    }
}

/// Adds to a depositor's deposit on a proposal.
pub fn add_deposit<S: Store + ?Sized>(store: &mut S, id: u64, depositor: &Address, amount: u128) {
    let k = id_key("gov_deposit", id, &depositor.0);
    let before: u128 = read(store, &k).unwrap_or(0);
    write(store, &k, &before.saturating_add(amount));
}

/// Every deposit on a proposal.
pub fn deposits<S: Store + ?Sized>(store: &S, id: u64) -> Vec<(Address, u128)> {
    let prefix = id_key("gov_deposit", id, b"");
    store
        .scan_prefix(&prefix)
        .into_iter()
        .filter_map(|(k, v)| Some((Address::from_slice(k.get(prefix.len()..)?).ok()?, postcard::from_bytes(&v).ok()?)))
        .collect()
}

/// Records (or replaces) a vote.
pub fn set_vote<S: Store + ?Sized>(store: &mut S, id: u64, voter: &Address, option: VoteOption) {
    write(store, &id_key("gov_vote", id, &voter.0), &option);
}

/// Every vote on a proposal.
pub fn votes<S: Store + ?Sized>(store: &S, id: u64) -> Vec<(Address, VoteOption)> {
    let prefix = id_key("gov_vote", id, b"");
    store
        .scan_prefix(&prefix)
        .into_iter()
        .filter_map(|(k, v)| Some((Address::from_slice(k.get(prefix.len()..)?).ok()?, postcard::from_bytes(&v).ok()?)))
        .collect()
}

/// The votes counted against the active set at `height`.
pub fn tally<S: Store + ?Sized>(store: &S, params: &AppParams, id: u64, height: u64) -> Tally {
    let active = staking::active_set(store, &params.staking, height);
    let mut t = Tally { total_power: active.iter().fold(0u128, |a, v| a.saturating_add(v.bond)), ..Tally::default() };
    for (voter, option) in votes(store, id) {
        let power = active.iter().find(|v| v.operator == voter).map_or(0, |v| v.bond);
        let slot = match option {
            VoteOption::Yes => &mut t.yes,
            VoteOption::No => &mut t.no,
            VoteOption::Abstain => &mut t.abstain,
            VoteOption::NoWithVeto => &mut t.no_with_veto,
        };
        *slot = slot.saturating_add(power);
    }
    t
}

/// `whole * permille / 1000` as (floor, whether a fraction remains), exact for any u128
/// (`permille` at most 1000, so no step overflows).
fn scaled(whole: u128, permille: u32) -> (u128, bool) {
    let p = u128::from(permille.min(1000));
    let rest = (whole % 1000) * p;
    ((whole / 1000) * p + rest / 1000, rest % 1000 != 0)
}

/// `part > whole * permille / 1000`, exactly.
fn above(part: u128, whole: u128, permille: u32) -> bool {
    part > scaled(whole, permille).0
}

/// `part >= whole * permille / 1000`, exactly.
fn at_least(part: u128, whole: u128, permille: u32) -> bool {
    let (floor, fraction) = scaled(whole, permille);
    part > floor || (part == floor && !fraction)
}

/// The tally's verdict: passed, rejected or vetoed, and why.
pub fn verdict(t: &Tally, p: &GovParams) -> (Status, String) {
    let cast = t.yes.saturating_add(t.no).saturating_add(t.abstain).saturating_add(t.no_with_veto);
    if t.total_power == 0 || !at_least(cast, t.total_power, p.quorum_permille) {
        return (Status::Rejected, format!("no quorum: {cast} of {} voted, {}‰ needed", t.total_power, p.quorum_permille));
    }
    if above(t.no_with_veto, cast, p.veto_permille) {
        return (Status::Vetoed, format!("vetoed: {} of {cast} voted no_with_veto; the deposits are burned", t.no_with_veto));
    }
    let deciding = t.yes.saturating_add(t.no).saturating_add(t.no_with_veto);
    if deciding > 0 && above(t.yes, deciding, p.threshold_permille) {
        (Status::Passed, format!("passed: {} of {deciding} voted yes", t.yes))
    } else {
        (Status::Rejected, format!("rejected: {} of {deciding} voted yes, more than {}‰ needed", t.yes, p.threshold_permille))
    }
}

/// Merges `changes` (a JSON object text) into `current`, field by field and into nested
/// objects, and parses the result (unknown fields are refused there).
fn merged<T: Serialize + serde::de::DeserializeOwned>(current: &T, changes: &str, what: &str) -> Result<T, String> {
    fn merge(base: &mut Value, changes: &Value) {
        match (base, changes) {
            (Value::Object(b), Value::Object(c)) => {
                for (k, v) in c {
                    match b.get_mut(k) {
                        Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                        _ => {
                            b.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (b, c) => *b = c.clone(),
        }
    }
    let changes: Value = serde_json::from_str(changes).map_err(|e| format!("{what}: not JSON: {e}"))?;
    if !changes.is_object() {
        return Err(format!("{what}: must be a JSON object of the fields to change"));
    }
    let mut base = serde_json::to_value(current).map_err(|e| e.to_string())?;
    merge(&mut base, &changes);
    serde_json::from_value(base).map_err(|e| format!("{what}: {e}"))
}

/// The parameters a `change_params` content leads to, checked as at execution.
pub fn changed_params(engine: &Params, app: &AppParams, content_engine: Option<&str>, content_app: Option<&str>) -> Result<(Option<Params>, Option<AppParams>), String> {
    if content_engine.is_none() && content_app.is_none() {
        return Err("change_params changes nothing: give engine or app".into());
    }
    let new_engine = content_engine.map(|c| merged(engine, c, "engine")).transpose()?;
    if let Some(p) = &new_engine {
        p.validate()?;
    }
    let new_app = content_app.map(|c| merged(app, c, "app")).transpose()?;
    if let Some(p) = &new_app {
        p.validate()?;
        p.gov.validate()?;
        if p.denom != app.denom || p.address_prefix != app.address_prefix {
            return Err("app: denom and address_prefix cannot change (every balance and address depends on them)".into());
        }
    }
    Ok((new_engine, new_app))
}

/// Checks a proposal's content against the state it would act on (at submission and again at
/// execution).
pub fn check_content<S: Store + ?Sized>(store: &S, engine: &EngineState, content: &Content) -> Result<(), String> {
    match content {
        Content::RotateNetworkKey => {
            if engine.keysets.get(&0).and_then(|k| k.current).is_none() {
                return Err("the network key does not exist yet".into());
            }
        }
        Content::ChangeParams { engine: e, app } => {
            changed_params(&pending_engine_params(store, engine), &crate::exec::params(store), e.as_deref(), app.as_deref())?;
        }
        Content::FreezeKeyset { keyset } | Content::UnfreezeKeyset { keyset } => {
            if !engine.keysets.contains_key(keyset) {
                return Err(format!("there is no keyset {keyset}"));
            }
        }
        Content::RemoveValidator { validator } => {
            let address = hex::decode(validator.trim().trim_start_matches("0x")).map_err(|_| format!("validator {validator:?} is not hex"))?;
            if staking::by_consensus_address(store, &address).is_none() {
                return Err(format!("no validator has consensus address {validator}"));
            }
            if engine.meta.validators.len() <= 1 {
                return Err("the last validator cannot be removed".into());
            }
        }
    }
    Ok(())
}

/// The engine parameters in force once this block's orders are applied.
fn pending_engine_params<S: Store + ?Sized>(store: &S, engine: &EngineState) -> Params {
    read::<Orders, S>(store, &key("gov_orders", b"")).and_then(|o| o.params).unwrap_or_else(|| engine.meta.params.clone())
}

/// Refunds (or burns) every deposit of a proposal.
fn settle_deposits<S: Store + ?Sized>(store: &mut S, id: u64, burn: bool) {
    let prefix = id_key("gov_deposit", id, b"");
    for (depositor, amount) in deposits(store, id) {
        if !burn {
            let mut a = accounts::account(store, &depositor);
            a.balance = a.balance.saturating_add(amount);
            accounts::set_account(store, &depositor, &a);
        }
        let mut k = prefix.clone();
        k.extend_from_slice(&depositor.0);
        store.delete(&k);
    }
}

/// Executes a passed proposal; an error is recorded and changes nothing.
fn execute<S: Store + ?Sized>(store: &mut S, engine: &EngineState, content: &Content, orders: &mut Orders) -> Result<String, String> {
    check_content(store, engine, content)?;
    Ok(match content {
        Content::RotateNetworkKey => {
            orders.rotate_network_key = true;
            "the network key rotates: a new generation's DKG starts next block".into()
        }
        Content::ChangeParams { engine: e, app } => {
            let current = orders.params.clone().unwrap_or_else(|| engine.meta.params.clone());
            let (new_engine, new_app) = changed_params(&current, &crate::exec::params(store), e.as_deref(), app.as_deref())?;
            if let Some(p) = new_app {
                write(store, &key("params", b""), &p);
            }
            let engine_changed = new_engine.is_some();
            if new_engine.is_some() {
                orders.params = new_engine;
            }
            format!("parameters changed{}", if engine_changed { " (the engine's from the next block)" } else { "" })
        }
        Content::FreezeKeyset { keyset } => {
            orders.freeze.push((*keyset, true));
            format!("keyset {keyset} is frozen from the next block")
        }
        Content::UnfreezeKeyset { keyset } => {
            orders.freeze.push((*keyset, false));
            format!("keyset {keyset} is unfrozen from the next block")
        }
        Content::RemoveValidator { validator } => {
            let address = hex::decode(validator.trim().trim_start_matches("0x")).map_err(|e| e.to_string())?;
            let mut v = staking::by_consensus_address(store, &address).ok_or("the validator is gone")?;
            v.jailed_until = Some(u64::MAX);
            staking::set_validator(store, &v);
            crate::slashing::force_leave(store, engine, &address);
            format!("validator {validator} removed: it leaves through a reshare and cannot unjail")
        }
    })
}

/// Ends the deposit and voting periods that end at `height`: tallies, executes, settles
/// deposits. Runs after the block's transactions and the engine.
pub fn end_block<S: Store + ?Sized>(store: &mut S, engine: &EngineState, height: u64) -> Vec<AppEvent> {
    let params = crate::exec::params(store);
    let open: Vec<u64> = store.scan_prefix(&key("gov_open", b"")).into_iter().filter_map(|(k, _)| Some(u64::from_be_bytes(k.get(k.len().checked_sub(8)?..)?.try_into().ok()?))).collect();
    let mut orders: Orders = read(store, &key("gov_orders", b"")).unwrap_or_default();
    let mut events = Vec::new();
    for id in open {
        let Some(mut p) = proposal(store, id) else { continue };
        match p.status {
            Status::DepositPeriod if height > p.deposit_end => {
                p.status = Status::DepositExpired;
                p.result = format!("the deposit {} did not reach {} by height {}; refunded", p.deposit, params.gov.min_deposit, p.deposit_end);
                settle_deposits(store, id, false);
            }
            Status::VotingPeriod if p.voting_end.is_some_and(|end| height >= end) => {
                let t = tally(store, &params, id, height);
                let (status, why) = verdict(&t, &params.gov);
                p.tally = Some(t);
                p.status = status;
                p.result = why;
                if status == Status::Passed {
                    match execute(store, engine, &p.content, &mut orders) {
                        Ok(done) => p.result = format!("{}; {done}", p.result),
                        Err(e) => {
                            p.status = Status::Failed;
                            p.result = format!("{}; execution failed: {e}", p.result);
                        }
                    }
                }
                settle_deposits(store, id, status == Status::Vetoed);
            }
            _ => continue,
        }
        set_proposal(store, &p);
        let status = serde_json::to_value(p.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        events.push(AppEvent { kind: "proposal_ended", attrs: vec![("proposal", id.to_string()), ("status", status), ("result", p.result.clone())] });
    }
    if orders == Orders::default() {
        store.delete(&key("gov_orders", b""));
    } else {
        write(store, &key("gov_orders", b""), &orders);
    }
    events
}

/// The orders for the engine's next block, taken.
pub fn take_orders<S: Store + ?Sized>(store: &mut S) -> Orders {
    let k = key("gov_orders", b"");
    let out = read(store, &k).unwrap_or_default();
    store.delete(&k);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(yes: u128, no: u128, abstain: u128, veto: u128, total: u128) -> Tally {
        Tally { yes, no, abstain, no_with_veto: veto, total_power: total }
    }

    #[test]
    fn the_tally_follows_quorum_then_veto_then_threshold() {
        let p = GovParams::default();
        assert_eq!(verdict(&t(33, 0, 0, 0, 100), &p).0, Status::Rejected, "33% is below the 33.4% quorum");
        assert_eq!(verdict(&t(334, 0, 0, 0, 1000), &p).0, Status::Passed, "exactly the quorum counts");
        assert_eq!(verdict(&t(20, 0, 30, 0, 100), &p).0, Status::Passed, "abstain makes the quorum, yes decides");
        assert_eq!(verdict(&t(0, 0, 50, 0, 100), &p).0, Status::Rejected, "all abstain passes nothing");
        assert_eq!(verdict(&t(50, 50, 0, 0, 100), &p).0, Status::Rejected, "a tie is not more than half");
        assert_eq!(verdict(&t(51, 49, 0, 0, 100), &p).0, Status::Passed);
        assert_eq!(verdict(&t(60, 0, 0, 40, 100), &p).0, Status::Vetoed, "40% veto beats 60% yes");
        assert_eq!(verdict(&t(67, 0, 0, 33, 100), &p).0, Status::Passed, "33% veto is not above 33.4%");
        assert_eq!(verdict(&t(0, 0, 0, 0, 0), &p).0, Status::Rejected, "no bonded power, no quorum");
        assert_eq!(verdict(&t(u128::MAX, 0, 0, 0, u128::MAX), &p).0, Status::Passed, "no overflow");
    }

    #[test]
    fn param_changes_merge_field_by_field_and_refuse_typos_and_bad_values() {
        let (e, a) = (Params::default(), AppParams::default());
        let (ne, na) = changed_params(&e, &a, Some(r#"{"epoch_length": 30}"#), Some(r#"{"staking": {"max_validators": 7}}"#)).unwrap();
        assert_eq!(ne.unwrap().epoch_length, 30);
        let na = na.unwrap();
        assert_eq!((na.staking.max_validators, na.staking.min_self_bond), (7, a.staking.min_self_bond), "nested objects merge");
        assert!(changed_params(&e, &a, Some(r#"{"epoch_lenght": 30}"#), None).unwrap_err().contains("epoch_lenght"));
        assert!(changed_params(&e, &a, Some(r#"{"epoch_length": 2}"#), None).is_err());
        assert!(changed_params(&e, &a, None, Some(r#"{"denom": "other"}"#)).unwrap_err().contains("cannot change"));
        assert!(changed_params(&e, &a, None, Some(r#"{"gov": {"voting_blocks": 0}}"#)).is_err());
        assert!(changed_params(&e, &a, Some("[1]"), None).is_err());
        assert!(changed_params(&e, &a, None, None).is_err());
    }

    #[test]
    fn proposal_files_parse_into_contents() {
        let f: ProposalFile = serde_json::from_str(r#"{"title":"t","summary":"s","content":{"kind":"change_params","engine":{"epoch_length":30}}}"#).unwrap();
        assert_eq!(f.content().unwrap(), Content::ChangeParams { engine: Some(r#"{"epoch_length":30}"#.into()), app: None });
        let f: ProposalFile = serde_json::from_str(r#"{"title":"t","summary":"s","content":{"kind":"freeze_keyset","keyset":3}}"#).unwrap();
        assert_eq!(f.content().unwrap(), Content::FreezeKeyset { keyset: 3 });
        let f: ProposalFile = serde_json::from_str(r#"{"title":"t","summary":"s","content":{"kind":"format_disk"}}"#).unwrap();
        assert!(f.content().unwrap_err().contains("kinds:"));
        let f: ProposalFile = serde_json::from_str(r#"{"title":"t","summary":"s","content":{"kind":"rotate_network_key","keyset":1}}"#).unwrap();
        assert!(f.content().unwrap_err().contains("not a field"));
        assert!(serde_json::from_str::<ProposalFile>(r#"{"title":"t","summary":"s","content":{},"extra":1}"#).is_err());
    }
}
