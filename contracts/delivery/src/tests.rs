//! The delivery contract driven through its entry points, with a stand-in for the engine that
//! accepts each decryption sub-message, numbering requests from 1.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::marker::PhantomData;

use cosmwasm_std::testing::{message_info, mock_env, MockApi, MockQuerier, MockStorage};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Api, Binary, CosmosMsg, Env, MsgResponse, Order, OwnedDeps, Reply, Response,
    Storage, SubMsgResponse, SubMsgResult,
};
use tss_bindings::{ciphertext_label, Reencrypted, RequestSubmitted, TssMsg, TssQuery, TssSudoMsg};

use crate::contract::{execute, instantiate, migrate, query, reply, sudo};
use crate::delivering::PLAINTEXT_REFUSED;
use crate::msg::{DeliveryResponse, ExecuteMsg, InstantiateMsg, ItemResponse, MigrateMsg, QueryMsg, MAX_OPEN_REQUESTS};
use crate::ContractError;

type TestDeps = OwnedDeps<MockStorage, MockApi, MockQuerier<TssQuery>, TssQuery>;

struct Chain {
    deps: TestDeps,
    next_request: u64,
    /// Accepted requests: (request id, ciphertext, transport key).
    asked: Vec<(u64, Binary, Binary)>,
}

impl Chain {
    fn new() -> Self {
        let deps = OwnedDeps {
            storage: MockStorage::default(),
            api: MockApi::default().with_prefix("mpc"),
            querier: MockQuerier::<TssQuery>::new(&[]),
            custom_query_type: PhantomData,
        };
        let mut chain = Chain { deps, next_request: 1, asked: vec![] };
        let (env, info) = (chain.env(), message_info(&chain.addr("admin"), &[]));
        instantiate(chain.deps.as_mut(), env, info, InstantiateMsg {}).unwrap();
        chain
    }

    fn addr(&self, name: &str) -> Addr {
        self.deps.api.addr_make(name)
    }

    fn env(&self) -> Env {
        let mut env = mock_env();
        env.contract.address = self.addr("delivery");
        env
    }

    /// What a seller encrypts: the right label around `secret`.
    fn sealed(&self, seller: &Addr, secret: &[u8]) -> Binary {
        let contract = self.deps.api.addr_canonicalize(self.env().contract.address.as_str()).unwrap();
        let purpose = [b"item:".as_slice(), seller.as_str().as_bytes()].concat();
        let label = ciphertext_label(contract.as_slice(), &purpose).unwrap();
        Binary::from(tss_bindings::testing::layout(&label, &[secret, &[0xee; 16]].concat()))
    }

    fn exec(&mut self, who: &str, msg: ExecuteMsg) -> Result<Response<TssMsg>, ContractError> {
        let (env, info) = (self.env(), message_info(&self.addr(who), &[]));
        let res = execute(self.deps.as_mut(), env, info, msg)?;
        for sub in &res.messages {
            let CosmosMsg::Custom(TssMsg::RequestDecryption { key_set_id: None, ciphertext, reencrypt_to: Some(key) }) = &sub.msg
            else {
                panic!("unexpected message {:?}", sub.msg)
            };
            let request_id = self.next_request;
            self.next_request += 1;
            let value = to_json_binary(&RequestSubmitted { request_id, key_set_id: None }).unwrap();
            #[allow(deprecated)]
            let result = SubMsgResult::Ok(SubMsgResponse {
                events: vec![],
                data: Some(value.clone()),
                msg_responses: vec![MsgResponse { type_url: "/tss.v1.MsgRequestResponse".into(), value }],
            });
            let env = self.env();
            reply(self.deps.as_mut(), env, Reply { id: sub.id, payload: Binary::default(), gas_used: 0, result }).unwrap();
            self.asked.push((request_id, ciphertext.clone(), key.clone()));
        }
        Ok(res)
    }

    /// Seller Sam offers `secret` and allows Bea; returns the item id.
    fn offered(&mut self, secret: &[u8]) -> u64 {
        let ciphertext = self.sealed(&self.addr("sam"), secret);
        let res = self.exec("sam", ExecuteMsg::Offer { ciphertext, description: "the key to lot 7".into() }).unwrap();
        let id: u64 = from_json(res.data.unwrap()).unwrap();
        let buyer = self.addr("bea").to_string();
        self.exec("sam", ExecuteMsg::Allow { item_id: id, buyer }).unwrap();
        id
    }

    fn callback(&mut self, msg: TssSudoMsg) -> Response<TssMsg> {
        let env = self.env();
        sudo(self.deps.as_mut(), env, msg).unwrap()
    }

    fn delivery(&self, item_id: u64, buyer: &str) -> DeliveryResponse {
        let q = QueryMsg::Delivery { item_id, buyer: self.addr(buyer).to_string() };
        from_json(query(self.deps.as_ref(), self.env(), q).unwrap()).unwrap()
    }

