//! A chain of real node applications in one process, driven the way CometBFT 0.38 drives them.
//!
//! Each node is the [`App`] that `mpcd start` serves: its rocksdb chain state and its encrypted
//! secret store live in a temporary directory, and it sees only ABCI++ requests. Per height the
//! driver calls, in CometBFT's order: `PrepareProposal` on the proposer (with the previous
//! height's signed vote extensions as its local last commit), `ProcessProposal` on every
//! validator, `ExtendVote` on every validator and `VerifyVoteExtension` of each extension on
//! every other validator, then `FinalizeBlock` and `Commit` on every node. Extensions are
//! signed with the validator's Ed25519 consensus key over CometBFT's canonical sign bytes, so
//! the nodes check them exactly as on a real network. Validator updates take effect two heights
//! after the block that returned them, as in CometBFT.
//!
//! What the driver does not model: rounds (every height decides in round 0), networking, and
//! byzantine nodes (the engine-level simulator, `tss-sim`, tests those).

use crate::app::App;
use crate::db::ChainDb;
use crate::metrics::Metrics;
use crate::secret_store::{create_key_file, SecretStore};
use ed25519_dalek::{Signer, SigningKey};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use tendermint_abci::Application;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    response_process_proposal::ProposalStatus, response_verify_vote_extension::VerifyStatus, CheckTxType, CommitInfo, ExecTxResult, ExtendedCommitInfo, ExtendedVoteInfo,
    RequestCheckTx, RequestExtendVote, RequestFinalizeBlock, RequestPrepareProposal, RequestProcessProposal, RequestVerifyVoteExtension, ResponseFinalizeBlock, Validator as AbciValidator,
    VoteInfo,
};
use tendermint_proto::v0_38::crypto::public_key::Sum;
use tss_engine::{EngineState, LocalSecrets};

/// CometBFT's `BlockIDFlag::Commit`: the validator precommitted this block.
const BLOCK_ID_FLAG_COMMIT: i32 = 2;
/// The block size the devnet's genesis allows (CometBFT's default `max_bytes`).
const MAX_BLOCK_BYTES: i64 = 22_020_096;
/// The devnet's genesis time (seconds since the Unix epoch); block `h` is `h` seconds later.
const GENESIS_TIME: i64 = 1_780_000_000;

/// One node: its keys, its application and the directory holding its state.
pub struct Member {
    /// A name for reports (`validator-0`, ..., `full-node-0`).
    pub name: String,
    /// The consensus key (CometBFT's `priv_validator_key.json`).
    pub consensus: SigningKey,
    /// The consensus address: the first 20 bytes of SHA-256 of the key.
    pub address: Vec<u8>,
    /// The node application.
    pub app: App,
    /// Its X25519 transport key and a proof of possession bound to the chain and this validator:
    /// what genesis and a `create-validator` register (the secret stays inside `app`).
    pub registration: ([u8; 32], [u8; tss_crypto::transport::POSSESSION_PROOF_LEN]),
    _dir: tempfile::TempDir,
}

/// What one finalized height gave back.
pub struct Finalized {
    /// The height.
    pub height: u64,
    /// Every node's response was this one (their app hashes agreed).
    pub response: ResponseFinalizeBlock,
    /// The transactions of the block, the proposer's envelope first.
    pub txs: Vec<Vec<u8>>,
}

/// Why the chain stopped.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A node could not be set up.
    #[error("cannot set up node {node}: {why}")]
    Setup {
        /// The node.
        node: String,
        /// What failed.
        why: String,
    },
    /// A validator rejected the proposal.
    #[error("validator {validator} rejected the proposal of height {height} (its log says why)")]
    Rejected {
        /// The height.
        height: u64,
        /// The validator.
        validator: String,
    },
    /// A validator rejected another's vote extension.
    #[error("validator {by} rejected the vote extension of {of} at height {height}")]
    ExtensionRejected {
        /// The height.
        height: u64,
        /// Who checked.
        by: String,
        /// Whose extension.
        of: String,
    },
    /// Two nodes computed different app hashes.
    #[error("nodes disagree on the app hash after height {height}: {first} has {a}, {other} has {b}")]
    Divergence {
        /// The height.
        height: u64,
        /// The first node.
        first: String,
        /// Its hash, hex.
        a: String,
        /// The node that differs.
        other: String,
        /// Its hash, hex.
        b: String,
    },
    /// No validator is left in the consensus set.
    #[error("the consensus set of height {0} is empty")]
    NoValidators(u64),
    /// CheckTx refused a transaction.
    #[error("CheckTx refused the transaction: {0}")]
    CheckTx(String),
}

