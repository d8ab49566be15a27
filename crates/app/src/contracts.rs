//! Contracts in the chain: wasm messages run on the node's contract host, contracts' TSS
//! requests numbered, bounded and paid like an account's, and the engine's results delivered
//! to the contracts that asked through `sudo`, each callback in its own branch with its own
//! gas, so a failing one is recorded and nothing else is touched.
//!
//! **Numbering.** The engine numbers requests in the order the block hands them over, and
//! gives every keyset creation a keyset id, so a contract learns both ids when it submits:
//! the engine's next ids plus the requests (and creations) queued before it in the block.
//! Requests a callback makes cannot join the block that is ending: they are kept in state and
//! handed over first in the next block, numbered accordingly.
//!
//! **Who pays.** A keyset a contract creates is paid by the transaction's signer (its deposit
//! comes back to the signer when the keyset is deleted or its DKG fails); callbacks have no
//! signer and cannot create keysets. Signature and decryption requests are bounded per
//! contract by `max_open_requests`, like an account's.

use crate::accounts::Deposit;
use crate::address::Address;
use crate::exec::{check_limits, code, refusal, AppEvent, Block, Effects, Refusal};
use crate::params::AppParams;
use crate::tx::Msg;
use std::cell::OnceCell;
use std::sync::Arc;
use tss_engine::types::{Callback, Request, RequestInput};
use tss_engine::{BlockOutput, EngineState, Store};
use tss_wasm::gas::Meter;
use tss_wasm::{BlockEnv, ContractEvent, Exec, Host, Submitted, TssRouter, TssView, WasmError};

/// The contract host as one block uses it.
pub struct Contracts<'a> {
    host: &'a Host,
    env: BlockEnv,
    /// The engine as contracts see it during the block's transactions.
    view: OnceCell<Arc<TssView>>,
}

impl<'a> Contracts<'a> {
    /// `host` in the block `env`.
    pub fn new(host: &'a Host, env: BlockEnv) -> Self {
        Self { host, env, view: OnceCell::new() }
    }
}

/// Numbers and bounds contracts' requests during a transaction or a callback.
struct Router<'r> {
    engine: &'r EngineState,
    params: &'r AppParams,
    /// Requests queued before this router's, in order.
    earlier: Vec<&'r RequestInput>,
    /// Ids of the first request this router queues and of its first keyset.
    first_request: u64,
    first_keyset: u64,
    /// Who pays keyset deposits, and what it holds; none in a callback.
    payer: Option<(Address, u128)>,
    log: Vec<(RequestInput, Option<Deposit>)>,
}

impl<'r> Router<'r> {
    fn new(engine: &'r EngineState, params: &'r AppParams, earlier: Vec<&'r RequestInput>, next_request: u64, next_keyset: u64, payer: Option<(Address, u128)>) -> Self {
        let creations = earlier.iter().filter(|r| matches!(r.request, Request::CreateKeyset { .. })).count() as u64;
        Self { engine, params, first_request: next_request + earlier.len() as u64, first_keyset: next_keyset + creations, earlier, payer, log: Vec::new() }
    }

    fn deposits(&self) -> u128 {
        self.log.iter().filter_map(|(_, d)| d.map(|d| d.amount)).sum()
    }
}

impl TssRouter for Router<'_> {
    fn submit(&mut self, requester: &[u8], request: &Request) -> Result<Submitted, String> {
        let queued = self.earlier.iter().copied().chain(self.log.iter().map(|(r, _)| r));
        check_limits(self.engine, self.params, queued, requester, request, "contract").map_err(|r| r.log)?;
        let mut deposit = None;
        let mut key_set_id = None;
        if let Request::CreateKeyset { .. } = request {
            let (payer, balance) = self.payer.ok_or("a keyset is created only in a transaction, whose signer pays its deposit")?;
            let need = self.deposits().saturating_add(self.params.keyset_deposit);
            if balance < need {
                return Err(format!("the transaction's signer holds {balance}{}, the keyset deposits need {need}", self.params.denom));
            }
            deposit = Some(Deposit { owner: payer, amount: self.params.keyset_deposit });
            let creations = self.log.iter().filter(|(r, _)| matches!(r.request, Request::CreateKeyset { .. })).count() as u64;
            key_set_id = Some(self.first_keyset + creations);
        }
        if let Request::DeleteKeyset { keyset } = request {
            key_set_id = Some(*keyset);
        }
        let request_id = self.first_request + self.log.len() as u64;
        self.log.push((RequestInput { requester: requester.to_vec(), request: request.clone() }, deposit));
        Ok(Submitted { request_id, key_set_id })
    }

    fn mark(&self) -> usize {
        self.log.len()
    }

    fn rollback(&mut self, mark: usize) {
        self.log.truncate(mark);
    }

    fn can_create_keysets(&self) -> bool {
        self.payer.is_some()
    }
}

fn wasm_refusal(e: WasmError) -> Refusal {
    match e {
        WasmError::OutOfGas => refusal(code::OUT_OF_GAS, "out of gas running the contract: raise --gas"),
        WasmError::Contract { .. } => refusal(code::CONTRACT, e.to_string()),
        WasmError::Invalid(m) => refusal(code::INVALID, m),
    }
}

fn contract_bytes(contract: &[u8; 32]) -> Vec<u8> {
    contract.to_vec()
}