    /// Every value in the contract's storage.
    fn stored_values(&self) -> Vec<Vec<u8>> {
        self.deps.storage.range(None, None, Order::Ascending).map(|(_, v)| v).collect()
    }
}

fn transport_key() -> Binary {
    Binary::from([0x42u8; 32])
}

fn reencrypted() -> Reencrypted {
    Reencrypted { u: Binary::from([1u8; 32]), v: Binary::from([2u8; 32]) }
}

fn attr<'a>(res: &'a Response<TssMsg>, key: &str) -> Option<&'a str> {
    res.attributes.iter().find(|a| a.key == key).map(|a| a.value.as_str())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_allowed_buyer_gets_the_item_re_encrypted_to_their_transport_key() {
    let mut chain = Chain::new();
    let id = chain.offered(b"the secret");
    let item: ItemResponse = from_json(query(chain.deps.as_ref(), chain.env(), QueryMsg::Item { id }).unwrap()).unwrap();
    assert_eq!((item.seller, item.description.as_str()), (chain.addr("sam").to_string(), "the key to lot 7"));
    assert_eq!(chain.delivery(id, "bea").status, "allowed");

    chain.exec("bea", ExecuteMsg::Request { item_id: id, transport_key: transport_key() }).unwrap();
    assert_eq!(chain.asked, vec![(1, item.ciphertext, transport_key())]);
    assert_eq!(chain.delivery(id, "bea").status, "pending");

    let res = chain.callback(TssSudoMsg::DecryptionReady { request_id: 1, plaintext: None, reencrypted: Some(reencrypted()) });
    assert_eq!(attr(&res, "status"), Some("delivered"));
    let d = chain.delivery(id, "bea");
    assert_eq!(d.status, "delivered");
    assert_eq!((d.u, d.v), (Some(reencrypted().u), Some(reencrypted().v)));
    assert_eq!(d.transport_key, Some(transport_key()));
}

#[test]
fn a_buyer_the_seller_did_not_allow_is_refused() {
    let mut chain = Chain::new();
    let id = chain.offered(b"s");
    let request = ExecuteMsg::Request { item_id: id, transport_key: transport_key() };
    assert!(matches!(chain.exec("eve", request), Err(ContractError::NotAllowed { .. })));
    let eve = chain.addr("eve").to_string();
    assert!(matches!(
        chain.exec("eve", ExecuteMsg::Allow { item_id: id, buyer: eve.clone() }),
        Err(ContractError::NotTheSeller { .. })
    ));
    assert!(matches!(chain.exec("bea", ExecuteMsg::Allow { item_id: id, buyer: eve }), Err(ContractError::NotTheSeller { .. })));
    let request = ExecuteMsg::Request { item_id: 99, transport_key: transport_key() };
    assert!(matches!(chain.exec("bea", request), Err(ContractError::NoItem { id: 99 })));
    assert!(chain.asked.is_empty());
    assert_eq!(chain.delivery(id, "eve").status, "none");
}

#[test]
fn a_plaintext_callback_is_refused_and_never_stored_or_emitted() {
    let mut chain = Chain::new();
    let id = chain.offered(b"s");
    chain.exec("bea", ExecuteMsg::Request { item_id: id, transport_key: transport_key() }).unwrap();
    let leaked = b"the plaintext of the item".to_vec();
    let res = chain.callback(TssSudoMsg::DecryptionReady {
        request_id: 1,
        plaintext: Some(Binary::from(leaked.clone())),
        reencrypted: Some(reencrypted()),
    });
    assert_eq!(attr(&res, "error"), Some(PLAINTEXT_REFUSED));
    assert!(res.attributes.iter().all(|a| !a.value.contains("plaintext of")));
    assert!(res.data.is_none() && res.events.is_empty() && res.messages.is_empty());
    let d = chain.delivery(id, "bea");
    assert_eq!((d.status.as_str(), d.reason.as_deref(), d.u), ("failed", Some(PLAINTEXT_REFUSED), None));
    assert!(chain.stored_values().iter().all(|v| !contains(v, &leaked)));
    // The buyer may ask again.
    chain.exec("bea", ExecuteMsg::Request { item_id: id, transport_key: transport_key() }).unwrap();
    assert_eq!(chain.delivery(id, "bea").status, "pending");
}