/// The nodes, the consensus sets and the mempool.
pub struct LocalChain {
    /// Every node, genesis validators first.
    pub members: Vec<Member>,
    /// The chain id.
    pub chain_id: String,
    /// The last committed height.
    pub height: u64,
    /// Genesis validators: the first members.
    validators: usize,
    /// CometBFT's validator set by the first height it applies to: address -> power.
    sets: BTreeMap<u64, BTreeMap<Vec<u8>, i64>>,
    /// The previous height's signed extensions (the next proposer's local last commit).
    last_votes: Vec<ExtendedVoteInfo>,
    /// Transactions CheckTx accepted and no block has included yet.
    mempool: Vec<Vec<u8>>,
}

/// The genesis of a devnet: what goes into `app_state` beside the validators' transport keys.
pub struct GenesisSpec {
    /// `app_state.params` (engine parameters), as JSON.
    pub params: Value,
    /// `app_state.app_params` (chain parameters), as JSON.
    pub app_params: Value,
    /// `app_state.accounts`: bech32 address -> amount.
    pub accounts: Vec<(String, u128)>,
}

fn address_of(key: &[u8; 32]) -> Vec<u8> {
    Sha256::digest(key).get(..20).map(<[u8]>::to_vec).unwrap_or_default()
}

fn time(height: u64) -> Timestamp {
    Timestamp { seconds: GENESIS_TIME + i64::try_from(height).unwrap_or(0), nanos: 0 }
}

fn member(name: String, chain_id: &str, rng: &mut ChaCha20Rng) -> Result<Member, ChainError> {
    let setup = |why: String| ChainError::Setup { node: name.clone(), why };
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let consensus = SigningKey::from_bytes(&seed);
    let address = address_of(&consensus.verifying_key().to_bytes());
    let dir = tempfile::Builder::new().prefix("mpcd-devnet-").tempdir().map_err(|e| setup(format!("no temporary directory: {e}")))?;
    let key_file = dir.path().join("secrets.key");
    create_key_file(&key_file).map_err(|e| setup(e.to_string()))?;
    let store = SecretStore::open(&dir.path().join("secrets.store"), &key_file).map_err(|e| setup(e.to_string()))?;
    let local = LocalSecrets::generate(&address, rng).map_err(|e| setup(e.to_string()))?;
    store.write(&local.to_bytes()).map_err(|e| setup(e.to_string()))?;
    let db = ChainDb::open(&dir.path().join("data"), 0).map_err(|e| setup(e.to_string()))?;
    let host = tss_wasm::Host::open(&dir.path().join("wasm")).map_err(setup)?;
    let registration = local.transport_registration(chain_id, rng);
    let app = App::with_rng(db, store, local, Arc::new(Metrics::default()), host, ChaCha20Rng::seed_from_u64(rng.next_u64())).map_err(|e| setup(e.to_string()))?;
    Ok(Member { name, consensus, address, app, registration, _dir: dir })
}

impl LocalChain {
    /// Creates `validators` nodes that will be genesis validators and `full_nodes` more, with
    /// keys from `rng`; [`LocalChain::init`] starts the chain.
    pub fn nodes(chain_id: &str, validators: usize, full_nodes: usize, rng: &mut ChaCha20Rng) -> Result<Self, ChainError> {
        let mut members = Vec::with_capacity(validators + full_nodes);
        for i in 0..validators {
            members.push(member(format!("validator-{i}"), chain_id, rng)?);
        }
        for i in 0..full_nodes {
            members.push(member(format!("full-node-{i}"), chain_id, rng)?);
        }
        Ok(Self { members, chain_id: chain_id.to_owned(), height: 0, validators, sets: BTreeMap::new(), last_votes: Vec::new(), mempool: Vec::new() })
    }

