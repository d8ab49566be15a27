//! Validators join and leave by transaction. A validator is an operator account that registered
//! a consensus key and an X25519 transport key and bonded stake; the active set is the top
//! `max_validators` by bond at or above `min_self_bond`, not jailed, recomputed at every epoch
//! boundary. A change of the active set becomes the engine's membership input; the engine
//! reshares every key to the new set first and only then changes the consensus set.
//!
//! **Equal power.** Every active validator gets the same consensus power (`VALIDATOR_POWER`):
//! bond decides membership, not weight. The key's threshold `t = floor(2n/3)+1` counts
//! members, so with equal power "more than 2/3 of the power" and "at least t members" are the
//! same sets: no set holding at most 1/3 of the power can sign or decrypt, and any set holding
//! more than 2/3 can (`tests/staking.rs` checks it for every n up to 100). Weighted shares (as
//! Ferveo does) would let stake buy safety weight, at the cost of several shares per validator
//! in every session; equal power keeps one share each and the threshold exact.

use crate::accounts::{self, key, read, write};
use crate::address::Address;
use serde::{Deserialize, Serialize};
use tss_engine::types::{Membership, Validator};
use tss_engine::Store;

/// The consensus power of every active validator unless genesis set another common one.
pub const VALIDATOR_POWER: u64 = 10;

/// The common consensus power of every validator (the genesis validators').
pub fn validator_power<S: Store + ?Sized>(store: &S) -> u64 {
    read(store, &key("validator_power", b"")).unwrap_or(VALIDATOR_POWER)
}
/// Longest moniker.
pub const MAX_MONIKER: usize = 64;

/// A registered validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorRecord {
    /// The operator account (it bonds, unbonds and unjails).
    pub operator: Address,
    /// The consensus address, as CometBFT and the engine know the validator (20 bytes of
    /// SHA-256 of the consensus key for every validator registered by transaction).
    pub address: Vec<u8>,
    /// The Ed25519 consensus key.
    pub consensus_key: [u8; 32],
    /// The X25519 transport key it registered (the engine rotates it from then on).
    pub transport: [u8; 32],
    /// A name for people.
    pub moniker: String,
    /// Bonded stake.
    pub bond: u128,
    /// Jailed until this height (inclusive), if jailed.
    pub jailed_until: Option<u64>,
}

impl ValidatorRecord {
    /// The engine's view of it, with the chain's common power.
    pub fn engine_validator(&self, power: u64) -> Validator {
        Validator { address: self.address.clone(), power, transport: self.transport }
    }
}

/// Staking parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StakingParams {
    /// Size of the active set.
    pub max_validators: u32,
    /// Smallest bond that can be active.
    pub min_self_bond: u128,
    /// Blocks an unbonded amount stays locked.
    pub unbonding_blocks: u64,
    /// Blocks a jailed validator waits before it may unjail.
    pub jail_blocks: u64,
    /// Fraction of the bond burned for a provable fault, in parts per thousand.
    pub slash_permille: u32,
    /// Blocks without an included extension after which an active validator is jailed
    /// (without loss).
    pub downtime_blocks: u64,
}

impl Default for StakingParams {
    fn default() -> Self {
        Self { max_validators: 100, min_self_bond: 1_000_000, unbonding_blocks: 100, jail_blocks: 50, slash_permille: 50, downtime_blocks: 50 }
    }
}

/// A validator by operator.
pub fn validator<S: Store + ?Sized>(store: &S, operator: &Address) -> Option<ValidatorRecord> {
    read(store, &key("validator", &operator.0))
}

/// Writes a validator.
pub fn set_validator<S: Store + ?Sized>(store: &mut S, v: &ValidatorRecord) {
    write(store, &key("validator", &v.operator.0), v);
}

/// Every validator, by operator.
pub fn validators<S: Store + ?Sized>(store: &S) -> Vec<ValidatorRecord> {
    store.scan_prefix(&key("validator", b"")).into_iter().filter_map(|(_, v)| postcard::from_bytes(&v).ok()).collect()
}

