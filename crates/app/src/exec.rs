//! Executing transactions: the ante checks (signature, chain, sequence, fee, gas), the messages,
//! and what a block leaves behind (engine requests, locked deposits, collected fees).
//!
//! Gas is static per message kind (`GasSchedule`), so every node computes the same gas for the
//! same transaction and CheckTx knows it in advance. A transaction that passes the ante checks
//! always pays its fee and uses its sequence; if one of its messages fails (funds, limits, gas),
//! none of them takes effect.

use crate::accounts::{self, key, read, write, Account, Deposit};
use crate::address::Address;
use hex::encode as hex;
use crate::params::AppParams;
use crate::staking::{self, ValidatorRecord};
use crate::tx::{decode, Msg, TxBody, TxError};
use std::collections::BTreeMap;
use tss_engine::state::Owner;
use tss_engine::types::{Request, RequestInput};
use tss_engine::{EngineState, Store};

/// Result codes (0 is success).
pub mod code {
    /// Accepted.
    pub const OK: u32 = 0;
    /// The bytes are not a transaction.
    pub const MALFORMED: u32 = 1;
    /// The signature does not verify.
    pub const BAD_SIGNATURE: u32 = 2;
    /// Not the account's next sequence.
    pub const BAD_SEQUENCE: u32 = 3;
    /// Starts with a byte reserved for the proposer's envelope (checked by the node).
    pub const RESERVED: u32 = 4;
    /// Made for another chain.
    pub const WRONG_CHAIN: u32 = 5;
    /// The fee is below the minimum for its gas limit.
    pub const INSUFFICIENT_FEE: u32 = 6;
    /// The gas limit is above the per-transaction maximum.
    pub const GAS_LIMIT: u32 = 7;
    /// The block's gas is used up.
    pub const BLOCK_FULL: u32 = 8;
    /// Not enough funds (fee, transfer or deposit).
    pub const INSUFFICIENT_FUNDS: u32 = 9;
    /// The messages need more gas than the limit.
    pub const OUT_OF_GAS: u32 = 10;
    /// A per-account bound (open requests, keysets) is reached.
    pub const LIMIT: u32 = 11;
    /// A message is invalid.
    pub const INVALID: u32 = 12;
    /// A contract returned an error, panicked or trapped.
    pub const CONTRACT: u32 = 13;

    /// What a code means, in a few words.
    pub fn meaning(code: u32) -> &'static str {
        match code {
            OK => "ok",
            MALFORMED => "not a transaction",
            BAD_SIGNATURE => "bad signature",
            BAD_SEQUENCE => "wrong sequence",
            RESERVED => "reserved tag",
            WRONG_CHAIN => "wrong chain id",
            INSUFFICIENT_FEE => "fee too low",
            GAS_LIMIT => "gas limit too high",
            BLOCK_FULL => "block gas used up",
            INSUFFICIENT_FUNDS => "insufficient funds",
            OUT_OF_GAS => "out of gas",
            LIMIT => "account limit reached",
            INVALID => "invalid message",
            CONTRACT => "contract error",
            _ => "unknown code",
        }
    }
}

/// A refused or failed transaction: a code and one line saying what and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The code.
    pub code: u32,
    /// What went wrong.
    pub log: String,
}

fn refuse(code: u32, log: impl Into<String>) -> Refusal {
    Refusal { code, log: log.into() }
}

impl From<TxError> for Refusal {
    fn from(e: TxError) -> Self {
        let code = match e {
            TxError::Decode(_) | TxError::Bounds(_) => code::MALFORMED,
            TxError::Signature => code::BAD_SIGNATURE,
            TxError::WrongChain { .. } => code::WRONG_CHAIN,
        };
        refuse(code, e.to_string())
    }
}

/// An event for clients: a kind and attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppEvent {
    /// e.g. `transfer`, `fee`.
    pub kind: &'static str,
    /// Attributes, in order.
    pub attrs: Vec<(&'static str, String)>,
}

