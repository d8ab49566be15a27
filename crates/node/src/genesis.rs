//! Reading the genesis CometBFT hands to `InitChain`: the validators with their consensus keys,
//! each one's X25519 transport key and the engine parameters from `app_state`, and the
//! consensus parameters the engine depends on. Anything missing or wrong is an error that says
//! what to fix in `genesis.json`; nothing falls back to a silent default (review finding 5: a
//! validator without a transport key used to be skipped with a log line, an enable height of 0
//! left vote extensions off for good).

use serde_json::Value;
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci::RequestInitChain;
use tendermint_proto::v0_38::crypto::public_key::Sum;
use tss_crypto::TransportPublic;
use tss_engine::types::Validator;
use tss_engine::Params;

/// Bytes an envelope spends per vote beside the extension itself: address, signature and
/// their length prefixes, with room to spare.
const ENVELOPE_OVERHEAD_PER_VOTE: i64 = 128;

/// What the engine takes from genesis.
#[derive(Debug)]
pub struct Genesis {
    /// The genesis validators, in CometBFT's order.
    pub validators: Vec<Validator>,
    /// Each validator's Ed25519 consensus key, by address.
    pub consensus_keys: Vec<(Vec<u8>, [u8; 32])>,
    /// Engine parameters.
    pub params: Params,
    /// First height whose votes carry extensions.
    pub vote_extensions_from: u64,
    /// Chain parameters (accounts, fees, staking).
    pub app_params: tss_app::AppParams,
    /// Initial balances.
    pub balances: Vec<(tss_app::Address, u128)>,
    /// The bond each genesis validator starts with.
    pub genesis_bond: u128,
}

/// Why a genesis cannot start this chain.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenesisError {
    /// `app_state` is not a JSON object.
    #[error("genesis app_state is not a JSON object ({0}); it must hold \"transport_keys\" (validator address hex -> X25519 key hex) and optionally \"params\"")]
    AppState(String),
    /// `app_state.params` does not parse.
    #[error("genesis app_state.params does not parse: {0}; give every engine parameter (docs/params.md lists them) or leave params out for the defaults")]
    Params(String),
    /// A validator's consensus key is not Ed25519.
    #[error("genesis validator #{0} has a consensus key that is not Ed25519; only Ed25519 keys are supported")]
    KeyType(usize),
    /// A validator has no usable transport key.
    #[error("genesis validator {address} has no valid transport key: add \"{address}\": \"<hex of `mpcd show-transport-key`>\" under app_state.transport_keys ({why})")]
    Transport {
        /// The validator's address, hex.
        address: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// `app_state.app_params` does not parse or is invalid.
    #[error("genesis app_state.app_params is invalid: {0}; docs/params.md lists every field, or leave app_params out for the defaults")]
    AppParams(String),
    /// An entry of `app_state.accounts` is wrong.
    #[error("genesis app_state.accounts: {0}")]
    Accounts(String),
    /// Validators with different powers.
    #[error("genesis validators have different powers ({0:?}): every validator has the same consensus power here (bond decides membership, not weight; docs/node.md)")]
    UnequalPower(Vec<i64>),
    /// `app_state` has a field this chain does not read.
    #[error("genesis app_state has an unknown field {0:?}: the fields are transport_keys, params, app_params, accounts and genesis_bond (docs/params.md)")]
    UnknownField(String),
    /// A transport key names no genesis validator.
    #[error("genesis app_state.transport_keys has a key for {0}, which is not a genesis validator: remove it, or fix the address (CometBFT's priv_validator_key.json)")]
    StrayTransportKey(String),
    /// Vote extensions are never enabled.
    #[error("consensus_params.abci.vote_extensions_enable_height is {0}: the engine runs on vote extensions; set it to 1 or more in genesis.json")]
    ExtensionsDisabled(i64),
    /// No validators.
    #[error("genesis has no validators")]
    NoValidators,
    /// The block cannot carry every validator's extension.
    #[error("consensus_params.block.max_bytes is {max_bytes}, but {validators} extensions of up to {budget} bytes need {needed}: raise block.max_bytes or lower app_state.params.extension_budget")]
    BlockTooSmall {
        /// The configured block size.
        max_bytes: i64,
        /// Validators at genesis.
        validators: usize,
        /// Extension budget.
        budget: usize,
        /// What the extensions need.
        needed: i64,
    },
}

