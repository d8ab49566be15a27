//! Batched public decryption when one block brings fewer than `t` valid batches: two byzantine
//! holders send bad proofs and one honest holder is offline for the first share round. The valid
//! shares are kept as verified points, the missing holder's batch comes two heights later (its
//! schedule is `s+1`, `s+3`, ...), and the same attempt opens the ciphertext. n = 7, t = 5.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use rand_chacha::rand_core::SeedableRng;
use tss_crypto::encrypt::{encrypt, owned_label, EncryptionKey};
use tss_crypto::Encode;
use tss_engine::types::{BlameReason, Delivery, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Behavior, Network, SimConfig};

const BYZANTINE: [usize; 2] = [2, 5];
const OFFLINE: usize = 0;

#[test]
fn n7_shares_kept_from_a_short_block_complete_the_same_attempt() {
    init_logs();
    let params = Params { request_timeout: 4, epoch_length: 1000, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(7, 61) });
    for b in BYZANTINE {
        net.nodes[b].behavior = Behavior::WrongDecryptionShare;
    }
    assert!(net.run_until(14, |n| n.network_key().is_some()).unwrap(), "genesis DKG completes");
    net.run(2).unwrap();
    let key = EncryptionKey::from_bytes(net.network_key().unwrap(), 0).unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let ct = encrypt(&key, &owned_label(b"bob", b"/kept").unwrap(), b"opened late", &mut rng).unwrap().to_bytes();
    let h = net.height + 1;
    net.at(h).requests.push(RequestInput { requester: b"bob".to_vec(), request: Request::Decrypt { keyset: 0, ciphertext: ct, delivery: Delivery::Public } });
    // The first share round is ExtendVote(h+1): six extensions (a quorum), four valid batches.
    net.set_offline(OFFLINE, h + 1, h + 1);
    net.run(3).unwrap();
    let id = request_id(&net, h, 0);
    assert!(callback(&net, id).is_none(), "four valid shares of five needed cannot open it");
    let attempt = net.state().requests[&id].attempt.clone().unwrap();
    assert_eq!((attempt.number, attempt.shares.len()), (1, 4), "the four verified shares are kept in the first attempt");

    net.run(2).unwrap();
    let (at, cb) = callback(&net, id).expect("the offline holder's batch completes it");
    assert_eq!(at, h + 4);
    assert_eq!(cb.outcome, Outcome::Plaintext(b"opened late".to_vec()));
    for b in BYZANTINE {
        assert!(blamed(&net, &net.nodes[b].address).contains(&BlameReason::InvalidDecryptionShare), "byzantine holder {b} not blamed");
    }
    for (i, node) in net.nodes.iter().enumerate() {
        if !BYZANTINE.contains(&i) {
            assert!(!blamed(&net, &node.address).contains(&BlameReason::InvalidDecryptionShare), "honest holder {i} blamed");
        }
    }
}