/// What one transaction did in a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// 0, or why it failed.
    pub code: u32,
    /// What went wrong (empty on success).
    pub log: String,
    /// Its gas limit.
    pub gas_wanted: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Events.
    pub events: Vec<AppEvent>,
    /// How many engine requests it added (their ids come back from the engine in order).
    pub requests: usize,
    /// Events of the contracts it ran, in wasmd's shape.
    pub contract_events: Vec<tss_wasm::ContractEvent>,
}

/// The chain's parameters from the store.
pub fn params<S: Store + ?Sized>(store: &S) -> AppParams {
    read(store, &key("params", b"")).unwrap_or_default()
}

/// Writes genesis: parameters and initial balances.
pub fn genesis<S: Store + ?Sized>(store: &mut S, params: &AppParams, balances: &[(Address, u128)]) -> Result<(), String> {
    params.validate()?;
    write(store, &key("params", b""), params);
    for (address, amount) in balances {
        let mut a = accounts::account(store, address);
        a.balance = a.balance.checked_add(*amount).ok_or("a genesis balance overflows")?;
        accounts::set_account(store, address, &a);
    }
    Ok(())
}

/// Room a one-message transaction takes beyond its message's encoding: the signer, the
/// signature, the body's other fields and the envelope, with margin.
pub const TX_ROOM: usize = 2048;

/// The static gas of a one-message transaction, for a client choosing its gas limit before it
/// signs: [`gas_of`] at the message's encoded length plus [`TX_ROOM`]. A contract's own gas is
/// not included (it is only known as the contract runs).
pub fn estimated_gas(params: &AppParams, msg: &Msg, validators: usize) -> u64 {
    let len = postcard::to_allocvec(msg).map_or(0, |v| v.len());
    gas_of(params, std::slice::from_ref(msg), TX_ROOM + len, validators)
}

/// Gas a transaction of `len` bytes with these messages uses, with `validators` in the set.
pub fn gas_of(params: &AppParams, msgs: &[Msg], len: usize, validators: usize) -> u64 {
    let g = &params.gas;
    let per_msg = msgs.iter().map(|m| match m {
        Msg::BankSend { .. } => g.bank_send,
        Msg::Tss(Request::Sign { .. }) => g.sign,
        Msg::Tss(Request::Decrypt { .. }) => g.decrypt,
        Msg::Tss(Request::CreateKeyset { .. }) => g.keyset_base.saturating_add(g.keyset_per_validator.saturating_mul(validators as u64)),
        Msg::Tss(Request::DeleteKeyset { .. }) => g.staking,
        Msg::CreateValidator { .. } => g.staking.saturating_mul(4),
        Msg::Bond { .. } | Msg::Unbond { .. } | Msg::Unjail | Msg::GovDeposit { .. } | Msg::GovVote { .. } => g.staking,
        Msg::GovSubmit { .. } => g.staking.saturating_mul(2),
        // Contracts' own gas is metered as they run, on top of this.
        Msg::WasmStore { .. } | Msg::WasmInstantiate { .. } | Msg::WasmExecute { .. } | Msg::WasmMigrate { .. } => params.wasm.msg_base_gas,
    });
    per_msg.fold(g.tx_base.saturating_add(g.per_byte.saturating_mul(len as u64)), u64::saturating_add)
}

/// The ante checks shared by CheckTx and delivery: decode, signature, chain, fee against gas.
fn ante(params: &AppParams, chain_id: &str, bytes: &[u8], validators: usize) -> Result<(Address, TxBody, u64), Refusal> {
    let (tx, body) = decode(bytes, chain_id)?;
    let fee = body.fee;
    if fee.gas_limit > params.max_tx_gas {
        return Err(refuse(code::GAS_LIMIT, format!("gas limit {} is above the maximum {} per transaction", fee.gas_limit, params.max_tx_gas)));
    }
    let min = params.min_fee(fee.gas_limit);
    if fee.amount < min {
        return Err(refuse(code::INSUFFICIENT_FEE, format!("fee {}{} is below {min}{} for gas limit {}: raise --fees", fee.amount, params.denom, params.denom, fee.gas_limit)));
    }
    let gas = gas_of(params, &body.msgs, bytes.len(), validators);
    if gas > fee.gas_limit {
        return Err(refuse(code::OUT_OF_GAS, format!("needs {gas} gas, the limit is {}: raise --gas", fee.gas_limit)));
    }
    Ok((tx.account(), body, gas))
}

