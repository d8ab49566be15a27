//! Running contracts: store, instantiate, execute, migrate and sudo, each call metered against
//! one gas meter, its writes kept in a branch until the whole transaction (or callback)
//! succeeds, and its response's sub-messages dispatched in order with CosmWasm's semantics: a
//! sub-message runs in its own branch, is rolled back when it fails, and its result is handed
//! to `reply` as the contract asked. TSS messages go to a [`TssRouter`] that numbers them at
//! once, so the contract learns the request id in the same transaction.

use crate::address::{contract_address, humanize};
use crate::gas::{to_chain_gas, to_vm_gas, KvCosts, Meter};
use crate::host::Host;
use crate::querier::{ChainQuerier, TssView};
use crate::state::{self, Branch, CodeInfo, ContractInfo, RequestRecord, View};
use crate::storage::ContractStorage;
use crate::ChainApi;
use cosmwasm_std::{Addr, Binary, ContractResult, CosmosMsg, Env, MessageInfo, MsgResponse, Reply, ReplyOn, Response, SubMsgResponse, SubMsgResult, WasmMsg};
use cosmwasm_vm::{Backend, InstanceOptions, VmError};
use std::sync::Arc;
use tss_bindings::{RequestSubmitted, TssMsg};
use tss_engine::types::{Delivery, Request};
use tss_engine::Store;

/// Chain gas for loading a contract instance (wasmd's `DefaultInstanceCost`).
pub const INSTANCE_GAS: u64 = 60_000;
/// Chain gas per byte of code stored (compilation; wasmd's `DefaultCompileCost`).
pub const COMPILE_GAS_PER_BYTE: u64 = 3;
/// Chain gas per byte of contract state loaded for a call.
pub const LOAD_GAS_PER_BYTE: u64 = 1;
/// Deepest nesting of contract calls.
pub const MAX_DEPTH: u32 = 10;
/// Longest label.
pub const MAX_LABEL: usize = 128;
/// Longest keyset description.
pub const MAX_DESCRIPTION: usize = 256;
/// The `type_url` of a TSS message's response in `msg_responses`.
pub const TSS_RESPONSE_TYPE: &str = "/tss.v1.MsgRequestResponse";

/// The block a call runs in.
#[derive(Clone, Debug)]
pub struct BlockEnv {
    /// The chain id.
    pub chain_id: String,
    /// The height.
    pub height: u64,
    /// The block time, nanoseconds since the epoch.
    pub time_nanos: u64,
    /// The bech32 prefix of addresses.
    pub prefix: String,
}

/// The ids a TSS request got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// The request.
    pub request_id: u64,
    /// A keyset created (or deleted).
    pub key_set_id: Option<u64>,
}

/// Where contracts' TSS requests go: the chain's checks (limits, deposits) and numbering.
pub trait TssRouter {
    /// Checks and queues `request` by `requester`; its ids, or why it is refused.
    fn submit(&mut self, requester: &[u8], request: &Request) -> Result<Submitted, String>;
    /// A point to roll back to.
    fn mark(&self) -> usize;
    /// Drops every request queued after `mark`.
    fn rollback(&mut self, mark: usize);
    /// Whether keysets may be created here (a transaction's signer pays their deposit;
    /// callbacks have no signer).
    fn can_create_keysets(&self) -> bool;
}

/// An event for the block's results, in wasmd's shape (`wasm`, `wasm-<type>`, `instantiate`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractEvent {
    /// The event type.
    pub kind: String,
    /// Its attributes.
    pub attrs: Vec<(String, String)>,
}

/// Why a contract operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WasmError {
    /// The gas limit was reached: everything the transaction (or callback) did is reverted.
    #[error("out of gas: raise --gas")]
    OutOfGas,
    /// The contract returned an error, panicked or trapped.
    #[error("contract {contract}: {message}")]
    Contract {
        /// The contract (bech32).
        contract: String,
        /// Its error.
        message: String,
    },
    /// The operation is not possible (no such code or contract, not the admin, bad input).
    #[error("{0}")]
    Invalid(String),
}