/// Reads and checks the genesis of `InitChain`.
pub fn read(request: &RequestInitChain) -> Result<Genesis, GenesisError> {
    let app_state: Value = if request.app_state_bytes.is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(&request.app_state_bytes).map_err(|e| GenesisError::AppState(e.to_string()))?
    };
    let app_state = app_state.as_object().ok_or_else(|| GenesisError::AppState("not an object".into()))?;
    if let Some(unknown) = app_state.keys().find(|k| !APP_STATE_KEYS.contains(&k.as_str())) {
        return Err(GenesisError::UnknownField(unknown.clone()));
    }
    let params = match app_state.get("params") {
        Some(p) => serde_json::from_value::<Params>(p.clone()).map_err(|e| GenesisError::Params(e.to_string()))?,
        None => {
            tracing::info!("genesis app_state has no params: the engine's defaults apply");
            Params::default()
        }
    };
    let app_params = match app_state.get("app_params") {
        Some(p) => serde_json::from_value::<tss_app::AppParams>(p.clone()).map_err(|e| GenesisError::AppParams(e.to_string()))?,
        None => tss_app::AppParams::default(),
    };
    app_params.validate().map_err(GenesisError::AppParams)?;
    params.validate().map_err(GenesisError::Params)?;
    let mut balances = Vec::new();
    for (address, amount) in app_state.get("accounts").and_then(Value::as_object).into_iter().flatten() {
        let a = tss_app::Address::parse(&app_params.address_prefix, address).map_err(|e| GenesisError::Accounts(format!("{address}: {e}")))?;
        let amount = match amount {
            Value::String(t) => t.parse::<u128>().ok(),
            Value::Number(n) => n.as_u64().map(u128::from),
            _ => None,
        }
        .ok_or_else(|| GenesisError::Accounts(format!("{address}: the amount must be a whole number (a string for large ones)")))?;
        balances.push((a, amount));
    }
    let genesis_bond = match app_state.get("genesis_bond") {
        Some(Value::String(t)) => t.parse::<u128>().map_err(|_| GenesisError::Accounts("genesis_bond must be a whole number".into()))?,
        Some(Value::Number(n)) => n.as_u64().map(u128::from).ok_or_else(|| GenesisError::Accounts("genesis_bond must be a whole number".into()))?,
        _ => app_params.staking.min_self_bond,
    };
    let powers: std::collections::BTreeSet<i64> = request.validators.iter().map(|v| v.power).collect();
    if powers.len() > 1 {
        return Err(GenesisError::UnequalPower(powers.into_iter().collect()));
    }
    let transports = transport_keys(app_state.get("transport_keys"))?;
    let mut validators = Vec::new();
    let mut consensus_keys = Vec::new();
    for (i, v) in request.validators.iter().enumerate() {
        let Some(Sum::Ed25519(pk)) = v.pub_key.as_ref().and_then(|k| k.sum.clone()) else { return Err(GenesisError::KeyType(i)) };
        let key: [u8; 32] = pk.as_slice().try_into().map_err(|_| GenesisError::KeyType(i))?;
        let address = Sha256::digest(key).get(..20).map(<[u8]>::to_vec).unwrap_or_default();
        let transport = transport_key(transports.get(&hex::encode(&address))).map_err(|why| GenesisError::Transport { address: hex::encode(&address), why })?;
        consensus_keys.push((address.clone(), key));
        validators.push(Validator { address, power: u64::try_from(v.power).unwrap_or(0), transport });
    }
    if let Some(stray) = transports.keys().find(|a| !validators.iter().any(|v| hex::encode(&v.address) == **a)) {
        return Err(GenesisError::StrayTransportKey(stray.clone()));
    }
    if validators.is_empty() {
        return Err(GenesisError::NoValidators);
    }
    let consensus = request.consensus_params.as_ref();
    let enable = consensus.and_then(|p| p.abci.as_ref()).map_or(0, |a| a.vote_extensions_enable_height);
    if enable <= 0 {
        return Err(GenesisError::ExtensionsDisabled(enable));
    }
    if let Some(max_bytes) = consensus.and_then(|p| p.block.as_ref()).map(|b| b.max_bytes).filter(|m| *m > 0) {
        let per_vote = i64::try_from(params.extension_budget).unwrap_or(i64::MAX).saturating_add(ENVELOPE_OVERHEAD_PER_VOTE);
        let needed = per_vote.saturating_mul(i64::try_from(validators.len()).unwrap_or(i64::MAX));
        if needed > max_bytes {
            return Err(GenesisError::BlockTooSmall { max_bytes, validators: validators.len(), budget: params.extension_budget, needed });
        }
    }
    Ok(Genesis { validators, consensus_keys, params, vote_extensions_from: u64::try_from(enable).unwrap_or(1), app_params, balances, genesis_bond })
}

