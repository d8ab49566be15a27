//! The vault driven through its entry points, with a stand-in for the engine that accepts each
//! sub-message (numbering requests from 1 and keysets from 5) and answers when told to.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::marker::PhantomData;

use cosmwasm_std::testing::{message_info, mock_env, MockApi, MockQuerier, MockStorage};
use cosmwasm_std::{
    from_json, to_json_binary, Addr, Binary, CosmosMsg, Env, MsgResponse, OwnedDeps, Reply, Response, SubMsgResponse,
    SubMsgResult,
};
use tss_bindings::{RequestSubmitted, TssMsg, TssQuery, TssSudoMsg};

use crate::contract::{execute, instantiate, migrate, query, reply, sudo};
use crate::msg::{ExecuteMsg, InstantiateMsg, KeyResponse, MigrateMsg, ProposalResponse, QueryMsg, VerifyResponse};
use crate::ContractError;

type TestDeps = OwnedDeps<MockStorage, MockApi, MockQuerier<TssQuery>, TssQuery>;

/// RFC 8032 section 7.1, TEST 2: a key, a one-byte message and its signature.
const RFC_PUBLIC: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const RFC_MESSAGE: &str = "72";
const RFC_SIGNATURE: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

fn unhex(s: &str) -> Binary {
    let bytes = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect::<Vec<u8>>();
    Binary::from(bytes)
}

/// What the stand-in engine was asked, in order.
#[derive(Debug, Clone, PartialEq)]
enum Asked {
    KeySet { request_id: u64, key_set_id: u64, threshold: Option<u16> },
    Signature { request_id: u64, key_set_id: Option<u64>, message: Binary },
}

struct Chain {
    deps: TestDeps,
    next_request: u64,
    next_key_set: u64,
    asked: Vec<Asked>,
}

impl Chain {
    /// Alice, Bob and Carol approve; two approvals needed.
    fn new() -> Self {
        let mut chain = Self::empty();
        let approvers = ["alice", "bob", "carol"].map(|n| chain.addr(n).to_string()).to_vec();
        let res = chain.instantiate(InstantiateMsg { approvers, approvals_needed: 2, key_threshold: Some(3) }).unwrap();
        chain.accept(&res);
        chain
    }

    fn empty() -> Self {
        let deps = OwnedDeps {
            storage: MockStorage::default(),
            api: MockApi::default().with_prefix("mpc"),
            querier: MockQuerier::<TssQuery>::new(&[]),
            custom_query_type: PhantomData,
        };
        Chain { deps, next_request: 1, next_key_set: 5, asked: vec![] }
    }

    fn instantiate(&mut self, msg: InstantiateMsg) -> Result<Response<TssMsg>, ContractError> {
        let (env, info) = (self.env(), message_info(&self.addr("admin"), &[]));
        instantiate(self.deps.as_mut(), env, info, msg)
    }

    fn addr(&self, name: &str) -> Addr {
        self.deps.api.addr_make(name)
    }

    fn env(&self) -> Env {
        let mut env = mock_env();
        env.contract.address = self.addr("vault");
        env
    }

    /// The host: every sub-message is accepted and its ids given in `reply`.
    fn accept(&mut self, res: &Response<TssMsg>) {
        for sub in &res.messages {
            let request_id = self.next_request;
            self.next_request += 1;
            let (key_set_id, asked) = match &sub.msg {
                CosmosMsg::Custom(TssMsg::CreateKeySet { threshold, .. }) => {
                    let key_set_id = self.next_key_set;
                    self.next_key_set += 1;
                    (Some(key_set_id), Asked::KeySet { request_id, key_set_id, threshold: *threshold })
                }
                CosmosMsg::Custom(TssMsg::RequestSignature { key_set_id, message, derivation: None }) => {
                    (None, Asked::Signature { request_id, key_set_id: *key_set_id, message: message.clone() })
                }
                other => panic!("unexpected message {other:?}"),
            };
            let value = to_json_binary(&RequestSubmitted { request_id, key_set_id }).unwrap();
            #[allow(deprecated)]
            let result = SubMsgResult::Ok(SubMsgResponse {
                events: vec![],
                data: Some(value.clone()),
                msg_responses: vec![MsgResponse { type_url: "/tss.v1.MsgRequestResponse".into(), value }],
            });
            let env = self.env();
            reply(self.deps.as_mut(), env, Reply { id: sub.id, payload: Binary::default(), gas_used: 0, result }).unwrap();
            self.asked.push(asked);
        }
    }