/// What CheckTx has accepted and not yet seen committed, per account: the next sequence it
/// expects and the funds those transactions may spend. Cleared at every commit; CometBFT then
/// rechecks its mempool in order, which rebuilds it and evicts what no longer fits.
#[derive(Clone, Debug, Default)]
pub struct Mempool {
    pending: BTreeMap<Address, (u64, u128)>,
}

impl Mempool {
    /// Forgets everything (after a commit).
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

/// Most a transaction can take from its account: the fee, transfers and deposits.
fn spend(params: &AppParams, body: &TxBody) -> Option<u128> {
    body.msgs.iter().try_fold(body.fee.amount, |acc, m| match m {
        Msg::BankSend { amount, .. } => acc.checked_add(*amount),
        Msg::Tss(Request::CreateKeyset { .. }) => acc.checked_add(params.keyset_deposit),
        Msg::CreateValidator { self_bond: amount, .. } | Msg::Bond { amount } | Msg::GovSubmit { deposit: amount, .. } | Msg::GovDeposit { amount, .. } => acc.checked_add(*amount),
        // A contract's keyset deposits are only known when it runs: delivery checks them.
        Msg::Tss(_) | Msg::Unbond { .. } | Msg::Unjail | Msg::GovVote { .. } => Some(acc),
        Msg::WasmStore { .. } | Msg::WasmInstantiate { .. } | Msg::WasmExecute { .. } | Msg::WasmMigrate { .. } => Some(acc),
    })
}

/// CheckTx: the ante checks, the account's next sequence counting what the mempool holds (a
/// duplicate or a gap is refused), and funds for everything pending. Returns the gas wanted.
pub fn check_tx<S: Store + ?Sized>(store: &S, engine: &EngineState, mempool: &mut Mempool, bytes: &[u8]) -> Result<u64, Refusal> {
    let params = params(store);
    let (account, body, _) = ante(&params, &engine.meta.chain_id, bytes, engine.meta.validators.len())?;
    let a = accounts::account(store, &account);
    let (next, spent) = mempool.pending.get(&account).copied().unwrap_or((a.sequence, 0));
    if body.sequence != next {
        let why = if body.sequence < next { "already used (a duplicate or a replay)" } else { "ahead of the account's next (send them in order)" };
        return Err(refuse(code::BAD_SEQUENCE, format!("sequence {} is {why}: the next is {next}", body.sequence)));
    }
    let cost = spend(&params, &body).ok_or_else(|| refuse(code::INVALID, "amounts overflow"))?;
    let total = spent.checked_add(cost).ok_or_else(|| refuse(code::INVALID, "amounts overflow"))?;
    if total > a.balance {
        return Err(refuse(code::INSUFFICIENT_FUNDS, format!("the account holds {}{} and its pending transactions need {total}", a.balance, params.denom)));
    }
    mempool.pending.insert(account, (next + 1, total));
    Ok(body.fee.gas_limit)
}

/// What a transaction's messages change, applied only if all succeed.
#[derive(Default)]
pub(crate) struct Effects {
    accounts: BTreeMap<Address, Account>,
    validators: BTreeMap<Address, ValidatorRecord>,
    unbondings: Vec<(Address, u128)>,
    pub(crate) requests: Vec<(RequestInput, Option<Deposit>)>,
    pub(crate) events: Vec<AppEvent>,
    /// Proposals created or changed, by id.
    proposals: BTreeMap<u64, crate::gov::Proposal>,
    /// Deposits added: (proposal, depositor, amount).
    gov_deposits: Vec<(u64, Address, u128)>,
    /// Votes cast: (proposal, voter, option).
    votes: Vec<(u64, Address, crate::gov::VoteOption)>,
    /// Contracts' writes.
    pub(crate) wasm: tss_wasm::state::Branch,
    /// Contracts' events.
    pub(crate) contract_events: Vec<tss_wasm::ContractEvent>,
}

/// One block's transactions, executed in order.
pub struct Block<'a, S: Store + ?Sized> {
    pub(crate) store: &'a mut S,
    pub(crate) engine: &'a EngineState,
    height: u64,
    pub(crate) params: AppParams,
    gas_used: u64,
    fees: u128,
    /// Engine requests, in order, each with the deposit it locked.
    pub(crate) requests: Vec<(RequestInput, Option<Deposit>)>,
    /// The contract host, when this node runs one.
    pub(crate) contracts: Option<crate::contracts::Contracts<'a>>,
    queued: usize,
}