    /// Runs `InitChain` on every node from one genesis file.
    pub fn init(&mut self, spec: &GenesisSpec) -> Result<(), ChainError> {
        let members = &self.members;
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let power = tss_app::staking::VALIDATOR_POWER;
        let genesis_validators = members.iter().take(self.validators);
        let genesis = json!({
            "chain_id": self.chain_id,
            "initial_height": "1",
            "consensus_params": { "block": { "max_bytes": MAX_BLOCK_BYTES.to_string(), "max_gas": "-1" }, "abci": { "vote_extensions_enable_height": "1" } },
            "validators": genesis_validators.clone().map(|m| json!({
                "address": hex::encode_upper(&m.address),
                "pub_key": { "type": "tendermint/PubKeyEd25519", "value": b64.encode(m.consensus.verifying_key().to_bytes()) },
                "power": power.to_string(),
                "name": m.name,
            })).collect::<Vec<_>>(),
            "app_state": {
                "transport_keys": genesis_validators.clone().map(|m| (hex::encode(&m.address), Value::String(hex::encode(m.registration.0)))).collect::<serde_json::Map<_, _>>(),
                "params": spec.params,
                "app_params": spec.app_params,
                "accounts": spec.accounts.iter().map(|(a, amount)| (a.clone(), Value::String(amount.to_string()))).collect::<serde_json::Map<_, _>>(),
            },
        });
        let request = crate::genesis::from_json(&genesis).map_err(|why| ChainError::Setup { node: "genesis".into(), why })?;
        // The checks InitChain runs (which exit the process on a bad genesis) run here first,
        // so a wrong devnet genesis is an error, not an exit.
        crate::genesis::read(&request).map_err(|e| ChainError::Setup { node: "genesis".into(), why: e.to_string() })?;
        let request = tendermint_proto::v0_38::abci::RequestInitChain { time: Some(time(0)), ..request };
        let mut hashes = Vec::with_capacity(members.len());
        for m in members {
            hashes.push(m.app.init_chain(request.clone()).app_hash.to_vec());
        }
        check_agreement(members, &hashes, 0)?;
        let set: BTreeMap<Vec<u8>, i64> = members.iter().take(self.validators).map(|m| (m.address.clone(), i64::try_from(power).unwrap_or(i64::MAX))).collect();
        self.sets.insert(1, set);
        Ok(())
    }

    /// CometBFT's validator set at `height`.
    pub fn set_at(&self, height: u64) -> BTreeMap<Vec<u8>, i64> {
        self.sets.range(..=height).next_back().map(|(_, s)| s.clone()).unwrap_or_default()
    }

    /// The node whose consensus address is `address`.
    pub fn by_address(&self, address: &[u8]) -> Option<&Member> {
        self.members.iter().find(|m| m.address == address)
    }

    /// Reads the engine state of the first node (every node holds the same one).
    pub fn engine<R>(&self, read: impl FnOnce(&EngineState) -> R) -> Option<R> {
        self.members.first().and_then(|m| m.app.engine(read))
    }

