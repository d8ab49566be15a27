//! Engine results as the `sudo` message a contract receives.

use crate::state::RequestRecord;
use cosmwasm_std::Binary;
use tss_bindings::{Reencrypted, TssSudoMsg};
use tss_engine::types::{Callback, Outcome};

/// The `sudo` message for `cb`, a callback to the contract that made `record`'s request.
pub fn sudo_msg(cb: &Callback, record: &RequestRecord) -> TssSudoMsg {
    let request_id = cb.request;
    let bin = |b: &[u8]| Binary::from(b.to_vec());
    match &cb.outcome {
        Outcome::KeysetReady { keyset, public_key } => TssSudoMsg::KeySetReady { request_id, key_set_id: *keyset, public_key: bin(public_key) },
        Outcome::KeysetDeleted { keyset } => TssSudoMsg::KeySetDeleted { request_id, key_set_id: *keyset },
        Outcome::Signature { signature, public_key } => {
            TssSudoMsg::SignatureReady { request_id, key_set_id: record.key_set_id, public_key: bin(public_key), message: bin(&record.message), signature: bin(signature) }
        }
        Outcome::Plaintext(p) => TssSudoMsg::DecryptionReady { request_id, plaintext: Some(bin(p)), reencrypted: None },
        Outcome::Reencrypted { u, v } => TssSudoMsg::DecryptionReady { request_id, plaintext: None, reencrypted: Some(Reencrypted { u: bin(u), v: bin(v) }) },
        Outcome::Failed { reason } => TssSudoMsg::RequestFailed { request_id, reason: reason.clone() },
    }
}
