//! The ABCI++ application: CometBFT 0.38's calls mapped onto the engine.

use crate::db::ChainDb;
use crate::glue::{fit_envelope, match_commit, verify_envelope, ConsensusKey, Envelope, SignedExtension, ENVELOPE_TAG};
use crate::metrics::Metrics;
use crate::secret_store::SecretStore;
use tss_app::code;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tendermint_abci::Application;
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};
use tendermint_proto::v0_38::abci::{
    response_process_proposal, response_verify_vote_extension, Event, EventAttribute, ExecTxResult, RequestCheckTx, RequestExtendVote, RequestFinalizeBlock, RequestInfo,
    RequestInitChain, RequestPrepareProposal, RequestProcessProposal, RequestQuery, RequestVerifyVoteExtension, ResponseCheckTx, ResponseCommit, ResponseExtendVote,
    ResponseFinalizeBlock, ResponseInfo, ResponseInitChain, ResponsePrepareProposal, ResponseProcessProposal, ResponseQuery, ResponseVerifyVoteExtension,
};
use tss_crypto::Encode;
use tss_engine::types::{Callback, Event as EngineEvent};
use tss_engine::{BlockInput, EngineState, LocalSecrets, Store};

const NODE_PREFIX: &[u8] = b"node/";

fn node_key(section: &str, id: &[u8]) -> Vec<u8> {
    let mut k = NODE_PREFIX.to_vec();
    k.extend_from_slice(section.as_bytes());
    k.push(b'/');
    k.extend_from_slice(id);
    k
}

/// The ABCI application (cloned per CometBFT connection; all clones share one state).
#[derive(Clone)]
pub struct App {
    inner: Arc<Mutex<Inner>>,
    metrics: Arc<Metrics>,
}

struct Inner {
    db: ChainDb,
    state: Option<EngineState>,
    local: Option<LocalSecrets>,
    store: SecretStore,
    rng: ChaCha20Rng,
    app_hash: Vec<u8>,
    finalized: i64,
    /// A block is finalized and not committed: the in-memory engine state is ahead of the
    /// database, so queries read the committed state from the database.
    uncommitted: bool,
    /// What CheckTx accepted since the last commit (pending sequences and funds).
    mempool: tss_app::Mempool,
    /// The contract host.
    host: tss_wasm::Host,
    /// The engine's output of the last finalized block (for the in-process devnet's reports).
    last_output: Option<tss_engine::BlockOutput>,
}

impl App {
    /// Opens the application over a chain database and a secret store.
    pub fn new(db: ChainDb, store: SecretStore, local: LocalSecrets, metrics: Arc<Metrics>, host: tss_wasm::Host) -> anyhow::Result<Self> {
        let rng = ChaCha20Rng::from_rng(rand_core::OsRng).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
        Self::with_rng(db, store, local, metrics, host, rng)
    }

    /// [`App::new`] drawing its randomness (nonces, dealings) from `rng`: the devnet seeds it so
    /// that one seed gives one run. A node serving a real chain uses [`App::new`].
    pub fn with_rng(db: ChainDb, store: SecretStore, local: LocalSecrets, metrics: Arc<Metrics>, host: tss_wasm::Host, rng: ChaCha20Rng) -> anyhow::Result<Self> {
        let state = EngineState::load(&db).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (finalized, app_hash) = db.last_commit();
        let local = match &state {
            Some(s) => {
                let bytes = local.to_bytes();
                Some(LocalSecrets::from_bytes(&bytes, Some(s)).map_err(|e| anyhow::anyhow!("{e}"))?)
            }
            None => Some(local),
        };
        let inner = Inner { db, state, local, store, rng, app_hash, finalized, uncommitted: false, mempool: tss_app::Mempool::default(), host, last_output: None };
        Ok(Self { inner: Arc::new(Mutex::new(inner)), metrics })
    }

    /// Reads the engine state as of the last finalized block (`None` before genesis).
    pub fn engine<R>(&self, read: impl FnOnce(&EngineState) -> R) -> Option<R> {
        self.lock().state.as_ref().map(read)
    }