    fn exec(&mut self, who: &str, msg: ExecuteMsg) -> Result<Response<TssMsg>, ContractError> {
        let (env, info) = (self.env(), message_info(&self.addr(who), &[]));
        let res = execute(self.deps.as_mut(), env, info, msg)?;
        self.accept(&res);
        Ok(res)
    }

    fn callback(&mut self, msg: TssSudoMsg) -> Response<TssMsg> {
        let env = self.env();
        let res = sudo(self.deps.as_mut(), env, msg).unwrap();
        self.accept(&res);
        res
    }

    /// The keyset's DKG completes with the RFC 8032 key.
    fn key_ready(&mut self) -> Response<TssMsg> {
        let Some(&Asked::KeySet { request_id, key_set_id, .. }) = self.asked.iter().rev().find(|a| matches!(a, Asked::KeySet { .. }))
        else {
            panic!("no keyset asked")
        };
        self.callback(TssSudoMsg::KeySetReady { request_id, key_set_id, public_key: unhex(RFC_PUBLIC) })
    }

    fn propose(&mut self, who: &str, payload: Binary) -> u64 {
        let res = self.exec(who, ExecuteMsg::Propose { payload }).unwrap();
        from_json(res.data.unwrap()).unwrap()
    }

    fn signature_requests(&self) -> Vec<(u64, Binary)> {
        self.asked
            .iter()
            .filter_map(|a| match a {
                Asked::Signature { request_id, message, .. } => Some((*request_id, message.clone())),
                Asked::KeySet { .. } => None,
            })
            .collect()
    }

    fn proposal(&self, id: u64) -> ProposalResponse {
        from_json(query(self.deps.as_ref(), self.env(), QueryMsg::Proposal { id }).unwrap()).unwrap()
    }

    fn key(&self) -> KeyResponse {
        from_json(query(self.deps.as_ref(), self.env(), QueryMsg::Key {}).unwrap()).unwrap()
    }

    fn valid(&self, proposal_id: u64) -> bool {
        let v: VerifyResponse = from_json(query(self.deps.as_ref(), self.env(), QueryMsg::Verify { proposal_id }).unwrap()).unwrap();
        v.valid
    }
}

fn attr<'a>(res: &'a Response<TssMsg>, key: &str) -> Option<&'a str> {
    res.attributes.iter().find(|a| a.key == key).map(|a| a.value.as_str())
}

fn signed(request_id: u64, key_set_id: u64, message: Binary, signature: Binary) -> TssSudoMsg {
    TssSudoMsg::SignatureReady { request_id, key_set_id, public_key: unhex(RFC_PUBLIC), message, signature }
}