/// One transaction's (or callback's) contract work.
pub struct Exec<'a, S: Store + ?Sized> {
    host: &'a Host,
    base: &'a S,
    env: &'a BlockEnv,
    tss: Arc<TssView>,
    router: &'a mut dyn TssRouter,
    /// Its writes.
    pub branch: Branch,
    /// Its gas.
    pub meter: Meter,
    /// Its events.
    pub events: Vec<ContractEvent>,
    depth: u32,
}

/// What a contract entry point is called with.
enum Entry<'m> {
    Instantiate(MessageInfo, &'m [u8]),
    Execute(MessageInfo, &'m [u8]),
    Migrate(&'m [u8]),
    Sudo(&'m [u8]),
    Reply(Reply),
}

impl Entry<'_> {
    fn name(&self) -> &'static str {
        match self {
            Entry::Instantiate(..) => "instantiate",
            Entry::Execute(..) => "execute",
            Entry::Migrate(_) => "migrate",
            Entry::Sudo(_) => "sudo",
            Entry::Reply(_) => "reply",
        }
    }
}

/// A deterministic account of a VM failure (what goes to `reply` and into state).
fn vm_failure(e: &VmError) -> String {
    match e {
        VmError::Aborted { msg, .. } => format!("aborted: {msg}"),
        VmError::RuntimeErr { msg, .. } => format!("runtime error: {msg}"),
        VmError::BackendErr { source, .. } => format!("backend error: {source}"),
        VmError::ResolveErr { .. } | VmError::InstantiationErr { .. } | VmError::CompileErr { .. } => "the contract's module cannot run".to_owned(),
        VmError::DeserializationLimitExceeded { .. } | VmError::ParseErr { .. } | VmError::SerializeErr { .. } => format!("bad data between host and contract: {e}"),
        _ => format!("vm error: {e}"),
    }
}

/// The `Env` of a call.
fn make_env(env: &BlockEnv, contract: &str) -> Result<Env, WasmError> {
    let json = serde_json::json!({
        "block": { "height": env.height, "time": env.time_nanos.to_string(), "chain_id": env.chain_id },
        "transaction": null,
        "contract": { "address": contract },
    });
    serde_json::from_value(json).map_err(|e| WasmError::Invalid(format!("cannot build the contract environment: {e}")))
}

impl<'a, S: Store + ?Sized> Exec<'a, S> {
    /// Work over `base` (the chain state of the block so far), metered by `meter`.
    pub fn new(host: &'a Host, base: &'a S, env: &'a BlockEnv, tss: Arc<TssView>, router: &'a mut dyn TssRouter, meter: Meter) -> Self {
        Self { host, base, env, tss, router, branch: Branch::default(), meter, events: Vec::new(), depth: 0 }
    }

    fn view(&self) -> View<'_, S> {
        View { base: self.base, branch: &self.branch }
    }

    fn human(&self, bytes: &[u8]) -> String {
        humanize(&self.env.prefix, bytes).unwrap_or_else(|_| hex::encode(bytes))
    }

    fn charge(&mut self, gas: u64) -> Result<(), WasmError> {
        if self.meter.charge(gas) {
            Ok(())
        } else {
            Err(WasmError::OutOfGas)
        }
    }

    fn next_seq(&mut self, key: &[u8]) -> u64 {
        let next = self.view().read::<u64>(key).unwrap_or(0).saturating_add(1);
        self.branch.put(key.to_vec(), state::encode(&next));
        next
    }

    /// Stores a code after cosmwasm-vm's checks; its id.
    pub fn store_code(&mut self, sender: &[u8], wasm: &[u8]) -> Result<u64, WasmError> {
        self.charge(COMPILE_GAS_PER_BYTE.saturating_mul(wasm.len() as u64))?;
        let checksum = self.host.check_and_store(wasm).map_err(WasmError::Invalid)?;
        let code_id = self.next_seq(state::CODE_SEQ);
        let info = CodeInfo { code_id, checksum, creator: sender.to_vec(), size: wasm.len() as u64, height: self.env.height };
        self.branch.put(state::code_key(code_id), state::encode(&info));
        if self.view().get(&state::bytes_key(&checksum)).is_none() {
            self.branch.put(state::bytes_key(&checksum), wasm.to_vec());
        }
        self.events.push(ContractEvent { kind: "store_code".into(), attrs: vec![("code_id".into(), code_id.to_string()), ("code_checksum".into(), hex::encode(checksum))] });
        Ok(code_id)
    }

    /// Instantiates code `code_id`: the new contract's address and its response data.
    pub fn instantiate(&mut self, sender: &[u8], code_id: u64, msg: &[u8], label: &str, admin: Option<Vec<u8>>) -> Result<(Vec<u8>, Option<Binary>), WasmError> {
        if label.trim().is_empty() || label.len() > MAX_LABEL {
            return Err(WasmError::Invalid(format!("the label must be 1 to {MAX_LABEL} bytes")));
        }
        if self.view().get(&state::code_key(code_id)).is_none() {
            return Err(WasmError::Invalid(format!("there is no code {code_id}: `mpcd query wasm list-code` lists them")));
        }
        let instance = self.next_seq(state::INSTANCE_SEQ);
        let address = contract_address(code_id, instance).to_vec();
        let info = ContractInfo { address: address.clone(), code_id, creator: sender.to_vec(), admin, label: label.to_owned(), created: self.env.height };
        self.branch.put(state::contract_key(&address), state::encode(&info));
        self.branch.put(state::by_code_key(code_id, &address), Vec::new());
        let human = self.human(&address);
        self.events.push(ContractEvent { kind: "instantiate".into(), attrs: vec![("_contract_address".into(), human), ("code_id".into(), code_id.to_string())] });
        let info = MessageInfo { sender: Addr::unchecked(self.human(sender)), funds: Vec::new() };
        let data = self.call(&address, Entry::Instantiate(info, msg))?;
        Ok((address, data))
    }

    /// Executes a contract; its response data.
    pub fn execute(&mut self, sender: &[u8], contract: &[u8], msg: &[u8]) -> Result<Option<Binary>, WasmError> {
        let human = self.human(contract);
        self.events.push(ContractEvent { kind: "execute".into(), attrs: vec![("_contract_address".into(), human)] });
        let info = MessageInfo { sender: Addr::unchecked(self.human(sender)), funds: Vec::new() };
        self.call(contract, Entry::Execute(info, msg))
    }

    /// Migrates a contract to code `code_id` (its admin only).
    pub fn migrate(&mut self, sender: &[u8], contract: &[u8], code_id: u64, msg: &[u8]) -> Result<Option<Binary>, WasmError> {
        let mut info = self.contract_info(contract)?;
        if info.admin.as_deref() != Some(sender) {
            return Err(WasmError::Invalid(format!("only the admin of contract {} may migrate it{}", self.human(contract), if info.admin.is_none() { " and it has none" } else { "" })));
        }
        if self.view().get(&state::code_key(code_id)).is_none() {
            return Err(WasmError::Invalid(format!("there is no code {code_id}")));
        }
        self.branch.writes.insert(state::by_code_key(info.code_id, contract), None);
        info.code_id = code_id;
        self.branch.put(state::contract_key(contract), state::encode(&info));
        self.branch.put(state::by_code_key(code_id, contract), Vec::new());
        let human = self.human(contract);
        self.events.push(ContractEvent { kind: "migrate".into(), attrs: vec![("_contract_address".into(), human), ("code_id".into(), code_id.to_string())] });
        self.call(contract, Entry::Migrate(msg))
    }

    /// Sets or clears a contract's admin (its admin only).
    pub fn update_admin(&mut self, sender: &[u8], contract: &[u8], admin: Option<Vec<u8>>) -> Result<(), WasmError> {
        let mut info = self.contract_info(contract)?;
        if info.admin.as_deref() != Some(sender) {
            return Err(WasmError::Invalid(format!("only the admin of contract {} may change its admin", self.human(contract))));
        }
        info.admin = admin;
        self.branch.put(state::contract_key(contract), state::encode(&info));
        Ok(())
    }

    /// Calls a contract's `sudo` (the chain's callbacks).
    pub fn sudo(&mut self, contract: &[u8], msg: &[u8]) -> Result<(), WasmError> {
        let human = self.human(contract);
        self.events.push(ContractEvent { kind: "sudo".into(), attrs: vec![("_contract_address".into(), human)] });
        self.call(contract, Entry::Sudo(msg)).map(|_| ())
    }

    fn contract_info(&self, contract: &[u8]) -> Result<ContractInfo, WasmError> {
        self.view().read(&state::contract_key(contract)).ok_or_else(|| WasmError::Invalid(format!("there is no contract {}", self.human(contract))))
    }

    /// Runs one entry point, then its response: events, sub-messages and replies.
    fn call(&mut self, contract: &[u8], entry: Entry<'_>) -> Result<Option<Binary>, WasmError> {
        if self.depth >= MAX_DEPTH {
            return Err(WasmError::Invalid(format!("contract calls nest deeper than {MAX_DEPTH}")));
        }
        let info = self.contract_info(contract)?;
        let human = self.human(contract);
        let failed = |message: String| WasmError::Contract { contract: human.clone(), message };
        let code: CodeInfo = self.view().read(&state::code_key(info.code_id)).ok_or_else(|| WasmError::Invalid(format!("code {} is missing", info.code_id)))?;
        let prefix = state::storage_prefix(contract);
        let data = self.view().scan(&prefix);
        let loaded: u64 = data.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        self.charge(INSTANCE_GAS.saturating_add(LOAD_GAS_PER_BYTE.saturating_mul(loaded)))?;
        let checksum = {
            let view = self.view();
            self.host.ensure(&code.checksum, || view.get(&state::bytes_key(&code.checksum))).map_err(WasmError::Invalid)?
        };
        let backend = Backend { api: ChainApi::new(&self.env.prefix), storage: ContractStorage::new(data), querier: ChainQuerier::new(&self.env.prefix, self.tss.clone()) };
        let options = InstanceOptions { gas_limit: to_vm_gas(self.meter.left()) };
        let mut instance = self.host.cache.get_instance(&checksum, backend, options).map_err(|e| failed(vm_failure(&e)))?;
        let env = make_env(self.env, &human)?;
        let name = entry.name();
        let result = match &entry {
            Entry::Instantiate(info, msg) => cosmwasm_vm::call_instantiate::<_, _, _, TssMsg>(&mut instance, &env, info, msg),
            Entry::Execute(info, msg) => cosmwasm_vm::call_execute::<_, _, _, TssMsg>(&mut instance, &env, info, msg),
            Entry::Migrate(msg) => cosmwasm_vm::call_migrate::<_, _, _, TssMsg>(&mut instance, &env, msg),
            Entry::Sudo(msg) => cosmwasm_vm::call_sudo::<_, _, _, TssMsg>(&mut instance, &env, msg),
            Entry::Reply(reply) => cosmwasm_vm::call_reply::<_, _, _, TssMsg>(&mut instance, &env, reply),
        };
        let report = instance.create_gas_report();
        let used = to_chain_gas(report.limit.saturating_sub(report.remaining));
        let out_of_gas = !self.meter.charge(used);
        let changes = instance.recycle().map(|b| b.storage.into_changes()).unwrap_or_default();
        let response = match result {
            Err(VmError::GasDepletion { .. }) => return Err(WasmError::OutOfGas),
            _ if out_of_gas => return Err(WasmError::OutOfGas),
            Err(e) => return Err(failed(vm_failure(&e))),
            Ok(ContractResult::Err(message)) => return Err(failed(format!("{name} failed: {message}"))),
            Ok(ContractResult::Ok(response)) => response,
        };
        for (k, v) in changes {
            let mut key = prefix.clone();
            key.extend_from_slice(&k);
            self.branch.writes.insert(key, v);
        }
        self.depth += 1;
        let out = self.handle(contract, &human, response);
        self.depth -= 1;
        out
    }

    /// A response: its events, then each sub-message in order.
    fn handle(&mut self, contract: &[u8], human: &str, response: Response<TssMsg>) -> Result<Option<Binary>, WasmError> {
        let Response { messages, attributes, events, data, .. } = response;
        let check_key = |k: &str| if k.trim().is_empty() || k.starts_with('_') { Err(WasmError::Contract { contract: human.to_owned(), message: format!("attribute key {k:?} is empty or reserved (starts with _)") }) } else { Ok(()) };
        if !attributes.is_empty() {
            let mut attrs = vec![("_contract_address".to_owned(), human.to_owned())];
            for a in attributes {
                check_key(&a.key)?;
                attrs.push((a.key, a.value));
            }
            self.events.push(ContractEvent { kind: "wasm".into(), attrs });
        }
        for e in events {
            if e.ty.len() < 2 {
                return Err(WasmError::Contract { contract: human.to_owned(), message: format!("event type {:?} is shorter than 2 characters", e.ty) });
            }
            let mut attrs = vec![("_contract_address".to_owned(), human.to_owned())];
            for a in e.attributes {
                check_key(&a.key)?;
                attrs.push((a.key, a.value));
            }
            self.events.push(ContractEvent { kind: format!("wasm-{}", e.ty), attrs });
        }
        let mut data = data;
        for sub in messages {
            let saved = (self.branch.clone(), self.router.mark(), self.events.len(), self.meter);
            let limit = sub.gas_limit.map_or(self.meter.limit, |g| self.meter.limit.min(self.meter.used.saturating_add(g)));
            let outer = self.meter.limit;
            self.meter.limit = limit;
            let events_before = self.events.len();
            let result = self.dispatch(contract, &sub.msg);
            self.meter.limit = outer;
            let gas_used = self.meter.used.saturating_sub(saved.3.used);
            match result {
                Ok((sub_data, responses)) => {
                    if matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Success) {
                        let events = self.events.get(events_before..).unwrap_or_default().iter().filter(|e| e.kind.starts_with("wasm")).map(to_std_event).collect();
                        #[allow(deprecated)]
                        let ok = SubMsgResponse { events, data: sub_data, msg_responses: responses };
                        let reply = Reply { id: sub.id, payload: sub.payload.clone(), gas_used, result: SubMsgResult::Ok(ok) };
                        if let Some(d) = self.call(contract, Entry::Reply(reply))? {
                            data = Some(d);
                        }
                    }
                }
                Err(e) => {
                    // The whole transaction's gas is gone: nothing can run, not even a reply.
                    if e == WasmError::OutOfGas && self.meter.used >= self.meter.limit {
                        return Err(e);
                    }
                    if !matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Error) {
                        return Err(e);
                    }
                    let used = self.meter.used;
                    self.branch = saved.0;
                    self.router.rollback(saved.1);
                    self.events.truncate(saved.2);
                    self.meter.used = used;
                    let reply = Reply { id: sub.id, payload: sub.payload.clone(), gas_used, result: SubMsgResult::Err(e.to_string()) };
                    if let Some(d) = self.call(contract, Entry::Reply(reply))? {
                        data = Some(d);
                    }
                }
            }
        }
        Ok(data)
    }

    /// One message a contract sent: its data and `msg_responses`.
    fn dispatch(&mut self, contract: &[u8], msg: &CosmosMsg<TssMsg>) -> Result<(Option<Binary>, Vec<MsgResponse>), WasmError> {
        let canonical = |s: &str| crate::address::canonicalize(&self.env.prefix, s).map_err(WasmError::Invalid);
        let no_funds = |funds: &[cosmwasm_std::Coin]| if funds.is_empty() { Ok(()) } else { Err(WasmError::Invalid("contracts hold no funds on this chain: send messages without funds".into())) };
        match msg {
            CosmosMsg::Custom(tss) => self.tss(contract, tss),
            CosmosMsg::Wasm(WasmMsg::Execute { contract_addr, msg, funds }) => {
                no_funds(funds)?;
                let target = canonical(contract_addr)?;
                let data = self.execute(contract, &target, msg)?;
                Ok((data.clone(), vec![MsgResponse { type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".into(), value: data.unwrap_or_default() }]))
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate { admin, code_id, msg, funds, label }) => {
                no_funds(funds)?;
                let admin = admin.as_deref().map(canonical).transpose()?;
                let (address, data) = self.instantiate(contract, *code_id, msg, label, admin)?;
                let human = self.human(&address);
                let value = Binary::from(serde_json::json!({ "address": human, "data": data }).to_string().into_bytes());
                Ok((data, vec![MsgResponse { type_url: "/cosmwasm.wasm.v1.MsgInstantiateContractResponse".into(), value }]))
            }
            CosmosMsg::Wasm(WasmMsg::Migrate { contract_addr, new_code_id, msg }) => {
                let target = canonical(contract_addr)?;
                let data = self.migrate(contract, &target, *new_code_id, msg)?;
                Ok((data, Vec::new()))
            }
            CosmosMsg::Wasm(WasmMsg::UpdateAdmin { contract_addr, admin }) => {
                let (target, admin) = (canonical(contract_addr)?, canonical(admin)?);
                self.update_admin(contract, &target, Some(admin)).map(|_| (None, Vec::new()))
            }
            CosmosMsg::Wasm(WasmMsg::ClearAdmin { contract_addr }) => {
                let target = canonical(contract_addr)?;
                self.update_admin(contract, &target, None).map(|_| (None, Vec::new()))
            }
            CosmosMsg::Bank(_) => Err(WasmError::Invalid("contracts hold no funds on this chain: BankMsg is not supported".into())),
            _ => Err(WasmError::Invalid("this message type is not supported on this chain (supported: Custom(TssMsg), Wasm execute/instantiate/migrate/update_admin/clear_admin)".into())),
        }
    }

    /// A TSS message: checked, numbered by the router, recorded for its callback.
    fn tss(&mut self, contract: &[u8], msg: &TssMsg) -> Result<(Option<Binary>, Vec<MsgResponse>), WasmError> {
        let (request, key_set, kind, message) = match msg {
            TssMsg::CreateKeySet { threshold, description } => {
                if description.len() > MAX_DESCRIPTION {
                    return Err(WasmError::Invalid(format!("a keyset's description is at most {MAX_DESCRIPTION} bytes")));
                }
                if !self.router.can_create_keysets() {
                    return Err(WasmError::Invalid("a keyset is created only in a transaction, whose signer pays its deposit, not from a callback".into()));
                }
                (Request::CreateKeyset { threshold: *threshold }, None, "create_key_set", Vec::new())
            }
            TssMsg::RequestSignature { key_set_id, message, derivation } => {
                let keyset = key_set_id.unwrap_or(tss_bindings::NETWORK_KEY_SET);
                (Request::Sign { keyset, message: message.to_vec(), context: derivation.as_ref().map(|d| d.to_vec()) }, Some(keyset), "request_signature", message.to_vec())
            }
            TssMsg::RequestDecryption { key_set_id, ciphertext, reencrypt_to } => {
                let keyset = key_set_id.unwrap_or(tss_bindings::NETWORK_KEY_SET);
                let delivery = match reencrypt_to {
                    None => Delivery::Public,
                    Some(k) => Delivery::Reencrypt { transport: k.as_slice().try_into().map_err(|_| WasmError::Invalid("reencrypt_to must be a 32-byte X25519 key".into()))? },
                };
                (Request::Decrypt { keyset, ciphertext: ciphertext.to_vec(), delivery }, Some(keyset), "request_decryption", Vec::new())
            }
            TssMsg::DeleteKeySet { key_set_id } => (Request::DeleteKeyset { keyset: *key_set_id }, Some(*key_set_id), "delete_key_set", Vec::new()),
        };
        let submitted = self.router.submit(contract, &request).map_err(WasmError::Invalid)?;
        let key_set_id = submitted.key_set_id.or(key_set).unwrap_or_default();
        let record = RequestRecord { contract: contract.to_vec(), key_set_id, message };
        self.branch.put(state::request_key(submitted.request_id), state::encode(&record));
        let human = self.human(contract);
        let mut attrs = vec![("_contract_address".to_owned(), human), ("request_id".to_owned(), submitted.request_id.to_string()), ("kind".to_owned(), kind.to_owned())];
        attrs.push(("key_set_id".to_owned(), key_set_id.to_string()));
        if let TssMsg::CreateKeySet { description, .. } = msg {
            attrs.push(("description".to_owned(), description.clone()));
        }
        self.events.push(ContractEvent { kind: "tss_request".into(), attrs });
        let response = RequestSubmitted { request_id: submitted.request_id, key_set_id: submitted.key_set_id };
        let json = Binary::from(serde_json::to_vec(&response).unwrap_or_default());
        Ok((Some(json.clone()), vec![MsgResponse { type_url: TSS_RESPONSE_TYPE.into(), value: json }]))
    }

    /// The branch, gas and events.
    pub fn finish(self) -> (Branch, Meter, Vec<ContractEvent>) {
        (self.branch, self.meter, self.events)
    }
}

fn to_std_event(e: &ContractEvent) -> cosmwasm_std::Event {
    cosmwasm_std::Event::new(e.kind.clone()).add_attributes(e.attrs.iter().map(|(k, v)| (k.clone(), v.clone())))
}

/// A smart query of a contract over committed state (read-only), with its own gas limit.
pub fn query_smart<S: Store + ?Sized>(host: &Host, store: &S, env: &BlockEnv, tss: Arc<TssView>, contract: &[u8], msg: &[u8], gas_limit: u64) -> Result<Binary, WasmError> {
    let human = humanize(&env.prefix, contract).map_err(WasmError::Invalid)?;
    let info: ContractInfo = state::contract(store, contract).ok_or_else(|| WasmError::Invalid(format!("there is no contract {human}")))?;
    let code = state::code(store, info.code_id).ok_or_else(|| WasmError::Invalid(format!("code {} is missing", info.code_id)))?;
    let branch = Branch::default();
    let view = View { base: store, branch: &branch };
    let data = view.scan(&state::storage_prefix(contract));
    let checksum = host.ensure(&code.checksum, || store.get(&state::bytes_key(&code.checksum))).map_err(WasmError::Invalid)?;
    let failed = |message: String| WasmError::Contract { contract: human.clone(), message };
    let backend = Backend { api: ChainApi::new(&env.prefix), storage: ContractStorage::new(data), querier: ChainQuerier::new(&env.prefix, tss) };
    let mut instance = host.cache.get_instance(&checksum, backend, InstanceOptions { gas_limit: to_vm_gas(gas_limit) }).map_err(|e| failed(vm_failure(&e)))?;
    instance.set_storage_readonly(true);
    match cosmwasm_vm::call_query(&mut instance, &make_env(env, &human)?, msg) {
        Err(VmError::GasDepletion { .. }) => Err(WasmError::OutOfGas),
        Err(e) => Err(failed(vm_failure(&e))),
        Ok(ContractResult::Err(m)) => Err(failed(format!("query failed: {m}"))),
        Ok(ContractResult::Ok(b)) => Ok(b),
    }
}

/// Storage costs contracts pay (exposed for documentation and benchmarks).
pub fn kv_costs() -> KvCosts {
    KvCosts::default()
}
