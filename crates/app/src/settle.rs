//! The end of a block, after the engine ran: deposits bound to the requests the engine
//! numbered, keyset creations settled by their callbacks (a failed key generation refunds its
//! deposit), deleted keysets' deposits refunded, and the block's fees paid out.
//!
//! **Fees go to the validators that hold the key**: a block's fees, with what earlier blocks
//! left over, are split equally among the engine's validator set (every member does the same
//! threshold work: it deals in every session and holds a share of every key); each share is
//! credited to the account with the validator's 20-byte address, and the remainder of the
//! division waits for the next block.

use crate::accounts::{self, key, read, write, Deposit};
use crate::address::Address;
use crate::exec::AppEvent;
use tss_engine::types::{Outcome, Validator};
use tss_engine::{BlockOutput, Store};

/// Settles a block. `deposits` are by position of the engine's input requests.
pub fn end_block<S: Store + ?Sized>(store: &mut S, out: &BlockOutput, deposits: &[Option<Deposit>], fees: u128, validators: &[Validator]) -> Vec<AppEvent> {
    let params = crate::exec::params(store);
    let bech32 = |a: &Address| a.to_bech32(&params.address_prefix).unwrap_or_default();
    let mut events = Vec::new();
    for (id, deposit) in out.request_ids.iter().zip(deposits) {
        if let Some(d) = deposit {
            write(store, &key("deposit/request", &id.to_be_bytes()), d);
        }
    }
    for cb in &out.callbacks {
        if let Outcome::KeysetDeleted { keyset } = &cb.outcome {
            let k = key("deposit/keyset", &keyset.to_be_bytes());
            if let Some(d) = read::<Deposit, _>(store, &k) {
                store.delete(&k);
                let mut a = accounts::account(store, &d.owner);
                a.balance = a.balance.saturating_add(d.amount);
                accounts::set_account(store, &d.owner, &a);
                events.push(AppEvent { kind: "refund", attrs: vec![("owner", bech32(&d.owner)), ("amount", format!("{}{}", d.amount, params.denom)), ("keyset", keyset.to_string())] });
            }
            continue;
        }
        let k = key("deposit/request", &cb.request.to_be_bytes());
        let Some(d) = read::<Deposit, _>(store, &k) else { continue };
        store.delete(&k);
        match &cb.outcome {
            Outcome::KeysetReady { keyset, .. } => write(store, &key("deposit/keyset", &keyset.to_be_bytes()), &d),
            _ => {
                let mut a = accounts::account(store, &d.owner);
                a.balance = a.balance.saturating_add(d.amount);
                accounts::set_account(store, &d.owner, &a);
                events.push(AppEvent { kind: "refund", attrs: vec![("owner", bech32(&d.owner)), ("amount", format!("{}{}", d.amount, params.denom)), ("request", cb.request.to_string())] });
            }
        }
    }
    let pool_key = key("fee_pool", b"");
    let pool = read::<u128, _>(store, &pool_key).unwrap_or(0).saturating_add(fees);
    let payees: Vec<Address> = validators.iter().filter_map(|v| Address::from_slice(&v.address).ok()).collect();
    let each = if payees.is_empty() { 0 } else { pool / payees.len() as u128 };
    if each > 0 {
        for p in &payees {
            let mut a = accounts::account(store, p);
            a.balance = a.balance.saturating_add(each);
            accounts::set_account(store, p, &a);
        }
        events.push(AppEvent { kind: "fees_paid", attrs: vec![("validators", payees.len().to_string()), ("each", format!("{each}{}", params.denom))] });
    }
    let left = pool - each * payees.len() as u128;
    if left == 0 {
        store.delete(&pool_key);
    } else {
        write(store, &pool_key, &left);
    }
    events
}

/// The deposit locked for a keyset, if any.
pub fn keyset_deposit<S: Store + ?Sized>(store: &S, keyset: u64) -> Option<Deposit> {
    read(store, &key("deposit/keyset", &keyset.to_be_bytes()))
}

/// Every unit of the native denom the chain holds: balances, bonds, unbonding amounts, the fee
/// pool and locked deposits (keysets' and proposals'). Only genesis creates units and only
/// slashing and vetoed proposals burn them; every
/// other operation moves them (an invariant the tests check and auditors can recompute).
pub fn total_supply<S: Store + ?Sized>(store: &S) -> u128 {
    let sum = |section: &str| -> u128 {
        store.scan_prefix(&key(section, b"")).iter().filter_map(|(_, v)| postcard::from_bytes::<Deposit>(v).ok()).map(|d| d.amount).fold(0u128, u128::saturating_add)
    };
    let balances = accounts::all_accounts(store).iter().map(|(_, a)| a.balance).fold(0u128, u128::saturating_add);
    let bonds = crate::staking::validators(store).iter().map(|v| v.bond).fold(0u128, u128::saturating_add);
    let unbonding = store.scan_prefix(&key("unbonding", b"")).iter().filter_map(|(_, v)| postcard::from_bytes::<u128>(v).ok()).fold(0u128, u128::saturating_add);
    let pool = read::<u128, _>(store, &key("fee_pool", b"")).unwrap_or(0);
    let proposals = store.scan_prefix(&key("gov_deposit", b"")).iter().filter_map(|(_, v)| postcard::from_bytes::<u128>(v).ok()).fold(0u128, u128::saturating_add);
    [balances, bonds, unbonding, pool, sum("deposit/request"), sum("deposit/keyset"), proposals].into_iter().fold(0u128, u128::saturating_add)
}
