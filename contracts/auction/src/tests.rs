//! The auction driven through its entry points, with a stand-in for the engine: it accepts
//! each decryption sub-message (the reply a host gives), numbering requests from 1, and
//! "decrypts" the test ciphertexts, whose body is the plaintext followed by a 16-byte tag.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::marker::PhantomData;

use cosmwasm_std::testing::{message_info, mock_env, MockApi, MockQuerier, MockStorage};
use cosmwasm_std::{
    from_json, Api, to_json_binary, Addr, Binary, CosmosMsg, Env, MsgResponse, OwnedDeps, Reply, Response, SubMsgResponse,
    SubMsgResult, Uint128,
};
use tss_bindings::{ciphertext_label, RequestSubmitted, TssMsg, TssQuery, TssSudoMsg};

use crate::contract::{execute, instantiate, migrate, query, reply, sudo};
use crate::msg::{BidsResponse, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, ResultResponse, MAX_BIDS, MAX_IN_FLIGHT};
use crate::ContractError;

type TestDeps = OwnedDeps<MockStorage, MockApi, MockQuerier<TssQuery>, TssQuery>;

const END: u64 = 120;

struct Chain {
    deps: TestDeps,
    next_request: u64,
    /// Accepted requests not yet answered: (request id, ciphertext).
    open: Vec<(u64, Binary)>,
}

impl Chain {
    fn new() -> Self {
        let deps = OwnedDeps {
            storage: MockStorage::default(),
            api: MockApi::default().with_prefix("mpc"),
            querier: MockQuerier::<TssQuery>::new(&[]),
            custom_query_type: PhantomData,
        };
        let mut chain = Chain { deps, next_request: 1, open: Vec::new() };
        let msg = InstantiateMsg { description: "lot 7".into(), end_height: END };
        let (info, env) = (message_info(&chain.addr("alice"), &[]), chain.env(100));
        instantiate(chain.deps.as_mut(), env, info, msg).unwrap();
        chain
    }

    fn addr(&self, name: &str) -> Addr {
        self.deps.api.addr_make(name)
    }

    fn env(&self, height: u64) -> Env {
        let mut env = mock_env();
        env.block.height = height;
        env.contract.address = self.addr("auction");
        env
    }

    /// What a client encrypts for `bidder`: the right label, the plaintext as the body.
    fn sealed(&self, bidder: &Addr, plaintext: &[u8]) -> Binary {
        let contract = self.deps.api.addr_canonicalize(self.env(0).contract.address.as_str()).unwrap();
        let purpose = [b"bid:".as_slice(), bidder.as_str().as_bytes()].concat();
        let label = ciphertext_label(contract.as_slice(), &purpose).unwrap();
        ciphertext(&label, plaintext)
    }

    fn bid(&mut self, name: &str, plaintext: &[u8], height: u64) -> Result<Response<TssMsg>, ContractError> {
        let bidder = self.addr(name);
        let ciphertext = self.sealed(&bidder, plaintext);
        self.bid_raw(&bidder, ciphertext, height)
    }

    fn bid_raw(&mut self, bidder: &Addr, ciphertext: Binary, height: u64) -> Result<Response<TssMsg>, ContractError> {
        let env = self.env(height);
        execute(self.deps.as_mut(), env, message_info(bidder, &[]), ExecuteMsg::Bid { ciphertext })
    }

    /// `close {}` by Bob; its requests are left for the caller to accept or refuse.
    fn close_unaccepted(&mut self, height: u64) -> Result<Response<TssMsg>, ContractError> {
        let (env, info) = (self.env(height), message_info(&self.addr("bob"), &[]));
        execute(self.deps.as_mut(), env, info, ExecuteMsg::Close {})
    }

    fn close(&mut self, height: u64) -> Result<Response<TssMsg>, ContractError> {
        let res = self.close_unaccepted(height)?;
        self.accept(&res);
        Ok(res)
    }

    /// The host refuses sub-message `id` outright.
    fn refuse(&mut self, id: u64, error: &str) -> Response<TssMsg> {
        let refused = Reply { id, payload: Binary::default(), gas_used: 0, result: SubMsgResult::Err(error.into()) };
        let env = self.env(END);
        reply(self.deps.as_mut(), env, refused).unwrap()
    }

    /// The host: every decryption sub-message is accepted and answered in `reply`.
    fn accept(&mut self, res: &Response<TssMsg>) {
        for sub in &res.messages {
            let CosmosMsg::Custom(TssMsg::RequestDecryption { ciphertext, reencrypt_to: None, key_set_id: None }) = &sub.msg
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
            let env = self.env(END);
            reply(self.deps.as_mut(), env, Reply { id: sub.id, payload: Binary::default(), gas_used: 0, result }).unwrap();
            self.open.push((request_id, ciphertext.clone()));
        }
    }

