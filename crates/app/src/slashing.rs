//! Jailing and the epoch's set changes, decided after the engine ran each block.
//!
//! - A validator convicted of a **provable** fault (the engine's blame for an invalid dealing,
//!   an upheld complaint against it, a false complaint, an invalid signature, decryption or
//!   nonce share, a malformed signed extension: all judged from data it signed) is jailed for
//!   `jail_blocks` and loses `slash_permille` of its bond (burned).
//! - A validator whose extensions the chain has not included for `downtime_blocks` is jailed
//!   without loss. Blame a proposer can fake (a *missing* dealing or share: a proposer may drop
//!   up to a third of the extensions), and a wrong decryption claim (an honest combiner can be
//!   led into one, see [`provable`]), never slashes and never jails by itself.
//! - A jailed validator leaves at once through a reshare, like any leave; at each epoch
//!   boundary the active set is recomputed from the bonds and the difference joins or leaves.
//!
//! Deviation from the wording: downtime counts blocks without an included extension
//! rather than missed sessions, because inclusion is what the chain observes directly and a
//! session can legitimately finish without a slow member.

use crate::accounts::{key, read, write};
use hex::encode as hex;
use crate::exec::AppEvent;
use crate::staking::{self, ValidatorRecord};
use tss_engine::types::{BlameReason, Event, Membership, Validator};
use tss_engine::{BlockOutput, EngineState, Store};

/// Whether the engine's blame proves the fault from data the validator signed, and only its
/// own fault. A wrong decryption claim is proven wrong, but an honest combiner can be led into
/// one: it checks a combination by opening the body, and a requester who colludes with a holder
/// can make a body (ChaCha20-Poly1305 does not commit to its key) that opens under the
/// combination the holder's wrong share gives. So it is blamed but, like a missing share,
/// never slashes or jails.
pub fn provable(reason: BlameReason) -> bool {
    !matches!(reason, BlameReason::MissingDealing | BlameReason::MissingSignatureShare | BlameReason::WrongDecryptionClaim)
}

/// The set the engine will hold once what is queued is applied: a running handover's target
/// (or the current set), then its pending membership changes, then the app's own queue.
fn projected_set(engine: &EngineState, queued: &[Membership]) -> Vec<Validator> {
    let mut set = engine.meta.handover_to.clone().unwrap_or_else(|| engine.meta.validators.clone());
    for change in engine.meta.pending_membership.iter().chain(queued) {
        match change {
            Membership::Join(v) => {
                if !set.iter().any(|x| x.address == v.address) {
                    set.push(v.clone());
                }
            }
            Membership::Leave { address } => set.retain(|x| x.address != *address),
        }
    }
    set
}

/// Jails for this block's provable blame and for downtime, and at an epoch boundary queues the
/// changes that bring the engine's set to the active set. The queue is what the next block
/// hands the engine ([`take_membership`]).
pub fn end_block<S: Store + ?Sized>(store: &mut S, engine: &EngineState, out: &BlockOutput, height: u64) -> Vec<AppEvent> {
    let params = crate::exec::params(store).staking;
    let mut queued: Vec<Membership> = read(store, &key("membership_next", b"")).unwrap_or_default();
    let mut events = Vec::new();
    let jail = |store: &mut S, v: &mut ValidatorRecord, slash: bool, why: String, events: &mut Vec<AppEvent>, queued: &mut Vec<Membership>| {
        if v.jailed_until.is_some_and(|j| j >= height) {
            return;
        }
        let permille = u128::from(params.slash_permille.min(1000));
        let burned = if slash { (v.bond / 1000) * permille + (v.bond % 1000) * permille / 1000 } else { 0 };
        v.bond = v.bond.saturating_sub(burned);
        let until = height.saturating_add(params.jail_blocks);
        v.jailed_until = Some(until);
        staking::set_validator(store, v);
        let address = v.address.clone();
        if projected_set(engine, queued).iter().any(|x| x.address == address) {
            queued.push(Membership::Leave { address: address.clone() });
        }
        events.push(AppEvent { kind: "jail", attrs: vec![("validator", hex(&address)), ("reason", why), ("burned", burned.to_string()), ("until", until.to_string())] });
    };
    // Transport keys rotate in the engine; the records follow, so a validator that leaves and
    // comes back rejoins with the key it holds.
    for e in &out.events {
        if let Event::TransportKeyRotated { validator, transport } = e {
            if let Some(mut v) = staking::by_consensus_address(store, validator) {
                v.transport = *transport;
                staking::set_validator(store, &v);
            }
        }
    }
    for e in &out.events {
        let Event::Blame { validator, reason } = e else { continue };
        if !provable(*reason) {
            continue;
        }
        if let Some(mut v) = staking::by_consensus_address(store, validator) {
            jail(store, &mut v, true, format!("{reason:?}"), &mut events, &mut queued);
        }
    }
    if params.downtime_blocks > 0 && height > params.downtime_blocks {
        for member in &engine.meta.validators {
            let Some(key) = EngineState::participant(&member.address) else { continue };
            let seen = engine.meta.last_seen.get(&key).copied().unwrap_or(0);
            if height.saturating_sub(seen) > params.downtime_blocks {
                if let Some(mut v) = staking::by_consensus_address(store, &member.address) {
                    jail(store, &mut v, false, format!("no extension included since height {seen}"), &mut events, &mut queued);
                }
            }
        }
    }
    let epoch = engine.meta.params.epoch_length;
    if epoch > 0 && height % epoch == 0 {
        let target = staking::active_set(store, &params, height + 1);
        if !target.is_empty() {
            let changes = staking::membership_changes(&projected_set(engine, &queued), &target, staking::validator_power(store));
            queued.extend(changes);
        }
    }
    if queued.is_empty() {
        store.delete(&key("membership_next", b""));
    } else {
        write(store, &key("membership_next", b""), &queued);
    }
    for (operator, amount) in staking::release_unbonded(store, height) {
        events.push(AppEvent { kind: "unbonded", attrs: vec![("operator", hex(operator.0)), ("amount", amount.to_string())] });
    }
    events
}

/// Queues a leave for `address` if the engine's projected set holds it (governance's
/// removal); `false` if it is not there to leave.
pub fn force_leave<S: Store + ?Sized>(store: &mut S, engine: &EngineState, address: &[u8]) -> bool {
    let k = key("membership_next", b"");
    let mut queued: Vec<Membership> = read(store, &k).unwrap_or_default();
    if !projected_set(engine, &queued).iter().any(|x| x.address == address) {
        return false;
    }
    queued.push(Membership::Leave { address: address.to_vec() });
    write(store, &k, &queued);
    true
}

/// The membership changes queued for the engine, taken for this block's input.
pub fn take_membership<S: Store + ?Sized>(store: &mut S) -> Vec<Membership> {
    let k = key("membership_next", b"");
    let out = read(store, &k).unwrap_or_default();
    store.delete(&k);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blame that a proposer can fake, or that an honest validator can be led into, never
    /// slashes; every other reason is the validator's own signed fault.
    #[test]
    fn only_faults_a_validator_alone_can_commit_are_provable() {
        for reason in [BlameReason::MissingDealing, BlameReason::MissingSignatureShare, BlameReason::WrongDecryptionClaim] {
            assert!(!provable(reason), "{reason:?}");
        }
        for reason in [BlameReason::InvalidDealing, BlameReason::BadShare, BlameReason::FalseComplaint, BlameReason::InvalidSignatureShare, BlameReason::InvalidDecryptionShare, BlameReason::InvalidNonceCommitment, BlameReason::MalformedExtension] {
            assert!(provable(reason), "{reason:?}");
        }
    }
}