/// What a block hands on: the engine's requests (in order, with their deposits) and the fees.
#[derive(Clone, Debug, Default)]
pub struct BlockTxs {
    /// Requests for the engine, in order.
    pub requests: Vec<RequestInput>,
    /// The deposit each request locked (keyset creation), by position.
    pub deposits: Vec<Option<Deposit>>,
    /// Fees collected.
    pub fees: u128,
    /// How many of the requests were queued by contracts' callbacks in the previous block
    /// (they come first).
    pub queued: usize,
}

impl<'a, S: Store + ?Sized> Block<'a, S> {
    /// Starts a block over the committed state. The requests contracts' callbacks made in the
    /// previous block come first, numbered as their contracts were told.
    pub fn begin(store: &'a mut S, engine: &'a EngineState, height: u64) -> Self {
        let params = params(store);
        let requests: Vec<_> = tss_wasm::state::take_queue(store).into_iter().map(|r| (r, None)).collect();
        let queued = requests.len();
        Self { store, engine, height, params, gas_used: 0, fees: 0, requests, queued, contracts: None }
    }

    /// Runs contracts on `host` in this block.
    pub fn with_contracts(mut self, host: &'a tss_wasm::Host, env: tss_wasm::BlockEnv) -> Self {
        self.contracts = Some(crate::contracts::Contracts::new(host, env));
        self
    }

    /// Executes one transaction.
    pub fn deliver(&mut self, bytes: &[u8]) -> TxOutcome {
        let validators = self.engine.meta.validators.len();
        let (account, body, gas) = match ante(&self.params, &self.engine.meta.chain_id, bytes, validators) {
            Ok(v) => v,
            Err(r) => return failed(r, 0, 0),
        };
        let wanted = body.fee.gas_limit;
        if self.gas_used.saturating_add(wanted) > self.params.max_block_gas {
            return failed(refuse(code::BLOCK_FULL, "the block's gas is used up: send it again"), wanted, 0);
        }
        let mut a = accounts::account(self.store, &account);
        if body.sequence != a.sequence {
            return failed(refuse(code::BAD_SEQUENCE, format!("sequence {} is not the account's next ({})", body.sequence, a.sequence)), wanted, 0);
        }
        if a.balance < body.fee.amount {
            return failed(refuse(code::INSUFFICIENT_FUNDS, format!("the account holds {}{}, the fee is {}", a.balance, self.params.denom, body.fee.amount)), wanted, 0);
        }
        // Past the ante checks: the fee is paid and the sequence used, whatever follows.
        a.balance -= body.fee.amount;
        a.sequence += 1;
        accounts::set_account(self.store, &account, &a);
        self.gas_used = self.gas_used.saturating_add(wanted);
        self.fees = self.fees.saturating_add(body.fee.amount);
        let mut events = vec![AppEvent { kind: "fee", attrs: vec![("payer", self.bech32(&account)), ("amount", format!("{}{}", body.fee.amount, self.params.denom))] }];
        let mut meter = tss_wasm::gas::Meter::new(wanted, gas);
        match self.run_msgs(account, &body.msgs, &mut meter) {
            Ok(mut fx) => {
                std::mem::take(&mut fx.wasm).apply(self.store);
                for (address, account) in &fx.accounts {
                    accounts::set_account(self.store, address, account);
                }
                for v in fx.validators.values() {
                    staking::set_validator(self.store, v);
                }
                let matures = self.height.saturating_add(self.params.staking.unbonding_blocks);
                for (operator, amount) in &fx.unbondings {
                    staking::add_unbonding(self.store, operator, matures, *amount);
                }
                for p in fx.proposals.values() {
                    crate::gov::set_proposal(self.store, p);
                }
                for (id, depositor, amount) in &fx.gov_deposits {
                    crate::gov::add_deposit(self.store, *id, depositor, *amount);
                }
                for (id, voter, option) in &fx.votes {
                    crate::gov::set_vote(self.store, *id, voter, *option);
                }
                let requests = fx.requests.len();
                self.requests.append(&mut fx.requests);
                events.append(&mut fx.events);
                TxOutcome { code: code::OK, log: String::new(), gas_wanted: wanted, gas_used: meter.used, events, requests, contract_events: fx.contract_events }
            }
            Err(r) => TxOutcome { code: r.code, log: r.log, gas_wanted: wanted, gas_used: meter.used, events, requests: 0, contract_events: Vec::new() },
        }
    }