/// The fields `app_state` may have; any other is a typo that would silently be ignored.
pub const APP_STATE_KEYS: [&str; 5] = ["transport_keys", "params", "app_params", "accounts", "genesis_bond"];

/// `app_state.transport_keys` by lowercase address hex (CometBFT writes addresses in uppercase,
/// `mpcd` in lowercase: both are accepted, but one address given twice is refused).
fn transport_keys(value: Option<&Value>) -> Result<std::collections::BTreeMap<String, Value>, GenesisError> {
    let mut keys = std::collections::BTreeMap::new();
    let Some(value) = value else { return Ok(keys) };
    let map = value.as_object().ok_or_else(|| GenesisError::AppState("app_state.transport_keys is not an object of validator address hex -> key hex".into()))?;
    for (address, key) in map {
        let lower = address.trim().trim_start_matches("0x").to_ascii_lowercase();
        if keys.insert(lower.clone(), key.clone()).is_some() {
            return Err(GenesisError::AppState(format!("app_state.transport_keys names validator {lower} twice (addresses are compared ignoring case)")));
        }
    }
    Ok(keys)
}

/// The consensus addresses of the genesis validators.
pub fn validator_addresses(request: &RequestInitChain) -> Result<Vec<[u8; 20]>, GenesisError> {
    request
        .validators
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let Some(Sum::Ed25519(pk)) = v.pub_key.as_ref().and_then(|k| k.sum.clone()) else { return Err(GenesisError::KeyType(i)) };
            let mut a = [0u8; 20];
            a.copy_from_slice(Sha256::digest(&pk).get(..20).unwrap_or(&[0; 20]));
            Ok(a)
        })
        .collect()
}

/// The `InitChain` request CometBFT makes from a genesis.json (its JSON: numbers as strings,
/// keys in base64), so `mpcd genesis validate` runs exactly [`read`].
pub fn from_json(g: &Value) -> Result<RequestInitChain, String> {
    use base64::Engine;
    use tendermint_proto::v0_38::abci::ValidatorUpdate;
    use tendermint_proto::v0_38::crypto::PublicKey;
    use tendermint_proto::v0_38::types::{AbciParams, BlockParams, ConsensusParams};
    let int = |v: Option<&Value>, what: &str| -> Result<Option<i64>, String> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => s.parse().map(Some).map_err(|_| format!("{what} is {s:?}, not a whole number")),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| format!("{what} is {n}, not a whole number")),
            Some(other) => Err(format!("{what} is {other}, not a whole number")),
        }
    };
    let chain_id = g.get("chain_id").and_then(Value::as_str).filter(|c| !c.is_empty()).ok_or("no chain_id")?.to_owned();
    let mut validators = Vec::new();
    for (i, v) in g.get("validators").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let kind = v.pointer("/pub_key/type").and_then(Value::as_str).unwrap_or_default();
        let key = v.pointer("/pub_key/value").and_then(Value::as_str).and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok()).ok_or(format!("validators[{i}].pub_key.value is not base64"))?;
        let sum = match kind {
            "tendermint/PubKeyEd25519" => Sum::Ed25519(key),
            "tendermint/PubKeySecp256k1" => Sum::Secp256k1(key),
            other => return Err(format!("validators[{i}].pub_key.type {other:?} is not a CometBFT key type")),
        };
        let power = int(v.get("power"), &format!("validators[{i}].power"))?.ok_or(format!("validators[{i}] has no power"))?;
        validators.push(ValidatorUpdate { pub_key: Some(PublicKey { sum: Some(sum) }), power });
    }
    let block = g.pointer("/consensus_params/block");
    let consensus_params = ConsensusParams {
        block: Some(BlockParams { max_bytes: int(block.and_then(|b| b.get("max_bytes")), "consensus_params.block.max_bytes")?.unwrap_or(22_020_096), max_gas: int(block.and_then(|b| b.get("max_gas")), "consensus_params.block.max_gas")?.unwrap_or(-1) }),
        abci: Some(AbciParams { vote_extensions_enable_height: int(g.pointer("/consensus_params/abci/vote_extensions_enable_height"), "consensus_params.abci.vote_extensions_enable_height")?.unwrap_or(0) }),
        ..Default::default()
    };
    let app_state = match g.get("app_state") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::to_vec(v).map_err(|e| e.to_string())?,
    };
    Ok(RequestInitChain {
        chain_id,
        validators,
        consensus_params: Some(consensus_params),
        app_state_bytes: app_state.into(),
        initial_height: int(g.get("initial_height"), "initial_height")?.unwrap_or(1),
        ..Default::default()
    })
}