    fn callback(&mut self, msg: TssSudoMsg) -> Response<TssMsg> {
        let env = self.env(END + 1);
        let res = sudo(self.deps.as_mut(), env, msg).unwrap();
        self.accept(&res);
        res
    }

    /// Answers the oldest open request with its "decryption".
    fn decrypt_next(&mut self) -> Response<TssMsg> {
        let (request_id, ct) = self.open.remove(0);
        let body = &ct.as_slice()[ct.len() - (plaintext_len(&ct) + 16)..];
        let plaintext = Binary::from(&body[..body.len() - 16]);
        self.callback(TssSudoMsg::DecryptionReady { request_id, plaintext: Some(plaintext), reencrypted: None })
    }

    fn result(&self) -> ResultResponse {
        self.result_at(END + 5)
    }

    fn result_at(&self, height: u64) -> ResultResponse {
        from_json(query(self.deps.as_ref(), self.env(height), QueryMsg::Result {}).unwrap()).unwrap()
    }

    fn bids(&self) -> BidsResponse {
        let q = QueryMsg::Bids { start_after: None, limit: None };
        from_json(query(self.deps.as_ref(), self.env(END + 5), q).unwrap()).unwrap()
    }

    fn bid_of(&self, name: &str) -> crate::msg::BidView {
        let addr = self.addr(name).to_string();
        self.bids().bids.into_iter().find(|b| b.bidder == addr).unwrap()
    }
}

/// A ciphertext with the version-1 layout whose body is `plaintext` and a 16-byte tag.
fn ciphertext(label: &[u8], plaintext: &[u8]) -> Binary {
    Binary::from(tss_bindings::testing::layout(label, &[plaintext, &[0xee; 16]].concat()))
}

fn plaintext_len(ct: &[u8]) -> usize {
    let label_len = usize::try_from(u32::from_be_bytes(ct[38..42].try_into().unwrap())).unwrap();
    let at = 42 + label_len + 64;
    usize::try_from(u32::from_be_bytes(ct[at..at + 4].try_into().unwrap())).unwrap() - 16
}

fn attr<'a>(res: &'a Response<TssMsg>, key: &str) -> Option<&'a str> {
    res.attributes.iter().find(|a| a.key == key).map(|a| a.value.as_str())
}

#[test]
fn highest_bid_wins_and_the_closing_callback_names_it() {
    let mut chain = Chain::new();
    chain.bid("carol", b"1500", 101).unwrap();
    chain.bid("dave", b"2500", 102).unwrap();
    chain.bid("erin", b"900", 119).unwrap();
    assert_eq!(chain.result_at(119).status, "bidding");
    assert_eq!(chain.result_at(END).status, "ended");
    let close = chain.close(END).unwrap();
    assert_eq!(close.messages.len(), 3);
    assert_eq!(chain.result().status, "closing");
    assert_eq!(chain.bid_of("dave").status, "pending");
    chain.decrypt_next();
    chain.decrypt_next();
    let last = chain.decrypt_next();
    assert_eq!(attr(&last, "winner"), Some(chain.addr("dave").as_str()));
    assert_eq!(attr(&last, "amount"), Some("2500"));
    let result = chain.result();
    assert_eq!(result.status, "closed");
    assert_eq!(result.winner.as_deref(), Some(chain.addr("dave").as_str()));
    assert_eq!(result.amount, Some(Uint128::new(2500)));
    assert_eq!((result.bids, result.opened, result.excluded), (3, 3, 0));
    assert_eq!(chain.bid_of("carol").amount, Some(Uint128::new(1500)));
    assert!(matches!(chain.close(END + 9), Err(ContractError::AlreadyClosed)));
}

#[test]
fn a_bid_at_or_after_the_end_height_is_refused() {
    let mut chain = Chain::new();
    assert!(matches!(chain.bid("carol", b"1", END), Err(ContractError::BiddingEnded { end_height: END })));
    assert!(matches!(chain.bid("carol", b"1", END + 50), Err(ContractError::BiddingEnded { .. })));
    chain.bid("carol", b"1", END - 1).unwrap();
    assert_eq!(chain.result().status, "ended");
}

#[test]
fn close_before_the_end_height_is_refused() {
    let mut chain = Chain::new();
    chain.bid("carol", b"1", 101).unwrap();
    assert!(matches!(chain.close(END - 1), Err(ContractError::BiddingOpen { end_height: END })));
    assert!(chain.open.is_empty());
}