impl<S: Store + ?Sized> Block<'_, S> {
    /// Runs one wasm message on the transaction's branch.
    pub(crate) fn wasm_msg(&self, fx: &mut Effects, sender: Address, msg: &Msg, meter: &mut Meter) -> Result<(), Refusal> {
        let contracts = self.contracts.as_ref().ok_or_else(|| refusal(code::INVALID, "this node runs no contract host"))?;
        let view = contracts.view.get_or_init(|| Arc::new(TssView::of(self.engine))).clone();
        let balance = self.account(fx, &sender).balance;
        let earlier: Vec<&RequestInput> = self.requests.iter().chain(&fx.requests).map(|(r, _)| r).collect();
        let mut router = Router::new(self.engine, &self.params, earlier, self.engine.meta.next_request, self.engine.meta.next_keyset, Some((sender, balance)));
        let store: &S = self.store;
        let mut exec = Exec::new(contracts.host, store, &contracts.env, view, &mut router, *meter);
        exec.branch = std::mem::take(&mut fx.wasm);
        let who = sender.0.to_vec();
        let result = match msg {
            Msg::WasmStore { code } => exec.store_code(&who, code).map(|_| ()),
            Msg::WasmInstantiate { code_id, msg, label, admin } => exec.instantiate(&who, *code_id, msg, label, admin.clone()).map(|_| ()),
            Msg::WasmExecute { contract, msg } => exec.execute(&who, &contract_bytes(contract), msg).map(|_| ()),
            Msg::WasmMigrate { contract, code_id, msg } => exec.migrate(&who, &contract_bytes(contract), *code_id, msg).map(|_| ()),
            _ => Ok(()),
        };
        let (branch, used, events) = exec.finish();
        *meter = used;
        result.map_err(wasm_refusal)?;
        let log = std::mem::take(&mut router.log);
        drop(router);
        for (_, deposit) in &log {
            if let Some(d) = deposit {
                self.debit(fx, sender, d.amount, "a contract's keyset deposit")?;
            }
        }
        fx.wasm = branch;
        fx.requests.extend(log);
        fx.contract_events.extend(events);
        Ok(())
    }
}

/// Delivers the engine's results to the contracts that asked, after the block's engine step:
/// one `sudo` call per callback to a contract, each with `wasm.callback_gas_limit` gas in its
/// own branch. A failed or out-of-gas callback leaves no writes; either way how it went is
/// recorded (`tss_wasm::state::callback`) and in an event. Requests the callbacks make are
/// queued for the next block.
pub fn deliver_callbacks<S: Store + ?Sized>(store: &mut S, host: &Host, env: &BlockEnv, engine: &EngineState, out: &BlockOutput) -> (Vec<ContractEvent>, Vec<AppEvent>) {
    let params = crate::exec::params(store);
    store.put(tss_wasm::state::LAST_BLOCK, tss_wasm::state::encode(&(env.height, env.time_nanos)));
    let mut contract_events = Vec::new();
    let mut app_events = Vec::new();
    let mut queue = tss_wasm::state::queue(store);
    let mut view: Option<Arc<TssView>> = None;
    for cb in &out.callbacks {
        let Some(record) = store.get(&tss_wasm::state::request_key(cb.request)).and_then(|v| tss_wasm::state::decode::<tss_wasm::state::RequestRecord>(&v)) else { continue };
        if record.contract != cb.requester {
            continue;
        }
        store.delete(&tss_wasm::state::request_key(cb.request));
        let view = view.get_or_insert_with(|| Arc::new(TssView::of(engine))).clone();
        let (ok, error, gas_used, events, queued) = run_callback(store, host, env, engine, &params, view, cb, &record, &queue);
        let human = tss_wasm::address::humanize(&env.prefix, &record.contract).unwrap_or_default();
        app_events.push(AppEvent {
            kind: "wasm_callback",
            attrs: vec![("contract", human), ("request", cb.request.to_string()), ("ok", ok.to_string()), ("gas_used", gas_used.to_string()), ("error", error.clone())],
        });
        contract_events.extend(events);
        queue.extend(queued);
        let rec = tss_wasm::state::CallbackRecord { contract: record.contract.clone(), height: env.height, ok, error, gas_used };
        tss_wasm::state::record_callback(store, cb.request, &rec);
    }
    tss_wasm::state::prune_callbacks(store, env.height, params.wasm.callback_retention_blocks);
    if queue.is_empty() {
        store.delete(tss_wasm::state::QUEUE);
    } else {
        store.put(tss_wasm::state::QUEUE, tss_wasm::state::encode(&queue));
    }
    (contract_events, app_events)
}

type CallbackResult = (bool, String, u64, Vec<ContractEvent>, Vec<RequestInput>);

#[allow(clippy::too_many_arguments)]
fn run_callback<S: Store + ?Sized>(store: &mut S, host: &Host, env: &BlockEnv, engine: &EngineState, params: &AppParams, view: Arc<TssView>, cb: &Callback, record: &tss_wasm::state::RequestRecord, queue: &[RequestInput]) -> CallbackResult {
    let msg = tss_wasm::callback::sudo_msg(cb, record);
    let Ok(bytes) = serde_json::to_vec(&msg) else {
        return (false, "the callback does not encode".into(), 0, Vec::new(), Vec::new());
    };
    let earlier: Vec<&RequestInput> = queue.iter().collect();
    let mut router = Router::new(engine, params, earlier, engine.meta.next_request, engine.meta.next_keyset, None);
    let base: &S = store;
    let mut exec = Exec::new(host, base, env, view, &mut router, Meter::new(params.wasm.callback_gas_limit, 0));
    let result = exec.sudo(&record.contract, &bytes);
    let (branch, meter, events) = exec.finish();
    let queued: Vec<RequestInput> = std::mem::take(&mut router.log).into_iter().map(|(r, _)| r).collect();
    match result {
        Ok(()) => {
            branch.apply(store);
            (true, String::new(), meter.used, events, queued)
        }
        Err(e) => {
            tracing::info!(request = cb.request, error = %e, "a contract's callback failed; its writes are dropped");
            (false, e.to_string(), meter.used, Vec::new(), Vec::new())
        }
    }
}