/// The validator whose consensus address is `address`.
pub fn by_consensus_address<S: Store + ?Sized>(store: &S, address: &[u8]) -> Option<ValidatorRecord> {
    validators(store).into_iter().find(|v| v.address == address)
}

/// The active set the bonds call for at `height`: not jailed, bond at least the minimum, the
/// top `max_validators` by bond (ties by consensus address), in consensus-address order.
pub fn active_set<S: Store + ?Sized>(store: &S, params: &StakingParams, height: u64) -> Vec<ValidatorRecord> {
    let mut candidates: Vec<ValidatorRecord> = validators(store).into_iter().filter(|v| v.bond >= params.min_self_bond && v.jailed_until.is_none_or(|j| j < height)).collect();
    candidates.sort_by(|a, b| b.bond.cmp(&a.bond).then(a.address.cmp(&b.address)));
    candidates.truncate(params.max_validators as usize);
    candidates.sort_by(|a, b| a.address.cmp(&b.address));
    candidates
}

/// The membership changes that turn `current` (the engine's set, or the set a running handover
/// moves to) into `target`: leaves, then joins.
pub fn membership_changes(current: &[Validator], target: &[ValidatorRecord], power: u64) -> Vec<Membership> {
    let mut out: Vec<Membership> = current
        .iter()
        .filter(|v| !target.iter().any(|t| t.address == v.address))
        .map(|v| Membership::Leave { address: v.address.clone() })
        .collect();
    out.extend(target.iter().filter(|t| !current.iter().any(|v| v.address == t.address)).map(|t| Membership::Join(t.engine_validator(power))));
    out
}

/// An unbonding amount, released to `operator` at `matures`.
pub fn add_unbonding<S: Store + ?Sized>(store: &mut S, operator: &Address, matures: u64, amount: u128) {
    let mut id = matures.to_be_bytes().to_vec();
    id.extend_from_slice(&operator.0);
    let k = key("unbonding", &id);
    let total = read::<u128, _>(store, &k).unwrap_or(0).saturating_add(amount);
    write(store, &k, &total);
}

/// Releases every unbonding amount that matured by `height`; returns what was released.
pub fn release_unbonded<S: Store + ?Sized>(store: &mut S, height: u64) -> Vec<(Address, u128)> {
    let prefix = key("unbonding", b"");
    let mut out = Vec::new();
    for (k, v) in store.scan_prefix(&prefix) {
        let Some(id) = k.get(prefix.len()..) else { continue };
        let (Some(h), Some(op)) = (id.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()), id.get(8..).and_then(|b| Address::from_slice(b).ok())) else { continue };
        if u64::from_be_bytes(h) > height {
            break;
        }
        let amount: u128 = postcard::from_bytes(&v).unwrap_or(0);
        store.delete(&k);
        let mut a = accounts::account(store, &op);
        a.balance = a.balance.saturating_add(amount);
        accounts::set_account(store, &op, &a);
        out.push((op, amount));
    }
    out
}

/// Registers the genesis validators (each operated by the account with its consensus address,
/// bonded with `bond`) and their common consensus power, so that the first epoch's
/// recomputation keeps them and joiners get the same power.
pub fn genesis_validators<S: Store + ?Sized>(store: &mut S, validators: &[GenesisValidator], bond: u128, power: u64) {
    write(store, &key("validator_power", b""), &power);
    for v in validators {
        let operator = Address::of_key(&v.consensus_key);
        let moniker = format!("genesis-{}", hex::encode(v.address.get(..4).unwrap_or(&v.address)));
        set_validator(store, &ValidatorRecord { operator, address: v.address.clone(), consensus_key: v.consensus_key, transport: v.transport, moniker, bond, jailed_until: None });
    }
}

/// A validator of the genesis file.
#[derive(Clone, Debug)]
pub struct GenesisValidator {
    /// Its consensus address.
    pub address: Vec<u8>,
    /// Its consensus key.
    pub consensus_key: [u8; 32],
    /// Its transport key.
    pub transport: [u8; 32],
}
