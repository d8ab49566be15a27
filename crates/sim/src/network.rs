//! The simulated network and its height-by-height driver.

use crate::faults::{Behavior, CrashPhase, ProposerFault};
use crate::node::{sign_bytes, Node};
use ed25519_dalek::{Signature, SigningKey, Verifier};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use tss_crypto::complaint::complain;
use tss_crypto::dealing::Dealing;
use tss_crypto::{Encode, TransportSecret};
use tss_engine::extension::{check_form, Item, VoteExtension};
use tss_engine::state::{SessionStatus, PREFIX};
use tss_engine::store::state_hash;
use tss_engine::types::{Callback, Event, Membership, RequestInput, Validator};
use tss_engine::{BlockInput, BlockOutput, EngineState, LocalSecrets, MemStore, Params};
use zeroize::Zeroizing;

/// How to build a network.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Chain id.
    pub chain_id: String,
    /// Genesis validators.
    pub validators: usize,
    /// Extra full nodes (candidates to join later).
    pub full_nodes: usize,
    /// Engine parameters.
    pub params: Params,
    /// Seed of every random choice.
    pub seed: u64,
    /// Apply each block once and let every node read that one state (for large-n reports:
    /// the per-height hash check of the normal mode is what proves the states identical).
    pub shared_state: bool,
}

impl SimConfig {
    /// `n` validators with default parameters.
    pub fn new(n: usize, seed: u64) -> Self {
        Self { chain_id: "sim-chain".into(), validators: n, full_nodes: 0, params: Params::default(), seed, shared_state: false }
    }
}

/// What the chain receives at one height besides extensions.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Requests from transactions.
    pub requests: Vec<RequestInput>,
    /// Validator-set changes.
    pub membership: Vec<Membership>,
    /// Governance orders a rotation of the network key.
    pub rotate: bool,
    /// Governance changes the engine's parameters.
    pub params: Option<Params>,
    /// Governance freezes (`true`) or unfreezes keysets.
    pub freeze: Vec<(u64, bool)>,
}

/// Why the simulation stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    /// Two nodes disagree on the state after a height.
    Divergence {
        /// The height.
        height: u64,
    },
    /// A node's store after the incremental save differs from a full rewrite of its state.
    UntrackedChange {
        /// The height.
        height: u64,
    },
    /// Fewer than 2/3 of voting power extended: consensus would halt.
    NoQuorum {
        /// The height.
        height: u64,
    },
    /// No proposal was accepted within 10 rounds.
    NoProposal {
        /// The height.
        height: u64,
    },
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::Divergence { height } => write!(f, "nodes disagree on the state hash after height {height}"),
            SimError::UntrackedChange { height } => write!(f, "after height {height} the store differs from a full rewrite of the state: a change escaped the engine's tracking"),
            SimError::NoQuorum { height } => write!(f, "less than 2/3 of voting power extended at height {height}"),
            SimError::NoProposal { height } => write!(f, "no proposal accepted at height {height} within 10 rounds"),
        }
    }
}

impl std::error::Error for SimError {}

/// A simulated network.
pub struct Network {
    /// Every node, validators first.
    pub nodes: Vec<Node>,
    /// In-memory engine state per node (the store holds the same, for hashing and restarts).
    states: Vec<EngineState>,
    /// The last committed height.
    pub height: u64,
    chain_id: String,
    budget: usize,
    /// (address, power) of the set extending at the current height.
    consensus: Vec<(Vec<u8>, u64)>,
    set_changes: BTreeMap<u64, Vec<(Vec<u8>, u64)>>,
    extended_commit: Vec<(Vec<u8>, Vec<u8>, [u8; 64])>,
    commit_height: u64,
    inputs: BTreeMap<u64, Inputs>,
    offline: Vec<(usize, u64, u64)>,
    crashes: BTreeMap<(usize, u64), CrashPhase>,
    proposer_faults: BTreeMap<u64, ProposerFault>,
    /// Heights whose first rounds fail after validators precommitted: (height, failed rounds).
    slow: BTreeMap<u64, u32>,
    /// Every block's output (as every node computed it).
    pub outputs: Vec<(u64, BlockOutput)>,
    /// Heights that needed more than one round (the deciding round's number).
    pub extra_rounds: BTreeMap<u64, u32>,
    /// Largest extension per height.
    pub max_extension_bytes: BTreeMap<u64, usize>,
    /// Restarts performed: (node, height).
    pub restarts: Vec<(usize, u64)>,
    /// Wall time of FinalizeBlock (one node) per height.
    pub apply_time: BTreeMap<u64, std::time::Duration>,
    /// Longest ExtendVote (one validator) per height.
    pub extend_time: BTreeMap<u64, std::time::Duration>,
    /// Per height: the proposer's aggregation of the signatures in its proposal (the last round's).
    pub prepare_time: BTreeMap<u64, std::time::Duration>,
    shared: bool,
}

