//! Restores arbitrary bytes as the validator's local secret store
//! (`tss_engine::LocalSecrets::from_bytes`, without engine state: the file is attacker-controlled
//! and may be read before any state exists). Must never panic. A restored store, serialized
//! again with `to_bytes`, must restore too, to a store holding the same epochs, the same number
//! of unspent nonces, the same address and the same transport key.
//!
//! The store is not required to be canonical (its serialization may differ from the input), only
//! stable from the first restore on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tss_engine::LocalSecrets;

fuzz_target!(|data: &[u8]| {
    let Ok(first) = LocalSecrets::from_bytes(data, None) else {
        return;
    };
    let encoded = first.to_bytes();
    let second = LocalSecrets::from_bytes(&encoded, None).unwrap_or_else(|e| {
        panic!("the serialization of a restored store does not restore: {e}")
    });
    assert_eq!(
        first.held_epochs(),
        second.held_epochs(),
        "held epochs changed across to_bytes/from_bytes"
    );
    assert_eq!(
        first.unspent_nonces(),
        second.unspent_nonces(),
        "unspent nonces changed across to_bytes/from_bytes"
    );
    assert_eq!(
        first.address(),
        second.address(),
        "address changed across to_bytes/from_bytes"
    );
    assert_eq!(
        first.transport_public(),
        second.transport_public(),
        "transport key changed across to_bytes/from_bytes"
    );
});
