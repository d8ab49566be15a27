//! Accounts and the other records the chain keeps, through the engine's key-value [`Store`]
//! (under `app/`), so the node's store and its app hash see every change.

use crate::address::Address;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tss_engine::Store;

/// Storage prefix of everything the chain state machine owns.
pub const PREFIX: &[u8] = b"app/";

/// An account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Balance in the native denom.
    pub balance: u128,
    /// Committed transactions (the next transaction's sequence).
    pub sequence: u64,
}

/// A deposit locked for a keyset: while its creation runs (by request), then by keyset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// Who paid it (and gets it back).
    pub owner: Address,
    /// How much.
    pub amount: u128,
}

pub(crate) fn key(section: &str, id: &[u8]) -> Vec<u8> {
    let mut k = PREFIX.to_vec();
    k.extend_from_slice(section.as_bytes());
    k.push(b'/');
    k.extend_from_slice(id);
    k
}

pub(crate) fn read<T: DeserializeOwned, S: Store + ?Sized>(store: &S, k: &[u8]) -> Option<T> {
    store.get(k).and_then(|v| postcard::from_bytes(&v).ok())
}

pub(crate) fn write<T: Serialize, S: Store + ?Sized>(store: &mut S, k: &[u8], v: &T) {
    store.put(k, postcard::to_allocvec(v).unwrap_or_default());
}

/// An account (a default, empty one if it never received anything).
pub fn account<S: Store + ?Sized>(store: &S, address: &Address) -> Account {
    read(store, &key("account", &address.0)).unwrap_or_default()
}

/// Writes an account (an empty one is removed).
pub fn set_account<S: Store + ?Sized>(store: &mut S, address: &Address, account: &Account) {
    let k = key("account", &address.0);
    if *account == Account::default() {
        store.delete(&k);
    } else {
        write(store, &k, account);
    }
}

/// Every account with a record, in address order.
pub fn all_accounts<S: Store + ?Sized>(store: &S) -> Vec<(Address, Account)> {
    let prefix = key("account", b"");
    store
        .scan_prefix(&prefix)
        .into_iter()
        .filter_map(|(k, v)| Some((Address::from_slice(k.get(prefix.len()..)?).ok()?, postcard::from_bytes(&v).ok()?)))
        .collect()
}