fn address(i: usize) -> Vec<u8> {
    format!("validator-{i}").into_bytes()
}

impl Network {
    /// Builds the genesis network.
    pub fn new(config: SimConfig) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
        let total = config.validators + config.full_nodes;
        let mut nodes = Vec::with_capacity(total);
        for i in 0..total {
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            let consensus = SigningKey::from_bytes(&seed);
            let transport = TransportSecret::generate(&mut rng);
            let transport_bytes = transport.to_bytes();
            let addr = address(i);
            let local = LocalSecrets::from_transport(&addr, transport).unwrap_or_else(|_| unreachable_address());
            let persisted = local.to_bytes();
            nodes.push(Node {
                address: addr,
                consensus,
                store: MemStore::default(),
                local,
                persisted,
                transport: Zeroizing::new(*transport_bytes),
                behavior: Behavior::Honest,
                rng: ChaCha20Rng::seed_from_u64(rng.next_u64()),
            });
        }
        let validators: Vec<Validator> = nodes.iter().take(config.validators).map(|n| Validator { address: n.address.clone(), power: 10, transport: n.local.transport_public() }).collect();
        let genesis = EngineState::genesis(&config.chain_id, config.params.clone(), validators.clone());
        let mut states = Vec::with_capacity(total);
        for n in &mut nodes {
            genesis.save_all(&mut n.store);
            if !config.shared_state || states.is_empty() {
                states.push(genesis.clone());
            }
        }
        Self {
            nodes,
            states,
            height: 0,
            chain_id: config.chain_id,
            budget: config.params.extension_budget,
            consensus: validators.iter().map(|v| (v.address.clone(), v.power)).collect(),
            set_changes: BTreeMap::new(),
            extended_commit: Vec::new(),
            commit_height: 0,
            inputs: BTreeMap::new(),
            offline: Vec::new(),
            crashes: BTreeMap::new(),
            proposer_faults: BTreeMap::new(),
            slow: BTreeMap::new(),
            outputs: Vec::new(),
            extra_rounds: BTreeMap::new(),
            max_extension_bytes: BTreeMap::new(),
            restarts: Vec::new(),
            apply_time: BTreeMap::new(),
            extend_time: BTreeMap::new(),
            prepare_time: BTreeMap::new(),
            shared: config.shared_state,
        }
    }

    fn state_index(&self, i: usize) -> usize {
        if self.shared {
            0
        } else {
            i
        }
    }

    /// The validator entry a full node would register to join.
    pub fn validator_entry(&self, node: usize) -> Option<Validator> {
        self.nodes.get(node).map(|n| Validator { address: n.address.clone(), power: 10, transport: n.local.transport_public() })
    }

    /// Schedules inputs for a height (appended to what is already there).
    pub fn at(&mut self, height: u64) -> &mut Inputs {
        self.inputs.entry(height).or_default()
    }

    /// Takes node `i` offline for heights `from..=to` (it neither votes nor proposes).
    pub fn set_offline(&mut self, node: usize, from: u64, to: u64) {
        self.offline.push((node, from, to));
    }

    /// Crashes node `i` around its `ExtendVote` at `height`, then restarts it from what it
    /// persisted.
    pub fn crash(&mut self, node: usize, height: u64, phase: CrashPhase) {
        self.crashes.insert((node, height), phase);
    }

    /// Makes `rounds` rounds of `height` fail after every validator precommitted (and so ran
    /// `ExtendVote`) on a proposal of another proposer that left one extension out; the height
    /// is decided in round `rounds` and only that round's extensions reach the chain, as in
    /// CometBFT when precommits time out.
    pub fn slow_height(&mut self, height: u64, rounds: u32) {
        self.slow.insert(height, rounds);
    }

    /// Makes the first proposer of `height` misbehave.
    pub fn byzantine_proposer(&mut self, height: u64, fault: ProposerFault) {
        self.proposer_faults.insert(height, fault);
    }

    /// The state as node 0 sees it (all nodes agree; checked every height).
    pub fn state(&self) -> &EngineState {
        &self.states[0]
    }

    /// The state as node `i` sees it.
    pub fn state_of(&self, i: usize) -> Option<&EngineState> {
        self.states.get(self.state_index(i))
    }

    /// The network key's current group key.
    pub fn network_key(&self) -> Option<[u8; 32]> {
        let k = self.state().keysets.get(&tss_engine::types::NETWORK_KEYSET)?;
        k.generations.get(&k.current?).map(|g| g.group_key)
    }

    /// Every callback so far.
    pub fn callbacks(&self) -> impl Iterator<Item = (u64, &Callback)> {
        self.outputs.iter().flat_map(|(h, o)| o.callbacks.iter().map(move |c| (*h, c)))
    }

    /// Every event so far.
    pub fn events(&self) -> impl Iterator<Item = (u64, &Event)> {
        self.outputs.iter().flat_map(|(h, o)| o.events.iter().map(move |e| (*h, e)))
    }

    fn is_online(&self, node: usize, height: u64) -> bool {
        !self.offline.iter().any(|(n, from, to)| *n == node && (*from..=*to).contains(&height))
    }

    fn node_index(&self, addr: &[u8]) -> Option<usize> {
        self.nodes.iter().position(|n| n.address == addr)
    }

    fn total_power(set: &[(Vec<u8>, u64)]) -> u64 {
        set.iter().map(|(_, p)| p).sum()
    }

    /// ProcessProposal: every injected extension signed by a member of the set that extended,
    /// no member twice, and more than 2/3 of that set's power present (the aggregates are
    /// checked by `tss_engine::proposal::check_aggregates` beside it).
    fn process_proposal(&self, injected: &[(Vec<u8>, Vec<u8>, [u8; 64])], set: &[(Vec<u8>, u64)]) -> bool {
        if self.commit_height == 0 {
            return injected.is_empty();
        }
        let mut seen = Vec::new();
        let mut power = 0u64;
        for (addr, ext, sig) in injected {
            let Some((_, p)) = set.iter().find(|(a, _)| a == addr) else { return false };
            if seen.contains(addr) {
                return false;
            }
            seen.push(addr.clone());
            let Some(node) = self.node_index(addr).and_then(|i| self.nodes.get(i)) else { return false };
            if node.consensus_key().verify(&sign_bytes(&self.chain_id, self.commit_height, ext), &Signature::from_bytes(sig)).is_err() {
                return false;
            }
            power += p;
        }
        3 * power > 2 * Self::total_power(set)
    }

    /// The proposer of `height` in `round`: the online members of the consensus set in turn.
    fn proposer_in_round(&self, height: u64, round: u32) -> Option<usize> {
        let candidates: Vec<usize> = self.consensus.iter().filter_map(|(a, _)| self.node_index(a)).filter(|i| self.is_online(*i, height)).collect();
        candidates.get((height as usize + round as usize) % candidates.len().max(1)).copied()
    }

    /// The round-0 proposer of `height`, as far as it is known now.
    pub fn proposer(&self, height: u64) -> Option<usize> {
        self.proposer_in_round(height, 0)
    }

    /// Runs one height. Returns its output.
    pub fn step(&mut self) -> Result<&BlockOutput, SimError> {
        let h = self.height + 1;
        let extending_set = self.consensus.clone();
        if let Some(changes) = self.set_changes.remove(&h) {
            for (addr, power) in changes {
                self.consensus.retain(|(a, _)| *a != addr);
                if power > 0 {
                    self.consensus.push((addr, power));
                }
            }
            self.consensus.sort();
        }
        // Rounds that fail after the precommits: every validator extended on that round's
        // proposal, and those extensions are thrown away.
        let failed_rounds = self.slow.remove(&h).unwrap_or(0);
        for r in 0..failed_rounds {
            let mut payload: Vec<(Vec<u8>, Vec<u8>)> = self.extended_commit.iter().map(|(a, e, _)| (a.clone(), e.clone())).collect();
            if payload.len() > 1 && r % 2 == 0 {
                payload.remove(h as usize % payload.len());
            }
            let _ = self.extend_all(h, &payload, false);
        }
        // PrepareProposal / ProcessProposal, round by round.
        let first_round = failed_rounds;
        let mut round = failed_rounds;
        if round > 0 {
            self.extra_rounds.insert(h, round);
        }
        let injected = loop {
            let Some(proposer) = self.proposer_in_round(h, round) else {
                return Err(SimError::NoQuorum { height: h });
            };
            let mut payload = self.extended_commit.clone();
            if let Behavior::CensoringDealer { victim } = self.nodes[proposer].behavior {
                let total = Self::total_power(&extending_set);
                let victim = &self.nodes[victim].address;
                let kept: u64 = payload.iter().filter(|(a, _, _)| a != victim).filter_map(|(a, _, _)| extending_set.iter().find(|(x, _)| x == a)).map(|(_, p)| p).sum();
                if 3 * kept > 2 * total {
                    payload.retain(|(a, _, _)| a != victim);
                }
            }
            let mut stuffed = Vec::new();
            if round == first_round {
                match self.proposer_faults.get(&h) {
                    Some(ProposerFault::Drop(k)) => {
                        let total = Self::total_power(&extending_set);
                        let mut dropped = 0;
                        while dropped < *k {
                            let present: u64 = payload.iter().filter_map(|(a, _, _)| extending_set.iter().find(|(x, _)| x == a)).map(|(_, p)| p).sum();
                            let Some((last_addr, _, _)) = payload.last() else { break };
                            let p = extending_set.iter().find(|(x, _)| x == last_addr).map_or(0, |(_, p)| *p);
                            if 3 * (present - p) <= 2 * total {
                                break;
                            }
                            payload.pop();
                            dropped += 1;
                        }
                    }
                    Some(ProposerFault::Tamper) => {
                        if let Some((_, ext, _)) = payload.first_mut() {
                            ext.push(0);
                        }
                    }
                    Some(ProposerFault::StuffAggregates) => stuffed = vec![(u64::MAX, 0, [7u8; 64]); usize::from(u16::MAX)],
                    None => {}
                }
            }
            let exts: Vec<(Vec<u8>, Vec<u8>)> = payload.iter().map(|(a, e, _)| (a.clone(), e.clone())).collect();
            let started = std::time::Instant::now();
            let mut aggregates = tss_engine::proposal::aggregate_signatures(&self.states[self.state_index(proposer)], &exts);
            self.prepare_time.insert(h, started.elapsed());
            aggregates.extend(stuffed);
            let aggregates_ok = tss_engine::proposal::check_aggregates(self.state(), &aggregates).is_ok();
            if aggregates_ok && self.process_proposal(&payload, &extending_set) {
                break (exts, aggregates);
            }
            round += 1;
            self.extra_rounds.insert(h, round);
            if round >= first_round + 10 {
                return Err(SimError::NoProposal { height: h });
            }
        };
        let (exts, aggregates) = injected;

        // ExtendVote(h) on every online validator in the deciding round.
        let commit = self.extend_all(h, &exts, true);
        let extended_power: u64 = commit.iter().filter_map(|(a, _, _)| self.consensus.iter().find(|(x, _)| x == a)).map(|(_, p)| p).sum();
        if 3 * extended_power <= 2 * Self::total_power(&self.consensus) {
            return Err(SimError::NoQuorum { height: h });
        }

        // FinalizeBlock(h) and Commit on every node.
        let inputs = self.inputs.remove(&h).unwrap_or_default();
        let input = BlockInput { height: h, extensions: exts, aggregates, requests: inputs.requests, membership: inputs.membership, rotate_network_key: inputs.rotate, params: inputs.params, freeze: inputs.freeze };
        let mut outputs = Vec::with_capacity(self.nodes.len());
        let mut hashes = Vec::with_capacity(self.nodes.len());
        let check_saves = !self.shared;
        for (k, (node, state)) in self.nodes.iter_mut().zip(self.states.iter_mut()).enumerate() {
            let started = std::time::Instant::now();
            outputs.push(state.apply(&input));
            if k == 0 {
                self.apply_time.insert(h, started.elapsed());
            }
            state.save(&mut node.store);
            let hash = state_hash(&node.store, PREFIX);
            if check_saves {
                // The incremental save must leave exactly what a full rewrite would.
                let mut full = tss_engine::store::MemStore::default();
                state.save_all(&mut full);
                if state_hash(&full, PREFIX) != hash {
                    return Err(SimError::UntrackedChange { height: h });
                }
            }
            hashes.push(hash);
        }
        if hashes.windows(2).any(|w| w[0] != w[1]) || outputs.windows(2).any(|w| w[0] != w[1]) {
            return Err(SimError::Divergence { height: h });
        }
        // On commit every node catches up with the chain: full nodes (joiners) compute their
        // shares from blocks as non-validators; everyone erases what the chain dropped.
        let shared = self.shared;
        for (k, node) in self.nodes.iter_mut().enumerate() {
            let state = &self.states[if shared { 0 } else { k }];
            node.local.sync(state, &mut node.rng);
            if !shared {
                node.persisted = node.local.to_bytes();
            }
        }
        let out = outputs.swap_remove(0);
        if !out.validator_updates.is_empty() {
            self.set_changes.insert(h + 2, out.validator_updates.iter().map(|u| (u.address.clone(), u.power)).collect());
        }
        self.extended_commit = commit;
        self.commit_height = h;
        self.height = h;
        self.outputs.push((h, out));
        Ok(&self.outputs[self.outputs.len() - 1].1)
    }

    /// `ExtendVote(h)` on every online validator of the consensus set for a proposal carrying
    /// `exts`, then `VerifyVoteExtension` (form only). `deciding`: the round whose extensions
    /// reach the chain (crashes and measurements apply to it).
    fn extend_all(&mut self, h: u64, exts: &[(Vec<u8>, Vec<u8>)], deciding: bool) -> Vec<(Vec<u8>, Vec<u8>, [u8; 64])> {
        let mut commit = Vec::new();
        let members: Vec<usize> = self.consensus.iter().filter_map(|(a, _)| self.node_index(a)).collect();
        let proposes_in_two = self.proposer(h + 2);
        let victim_addresses: Vec<Vec<u8>> = self.nodes.iter().map(|n| n.address.clone()).collect();
        for i in members {
            if !self.is_online(i, h) {
                continue;
            }
            let state = &self.states[if self.shared { 0 } else { i }];
            let node = &mut self.nodes[i];
            let started = std::time::Instant::now();
            let ext = node.local.make_extension(state, exts, h, &mut node.rng);
            let took = started.elapsed();
            if !self.shared {
                node.persisted = node.local.to_bytes();
            }
            let ext = misbehave(node, state, exts, ext, h, self.budget, &victim_addresses, proposes_in_two == Some(i));
            if !deciding {
                continue;
            }
            self.extend_time.entry(h).and_modify(|t| *t = (*t).max(took)).or_insert(took);
            match self.crashes.get(&(i, h)) {
                Some(CrashPhase::AfterPersistBeforeBroadcast) => {
                    self.restart(i, h);
                    continue;
                }
                Some(CrashPhase::AfterBroadcastBeforeCommit) => self.restart(i, h),
                None => {}
            }
            if check_form(&ext, h, self.budget).is_err() {
                continue;
            }
            let node = &self.nodes[i];
            self.max_extension_bytes.entry(h).and_modify(|m| *m = (*m).max(ext.len())).or_insert(ext.len());
            let sig = node.sign(&self.chain_id, h, &ext);
            commit.push((node.address.clone(), ext, sig));
        }
        commit
    }

    /// Restarts node `i`: engine state from its store, local secrets from what it persisted.
    fn restart(&mut self, i: usize, h: u64) {
        let node = &mut self.nodes[i];
        let state = EngineState::load(&node.store).ok().flatten();
        if let Some(state) = &state {
            if let Ok(local) = LocalSecrets::from_bytes(&node.persisted, Some(state)) {
                node.local = local;
            }
            if !self.shared {
                self.states[i] = state.clone();
            }
        }
        self.restarts.push((i, h));
    }

    /// Runs `blocks` heights.
    pub fn run(&mut self, blocks: u64) -> Result<(), SimError> {
        for _ in 0..blocks {
            self.step()?;
        }
        Ok(())
    }

    /// Runs until `done` holds (checked after each height) or `max_blocks` pass; returns whether
    /// it held.
    pub fn run_until(&mut self, max_blocks: u64, mut done: impl FnMut(&Network) -> bool) -> Result<bool, SimError> {
        for _ in 0..max_blocks {
            self.step()?;
            if done(self) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether every session has finished.
    pub fn idle(&self) -> bool {
        self.state().sessions.values().all(|s| s.status != SessionStatus::Collecting) && self.state().meta.handover_to.is_none()
    }
}

#[cold]
fn unreachable_address() -> LocalSecrets {
    // Addresses "validator-N" always hash to an identifier; keep the constructor total anyway.
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    match LocalSecrets::generate(b"validator-fallback", &mut rng) {
        Ok(l) => l,
        Err(_) => unreachable_address(),
    }
}

/// The edwards25519 base point's encoding: a valid point that is nobody's share or claim.
const BASE_POINT: [u8; 32] = [0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66];

/// Applies a byzantine behaviour to an honest extension.
#[allow(clippy::too_many_arguments)]
fn misbehave(node: &mut Node, state: &EngineState, pending: &[(Vec<u8>, Vec<u8>)], ext: Vec<u8>, h: u64, budget: usize, addresses: &[Vec<u8>], proposes_in_two: bool) -> Vec<u8> {
    if node.behavior == Behavior::Honest {
        return ext;
    }
    let Ok(mut decoded) = VoteExtension::from_bytes(&ext) else { return ext };
    let rng = &mut node.rng;
    match node.behavior {
        Behavior::Honest => {}
        Behavior::BadDealing => {
            for item in &mut decoded.items {
                if let Item::Dealing { dealing, .. } = item {
                    if let Ok(mut d) = Dealing::from_bytes(dealing) {
                        for sealed in &mut d.encrypted_shares {
                            sealed[0] ^= 0x80;
                        }
                        *dealing = d.to_bytes();
                    }
                }
            }
        }
        Behavior::CensoringDealer { victim } => {
            let victim = addresses.get(victim).and_then(|a| tss_crypto::participant_id(a).ok());
            decoded.items.retain_mut(|item| {
                let Item::Dealing { session, dealing } = item else { return true };
                // Held back (the honest code sends it again next height) until the victim's
                // complaint would land in this validator's own block.
                if !proposes_in_two {
                    return false;
                }
                let (Some(victim), Ok(mut d), Some(s)) = (victim, Dealing::from_bytes(dealing), state.sessions.get(session)) else { return true };
                let Ok(ctx) = state.session_context(*session, s) else { return true };
                if let Some(slot) = ctx.recipients().members().iter().position(|m| m.id == victim).and_then(|k| d.encrypted_shares.get_mut(k)) {
                    slot[0] ^= 0x80;
                }
                *dealing = d.to_bytes();
                true
            });
        }
        Behavior::CopyEphemeral => {
            let mut honest: BTreeMap<u64, Dealing> = BTreeMap::new();
            for (_, bytes) in pending.iter().filter(|(addr, _)| *addr != node.address) {
                let Ok(e) = check_form(bytes, h.saturating_sub(1), budget) else { continue };
                for item in e.items {
                    if let Item::Dealing { session, dealing } = item {
                        if let Ok(d) = Dealing::from_bytes(&dealing) {
                            honest.entry(session).or_insert(d);
                        }
                    }
                }
            }
            decoded.items.retain_mut(|item| {
                let Item::Dealing { session, dealing } = item else { return true };
                let (Some(victim), Ok(mut d)) = (honest.get(session), Dealing::from_bytes(dealing)) else { return false };
                d.ephemeral = victim.ephemeral;
                d.ephemeral_proof = victim.ephemeral_proof;
                for sealed in &mut d.encrypted_shares {
                    sealed[0] ^= 0x80;
                }
                *dealing = d.to_bytes();
                true
            });
        }
        Behavior::FalseComplaint => {
            let me = tss_crypto::participant_id(&node.address).ok();
            let transport = TransportSecret::from_bytes(*node.transport);
            for (addr, bytes) in pending {
                let Ok(e) = check_form(bytes, h.saturating_sub(1), budget) else { continue };
                for item in e.items {
                    let Item::Dealing { session, dealing } = item else { continue };
                    let (Some(me), Ok(d), Some(s)) = (me, Dealing::from_bytes(&dealing), state.sessions.get(&session)) else { continue };
                    if *addr == node.address {
                        continue;
                    }
                    let Ok(ctx) = state.session_context(session, s) else { continue };
                    if let Ok(c) = complain(&ctx, &d, &me, &transport, rng) {
                        decoded.items.push(Item::Complaint { session, complaint: c.to_bytes() });
                    }
                }
            }
        }
        Behavior::WrongSignatureShare => {
            for item in &mut decoded.items {
                if let Item::SignatureShare { share, .. } = item {
                    share[0] ^= 0x01;
                }
            }
        }
        Behavior::WrongDecryptionShare => {
            for item in &mut decoded.items {
                // The proof's last scalar (a batch's and a re-encryption share's both end with it).
                if let Item::ReencryptionShare { share, .. } | Item::DecryptionBatch { batch: share, .. } | Item::ClaimAnswers { batch: share, .. } = item {
                    let n = share.len();
                    if n > 40 {
                        share[n - 32] ^= 0x01;
                    }
                }
            }
        }
        Behavior::GarbageItems => {
            for item in &mut decoded.items {
                match item {
                    Item::Dealing { dealing: b, .. } | Item::Complaint { complaint: b, .. } | Item::ReencryptionShare { share: b, .. } | Item::DecryptionBatch { batch: b, .. } => rng.fill_bytes(b),
                    Item::SignatureShare { share, .. } => rng.fill_bytes(share),
                    Item::Acks { digests, .. } => {
                        for d in digests {
                            rng.fill_bytes(d);
                        }
                    }
                    Item::RepairRequest { keyset, epoch, .. } => {
                        *keyset = rng.next_u64();
                        *epoch = rng.next_u64();
                    }
                    Item::RepairShare { ephemeral, sealed, .. } => {
                        rng.fill_bytes(ephemeral);
                        rng.fill_bytes(sealed);
                    }
                    Item::TransportKey { public, proof } => {
                        rng.fill_bytes(public);
                        rng.fill_bytes(proof);
                    }
                    Item::WithdrawNonces => {}
                    Item::Nonces { commitments } => {
                        for c in commitments {
                            rng.fill_bytes(c);
                        }
                    }
                    Item::DecryptionClaim { points, .. } => {
                        for p in points {
                            rng.fill_bytes(p);
                        }
                    }
                    Item::ClaimAnswers { batch, .. } => rng.fill_bytes(batch),
                }
            }
        }
        Behavior::WrongDecryptionPoints => {
            let base = BASE_POINT;
            for item in &mut decoded.items {
                if let Item::DecryptionBatch { batch, .. } = item {
                    if let Some(first) = batch.get_mut(2..34) {
                        first.copy_from_slice(&base);
                    }
                }
            }
        }
        Behavior::WrongClaim => {
            let base = BASE_POINT;
            for item in &mut decoded.items {
                if let Item::DecryptionClaim { points, .. } = item {
                    if let Some(first) = points.first_mut() {
                        *first = base;
                    }
                }
            }
        }
        Behavior::OversizedExtension => {
            decoded.items.push(Item::Nonces { commitments: vec![[7u8; 64]; budget / 64 + 1] });
        }
    }
    decoded.to_bytes()
}