#[test]
fn a_malformed_and_a_failed_bid_are_excluded_while_the_others_decide_the_winner() {
    let mut chain = Chain::new();
    chain.bid("carol", b"1500", 101).unwrap();
    chain.bid("mallory", b"99999 coins", 102).unwrap();
    chain.bid("dave", b"1200", 103).unwrap();
    chain.bid("trent", b"5000", 104).unwrap();
    chain.close(END).unwrap();
    chain.decrypt_next();
    chain.decrypt_next();
    chain.decrypt_next();
    let (trent_request, _) = chain.open.remove(0);
    let last = chain.callback(TssSudoMsg::RequestFailed { request_id: trent_request, reason: "timed out".into() });
    assert_eq!(attr(&last, "winner"), Some(chain.addr("carol").as_str()));
    assert_eq!(attr(&last, "amount"), Some("1500"));
    let mallory = chain.bid_of("mallory");
    assert_eq!((mallory.status.as_str(), mallory.reason.as_deref()), ("excluded", Some("not a decimal amount")));
    assert_eq!(chain.bid_of("trent").reason.as_deref(), Some("timed out"));
    let result = chain.result();
    assert_eq!((result.opened, result.excluded), (2, 2));
}

#[test]
fn plaintexts_other_than_plain_decimal_digits_are_not_amounts() {
    for bad in [&b""[..], b"+5", b" 5", b"5\n", b"-1", b"1e3", b"0x10", b"340282366920938463463374607431768211456", b"\xff"] {
        let mut chain = Chain::new();
        chain.bid("carol", bad, 101).unwrap();
        chain.close(END).unwrap();
        let res = chain.decrypt_next();
        assert_eq!(attr(&res, "reason"), Some("not a decimal amount"), "{bad:?}");
        assert_eq!(attr(&res, "winner"), Some("none"));
    }
    let mut chain = Chain::new();
    chain.bid("carol", b"340282366920938463463374607431768211455", 101).unwrap();
    chain.close(END).unwrap();
    assert_eq!(attr(&chain.decrypt_next(), "amount"), Some(u128::MAX.to_string().as_str()));
}

#[test]
fn ties_go_to_the_earliest_standing_bid_and_a_replacement_goes_to_the_back() {
    let mut chain = Chain::new();
    chain.bid("carol", b"700", 101).unwrap();
    chain.bid("dave", b"700", 102).unwrap();
    chain.bid("erin", b"700", 103).unwrap();
    // Carol replaces her bid (same amount): her place is now after Erin's.
    let res = chain.bid("carol", b"700", 104).unwrap();
    assert_eq!(attr(&res, "replaced"), Some("true"));
    chain.close(END).unwrap();
    assert_eq!(chain.open.len(), 3);
    while !chain.open.is_empty() {
        chain.decrypt_next();
    }
    assert_eq!(chain.result().winner.as_deref(), Some(chain.addr("dave").as_str()));
    assert_eq!(chain.result().bids, 3);
}

#[test]
fn a_callback_for_an_unknown_request_is_ignored() {
    let mut chain = Chain::new();
    chain.bid("carol", b"10", 101).unwrap();
    chain.close(END).unwrap();
    let res = chain.callback(TssSudoMsg::DecryptionReady {
        request_id: 999,
        plaintext: Some(Binary::from(b"1000000".as_slice())),
        reencrypted: None,
    });
    assert_eq!(attr(&res, "ignored"), Some("unknown request"));
    let res = chain.callback(TssSudoMsg::SignatureReady {
        request_id: 1,
        key_set_id: 0,
        public_key: Binary::default(),
        message: Binary::default(),
        signature: Binary::default(),
    });
    assert_eq!(attr(&res, "ignored"), Some("not a decryption callback"));
    assert_eq!(chain.result().status, "closing");
    chain.decrypt_next();
    // A second answer to the same request changes nothing.
    let res = chain.callback(TssSudoMsg::RequestFailed { request_id: 1, reason: "late".into() });
    assert_eq!(attr(&res, "ignored"), Some("unknown request"));
    assert_eq!(chain.result().amount, Some(Uint128::new(10)));
}

#[test]
fn more_than_32_bids_are_opened_32_at_a_time() {
    let mut chain = Chain::new();
    let n = 75u64;
    for i in 0..n {
        chain.bid(&format!("bidder{i}"), (1000 + (i * 37) % 101).to_string().as_bytes(), 101).unwrap();
    }
    let close = chain.close(END).unwrap();
    assert_eq!(close.messages.len(), 32);
    let mut answered = 0;
    while !chain.open.is_empty() {
        assert!(chain.open.len() <= usize::try_from(MAX_IN_FLIGHT).unwrap());
        let res = chain.decrypt_next();
        answered += 1;
        // Each answer sends at most the one request that replaces it.
        assert!(res.messages.len() <= 1);
    }
    assert_eq!(answered, n);
    let result = chain.result();
    assert_eq!((result.status.as_str(), result.opened), ("closed", 75));
    // The highest amount is 1100 (i*37 % 101 == 100 first at i = 71).
    let first_max = (0..n).find(|i| (i * 37) % 101 == 100).unwrap();
    assert_eq!(result.winner, Some(chain.addr(&format!("bidder{first_max}")).to_string()));
    assert_eq!(result.amount, Some(Uint128::new(1100)));
}