    /// Hands a transaction to every node's CheckTx (as gossip would) and keeps it for the next
    /// proposals; refused if the first node refuses it.
    pub fn submit(&mut self, tx: Vec<u8>) -> Result<(), ChainError> {
        let mut first = None;
        for m in &self.members {
            let r = m.app.check_tx(RequestCheckTx { tx: tx.clone().into(), r#type: CheckTxType::New as i32 });
            first.get_or_insert(r);
        }
        match first {
            Some(r) if r.code != 0 => Err(ChainError::CheckTx(r.log)),
            _ => {
                self.mempool.push(tx);
                Ok(())
            }
        }
    }

    /// Runs one height to its commit.
    pub fn step(&mut self) -> Result<Finalized, ChainError> {
        let height = self.height + 1;
        let h = i64::try_from(height).unwrap_or(i64::MAX);
        let set = self.set_at(height);
        let proposer_address = set.keys().nth(usize::try_from(height).unwrap_or(0) % set.len().max(1)).cloned().ok_or(ChainError::NoValidators(height))?;
        let voters: Vec<&Member> = set.keys().filter_map(|a| self.by_address(a)).collect();
        let proposer = self.by_address(&proposer_address).ok_or(ChainError::NoValidators(height))?;
        let commit_info = CommitInfo {
            round: 0,
            votes: self.last_votes.iter().map(|v| VoteInfo { validator: v.validator.clone(), block_id_flag: v.block_id_flag }).collect(),
        };
        let prepared = proposer.app.prepare_proposal(RequestPrepareProposal {
            max_tx_bytes: MAX_BLOCK_BYTES,
            txs: self.mempool.iter().cloned().map(Into::into).collect(),
            local_last_commit: Some(ExtendedCommitInfo { round: 0, votes: self.last_votes.clone() }),
            misbehavior: Vec::new(),
            height: h,
            time: Some(time(height)),
            next_validators_hash: Default::default(),
            proposer_address: proposer_address.clone().into(),
        });
        let txs = prepared.txs;
        let mut hasher = Sha256::new();
        hasher.update(height.to_be_bytes());
        for tx in &txs {
            hasher.update(Sha256::digest(tx));
        }
        let hash = hasher.finalize().to_vec();
        for v in &voters {
            let r = v.app.process_proposal(RequestProcessProposal {
                txs: txs.clone(),
                proposed_last_commit: Some(commit_info.clone()),
                misbehavior: Vec::new(),
                hash: hash.clone().into(),
                height: h,
                time: Some(time(height)),
                next_validators_hash: Default::default(),
                proposer_address: proposer_address.clone().into(),
            });
            if r.status != ProposalStatus::Accept as i32 {
                return Err(ChainError::Rejected { height, validator: v.name.clone() });
            }
        }
        // Precommits with extensions, checked by every other validator.
        let mut votes = Vec::with_capacity(voters.len());
        for v in &voters {
            let ext = v.app.extend_vote(RequestExtendVote {
                hash: hash.clone().into(),
                height: h,
                time: Some(time(height)),
                txs: txs.clone(),
                proposed_last_commit: Some(commit_info.clone()),
                misbehavior: Vec::new(),
                next_validators_hash: Default::default(),
                proposer_address: proposer_address.clone().into(),
            });
            let extension = ext.vote_extension.to_vec();
            let signature = v.consensus.sign(&crate::glue::sign_bytes(&self.chain_id, h, 0, &extension)).to_bytes();
            for other in voters.iter().filter(|o| o.address != v.address) {
                let r = other.app.verify_vote_extension(RequestVerifyVoteExtension { hash: hash.clone().into(), validator_address: v.address.clone().into(), height: h, vote_extension: extension.clone().into() });
                if r.status != VerifyStatus::Accept as i32 {
                    return Err(ChainError::ExtensionRejected { height, by: other.name.clone(), of: v.name.clone() });
                }
            }
            let power = set.get(&v.address).copied().unwrap_or(0);
            votes.push(ExtendedVoteInfo {
                validator: Some(AbciValidator { address: v.address.clone().into(), power }),
                vote_extension: extension.into(),
                extension_signature: signature.to_vec().into(),
                block_id_flag: BLOCK_ID_FLAG_COMMIT,
            });
        }
        let request = RequestFinalizeBlock {
            txs: txs.clone(),
            decided_last_commit: Some(commit_info),
            misbehavior: Vec::new(),
            hash: hash.into(),
            height: h,
            time: Some(time(height)),
            next_validators_hash: Default::default(),
            proposer_address: proposer_address.into(),
        };
        let mut responses: Vec<ResponseFinalizeBlock> = Vec::with_capacity(self.members.len());
        for m in &self.members {
            responses.push(m.app.finalize_block(request.clone()));
        }
        let hashes: Vec<Vec<u8>> = responses.iter().map(|r| r.app_hash.to_vec()).collect();
        check_agreement(&self.members, &hashes, height)?;
        for m in &self.members {
            m.app.commit();
        }
        let response = responses.swap_remove(0);
        self.apply_updates(height, &response);
        self.height = height;
        self.last_votes = votes;
        let included: Vec<Vec<u8>> = txs.iter().map(|t| t.to_vec()).collect();
        self.mempool.retain(|t| !included.contains(t));
        self.recheck();
        Ok(Finalized { height, response, txs: included })
    }

    /// CometBFT rechecks what is left in its mempool after a commit; refused transactions drop.
    fn recheck(&mut self) {
        let pending = std::mem::take(&mut self.mempool);
        for tx in pending {
            let mut ok = true;
            for m in &self.members {
                let r = m.app.check_tx(RequestCheckTx { tx: tx.clone().into(), r#type: CheckTxType::Recheck as i32 });
                ok &= r.code == 0;
            }
            if ok {
                self.mempool.push(tx);
            }
        }
    }

    /// Validator updates of `FinalizeBlock(height)` apply from `height + 2`.
    fn apply_updates(&mut self, height: u64, response: &ResponseFinalizeBlock) {
        if response.validator_updates.is_empty() {
            return;
        }
        let mut set = self.set_at(height + 1);
        for u in &response.validator_updates {
            let Some(Sum::Ed25519(key)) = u.pub_key.as_ref().and_then(|k| k.sum.clone()) else { continue };
            let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else { continue };
            let address = address_of(&key);
            if u.power > 0 {
                set.insert(address, u.power);
            } else {
                set.remove(&address);
            }
        }
        self.sets.insert(height + 2, set);
    }
}

fn check_agreement(members: &[Member], hashes: &[Vec<u8>], height: u64) -> Result<(), ChainError> {
    let (Some(first), Some(a)) = (members.first(), hashes.first()) else { return Ok(()) };
    for (m, b) in members.iter().zip(hashes).skip(1) {
        if b != a {
            return Err(ChainError::Divergence { height, first: first.name.clone(), a: hex::encode(a), other: m.name.clone(), b: hex::encode(b) });
        }
    }
    Ok(())
}

/// A failed transaction's result, for reports.
pub fn failure(r: &ExecTxResult) -> Option<String> {
    (r.code != 0).then(|| format!("code {} ({}): {}", r.code, tss_app::code::meaning(r.code), r.log))
}
