//! Helpers for the scenario tests.
#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use tss_engine::types::{Callback, Event, Outcome, Request, RequestInput};
use tss_sim::Network;

pub fn init_logs() {
    let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_test_writer().try_init();
}

pub fn sign_request(requester: &[u8], keyset: u64, message: &[u8], context: Option<&[u8]>) -> RequestInput {
    RequestInput { requester: requester.to_vec(), request: Request::Sign { keyset, message: message.to_vec(), context: context.map(<[u8]>::to_vec) } }
}

/// The callback for a request, with the height it arrived in.
pub fn callback(net: &Network, request: u64) -> Option<(u64, Callback)> {
    net.callbacks().find(|(_, c)| c.request == request).map(|(h, c)| (h, c.clone()))
}

/// The id the engine gave to the `index`-th request submitted at `height`.
pub fn request_id(net: &Network, height: u64, index: usize) -> u64 {
    net.outputs.iter().find(|(h, _)| *h == height).map(|(_, o)| o.request_ids[index]).unwrap()
}

pub fn verifies(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(vk) = ed25519_dalek::VerifyingKey::from_bytes(public_key) else { return false };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else { return false };
    vk.verify_strict(message, &sig).is_ok()
}

/// Asserts a signature callback verifies and returns the key it verifies under.
pub fn expect_signature(net: &Network, request: u64, message: &[u8]) -> [u8; 32] {
    let (_, cb) = callback(net, request).unwrap_or_else(|| panic!("no callback for request {request}"));
    match cb.outcome {
        Outcome::Signature { signature, public_key } => {
            assert!(verifies(&public_key, message, &signature), "signature for request {request} does not verify");
            public_key
        }
        other => panic!("request {request} ended with {other:?}"),
    }
}

pub fn completed_sessions(net: &Network, kind: &str) -> usize {
    let started: Vec<u64> = net.events().filter_map(|(_, e)| match e {
        Event::SessionStarted { session, kind: k, .. } if k == kind => Some(*session),
        _ => None,
    }).collect();
    net.events().filter(|(_, e)| matches!(e, Event::SessionCompleted { session, .. } if started.contains(session))).count()
}

pub fn blamed(net: &Network, address: &[u8]) -> Vec<tss_engine::types::BlameReason> {
    net.events().filter_map(|(_, e)| match e {
        Event::Blame { validator, reason } if validator == address => Some(*reason),
        _ => None,
    }).collect()
}