#[test]
fn two_approvals_get_a_signature_that_verifies_under_the_keyset() {
    let mut chain = Chain::new();
    assert_eq!(chain.asked, vec![Asked::KeySet { request_id: 1, key_set_id: 5, threshold: Some(3) }]);
    assert_eq!((chain.key().status.as_str(), chain.key().key_set_id), ("pending", Some(5)));
    chain.key_ready();
    assert_eq!(chain.key().public_key, Some(unhex(RFC_PUBLIC)));

    let id = chain.propose("bob", unhex(RFC_MESSAGE));
    assert_eq!(id, 1);
    let first = chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    assert!(first.messages.is_empty());
    assert_eq!(chain.proposal(id).status, "open");
    let second = chain.exec("carol", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    assert_eq!(second.messages.len(), 1);
    assert_eq!(chain.asked[1], Asked::Signature { request_id: 2, key_set_id: Some(5), message: unhex(RFC_MESSAGE) });
    assert_eq!(chain.proposal(id).status, "signing");
    assert!(!chain.valid(id));

    chain.callback(signed(2, 5, unhex(RFC_MESSAGE), unhex(RFC_SIGNATURE)));
    let p = chain.proposal(id);
    assert_eq!((p.status.as_str(), p.signature), ("signed", Some(unhex(RFC_SIGNATURE))));
    assert_eq!(p.approvals, vec![chain.addr("alice").to_string(), chain.addr("carol").to_string()]);
    assert!(chain.valid(id));
}

#[test]
fn a_stored_signature_that_does_not_verify_is_reported_invalid() {
    let mut chain = Chain::new();
    chain.key_ready();
    let id = chain.propose("alice", unhex(RFC_MESSAGE));
    chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    chain.exec("bob", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    let mut bad = unhex(RFC_SIGNATURE).to_vec();
    bad[0] ^= 1;
    chain.callback(signed(2, 5, unhex(RFC_MESSAGE), Binary::from(bad)));
    assert_eq!(chain.proposal(id).status, "signed");
    assert!(!chain.valid(id));
}

#[test]
fn a_non_approver_can_neither_propose_nor_approve_nor_retry() {
    let mut chain = Chain::new();
    chain.key_ready();
    let mallory = "mallory";
    let payload = Binary::from(b"x".as_slice());
    assert!(matches!(chain.exec(mallory, ExecuteMsg::Propose { payload }), Err(ContractError::NotAnApprover { .. })));
    let id = chain.propose("alice", Binary::from(b"pay 5".as_slice()));
    assert!(matches!(chain.exec(mallory, ExecuteMsg::Approve { proposal_id: id }), Err(ContractError::NotAnApprover { .. })));
    assert!(matches!(chain.exec(mallory, ExecuteMsg::Retry { proposal_id: id }), Err(ContractError::NotAnApprover { .. })));
    assert!(chain.proposal(id).approvals.is_empty());
}

#[test]
fn an_approver_approves_once() {
    let mut chain = Chain::new();
    chain.key_ready();
    let id = chain.propose("alice", Binary::from(b"pay 5".as_slice()));
    chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    assert!(matches!(
        chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }),
        Err(ContractError::AlreadyApproved { id: 1, .. })
    ));
    assert_eq!(chain.proposal(id).approvals.len(), 1);
    assert!(chain.signature_requests().is_empty());
    chain.exec("bob", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    assert!(matches!(chain.exec("carol", ExecuteMsg::Approve { proposal_id: id }), Err(ContractError::NotOpen { .. })));
    assert!(matches!(chain.exec("carol", ExecuteMsg::Approve { proposal_id: 9 }), Err(ContractError::NoProposal { id: 9 })));
}

#[test]
fn proposals_approved_before_the_key_is_ready_are_signed_when_it_is() {
    let mut chain = Chain::new();
    let id = chain.propose("alice", Binary::from(b"early".as_slice()));
    chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    chain.exec("bob", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    assert_eq!(chain.proposal(id).status, "queued");
    assert!(chain.signature_requests().is_empty());
    let ready = chain.key_ready();
    assert_eq!(ready.messages.len(), 1);
    assert_eq!(chain.signature_requests(), vec![(2, Binary::from(b"early".as_slice()))]);
}

#[test]
fn a_failed_signature_is_retried_by_an_approver() {
    let mut chain = Chain::new();
    chain.key_ready();
    let id = chain.propose("alice", unhex(RFC_MESSAGE));
    assert!(matches!(chain.exec("alice", ExecuteMsg::Retry { proposal_id: id }), Err(ContractError::NotFailed { .. })));
    chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    chain.exec("bob", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    let failed = chain.callback(TssSudoMsg::RequestFailed { request_id: 2, reason: "timed out".into() });
    assert_eq!(attr(&failed, "status"), Some("failed"));
    let p = chain.proposal(id);
    assert_eq!((p.status.as_str(), p.reason.as_deref()), ("failed", Some("timed out")));
    chain.exec("carol", ExecuteMsg::Retry { proposal_id: id }).unwrap();
    assert_eq!(chain.signature_requests().last(), Some(&(3, unhex(RFC_MESSAGE))));
    chain.callback(signed(3, 5, unhex(RFC_MESSAGE), unhex(RFC_SIGNATURE)));
    assert!(chain.valid(id));
}

#[test]
fn a_request_the_engine_refuses_outright_fails_only_its_proposal() {
    let mut chain = Chain::new();
    chain.key_ready();
    let a = chain.propose("alice", Binary::from(b"a".as_slice()));
    chain.exec("alice", ExecuteMsg::Approve { proposal_id: a }).unwrap();
    let (env, info) = (chain.env(), message_info(&chain.addr("bob"), &[]));
    let res = execute(chain.deps.as_mut(), env, info, ExecuteMsg::Approve { proposal_id: a }).unwrap();
    let refused = Reply { id: res.messages[0].id, payload: Binary::default(), gas_used: 0, result: SubMsgResult::Err("too long".into()) };
    let env = chain.env();
    reply(chain.deps.as_mut(), env, refused).unwrap();
    assert_eq!(chain.proposal(a).reason.as_deref(), Some("request refused: too long"));
    let b = chain.propose("alice", Binary::from(b"b".as_slice()));
    chain.exec("alice", ExecuteMsg::Approve { proposal_id: b }).unwrap();
    chain.exec("bob", ExecuteMsg::Approve { proposal_id: b }).unwrap();
    assert_eq!(chain.proposal(b).status, "signing");
}

#[test]
fn a_callback_for_an_unknown_request_is_ignored() {
    let mut chain = Chain::new();
    chain.key_ready();
    let res = chain.callback(signed(77, 5, unhex(RFC_MESSAGE), unhex(RFC_SIGNATURE)));
    assert_eq!(attr(&res, "ignored"), Some("unknown request"));
    let res = chain.callback(TssSudoMsg::RequestFailed { request_id: 78, reason: "x".into() });
    assert_eq!(attr(&res, "ignored"), Some("unknown request"));
    let res = chain.callback(TssSudoMsg::DecryptionReady { request_id: 79, plaintext: None, reencrypted: None });
    assert_eq!(attr(&res, "ignored"), Some("not a callback this vault expects"));
    // A second KeySetReady for the same request does not replace the key.
    let res = chain.callback(TssSudoMsg::KeySetReady { request_id: 1, key_set_id: 5, public_key: Binary::from([7u8; 32]) });
    assert!(attr(&res, "ignored").is_some());
    assert_eq!(chain.key().public_key, Some(unhex(RFC_PUBLIC)));
}

#[test]
fn a_signature_over_another_message_is_not_stored() {
    let mut chain = Chain::new();
    chain.key_ready();
    let id = chain.propose("alice", Binary::from(b"pay 5".as_slice()));
    chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    chain.exec("bob", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    chain.callback(signed(2, 5, unhex(RFC_MESSAGE), unhex(RFC_SIGNATURE)));
    let p = chain.proposal(id);
    assert_eq!((p.status.as_str(), p.signature), ("failed", None));
}

#[test]
fn at_most_32_signatures_are_requested_at_once() {
    let mut chain = Chain::new();
    chain.key_ready();
    for i in 0..40u64 {
        let id = chain.propose("alice", Binary::from(i.to_be_bytes()));
        chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }).unwrap();
        chain.exec("bob", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    }
    assert_eq!(chain.signature_requests().len(), 32);
    assert_eq!(chain.proposal(33).status, "queued");
    let freed = chain.callback(TssSudoMsg::RequestFailed { request_id: 2, reason: "x".into() });
    assert_eq!(freed.messages.len(), 1);
    assert_eq!(chain.proposal(33).status, "signing");
    assert_eq!(chain.signature_requests().len(), 33);
}

#[test]
fn a_failed_key_generation_can_be_retried_by_an_approver() {
    let mut chain = Chain::new();
    let id = chain.propose("alice", unhex(RFC_MESSAGE));
    chain.exec("alice", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    chain.exec("bob", ExecuteMsg::Approve { proposal_id: id }).unwrap();
    assert!(matches!(chain.exec("alice", ExecuteMsg::RetryKeySet {}), Err(ContractError::KeySetNotFailed { .. })));
    chain.callback(TssSudoMsg::RequestFailed { request_id: 1, reason: "dkg failed".into() });
    let key = chain.key();
    assert_eq!((key.status.as_str(), key.reason.as_deref()), ("failed", Some("dkg failed")));
    chain.exec("carol", ExecuteMsg::RetryKeySet {}).unwrap();
    assert_eq!(chain.key().key_set_id, Some(6));
    chain.key_ready();
    assert_eq!(chain.signature_requests(), vec![(3, unhex(RFC_MESSAGE))]);
    chain.callback(signed(3, 6, unhex(RFC_MESSAGE), unhex(RFC_SIGNATURE)));
    assert!(chain.valid(id));
}

#[test]
fn instantiate_checks_the_approvers_and_the_approvals_needed() {
    let mut chain = Chain::empty();
    let (a, b) = (chain.addr("a").to_string(), chain.addr("b").to_string());
    let msg = |approvers: Vec<String>, approvals_needed| InstantiateMsg { approvers, approvals_needed, key_threshold: None };
    assert!(matches!(chain.instantiate(msg(vec![], 1)), Err(ContractError::ApproverCount { .. })));
    assert!(matches!(chain.instantiate(msg(vec![a.clone(), b.clone()], 0)), Err(ContractError::ApprovalsNeeded { .. })));
    assert!(matches!(chain.instantiate(msg(vec![a.clone(), b.clone()], 3)), Err(ContractError::ApprovalsNeeded { .. })));
    assert!(matches!(chain.instantiate(msg(vec![a.clone(), a.clone()], 1)), Err(ContractError::DuplicateApprover(_))));
    assert!(chain.instantiate(msg(vec!["cosmos1zzz".into()], 1)).is_err());
    let payload = Binary::from(vec![0u8; 1025]);
    let res = chain.instantiate(msg(vec![a, b], 2)).unwrap();
    assert!(matches!(&res.messages[0].msg, CosmosMsg::Custom(TssMsg::CreateKeySet { threshold: None, .. })));
    assert!(matches!(chain.exec("a", ExecuteMsg::Propose { payload }), Err(ContractError::PayloadLength { .. })));
    let env = chain.env();
    migrate(chain.deps.as_mut(), env, from_json::<MigrateMsg>(b"{}").unwrap()).unwrap();
}

#[test]
fn payloads_over_1_kib_are_refused() {
    let mut chain = Chain::new();
    let too_long = ExecuteMsg::Propose { payload: Binary::from(vec![0u8; 1025]) };
    assert!(matches!(chain.exec("alice", too_long), Err(ContractError::PayloadLength { len: 1025, .. })));
    assert_eq!(chain.propose("alice", Binary::from(vec![0u8; 1024])), 1);
}

#[test]
fn every_message_in_the_readme_flow_is_one_the_contract_parses() {
    let checked = tss_bindings::testing::readme_messages_parse::<InstantiateMsg, ExecuteMsg, QueryMsg>(include_str!("../README.md"));
    assert!(checked.as_ref().is_ok_and(|n| *n >= 4), "{checked:?}");
}