fn transport_key(value: Option<&Value>) -> Result<[u8; 32], &'static str> {
    let text = value.ok_or("missing")?.as_str().ok_or("not a string")?;
    let bytes: [u8; 32] = hex::decode(text.trim()).map_err(|_| "not hex")?.try_into().map_err(|_| "not 32 bytes")?;
    TransportPublic::from_bytes(bytes).ok_or("not a valid prime-order X25519 key")?;
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use tendermint_proto::v0_38::abci::ValidatorUpdate;
    use tendermint_proto::v0_38::crypto::PublicKey;
    use tendermint_proto::v0_38::types::{AbciParams, BlockParams, ConsensusParams};

    fn request(n: u8, with_transport: &[bool], enable: i64, max_bytes: i64, params: Option<Value>) -> RequestInitChain {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let mut transports = serde_json::Map::new();
        let validators = (0..n)
            .map(|i| {
                let key = [i + 1; 32];
                let address = Sha256::digest(key)[..20].to_vec();
                if with_transport[usize::from(i)] {
                    let t = tss_crypto::TransportSecret::generate(&mut rng).public().to_bytes();
                    transports.insert(hex::encode(address), Value::String(hex::encode(t)));
                }
                ValidatorUpdate { pub_key: Some(PublicKey { sum: Some(Sum::Ed25519(key.to_vec())) }), power: 10 }
            })
            .collect();
        let mut app_state = serde_json::json!({ "transport_keys": transports });
        if let Some(p) = params {
            app_state["params"] = p;
        }
        RequestInitChain {
            chain_id: "c".into(),
            validators,
            app_state_bytes: serde_json::to_vec(&app_state).unwrap().into(),
            consensus_params: Some(ConsensusParams {
                abci: Some(AbciParams { vote_extensions_enable_height: enable }),
                block: Some(BlockParams { max_bytes, max_gas: -1 }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_genesis_is_read() {
        let g = read(&request(4, &[true; 4], 2, 22_020_096, None)).unwrap();
        assert_eq!((g.validators.len(), g.vote_extensions_from, g.params), (4, 2, Params::default()));
    }

    #[test]
    fn a_validator_without_transport_key_stops_init_chain() {
        let err = read(&request(4, &[true, true, false, true], 2, 22_020_096, None)).unwrap_err();
        assert!(matches!(err, GenesisError::Transport { why: "missing", .. }), "{err}");
        assert!(err.to_string().contains("app_state.transport_keys"));
    }

    #[test]
    fn vote_extensions_never_enabled_stops_init_chain() {
        assert_eq!(read(&request(4, &[true; 4], 0, 22_020_096, None)).unwrap_err(), GenesisError::ExtensionsDisabled(0));
    }

    #[test]
    fn params_that_do_not_parse_stop_init_chain() {
        let err = read(&request(4, &[true; 4], 2, 22_020_096, Some(serde_json::json!({ "epoch_length": "ten" })))).unwrap_err();
        assert!(matches!(err, GenesisError::Params(_)), "{err}");
    }

    fn with_app_state(mut r: RequestInitChain, key: &str, value: serde_json::Value) -> RequestInitChain {
        let mut state: serde_json::Value = serde_json::from_slice(&r.app_state_bytes).unwrap();
        state[key] = value;
        r.app_state_bytes = serde_json::to_vec(&state).unwrap().into();
        r
    }

    #[test]
    fn genesis_accounts_are_read_and_bad_ones_stop_init_chain() {
        let alice = tss_app::Address([1; 20]).to_bech32("mpc").unwrap();
        let g = read(&with_app_state(request(4, &[true; 4], 2, 22_020_096, None), "accounts", serde_json::json!({ alice.clone(): "1000" }))).unwrap();
        assert_eq!(g.balances, vec![(tss_app::Address([1; 20]), 1000)]);
        let other_chain = tss_app::Address([1; 20]).to_bech32("cosmos").unwrap();
        let err = read(&with_app_state(request(4, &[true; 4], 2, 22_020_096, None), "accounts", serde_json::json!({ other_chain: "1" }))).unwrap_err();
        assert!(matches!(err, GenesisError::Accounts(_)), "{err}");
        let err = read(&with_app_state(request(4, &[true; 4], 2, 22_020_096, None), "accounts", serde_json::json!({ alice: "-5" }))).unwrap_err();
        assert!(err.to_string().contains("whole number"), "{err}");
        let err = read(&with_app_state(request(4, &[true; 4], 2, 22_020_096, None), "app_params", serde_json::json!({ "denomination": "x" }))).unwrap_err();
        assert!(matches!(err, GenesisError::AppParams(_)), "{err}");
    }

    #[test]
    fn validators_of_unequal_power_stop_init_chain() {
        let mut r = request(4, &[true; 4], 2, 22_020_096, None);
        r.validators[1].power = 20;
        assert!(matches!(read(&r).unwrap_err(), GenesisError::UnequalPower(_)));
    }

    #[test]
    fn a_block_too_small_for_the_extensions_stops_init_chain() {
        let err = read(&request(4, &[true; 4], 2, 100_000, None)).unwrap_err();
        assert!(matches!(err, GenesisError::BlockTooSmall { validators: 4, .. }), "{err}");
    }

    #[test]
    fn transport_keys_match_any_case_and_mismatches_stop_init_chain() {
        let upper = |r: RequestInitChain| {
            let mut state: serde_json::Value = serde_json::from_slice(&r.app_state_bytes).unwrap();
            let keys: serde_json::Map<String, Value> = state["transport_keys"].as_object().unwrap().iter().map(|(k, v)| (k.to_uppercase(), v.clone())).collect();
            state["transport_keys"] = Value::Object(keys);
            RequestInitChain { app_state_bytes: serde_json::to_vec(&state).unwrap().into(), ..r }
        };
        assert_eq!(read(&upper(request(4, &[true; 4], 2, 22_020_096, None))).unwrap().validators.len(), 4, "CometBFT's uppercase addresses are accepted");
        let mut stray = request(4, &[true; 4], 2, 22_020_096, None);
        let mut state: serde_json::Value = serde_json::from_slice(&stray.app_state_bytes).unwrap();
        state["transport_keys"]["00112233445566778899aabbccddeeff00112233"] = state["transport_keys"].as_object().unwrap().values().next().unwrap().clone();
        stray.app_state_bytes = serde_json::to_vec(&state).unwrap().into();
        assert!(matches!(read(&stray).unwrap_err(), GenesisError::StrayTransportKey(_)));
    }

    #[test]
    fn typos_in_app_state_or_params_stop_init_chain() {
        let typo = with_app_state(request(4, &[true; 4], 2, 22_020_096, None), "parmas", serde_json::json!({ "epoch_length": 5 }));
        assert_eq!(read(&typo).unwrap_err(), GenesisError::UnknownField("parmas".into()));
        let mut params = serde_json::to_value(Params::default()).unwrap();
        params["epoch_lenght"] = serde_json::json!(5);
        let err = read(&request(4, &[true; 4], 2, 22_020_096, Some(params))).unwrap_err();
        assert!(err.to_string().contains("epoch_lenght"), "{err}");
    }

    #[test]
    fn a_cometbft_genesis_file_reads_as_its_init_chain() {
        let r = request(4, &[true; 4], 2, 22_020_096, None);
        let validators: Vec<Value> = r
            .validators
            .iter()
            .map(|v| {
                let Some(Sum::Ed25519(k)) = v.pub_key.as_ref().unwrap().sum.clone() else { unreachable!() };
                serde_json::json!({ "address": "", "pub_key": { "type": "tendermint/PubKeyEd25519", "value": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, k) }, "power": "10", "name": "" })
            })
            .collect();
        let file = serde_json::json!({
            "chain_id": "c", "initial_height": "1",
            "consensus_params": { "block": { "max_bytes": "22020096", "max_gas": "-1" }, "abci": { "vote_extensions_enable_height": "2" } },
            "validators": validators,
            "app_state": serde_json::from_slice::<Value>(&r.app_state_bytes).unwrap(),
        });
        let parsed = from_json(&file).unwrap();
        assert_eq!(parsed.validators, r.validators);
        assert_eq!(read(&parsed).unwrap().validators, read(&r).unwrap().validators);
        assert_eq!(validator_addresses(&parsed).unwrap().len(), 4);
        let mut bad = file.clone();
        bad["validators"][0]["power"] = serde_json::json!("ten");
        assert!(from_json(&bad).unwrap_err().contains("validators[0].power"));
    }
}