    /// The engine's output of the last finalized block.
    pub fn last_output(&self) -> Option<tss_engine::BlockOutput> {
        self.lock().last_output.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Inner {
    fn chain_id(&self) -> String {
        self.state.as_ref().map(|s| s.meta.chain_id.clone()).unwrap_or_default()
    }

    fn vote_extensions_from(&self) -> u64 {
        self.db.get(&node_key("vote_extensions_enable_height", b"")).and_then(|v| v.try_into().ok()).map(u64::from_be_bytes).unwrap_or(1)
    }

    /// The validator set CometBFT used at `height`: the one extensions of that height are
    /// signed by.
    fn consensus_at(&self, height: u64) -> BTreeMap<Vec<u8>, ConsensusKey> {
        crate::valset::at(&self.db, height)
    }

    /// A validator's consensus key, as registered (genesis, or `create-validator`).
    fn consensus_key(&self, address: &[u8]) -> Option<ed25519_dalek::VerifyingKey> {
        let raw: [u8; 32] = match self.db.get(&node_key("consensus_key", address)) {
            Some(raw) => raw.as_slice().try_into().ok()?,
            None => tss_app::staking::by_consensus_address(&self.db, address)?.consensus_key,
        };
        ed25519_dalek::VerifyingKey::from_bytes(&raw).ok()
    }

    /// The app hash of the state as it is now, as `version` (a height, or InitChain's
    /// `initial_height - 1`): the root of the state tree.
    fn app_hash(&mut self, version: u64) -> Vec<u8> {
        match self.db.root(version) {
            Ok(hash) => hash,
            Err(e) => {
                // Versions follow heights; anything else is a database this node cannot extend.
                tracing::error!(error = %e, version, "cannot compute the app hash");
                eprintln!("mpcd: cannot compute the app hash of height {version}: {e}");
                std::process::exit(1);
            }
        }
    }

    fn persist_local(&self) -> bool {
        let Some(local) = &self.local else { return false };
        match self.store.write(&local.to_bytes()) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "cannot persist the local secret store");
                false
            }
        }
    }
}

/// For each keyset: whether this validator holds a share of its current epoch.
fn held_shares(state: &EngineState, local: &LocalSecrets) -> Vec<(u64, bool)> {
    let held = local.held_epochs();
    state
        .keysets
        .iter()
        .map(|(id, k)| {
            let current = k.current.and_then(|g| k.generations.get(&g).and_then(|gen| gen.epoch_at(state.meta.height)).map(|(e, _)| (*id, g, e)));
            (*id, current.is_some_and(|c| held.contains(&c)))
        })
        .collect()
}

