//! A keyset's owner deletes it: a request still pending on it fails, a stranger cannot delete
//! it, its refreshes stop, every validator erases its shares, and later requests are refused.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use tss_engine::types::{Event, Outcome, Request, RequestInput};
use tss_engine::Params;
use tss_sim::{Network, SimConfig};

#[test]
fn an_owner_deletes_its_keyset_and_every_share_of_it_is_erased() {
    init_logs();
    let params = Params { epoch_length: 10, ..Params::default() };
    let mut net = Network::new(SimConfig { params, ..SimConfig::new(4, 71) });
    assert!(net.run_until(10, |n| n.network_key().is_some()).unwrap());
    let h = net.height + 1;
    net.at(h).requests.push(RequestInput { requester: b"owner".to_vec(), request: Request::CreateKeyset { threshold: None } });
    net.run(5).unwrap();
    let Outcome::KeysetReady { keyset, .. } = callback(&net, request_id(&net, h, 0)).unwrap().1.outcome else { panic!("no keyset") };
    assert!(net.nodes.iter().all(|n| n.local.held_epochs().iter().any(|(k, _, _)| *k == keyset)));

    // A stranger cannot delete it; a signature is pending when the owner does.
    let h = net.height + 1;
    net.at(h).requests.push(RequestInput { requester: b"stranger".to_vec(), request: Request::DeleteKeyset { keyset } });
    net.at(h).requests.push(sign_request(b"owner", keyset, b"pending", None));
    net.at(h).requests.push(RequestInput { requester: b"owner".to_vec(), request: Request::DeleteKeyset { keyset } });
    net.run(3).unwrap();
    assert!(matches!(callback(&net, request_id(&net, h, 0)).unwrap().1.outcome, Outcome::Failed { reason } if reason.contains("not the requester's")));
    assert!(matches!(callback(&net, request_id(&net, h, 1)).unwrap().1.outcome, Outcome::Failed { reason } if reason.contains("deleted")));
    assert_eq!(callback(&net, request_id(&net, h, 2)).unwrap().1.outcome, Outcome::KeysetDeleted { keyset });

    // Gone from state, from every validator's store, and from the refreshes.
    net.run(25).unwrap();
    assert!(!net.state().keysets.contains_key(&keyset));
    for (i, n) in net.nodes.iter().enumerate() {
        assert!(!n.local.held_epochs().iter().any(|(k, _, _)| *k == keyset), "validator {i} still holds a share of the deleted keyset");
    }
    let refreshed_after = net.events().filter(|(at, e)| *at > h && matches!(e, Event::SessionStarted { keyset: k, .. } if *k == keyset)).count();
    assert_eq!(refreshed_after, 0);
    let h = net.height + 1;
    net.at(h).requests.push(sign_request(b"owner", keyset, b"late", None));
    net.run(2).unwrap();
    assert!(matches!(callback(&net, request_id(&net, h, 0)).unwrap().1.outcome, Outcome::Failed { reason } if reason.contains("no keyset")));
}
