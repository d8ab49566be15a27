//! What contracts may ask the chain: the threshold engine's public state (`TssQuery`), from a
//! snapshot taken when the block's first contract runs (the engine changes only after the
//! block's transactions, so the snapshot is exact for all of them; callbacks get a new one).
//! Bank, staking and other contracts' state are not offered to contracts yet: such a query
//! gets `UnsupportedRequest` naming it.

use crate::address::humanize;
use crate::gas::GAS_MULTIPLIER;
use cosmwasm_std::{to_json_binary, Binary, ContractResult, QueryRequest, SystemError, SystemResult};
use cosmwasm_vm::{BackendResult, GasInfo, Querier};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tss_bindings::{DerivedKeyResponse, KeySetResponse, NetworkKeyResponse, RequestResponse, TssQuery};
use tss_engine::state::Owner;
use tss_engine::EngineState;

/// Chain gas per query answered.
const QUERY_GAS: u64 = 1000;

/// One keyset, as queries show it.
#[derive(Clone, Debug)]
struct KeysetView {
    owner: Option<Vec<u8>>,
    public_key: Option<[u8; 32]>,
    generation: Option<u32>,
    threshold: u16,
    frozen: bool,
}

/// The engine's public state at one point of a block.
#[derive(Clone, Debug, Default)]
pub struct TssView {
    keysets: BTreeMap<u64, KeysetView>,
    members: u32,
    pending: BTreeSet<u64>,
}

impl TssView {
    /// A snapshot of `engine`.
    pub fn of(engine: &EngineState) -> Self {
        let n = engine.meta.validators.len();
        let keysets = engine
            .keysets
            .iter()
            .map(|(id, k)| {
                let current = k.current.and_then(|g| k.generations.get(&g));
                let view = KeysetView {
                    owner: match &k.owner {
                        Owner::Network => None,
                        Owner::Requester(r) => Some(r.clone()),
                    },
                    public_key: current.map(|g| g.group_key),
                    generation: k.current,
                    threshold: current.map(|g| g.dkg_threshold).or(k.threshold).unwrap_or_else(|| engine.meta.params.threshold(n)),
                    frozen: k.frozen,
                };
                (*id, view)
            })
            .collect();
        Self { keysets, members: u32::try_from(n).unwrap_or(u32::MAX), pending: engine.requests.keys().copied().collect() }
    }

    /// Answers one TSS query.
    pub fn answer(&self, prefix: &str, query: &TssQuery) -> Result<Binary, String> {
        let json = |v: Result<Binary, cosmwasm_std::StdError>| v.map_err(|e| e.to_string());
        match query {
            TssQuery::NetworkKey {} => {
                let k = self.keysets.get(&tss_bindings::NETWORK_KEY_SET);
                let ed = k.and_then(|k| k.public_key);
                let x = ed.and_then(|ed| tss_crypto::encrypt::EncryptionKey::from_bytes(ed, 0)).map(|e| Binary::from(e.x25519().to_vec()));
                json(to_json_binary(&NetworkKeyResponse { ed25519: ed.map(|e| Binary::from(e.to_vec())), x25519: x, generation: k.and_then(|k| k.generation) }))
            }
            TssQuery::KeySet { key_set_id } => {
                let k = self.keysets.get(key_set_id).ok_or_else(|| format!("no keyset {key_set_id}"))?;
                let status = if k.frozen { "frozen" } else if k.public_key.is_some() { "ready" } else { "pending" };
                let owner = k.owner.as_ref().map(|o| humanize(prefix, o).unwrap_or_else(|_| hex::encode(o)));
                json(to_json_binary(&KeySetResponse {
                    key_set_id: *key_set_id,
                    owner,
                    public_key: k.public_key.map(|p| Binary::from(p.to_vec())),
                    threshold: k.threshold,
                    members: self.members,
                    status: status.to_owned(),
                }))
            }
            TssQuery::DerivedKey { contract, derivation } => {
                let requester = crate::address::canonicalize(prefix, contract)?;
                let group = self.keysets.get(&tss_bindings::NETWORK_KEY_SET).and_then(|k| k.public_key).ok_or("the network key's DKG has not completed yet")?;
                let context = derivation.as_ref().map(|d| d.to_vec());
                let key = tss_engine::apply::derived_public_key(&group, tss_bindings::NETWORK_KEY_SET, &requester, &context).ok_or("the network key is invalid")?;
                json(to_json_binary(&DerivedKeyResponse { public_key: Binary::from(key.to_vec()) }))
            }
            TssQuery::Request { request_id } => {
                let status = if self.pending.contains(request_id) { "pending" } else { "unknown" };
                json(to_json_binary(&RequestResponse { request_id: *request_id, status: status.to_owned() }))
            }
        }
    }
}

/// The `Querier` contracts call.
pub struct ChainQuerier {
    prefix: String,
    tss: Arc<TssView>,
}

impl ChainQuerier {
    /// A querier answering from `tss`.
    pub fn new(prefix: &str, tss: Arc<TssView>) -> Self {
        Self { prefix: prefix.to_owned(), tss }
    }
}

impl Querier for ChainQuerier {
    fn query_raw(&self, request: &[u8], _gas_limit: u64) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let gas = GasInfo::with_externally_used(QUERY_GAS.saturating_mul(GAS_MULTIPLIER));
        let request: QueryRequest<TssQuery> = match cosmwasm_std::from_json(request) {
            Ok(r) => r,
            Err(e) => {
                let error = format!("the query does not parse: {e}");
                return (Ok(SystemResult::Err(SystemError::InvalidRequest { error, request: Binary::from(request.to_vec()) })), gas);
            }
        };
        let result = match request {
            QueryRequest::Custom(q) => SystemResult::Ok(self.tss.answer(&self.prefix, &q).into()),
            other => {
                let kind = match other {
                    QueryRequest::Bank(_) => "bank",
                    QueryRequest::Wasm(_) => "wasm",
                    _ => "this",
                };
                SystemResult::Err(SystemError::UnsupportedRequest { kind: format!("{kind} queries are not offered to contracts on this chain yet") })
            }
        };
        (Ok(result), gas)
    }
}