#[test]
fn a_request_the_engine_refuses_outright_excludes_only_that_bid() {
    let mut chain = Chain::new();
    chain.bid("carol", b"10", 101).unwrap();
    chain.bid("dave", b"20", 102).unwrap();
    let close = chain.close_unaccepted(END).unwrap();
    let [first, second] = close.messages.as_slice() else { panic!("two requests") };
    let res = chain.refuse(first.id, "label");
    assert_eq!(attr(&res, "reason"), Some("request refused: label"));
    chain.accept(&Response::new().add_submessage(second.clone()));
    let last = chain.decrypt_next();
    assert_eq!(attr(&last, "winner"), Some(chain.addr("dave").as_str()));
}

#[test]
fn close_again_continues_when_every_open_request_was_refused() {
    let mut chain = Chain::new();
    for i in 0..40 {
        chain.bid(&format!("bidder{i}"), b"5", 101).unwrap();
    }
    let close = chain.close_unaccepted(END).unwrap();
    for sub in &close.messages {
        chain.refuse(sub.id, "busy");
    }
    assert_eq!(chain.result().excluded, 32);
    let again = chain.close(END + 1).unwrap();
    assert_eq!(again.messages.len(), 8);
    while !chain.open.is_empty() {
        chain.decrypt_next();
    }
    let result = chain.result();
    assert_eq!((result.status.as_str(), result.opened, result.excluded), ("closed", 8, 32));
    assert_eq!(result.winner, Some(chain.addr("bidder32").to_string()));
}

#[test]
fn a_copied_ciphertext_a_malformed_one_and_an_oversized_one_are_refused() {
    let mut chain = Chain::new();
    let carol = chain.addr("carol");
    let carols = chain.sealed(&carol, b"1500");
    let mallory = chain.addr("mallory");
    assert!(matches!(chain.bid_raw(&mallory, carols, 101), Err(ContractError::WrongLabel { .. })));
    assert!(matches!(
        chain.bid_raw(&mallory, Binary::from(b"1500".as_slice()), 101),
        Err(ContractError::MalformedCiphertext)
    ));
    let huge = chain.sealed(&mallory, &[b'1'; 10 * 1024]);
    assert!(matches!(chain.bid_raw(&mallory, huge, 101), Err(ContractError::BidTooLong { .. })));
    assert!(chain.bids().bids.is_empty());
}

#[test]
fn at_most_1000_bidders_but_each_may_replace_their_bid() {
    let mut chain = Chain::new();
    for i in 0..MAX_BIDS {
        chain.bid(&format!("b{i}"), b"1", 101).unwrap();
    }
    assert!(matches!(chain.bid("late", b"1", 101), Err(ContractError::TooManyBids { max: 1000 })));
    chain.bid("b7", b"2", 102).unwrap();
    assert_eq!(chain.bids().bids.len(), 1000);
    let page = QueryMsg::Bids { start_after: Some(chain.bids().bids[9].bidder.clone()), limit: Some(5) };
    let page: BidsResponse = from_json(query(chain.deps.as_ref(), chain.env(END), page).unwrap()).unwrap();
    assert_eq!(page.bids.len(), 5);
}

#[test]
fn an_auction_without_bids_closes_at_once_with_no_winner() {
    let mut chain = Chain::new();
    let res = chain.close(END).unwrap();
    assert!(res.messages.is_empty());
    assert_eq!(attr(&res, "winner"), Some("none"));
    assert_eq!(chain.result().status, "closed");
}

#[test]
fn instantiate_refuses_a_past_end_and_migrate_accepts_an_empty_message() {
    let mut chain = Chain::new();
    let info = message_info(&chain.addr("alice"), &[]);
    let env = chain.env(200);
    let msg = InstantiateMsg { description: "x".into(), end_height: 200 };
    assert!(matches!(instantiate(chain.deps.as_mut(), env.clone(), info, msg), Err(ContractError::EndInPast { .. })));
    let msg: MigrateMsg = from_json(b"{}").unwrap();
    migrate(chain.deps.as_mut(), env, msg).unwrap();
}

#[test]
fn every_message_in_the_readme_flow_is_one_the_contract_parses() {
    let checked = tss_bindings::testing::readme_messages_parse::<InstantiateMsg, ExecuteMsg, QueryMsg>(include_str!("../README.md"));
    assert!(checked.as_ref().is_ok_and(|n| *n >= 4), "{checked:?}");
}