#[test]
fn a_callback_for_an_unknown_request_is_ignored() {
    let mut chain = Chain::new();
    let id = chain.offered(b"s");
    chain.exec("bea", ExecuteMsg::Request { item_id: id, transport_key: transport_key() }).unwrap();
    let res = chain.callback(TssSudoMsg::DecryptionReady { request_id: 5, plaintext: None, reencrypted: Some(reencrypted()) });
    assert_eq!(attr(&res, "ignored"), Some("unknown request"));
    let res = chain.callback(TssSudoMsg::KeySetDeleted { request_id: 1, key_set_id: 3 });
    assert_eq!(attr(&res, "ignored"), Some("not a decryption callback"));
    assert_eq!(chain.delivery(id, "bea").status, "pending");
    chain.callback(TssSudoMsg::RequestFailed { request_id: 1, reason: "invalid input".into() });
    let d = chain.delivery(id, "bea");
    assert_eq!((d.status.as_str(), d.reason.as_deref()), ("failed", Some("invalid input")));
    // A second answer to the same request changes nothing.
    let res = chain.callback(TssSudoMsg::DecryptionReady { request_id: 1, plaintext: None, reencrypted: Some(reencrypted()) });
    assert_eq!(attr(&res, "ignored"), Some("unknown request"));
    assert_eq!(chain.delivery(id, "bea").status, "failed");
}

#[test]
fn a_copied_or_malformed_ciphertext_is_not_offered() {
    let mut chain = Chain::new();
    let sams = chain.sealed(&chain.addr("sam"), b"s");
    let copy = ExecuteMsg::Offer { ciphertext: sams, description: "mine now".into() };
    assert!(matches!(chain.exec("eve", copy), Err(ContractError::WrongLabel { .. })));
    let junk = ExecuteMsg::Offer { ciphertext: Binary::from(b"junk".as_slice()), description: String::new() };
    assert!(matches!(chain.exec("eve", junk), Err(ContractError::MalformedCiphertext)));
    let long = ExecuteMsg::Offer { ciphertext: chain.sealed(&chain.addr("eve"), b"s"), description: "d".repeat(257) };
    assert!(matches!(chain.exec("eve", long), Err(ContractError::DescriptionTooLong { .. })));
}

#[test]
fn a_transport_key_must_be_32_bytes_and_one_request_at_a_time() {
    let mut chain = Chain::new();
    let id = chain.offered(b"s");
    let short = ExecuteMsg::Request { item_id: id, transport_key: Binary::from([1u8; 31]) };
    assert!(matches!(chain.exec("bea", short), Err(ContractError::TransportKeyLength { len: 31 })));
    chain.exec("bea", ExecuteMsg::Request { item_id: id, transport_key: transport_key() }).unwrap();
    let again = ExecuteMsg::Request { item_id: id, transport_key: transport_key() };
    assert!(matches!(chain.exec("bea", again), Err(ContractError::AlreadyRequested { .. })));
    chain.callback(TssSudoMsg::DecryptionReady { request_id: 1, plaintext: None, reencrypted: Some(reencrypted()) });
    let new_key = Binary::from([7u8; 32]);
    chain.exec("bea", ExecuteMsg::Request { item_id: id, transport_key: new_key.clone() }).unwrap();
    assert_eq!(chain.delivery(id, "bea").transport_key, Some(new_key));
}

#[test]
fn a_result_without_a_32_byte_u_and_v_is_a_failure() {
    let mut chain = Chain::new();
    let id = chain.offered(b"s");
    chain.exec("bea", ExecuteMsg::Request { item_id: id, transport_key: transport_key() }).unwrap();
    let bad = Reencrypted { u: Binary::from([1u8; 31]), v: Binary::from([2u8; 32]) };
    chain.callback(TssSudoMsg::DecryptionReady { request_id: 1, plaintext: None, reencrypted: Some(bad) });
    assert_eq!(chain.delivery(id, "bea").status, "failed");
}

#[test]
fn at_most_64_deliveries_are_under_way_at_once() {
    let mut chain = Chain::new();
    let id = chain.offered(b"s");
    for i in 0..=MAX_OPEN_REQUESTS {
        let buyer = format!("buyer{i}");
        let addr = chain.addr(&buyer).to_string();
        chain.exec("sam", ExecuteMsg::Allow { item_id: id, buyer: addr }).unwrap();
        let res = chain.exec(&buyer, ExecuteMsg::Request { item_id: id, transport_key: transport_key() });
        if i < MAX_OPEN_REQUESTS {
            res.unwrap();
        } else {
            assert!(matches!(res, Err(ContractError::TooManyOpen { max: 64 })));
        }
    }
    chain.callback(TssSudoMsg::RequestFailed { request_id: 1, reason: "x".into() });
    chain.exec("buyer64", ExecuteMsg::Request { item_id: id, transport_key: transport_key() }).unwrap();
}

#[test]
fn migrate_accepts_an_empty_message() {
    let mut chain = Chain::new();
    let env = chain.env();
    migrate(chain.deps.as_mut(), env, from_json::<MigrateMsg>(b"{}").unwrap()).unwrap();
    assert!(from_json::<MigrateMsg>(br#"{"x":1}"#).is_err());
}

#[test]
fn every_message_in_the_readme_flow_is_one_the_contract_parses() {
    let checked = tss_bindings::testing::readme_messages_parse::<InstantiateMsg, ExecuteMsg, QueryMsg>(include_str!("../README.md"));
    assert!(checked.as_ref().is_ok_and(|n| *n >= 4), "{checked:?}");
}