    pub(crate) fn bech32(&self, a: &Address) -> String {
        a.to_bech32(&self.params.address_prefix).unwrap_or_default()
    }

    /// Runs the messages on an overlay; nothing is written unless all succeed.
    fn run_msgs(&self, sender: Address, msgs: &[Msg], meter: &mut tss_wasm::gas::Meter) -> Result<Effects, Refusal> {
        let mut fx = Effects::default();
        for (i, msg) in msgs.iter().enumerate() {
            let at = |r: Refusal| Refusal { code: r.code, log: format!("message {i} ({}): {}", msg.name(), r.log) };
            match msg {
                Msg::BankSend { to, amount } => self.bank_send(&mut fx, sender, to, *amount).map_err(at)?,
                Msg::Tss(request) => self.tss_request(&mut fx, sender, request).map_err(at)?,
                Msg::CreateValidator { consensus_key, transport, transport_proof, self_bond, moniker } => {
                    self.create_validator(&mut fx, sender, consensus_key, transport, transport_proof, *self_bond, moniker).map_err(at)?
                }
                Msg::Bond { amount } => self.bond(&mut fx, sender, *amount).map_err(at)?,
                Msg::Unbond { amount } => self.unbond(&mut fx, sender, *amount).map_err(at)?,
                Msg::Unjail => self.unjail(&mut fx, sender).map_err(at)?,
                Msg::GovSubmit { title, summary, content, deposit } => self.gov_submit(&mut fx, sender, title, summary, content, *deposit).map_err(at)?,
                Msg::GovDeposit { proposal, amount } => self.gov_deposit(&mut fx, sender, *proposal, *amount).map_err(at)?,
                Msg::GovVote { proposal, option } => self.gov_vote(&mut fx, sender, *proposal, *option).map_err(at)?,
                Msg::WasmStore { .. } | Msg::WasmInstantiate { .. } | Msg::WasmExecute { .. } | Msg::WasmMigrate { .. } => self.wasm_msg(&mut fx, sender, msg, meter).map_err(at)?,
            }
        }
        Ok(fx)
    }

    pub(crate) fn account(&self, fx: &Effects, a: &Address) -> Account {
        fx.accounts.get(a).copied().unwrap_or_else(|| accounts::account(self.store, a))
    }

    fn validator(&self, fx: &Effects, operator: &Address) -> Option<ValidatorRecord> {
        fx.validators.get(operator).cloned().or_else(|| staking::validator(self.store, operator))
    }

    pub(crate) fn debit(&self, fx: &mut Effects, from: Address, amount: u128, what: &str) -> Result<(), Refusal> {
        let mut a = self.account(fx, &from);
        if a.balance < amount {
            return Err(refuse(code::INSUFFICIENT_FUNDS, format!("{what} needs {amount}{}, the account holds {}", self.params.denom, a.balance)));
        }
        a.balance -= amount;
        fx.accounts.insert(from, a);
        Ok(())
    }

