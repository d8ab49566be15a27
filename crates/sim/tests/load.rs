//! Key custody under request load: a backlog of signature shares larger than an extension does
//! not delay the epoch's refresh, because a validator adds its session items (dealings,
//! verdicts) before the shares of the requests they serve.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use tss_engine::types::Event;
use tss_engine::Params;
use tss_sim::{Network, SimConfig};

#[test]
fn a_signing_backlog_does_not_delay_a_refresh() {
    init_logs();
    // The smallest extension the parameters allow (16 KiB, about 330 signature shares), deep
    // nonce pools, and a refresh every 8 blocks.
    let params = Params { epoch_length: 8, extension_budget: 16 * 1024, nonce_pool_target: 4096, nonce_batch: 256, ..Params::default() };
    let mut net = Network::new(SimConfig { params, shared_state: true, ..SimConfig::new(4, 21) });
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap(), "genesis DKG");
    // Fill every pool before the load, so that shares, not nonces, are what the signers lack
    // room for.
    assert!(net.run_until(40, |n| n.state().nonces.values().all(|p| p.len() >= 3000)).unwrap(), "nonce pools filled");

    // 500 signature requests per block for 12 blocks: each validator signs about 375 a block,
    // more than fits, so every extension of the window is full of shares and a backlog grows.
    let start = net.height + 1;
    for h in start..start + 12 {
        for i in 0..500u32 {
            net.at(h).requests.push(sign_request(b"load", 0, format!("{h}/{i}").as_bytes(), None));
        }
    }
    net.run(14).unwrap();

    let refreshes: Vec<(u64, u64)> = net
        .events()
        .filter_map(|(h, e)| match e {
            Event::SessionCompleted { blocks, .. } if h > start => Some((h, *blocks)),
            _ => None,
        })
        .collect();
    assert!(!refreshes.is_empty(), "a refresh ran during the load");
    for (h, blocks) in &refreshes {
        assert!(*blocks <= 3, "the refresh completing at {h} took {blocks} blocks under load");
    }
    assert!(!net.events().any(|(_, e)| matches!(e, Event::SessionFailed { .. })), "no session failed");
    // The load was real: extensions were full and signatures kept completing.
    let signed = net.callbacks().filter(|(h, _)| *h > start).count();
    assert!(signed > 1000, "{signed} signatures completed in the window");
}