fn event(kind: &str, attrs: &[(&str, String)]) -> Event {
    Event { r#type: kind.to_owned(), attributes: attrs.iter().map(|(k, v)| EventAttribute { key: (*k).to_owned(), value: v.clone(), index: true }).collect() }
}

/// The ABCI event of a JSON object of the engine's vocabulary (`tss_engine::json`): type
/// `tss.<type>`, one attribute per field (strings as they are, other values as JSON text).
fn json_event(value: &serde_json::Value) -> Event {
    let kind = value.get("type").and_then(serde_json::Value::as_str).unwrap_or("unknown");
    let attrs: Vec<(&str, String)> = value
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "type")
        .map(|(k, v)| (k.as_str(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    event(&format!("tss.{kind}"), &attrs)
}

fn callback_event(cb: &Callback) -> Event {
    json_event(&tss_engine::json::callback_json(cb))
}

fn app_event(e: &tss_app::exec::AppEvent) -> Event {
    event(&format!("app.{}", e.kind), &e.attrs.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>())
}

fn contract_event(e: &tss_wasm::ContractEvent) -> Event {
    Event { r#type: e.kind.clone(), attributes: e.attrs.iter().map(|(k, v)| EventAttribute { key: k.clone(), value: v.clone(), index: true }).collect() }
}

/// The block a contract sees: chain id, height, the block's time and the address prefix.
fn block_env(chain_id: &str, height: u64, time: Option<&tendermint_proto::google::protobuf::Timestamp>, prefix: &str) -> tss_wasm::BlockEnv {
    let time_nanos = time.map_or(0, |t| u64::try_from(t.seconds).unwrap_or(0).saturating_mul(1_000_000_000).saturating_add(u64::try_from(t.nanos).unwrap_or(0)));
    tss_wasm::BlockEnv { chain_id: chain_id.to_owned(), height, time_nanos, prefix: prefix.to_owned() }
}

fn engine_event(e: &EngineEvent) -> Event {
    json_event(&tss_engine::json::event_json(e))
}

impl Application for App {
    fn info(&self, _request: RequestInfo) -> ResponseInfo {
        let inner = self.lock();
        let (height, hash) = inner.db.last_commit();
        ResponseInfo { data: "mpcd".into(), version: env!("CARGO_PKG_VERSION").into(), app_version: 1, last_block_height: height, last_block_app_hash: hash.into() }
    }

    fn init_chain(&self, request: RequestInitChain) -> ResponseInitChain {
        let mut inner = self.lock();
        // A genesis the engine cannot run on is an operator error: stop here with what to fix,
        // rather than start a chain that would halt or hold its key with fewer validators.
        let genesis = match crate::genesis::read(&request) {
            Ok(g) => g,
            Err(e) => {
                tracing::error!(error = %e, "InitChain refused the genesis");
                eprintln!("mpcd: InitChain refused the genesis: {e}");
                std::process::exit(2);
            }
        };
        let mut set = BTreeMap::new();
        for (address, key) in &genesis.consensus_keys {
            inner.db.put(&node_key("consensus_key", address), key.to_vec());
            let power = genesis.validators.iter().find(|v| v.address == *address).map_or(0, |v| v.power);
            if let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(key) {
                set.insert(address.clone(), ConsensusKey { key, power });
            }
        }
        crate::valset::record(&mut inner.db, u64::try_from(request.initial_height).unwrap_or(1).max(1), &set);
        inner.db.put(&node_key("vote_extensions_enable_height", b""), genesis.vote_extensions_from.to_be_bytes().to_vec());
        if let Err(e) = tss_app::genesis(&mut inner.db, &genesis.app_params, &genesis.balances) {
            eprintln!("mpcd: InitChain refused the genesis: {e}");
            std::process::exit(2);
        }
        let registered: Vec<tss_app::staking::GenesisValidator> = genesis
            .consensus_keys
            .iter()
            .filter_map(|(address, key)| {
                genesis.validators.iter().find(|v| v.address == *address).map(|v| tss_app::staking::GenesisValidator { address: address.clone(), consensus_key: *key, transport: v.transport })
            })
            .collect();
        let power = genesis.validators.first().map_or(tss_app::staking::VALIDATOR_POWER, |v| v.power);
        tss_app::staking::genesis_validators(&mut inner.db, &registered, genesis.genesis_bond, power);
        let state = EngineState::genesis(&request.chain_id, genesis.params, genesis.validators);
        state.save_all(&mut inner.db);
        inner.state = Some(state);
        inner.uncommitted = true;
        tracing::info!(chain_id = %request.chain_id, validators = request.validators.len(), "genesis");
        let genesis_version = u64::try_from(request.initial_height).unwrap_or(1).max(1) - 1;
        ResponseInitChain { app_hash: inner.app_hash(genesis_version).into(), ..Default::default() }
    }

    fn check_tx(&self, request: RequestCheckTx) -> ResponseCheckTx {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if request.tx.first() == Some(&ENVELOPE_TAG) {
            return ResponseCheckTx { code: code::RESERVED, log: "transactions may not start with the proposer envelope's tag".into(), ..Default::default() };
        }
        let Some(state) = &inner.state else { return ResponseCheckTx { code: code::MALFORMED, log: "the chain has no state yet".into(), ..Default::default() } };
        match tss_app::check_tx(&inner.db, state, &mut inner.mempool, &request.tx) {
            Ok(gas) => ResponseCheckTx { code: code::OK, gas_wanted: i64::try_from(gas).unwrap_or(i64::MAX), ..Default::default() },
            Err(r) => ResponseCheckTx { code: r.code, log: r.log, ..Default::default() },
        }
    }

    fn prepare_proposal(&self, request: RequestPrepareProposal) -> ResponsePrepareProposal {
        let inner = self.lock();
        let height = u64::try_from(request.height).unwrap_or(0);
        let ext_height = height.saturating_sub(1);
        let mut env = Envelope { height: ext_height, ..Default::default() };
        if ext_height >= inner.vote_extensions_from() && ext_height > 0 {
            if let Some(commit) = &request.local_last_commit {
                env.round = u32::try_from(commit.round).unwrap_or(0);
                for v in &commit.votes {
                    if v.extension_signature.is_empty() {
                        continue;
                    }
                    let Some(validator) = &v.validator else { continue };
                    env.votes.push(SignedExtension { address: validator.address.to_vec(), extension: v.vote_extension.to_vec(), signature: v.extension_signature.to_vec() });
                }
            }
            if let Some(state) = &inner.state {
                let exts: Vec<(Vec<u8>, Vec<u8>)> = env.votes.iter().map(|v| (v.address.clone(), v.extension.clone())).collect();
                env.aggregates = tss_engine::proposal::aggregate_signatures(state, &exts);
            }
        }
        let max = usize::try_from(request.max_tx_bytes).unwrap_or(usize::MAX);
        let Some(envelope) = fit_envelope(&mut env, max, &inner.consensus_at(ext_height)) else {
            tracing::error!(
                height,
                max_tx_bytes = max,
                "the vote extensions do not fit in a block even at the 2/3 quorum: raise the consensus block max_bytes or lower extension_budget"
            );
            return ResponsePrepareProposal { txs: Vec::new() };
        };
        let room = max.saturating_sub(envelope.len());
        let max_gas = tss_app::exec::params(&inner.db).max_block_gas;
        let mut txs = vec![envelope.into()];
        txs.extend(block_transactions(request.txs, room, max_gas));
        ResponsePrepareProposal { txs }
    }

    fn process_proposal(&self, request: RequestProcessProposal) -> ResponseProcessProposal {
        let inner = self.lock();
        let reject = |why: String| {
            tracing::warn!(height = request.height, reason = %why, "proposal rejected");
            ResponseProcessProposal { status: response_process_proposal::ProposalStatus::Reject as i32 }
        };
        let height = u64::try_from(request.height).unwrap_or(0);
        let Some(first) = request.txs.first() else { return reject("no injected envelope".into()) };
        let env = match Envelope::from_bytes(first) {
            Ok(env) => env,
            Err(e) => return reject(format!("envelope does not decode: {e}")),
        };
        if request.txs.iter().skip(1).any(|t| t.first() == Some(&ENVELOPE_TAG)) {
            return reject("a second envelope".into());
        }
        let ext_height = height.saturating_sub(1);
        let active = ext_height >= inner.vote_extensions_from() && ext_height > 0;
        if !active && !env.votes.is_empty() {
            return reject("extensions before they are enabled".into());
        }
        if let Err(e) = verify_envelope(&inner.chain_id(), ext_height, &env, &inner.consensus_at(ext_height), active) {
            return reject(e.to_string());
        }
        if active {
            let commit = request.proposed_last_commit.as_ref();
            if let Err(e) = match_commit(&env, commit.map_or(0, |c| i64::from(c.round)), &committed_voters(commit)) {
                return reject(e.to_string());
            }
        }
        if let Some(state) = &inner.state {
            if let Err(e) = tss_engine::proposal::check_aggregates(state, &env.aggregates) {
                return reject(e.to_string());
            }
        }
        ResponseProcessProposal { status: response_process_proposal::ProposalStatus::Accept as i32 }
    }

    fn extend_vote(&self, request: RequestExtendVote) -> ResponseExtendVote {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let height = u64::try_from(request.height).unwrap_or(0);
        let pending: Vec<(Vec<u8>, Vec<u8>)> = request
            .txs
            .first()
            .and_then(|t| Envelope::from_bytes(t).ok())
            .map(|e| e.votes.into_iter().map(|v| (v.address, v.extension)).collect())
            .unwrap_or_default();
        let (Some(state), Some(local)) = (&inner.state, &mut inner.local) else { return ResponseExtendVote::default() };
        let span = tracing::info_span!("extend_vote", height);
        let _guard = span.enter();
        let ext = local.make_extension(state, &pending, height, &mut inner.rng);
        // The secrets this extension depends on (spent nonces, dealings) hit the disk first.
        if !inner.persist_local() {
            return ResponseExtendVote::default();
        }
        self.metrics.extension_bytes.set(i64::try_from(ext.len()).unwrap_or(i64::MAX));
        ResponseExtendVote { vote_extension: ext.into() }
    }

    fn verify_vote_extension(&self, request: RequestVerifyVoteExtension) -> ResponseVerifyVoteExtension {
        let inner = self.lock();
        let budget = inner.state.as_ref().map_or(64 * 1024, |s| s.meta.params.extension_budget);
        let status = match tss_engine::check_form(&request.vote_extension, u64::try_from(request.height).unwrap_or(0), budget) {
            Ok(_) => response_verify_vote_extension::VerifyStatus::Accept,
            Err(e) => {
                tracing::warn!(height = request.height, error = %e, "vote extension refused");
                response_verify_vote_extension::VerifyStatus::Reject
            }
        };
        ResponseVerifyVoteExtension { status: status as i32 }
    }

    fn finalize_block(&self, request: RequestFinalizeBlock) -> ResponseFinalizeBlock {
        let started = std::time::Instant::now();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let height = u64::try_from(request.height).unwrap_or(0);
        let span = tracing::info_span!("finalize_block", height);
        let _guard = span.enter();
        let chain_id = inner.chain_id();
        let ext_height = height.saturating_sub(1);
        let active = ext_height >= inner.vote_extensions_from() && ext_height > 0;
        // The payload comes from the block itself, re-verified: never from process memory.
        let mut tx_results = Vec::with_capacity(request.txs.len());
        let mut extensions = Vec::new();
        let mut aggregates = Vec::new();
        if let Some(env) = request.txs.first().and_then(|t| Envelope::from_bytes(t).ok()) {
            let commit = request.decided_last_commit.as_ref();
            let checked = verify_envelope(&chain_id, ext_height, &env, &inner.consensus_at(ext_height), active)
                .and_then(|exts| if active { match_commit(&env, commit.map_or(0, |c| i64::from(c.round)), &committed_voters(commit)).map(|()| exts) } else { Ok(exts) });
            match checked {
                Ok(exts) => {
                    extensions = exts;
                    aggregates = env.aggregates;
                }
                Err(e) => tracing::error!(error = %e, "committed envelope does not verify; its extensions are ignored"),
            }
        }
        inner.uncommitted = true;
        let Some(state) = inner.state.as_mut() else {
            let app_hash = inner.app_hash(height);
            inner.app_hash = app_hash.clone();
            inner.finalized = i64::try_from(height).unwrap_or(i64::MAX);
            return ResponseFinalizeBlock { tx_results, app_hash: app_hash.into(), ..Default::default() };
        };
        // Transactions run through the chain state machine; what they ask of the engine, and the
        // membership changes staking and jailing queued last block, go into the engine's block.
        let membership = tss_app::slashing::take_membership(&mut inner.db);
        let orders = tss_app::gov::take_orders(&mut inner.db);
        let wasm_env = block_env(&chain_id, height, request.time.as_ref(), &tss_app::exec::params(&inner.db).address_prefix);
        let mut block = tss_app::Block::begin(&mut inner.db, &*state, height).with_contracts(&inner.host, wasm_env.clone());
        let mut request_counts = Vec::with_capacity(request.txs.len());
        for (i, tx) in request.txs.iter().enumerate() {
            if i == 0 && tx.first() == Some(&ENVELOPE_TAG) {
                tx_results.push(ExecTxResult { code: code::OK, ..Default::default() });
                request_counts.push(0);
                continue;
            }
            let out = if tx.first() == Some(&ENVELOPE_TAG) {
                tss_app::TxOutcome { code: code::RESERVED, log: "a second envelope".into(), gas_wanted: 0, gas_used: 0, events: Vec::new(), requests: 0, contract_events: Vec::new() }
            } else {
                block.deliver(tx)
            };
            request_counts.push(out.requests);
            tx_results.push(ExecTxResult {
                code: out.code,
                log: out.log,
                gas_wanted: i64::try_from(out.gas_wanted).unwrap_or(i64::MAX),
                gas_used: i64::try_from(out.gas_used).unwrap_or(i64::MAX),
                events: out.events.iter().map(app_event).chain(out.contract_events.iter().map(contract_event)).collect(),
                ..Default::default()
            });
        }
        let txs = block.finish();
        let out = state.apply(&BlockInput {
            height,
            extensions,
            aggregates,
            requests: txs.requests,
            membership,
            rotate_network_key: orders.rotate_network_key,
            params: orders.params,
            freeze: orders.freeze,
        });
        let mut app_events = tss_app::end_block(&mut inner.db, &out, &txs.deposits, txs.fees, &state.meta.validators);
        app_events.extend(tss_app::slashing::end_block(&mut inner.db, state, &out, height));
        app_events.extend(tss_app::gov::end_block(&mut inner.db, state, height));
        let (contract_events, callback_events) = tss_app::contracts::deliver_callbacks(&mut inner.db, &inner.host, &wasm_env, state, &out);
        app_events.extend(callback_events);
        state.save(&mut inner.db);
        // The engine's validator updates (after a completed handover) go to CometBFT with their
        // consensus keys; CometBFT applies them from height + 2, and so does the recorded set.
        let mut validator_updates = Vec::with_capacity(out.validator_updates.len());
        let mut changes = Vec::with_capacity(out.validator_updates.len());
        for u in &out.validator_updates {
            let key = inner.consensus_key(&u.address);
            match key {
                Some(key) => validator_updates.push(tendermint_proto::v0_38::abci::ValidatorUpdate {
                    pub_key: Some(tendermint_proto::v0_38::crypto::PublicKey { sum: Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(key.to_bytes().to_vec())) }),
                    power: i64::try_from(u.power).unwrap_or(i64::MAX),
                }),
                None => tracing::error!(validator = %hex::encode(&u.address), "validator update for an address without a registered consensus key: not sent to CometBFT"),
            }
            changes.push((u.address.clone(), key, u.power));
        }
        if !changes.is_empty() {
            crate::valset::apply_updates(&mut inner.db, height, &changes);
        }
        crate::valset::prune(&mut inner.db, height);
        let mut events: Vec<Event> = out.events.iter().map(engine_event).collect();
        events.extend(out.callbacks.iter().map(callback_event));
        events.extend(app_events.iter().map(app_event));
        events.extend(contract_events.iter().map(contract_event));
        // Request ids go back in the transactions' results, in order: each transaction's data is
        // the 8-byte ids of the requests it made.
        // The requests contracts' callbacks queued last block came first.
        let mut ids = out.request_ids.iter().skip(txs.queued);
        for (r, count) in tx_results.iter_mut().zip(&request_counts) {
            let mine: Vec<u64> = ids.by_ref().take(*count).copied().collect();
            if !mine.is_empty() {
                r.data = mine.iter().flat_map(|id| id.to_be_bytes()).collect::<Vec<u8>>().into();
                for id in mine {
                    r.events.push(event("tss.request", &[("id", id.to_string())]));
                }
            }
        }
        self.metrics.record_block(&out, started.elapsed());
        inner.last_output = Some(out);
        let app_hash = inner.app_hash(height);
        inner.app_hash = app_hash.clone();
        inner.finalized = i64::try_from(height).unwrap_or(i64::MAX);
        ResponseFinalizeBlock { events, tx_results, validator_updates, app_hash: app_hash.into(), ..Default::default() }
    }

    fn commit(&self) -> ResponseCommit {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let (height, hash) = (inner.finalized, inner.app_hash.clone());
        if let Err(e) = inner.db.commit(height, &hash) {
            // The node cannot continue without its state on disk; CometBFT will replay.
            tracing::error!(error = %e, "commit failed");
            std::process::exit(1);
        }
        inner.uncommitted = false;
        if let (Some(state), Some(local)) = (&inner.state, &mut inner.local) {
            local.sync(state, &mut inner.rng);
            self.metrics.record_shares(&held_shares(state, local));
        }
        inner.persist_local();
        // CometBFT rechecks its mempool next, in order, against the new state.
        inner.mempool.clear();
        ResponseCommit::default()
    }

    fn query(&self, request: RequestQuery) -> ResponseQuery {
        let inner = self.lock();
        let height = u64::try_from(request.height).unwrap_or(0);
        let refuse = |log: String| ResponseQuery { code: 1, log, ..Default::default() };
        if request.path == crate::query::STORE_PATH {
            return match inner.db.get_proven(&request.data, height) {
                Ok((version, value, proof)) => ResponseQuery {
                    code: 0,
                    info: if value.is_some() { "present" } else { "absent" }.into(),
                    key: request.data.clone(),
                    value: value.unwrap_or_default().into(),
                    proof_ops: request.prove.then(|| ProofOps { ops: vec![ProofOp { r#type: tss_store::PROOF_TYPE.into(), key: request.data.to_vec(), data: tss_store::encode_proof(&proof) }] }),
                    height: i64::try_from(version).unwrap_or(i64::MAX),
                    ..Default::default()
                },
                Err(e) => refuse(format!("{e}")),
            };
        }
        if request.prove {
            return refuse(format!("proofs are given for state keys: query {} with the key (`mpcd query store KEY --prove`)", crate::query::STORE_PATH));
        }
        let snapshot = match inner.db.at(height) {
            Ok(s) => s,
            Err(e) => return refuse(format!("{e}")),
        };
        let version = snapshot.version();
        // The engine's state in memory is the committed one unless a block is finalized and not
        // committed, or an older height is asked for: then it is read from the database.
        let loaded;
        let state = if !inner.uncommitted && (height == 0 || i64::try_from(height).ok() == Some(inner.finalized)) {
            inner.state.as_ref()
        } else {
            loaded = match EngineState::load(&snapshot) {
                Ok(s) => s,
                Err(e) => return refuse(format!("the state at height {version} does not load: {e}")),
            };
            loaded.as_ref()
        };
        match crate::query::answer(state, &snapshot, Some(&inner.host), &request.path, &request.data) {
            Ok(value) => ResponseQuery { code: 0, value: value.into(), height: i64::try_from(version).unwrap_or(i64::MAX), ..Default::default() },
            Err(log) => refuse(log),
        }
    }
}

/// The validators whose precommit for the block is in a commit (`BlockIDFlag::Commit`).
fn committed_voters(commit: Option<&tendermint_proto::v0_38::abci::CommitInfo>) -> std::collections::BTreeSet<Vec<u8>> {
    const BLOCK_ID_FLAG_COMMIT: i32 = 2;
    commit
        .map(|c| c.votes.iter().filter(|v| v.block_id_flag == BLOCK_ID_FLAG_COMMIT).filter_map(|v| v.validator.as_ref().map(|val| val.address.to_vec())).collect())
        .unwrap_or_default()
}

/// The mempool's transactions that go into a block, in mempool order: within `room` bytes and
/// within the chain's `max_block_gas` by their fees' gas limits. FinalizeBlock refuses a
/// transaction past the block's gas (code `BLOCK_FULL`) and its sender has to send it again, so
/// the proposer leaves it in the mempool for a later block instead. It stops at the first
/// transaction over the gas, so that no account's later transaction goes in ahead of an earlier
/// one left out. Bytes that are not a transaction (the mempool checked them, so a proposer of
/// this build never sees any) and envelopes are left out.
fn block_transactions<T: AsRef<[u8]>>(txs: Vec<T>, room: usize, max_gas: u64) -> Vec<T> {
    let (mut size, mut gas) = (0usize, 0u64);
    let mut out = Vec::new();
    for tx in txs {
        let bytes = tx.as_ref();
        if bytes.first() == Some(&ENVELOPE_TAG) || size + bytes.len() > room {
            continue;
        }
        let Some(wanted) = tss_app::tx::gas_limit(bytes) else { continue };
        if gas.saturating_add(wanted) > max_gas {
            break;
        }
        size += bytes.len();
        gas += wanted;
        out.push(tx);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn tx(sequence: u64, gas_limit: u64) -> Vec<u8> {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let body = tss_app::TxBody { chain_id: "c".into(), sequence, fee: tss_app::Fee { amount: 1, gas_limit }, msgs: vec![tss_app::Msg::BankSend { to: tss_app::Address([1; 20]), amount: 1 }], memo: String::new() };
        tss_app::Tx::sign(&key, &body).to_bytes()
    }

    /// Under load the proposer put every mempool transaction in the block and FinalizeBlock
    /// refused those past the block's gas: on a 4-validator localnet, 366 of 959 transactions
    /// of one block came back "the block's gas is used up: send it again" and were lost to
    /// their senders. The block now holds what its gas allows; the rest wait in the mempool.
    #[test]
    fn a_block_holds_what_its_gas_allows_and_keeps_the_order() {
        let txs: Vec<Vec<u8>> = (0..10).map(|s| tx(s, 100)).collect();
        let chosen = block_transactions(txs.clone(), usize::MAX, 450);
        assert_eq!(chosen, txs[..4].to_vec());
        // A smaller transaction after the first that does not fit stays out too.
        let mixed = vec![tx(0, 300), tx(1, 300), tx(2, 10)];
        assert_eq!(block_transactions(mixed.clone(), usize::MAX, 400), mixed[..1].to_vec());
        // Bytes still bound the block; envelopes and non-transactions stay out.
        let len = txs[0].len();
        assert_eq!(block_transactions(txs.clone(), 3 * len, u64::MAX).len(), 3);
        let envelope = vec![ENVELOPE_TAG, 1, 2];
        assert_eq!(block_transactions(vec![envelope, b"junk".to_vec(), txs[0].clone()], usize::MAX, u64::MAX), vec![txs[0].clone()]);
    }
    
    /// Contract state used to be outside the app hash: two nodes whose contracts' storage
    /// differed agreed on it, so a divergence in contract execution went unnoticed. The app hash
    /// is now the root of a tree over every key the state machines write.
    #[test]
    fn every_state_section_enters_the_app_hash() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = ChainDb::open(dir.path(), 0).unwrap();
        for k in [b"engine/meta/".as_slice(), b"app/account/x", b"node/consensus_key/x", b"wasm/state/c/k"] {
            db.put(k, b"v".to_vec());
        }
        let mut root = db.root(1).unwrap();
        db.commit(1, &root).unwrap();
        for (k, h) in [b"engine/meta/".as_slice(), b"app/account/x", b"node/consensus_key/x", b"wasm/state/c/k", b"wasm/code/1", b"later/section"].into_iter().zip(2u64..) {
            db.put(k, b"other".to_vec());
            let next = db.root(h).unwrap();
            assert_ne!(next, root, "a change under {} leaves the app hash as it was", String::from_utf8_lossy(k));
            db.commit(h as i64, &next).unwrap();
            root = next;
        }
        let same = db.root(8).unwrap();
        assert_eq!(same, root, "a block that changes nothing keeps the app hash");
    }
}