    fn bank_send(&self, fx: &mut Effects, sender: Address, to: &Address, amount: u128) -> Result<(), Refusal> {
        if amount == 0 {
            return Err(refuse(code::INVALID, "the amount must be above 0"));
        }
        self.debit(fx, sender, amount, "the transfer")?;
        let mut dest = self.account(fx, to);
        dest.balance = dest.balance.checked_add(amount).ok_or_else(|| refuse(code::INVALID, "the recipient's balance overflows"))?;
        fx.accounts.insert(*to, dest);
        fx.events.push(AppEvent { kind: "transfer", attrs: vec![("sender", self.bech32(&sender)), ("recipient", self.bech32(to)), ("amount", format!("{amount}{}", self.params.denom))] });
        Ok(())
    }

    fn tss_request(&self, fx: &mut Effects, sender: Address, request: &Request) -> Result<(), Refusal> {
        let requester = sender.0.to_vec();
        let queued = self.requests.iter().chain(&fx.requests).map(|(r, _)| r);
        check_limits(self.engine, &self.params, queued, &requester, request, "account")?;
        let mut deposit = None;
        if let Request::CreateKeyset { .. } = request {
            self.debit(fx, sender, self.params.keyset_deposit, "a keyset's deposit")?;
            deposit = Some(Deposit { owner: sender, amount: self.params.keyset_deposit });
        }
        fx.requests.push((RequestInput { requester, request: request.clone() }, deposit));
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn create_validator(&self, fx: &mut Effects, sender: Address, consensus_key: &[u8; 32], transport: &[u8; 32], proof: &[u8], self_bond: u128, moniker: &str) -> Result<(), Refusal> {
        if self.validator(fx, &sender).is_some() {
            return Err(refuse(code::INVALID, "this account already operates a validator (bond more with `tx staking bond`)"));
        }
        if ed25519_dalek::VerifyingKey::from_bytes(consensus_key).is_err() {
            return Err(refuse(code::INVALID, "the consensus key is not a valid Ed25519 key"));
        }
        let address = Address::of_key(consensus_key);
        let taken = staking::validators(self.store).iter().chain(fx.validators.values()).any(|v| v.consensus_key == *consensus_key)
            || self.engine.meta.validators.iter().any(|v| v.address.as_slice() == address.0.as_slice());
        if taken {
            return Err(refuse(code::INVALID, "this consensus key is already registered"));
        }
        let owner = tss_crypto::participant_id(&address.0).map_err(|_| refuse(code::INVALID, "the consensus address is not usable"))?;
        let proof: [u8; tss_crypto::transport::POSSESSION_PROOF_LEN] = proof.try_into().map_err(|_| refuse(code::INVALID, "the transport key's proof of possession must be 64 bytes"))?;
        let valid = tss_crypto::TransportPublic::from_bytes(*transport).is_some_and(|t| t.verify_possession(&self.engine.meta.chain_id, &owner, &proof));
        if !valid {
            return Err(refuse(code::INVALID, "the transport key is invalid or its proof of possession does not verify (made by `mpcd` for this chain and consensus key?)"));
        }
        if moniker.is_empty() || moniker.len() > staking::MAX_MONIKER {
            return Err(refuse(code::INVALID, format!("the moniker must be 1 to {} bytes", staking::MAX_MONIKER)));
        }
        let min = self.params.staking.min_self_bond;
        if self_bond < min {
            return Err(refuse(code::INVALID, format!("the self-bond {self_bond}{} is below the minimum {min}", self.params.denom)));
        }
        self.debit(fx, sender, self_bond, "the self-bond")?;
        let v = ValidatorRecord { operator: sender, address: address.0.to_vec(), consensus_key: *consensus_key, transport: *transport, moniker: moniker.to_owned(), bond: self_bond, jailed_until: None };
        fx.events.push(AppEvent { kind: "create_validator", attrs: vec![("operator", self.bech32(&sender)), ("consensus_address", hex(address.0)), ("bond", format!("{self_bond}{}", self.params.denom))] });
        fx.validators.insert(sender, v);
        Ok(())
    }

    fn operated(&self, fx: &Effects, sender: &Address) -> Result<ValidatorRecord, Refusal> {
        self.validator(fx, sender).ok_or_else(|| refuse(code::INVALID, "this account operates no validator (create one with `tx staking create-validator`)"))
    }

    fn bond(&self, fx: &mut Effects, sender: Address, amount: u128) -> Result<(), Refusal> {
        let mut v = self.operated(fx, &sender)?;
        if amount == 0 {
            return Err(refuse(code::INVALID, "the amount must be above 0"));
        }
        self.debit(fx, sender, amount, "the bond")?;
        v.bond = v.bond.checked_add(amount).ok_or_else(|| refuse(code::INVALID, "the bond overflows"))?;
        fx.validators.insert(sender, v);
        Ok(())
    }

    fn unbond(&self, fx: &mut Effects, sender: Address, amount: u128) -> Result<(), Refusal> {
        let mut v = self.operated(fx, &sender)?;
        if amount == 0 || amount > v.bond {
            return Err(refuse(code::INVALID, format!("the amount must be 1 to the bond ({}{})", v.bond, self.params.denom)));
        }
        v.bond -= amount;
        fx.unbondings.push((sender, amount));
        fx.events.push(AppEvent { kind: "unbond", attrs: vec![("operator", self.bech32(&sender)), ("amount", format!("{amount}{}", self.params.denom)), ("blocks", self.params.staking.unbonding_blocks.to_string())] });
        fx.validators.insert(sender, v);
        Ok(())
    }

    fn unjail(&self, fx: &mut Effects, sender: Address) -> Result<(), Refusal> {
        let mut v = self.operated(fx, &sender)?;
        match v.jailed_until {
            None => return Err(refuse(code::INVALID, "the validator is not jailed")),
            Some(u64::MAX) => return Err(refuse(code::INVALID, "the validator was removed by governance: it cannot unjail (register a new one)")),
            Some(until) if until >= self.height => return Err(refuse(code::INVALID, format!("jailed until height {until}: try again after it"))),
            Some(_) => v.jailed_until = None,
        }
        fx.validators.insert(sender, v);
        Ok(())
    }

    fn proposal(&self, fx: &Effects, id: u64) -> Result<crate::gov::Proposal, Refusal> {
        fx.proposals.get(&id).cloned().or_else(|| crate::gov::proposal(self.store, id)).ok_or_else(|| refuse(code::INVALID, format!("there is no proposal {id}")))
    }

    fn gov_submit(&self, fx: &mut Effects, sender: Address, title: &str, summary: &str, content: &crate::gov::Content, deposit: u128) -> Result<(), Refusal> {
        use crate::gov::{Proposal, Status, MAX_SUMMARY, MAX_TITLE};
        if title.trim().is_empty() || title.len() > MAX_TITLE || summary.len() > MAX_SUMMARY {
            return Err(refuse(code::INVALID, format!("the title must be 1 to {MAX_TITLE} bytes and the summary at most {MAX_SUMMARY}")));
        }
        crate::gov::check_content(self.store, self.engine, content).map_err(|e| refuse(code::INVALID, format!("the proposal cannot pass as written: {e}")))?;
        let id = crate::gov::next_id(self.store) + fx.proposals.keys().filter(|k| crate::gov::proposal(self.store, **k).is_none()).count() as u64;
        let gov = &self.params.gov;
        let mut p = Proposal {
            id,
            proposer: sender,
            title: title.to_owned(),
            summary: summary.to_owned(),
            content: content.clone(),
            status: Status::DepositPeriod,
            submitted: self.height,
            deposit_end: self.height.saturating_add(gov.max_deposit_blocks),
            voting_end: None,
            deposit: 0,
            tally: None,
            result: String::new(),
        };
        fx.events.push(AppEvent { kind: "proposal_submitted", attrs: vec![("proposal", id.to_string()), ("proposer", self.bech32(&sender))] });
        self.add_deposit(fx, sender, &mut p, deposit)?;
        fx.proposals.insert(id, p);
        Ok(())
    }

    /// Locks `amount` on `p`; the voting period starts once the deposit reaches the minimum.
    fn add_deposit(&self, fx: &mut Effects, sender: Address, p: &mut crate::gov::Proposal, amount: u128) -> Result<(), Refusal> {
        if amount > 0 {
            self.debit(fx, sender, amount, "the deposit")?;
            p.deposit = p.deposit.checked_add(amount).ok_or_else(|| refuse(code::INVALID, "the deposit overflows"))?;
            fx.gov_deposits.push((p.id, sender, amount));
        }
        if p.status == crate::gov::Status::DepositPeriod && p.deposit >= self.params.gov.min_deposit {
            p.status = crate::gov::Status::VotingPeriod;
            let end = self.height.saturating_add(self.params.gov.voting_blocks);
            p.voting_end = Some(end);
            fx.events.push(AppEvent { kind: "proposal_voting", attrs: vec![("proposal", p.id.to_string()), ("voting_end", end.to_string())] });
        }
        Ok(())
    }

    fn gov_deposit(&self, fx: &mut Effects, sender: Address, id: u64, amount: u128) -> Result<(), Refusal> {
        let mut p = self.proposal(fx, id)?;
        if !matches!(p.status, crate::gov::Status::DepositPeriod | crate::gov::Status::VotingPeriod) {
            return Err(refuse(code::INVALID, format!("proposal {id} is closed")));
        }
        if amount == 0 {
            return Err(refuse(code::INVALID, "the amount must be above 0"));
        }
        self.add_deposit(fx, sender, &mut p, amount)?;
        fx.proposals.insert(id, p);
        Ok(())
    }

    fn gov_vote(&self, fx: &mut Effects, sender: Address, id: u64, option: crate::gov::VoteOption) -> Result<(), Refusal> {
        let p = self.proposal(fx, id)?;
        if p.status != crate::gov::Status::VotingPeriod {
            return Err(refuse(code::INVALID, format!("proposal {id} is not in its voting period")));
        }
        if self.validator(fx, &sender).is_none_or(|v| v.bond == 0) {
            return Err(refuse(code::INVALID, "only the operator of a bonded validator votes (votes weigh the bond)"));
        }
        fx.votes.push((id, sender, option));
        fx.events.push(AppEvent { kind: "vote", attrs: vec![("proposal", id.to_string()), ("voter", self.bech32(&sender)), ("option", option.name().to_owned())] });
        Ok(())
    }

    /// Ends the transactions of the block.
    pub fn finish(self) -> BlockTxs {
        let (requests, deposits) = self.requests.into_iter().unzip();
        BlockTxs { requests, deposits, fees: self.fees, queued: self.queued }
    }
}

fn failed(r: Refusal, gas_wanted: u64, gas_used: u64) -> TxOutcome {
    TxOutcome { code: r.code, log: r.log, gas_wanted, gas_used, events: Vec::new(), requests: 0, contract_events: Vec::new() }
}

/// The bounds on one requester's engine requests (an account's or a contract's): keysets held
/// and open signature and decryption requests, counting what is queued before it. Ownership
/// and labels are the engine's to check.
pub(crate) fn check_limits<'r>(engine: &EngineState, params: &AppParams, queued: impl Iterator<Item = &'r RequestInput>, requester: &[u8], request: &Request, who: &str) -> Result<(), Refusal> {
    let pending = queued.filter(|r| r.requester == requester);
    match request {
        Request::CreateKeyset { .. } => {
            let owned = engine.keysets.values().filter(|k| k.owner == Owner::Requester(requester.to_vec())).count() + pending.filter(|r| matches!(r.request, Request::CreateKeyset { .. })).count();
            if owned >= params.max_keysets as usize {
                return Err(refuse(code::LIMIT, format!("the {who} already owns {owned} keysets, the most allowed (delete one first)")));
            }
        }
        Request::DeleteKeyset { .. } => {}
        Request::Sign { .. } | Request::Decrypt { .. } => {
            let open = engine.requests.values().filter(|r| r.requester == requester).count() + pending.filter(|r| matches!(r.request, Request::Sign { .. } | Request::Decrypt { .. })).count();
            if open >= params.max_open_requests as usize {
                return Err(refuse(code::LIMIT, format!("the {who} has {open} requests open, the most allowed: wait for their callbacks")));
            }
        }
    }
    Ok(())
}

/// A refusal (for sibling modules).
pub(crate) fn refusal(code: u32, log: impl Into<String>) -> Refusal {
    refuse(code, log)
}
