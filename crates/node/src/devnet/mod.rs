//! `mpcd devnet`: N validators and one full node in one process, each the node application
//! `mpcd start` serves (its ABCI++ handlers, rocksdb chain state in a temporary directory, an
//! encrypted secret store), driven by [`chain::LocalChain`] in CometBFT 0.38's order with
//! signed vote extensions. Everything the devnet does goes through signed transactions: a
//! little traffic (signatures and decryptions from two accounts), the full node's
//! `create-validator` (it joins at the next epoch boundary through a key handover) and a
//! governance proposal, voted by the validators, that rotates the network key.
//!
//! It prints text lines or one JSON object per line ([`report`]), and both say the same things.
//! The devnet's own JSON lines beside the engine's vocabulary: `devnet` (first),
//! `join_scheduled`, `rotation_proposed`, `proposal_ended`, `tx_failed` and `summary` (last). A
//! request's `request_finished` event is folded into its callback's line (as `"blocks"`).
//!
//! Keys: keyset 0 is the network key. The devnet's signatures are made under the requester's
//! key derived from it (network key + requester + context), which changes whenever the network
//! key rotates: a client that pins a derived key must follow rotations.

pub mod chain;
pub mod report;

use chain::{GenesisSpec, LocalChain};
use ed25519_dalek::SigningKey;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use report::{hex, Book, Printer, Report};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use tss_app::{Address, AppParams, Fee, Msg, Tx, TxBody};
use tss_crypto::Encode;
use tss_engine::types::{Delivery, Event, Request, RequestInput, NETWORK_KEYSET};
use tss_engine::Params;

/// Validators the devnet runs (all of them in this one process).
pub const VALIDATORS_RANGE: RangeInclusive<usize> = 1..=64;
/// Blocks the devnet runs: at least 30, which it needs to show its network key, a refresh and a
/// join (the governance rotation completes at about block 35; the default of 40 shows it).
pub const BLOCKS_RANGE: RangeInclusive<u64> = 30..=1000;

const CHAIN_ID: &str = "devnet";
/// Blocks between refreshes (and the boundaries where the active set changes).
const EPOCH: u64 = 10;
/// Blocks a governance proposal is voted on.
const VOTING_BLOCKS: u64 = 12;
/// What every devnet account starts with.
const FUNDS: u128 = 1_000_000_000_000;
/// The derivation context of the devnet's signatures.
const SIGN_CONTEXT: &[u8] = b"solana/0";

/// What to run.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// Validators, 1 to 64 ([`VALIDATORS_RANGE`]).
    pub validators: usize,
    /// Blocks to run, 30 to 1000 ([`BLOCKS_RANGE`]).
    pub blocks: u64,
    /// Seed of every random choice: the same seed gives the same run.
    pub seed: u64,
    /// One JSON object per line instead of text lines (the same reports either way).
    pub json: bool,
}

/// An account that sends transactions, with the sequence its next one takes.
struct Account {
    key: SigningKey,
    address: Address,
    sequence: u64,
}

impl Account {
    fn new(key: SigningKey) -> Self {
        let address = Address::of_key(&key.verifying_key().to_bytes());
        Self { key, address, sequence: 0 }
    }

    /// A signed transaction of `msg`, with the fee the chain asks for its gas.
    fn sign(&mut self, params: &AppParams, validators: usize, msg: Msg) -> Vec<u8> {
        let gas = tss_app::exec::estimated_gas(params, &msg, validators);
        let body = TxBody { chain_id: CHAIN_ID.into(), sequence: self.sequence, fee: Fee { amount: params.min_fee(gas), gas_limit: gas }, msgs: vec![msg], memo: String::new() };
        self.sequence += 1;
        Tx::sign(&self.key, &body).to_bytes()
    }
}

fn key(rng: &mut ChaCha20Rng) -> SigningKey {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

/// Runs the devnet, writing its reports to `sink`.
pub fn run(opts: &DevnetOptions, sink: &mut dyn std::io::Write) -> Result<(), String> {
    let (n, blocks, seed) = (opts.validators, opts.blocks, opts.seed);
    if !VALIDATORS_RANGE.contains(&n) {
        return Err(format!("--validators must be between {} and {} (all of them run in this one process)", VALIDATORS_RANGE.start(), VALIDATORS_RANGE.end()));
    }
    if !BLOCKS_RANGE.contains(&blocks) {
        return Err(format!(
            "--blocks must be between {} and {} (the devnet needs {} blocks to show its network key, a refresh and a join; about 35 to see the rotation too)",
            BLOCKS_RANGE.start(),
            BLOCKS_RANGE.end(),
            BLOCKS_RANGE.start()
        ));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut wallet = Account::new(key(&mut rng));
    let mut bidder = Account::new(key(&mut rng));
    let app_params = AppParams { gov: tss_app::gov::GovParams { voting_blocks: VOTING_BLOCKS, ..Default::default() }, ..AppParams::default() };
    let prefix = app_params.address_prefix.clone();
    let bech32 = |a: &Address| a.to_bech32(&prefix).map_err(|e| e.to_string());
    let params = Params { epoch_length: EPOCH, retirement_delay: 8, ..Params::default() };
    let mut chain = LocalChain::nodes(CHAIN_ID, n, 1, &mut rng).map_err(|e| e.to_string())?;
    // Operators are the nodes' consensus keys (a genesis validator's operator account is its
    // consensus key's): funded for fees, the join's bond and governance votes.
    let mut accounts = vec![(bech32(&wallet.address)?, FUNDS), (bech32(&bidder.address)?, FUNDS)];
    for m in &chain.members {
        accounts.push((bech32(&Address::of_key(&m.consensus.verifying_key().to_bytes()))?, FUNDS));
    }
    let spec = GenesisSpec {
        params: serde_json::to_value(&params).map_err(|e| e.to_string())?,
        app_params: serde_json::to_value(&app_params).map_err(|e| e.to_string())?,
        accounts,
    };
    chain.init(&spec).map_err(|e| e.to_string())?;
    let mut operators: Vec<Account> = chain.members.iter().map(|m| Account::new(m.consensus.clone())).collect();
    let mut out = Printer { sink, json: opts.json };
    out.print(
        None,
        Report::new(
            format!("devnet: {n} validators and 1 full node in one process, {blocks} blocks, seed {seed}; each node is the application `mpcd start` serves (rocksdb, encrypted secret store), driven in CometBFT's order"),
            json!({ "type": "devnet", "validators": n, "full_nodes": 1, "blocks": blocks, "seed": seed }),
        ),
    );
    let mut book = Book::default();
    book.validators = validators(&chain);
    book.names.insert(wallet.address.0.to_vec(), "wallet".into());
    book.names.insert(bidder.address.0.to_vec(), "bidder".into());
    for m in &chain.members {
        book.names.insert(m.address.clone(), m.name.clone());
    }
    let joiner = n;
    let mut scheduled = false;
    // What each submitted transaction asked of the engine, to name its requests.
    let mut submitted: BTreeMap<Vec<u8>, Vec<RequestInput>> = BTreeMap::new();
    for _ in 0..blocks {
        let fin = chain.step().map_err(|e| format!("the network stopped: {e}"))?;
        let h = fin.height;
        for (tx, result) in fin.txs.iter().zip(&fin.response.tx_results).skip(1) {
            let inputs = submitted.remove(tx).unwrap_or_default();
            if let Some(why) = chain::failure(result) {
                book.counts.failures += 1;
                out.print(Some(h), Report::new(format!("transaction failed: {why}"), json!({ "type": "tx_failed", "code": result.code, "log": result.log })));
                continue;
            }
            let ids = result.data.chunks_exact(8).filter_map(|c| c.try_into().ok().map(u64::from_be_bytes));
            for (id, input) in ids.zip(inputs) {
                book.requests.insert(id, input);
            }
            for e in &result.events {
                if e.r#type == "app.proposal_voting" {
                    let (Some(p), Some(end)) = (attr(e, "proposal").and_then(|v| v.parse::<u64>().ok()), attr(e, "voting_end").and_then(|v| v.parse::<u64>().ok())) else { continue };
                    out.print(
                        Some(h),
                        Report::new(
                            format!("governance proposal {p} to rotate the network key is open for votes until height {end}; the validators vote yes, so the rotation starts at height {}", end + 1),
                            json!({ "type": "rotation_proposed", "proposal": p, "voting_end": end, "at": end + 1 }),
                        ),
                    );
                    let validators = chain.set_at(h).len();
                    for op in operators.iter_mut().take(n) {
                        let tx = op.sign(&app_params, validators, Msg::GovVote { proposal: p, option: tss_app::gov::VoteOption::Yes });
                        chain.submit(tx).map_err(|e| format!("the vote on proposal {p}: {e}"))?;
                    }
                }
            }
        }
        for e in &fin.response.events {
            if e.r#type == "app.proposal_ended" {
                let text = |k| attr(e, k).unwrap_or_default().to_owned();
                let report = Report::new(
                    format!("governance proposal {} ended: {} ({})", text("proposal"), text("status"), text("result")),
                    json!({ "type": "proposal_ended", "proposal": text("proposal").parse::<u64>().unwrap_or(0), "status": text("status"), "result": text("result") }),
                );
                out.print(Some(h), report);
            }
        }
        let output = chain.members.first().and_then(|m| m.app.last_output()).unwrap_or_default();
        // A request's `request_finished` goes on its callback's line (same block, same facts).
        let answered: BTreeSet<u64> = output.callbacks.iter().map(|cb| cb.request).collect();
        let finished: BTreeMap<u64, u64> = output
            .events
            .iter()
            .filter_map(|e| match e {
                Event::RequestFinished { request, blocks, .. } if answered.contains(request) => Some((*request, *blocks)),
                _ => None,
            })
            .collect();
        let now = validators(&chain);
        for e in &output.events {
            if matches!(e, Event::RequestFinished { request, .. } if finished.contains_key(request)) {
                continue;
            }
            let report = book.event(e, &now);
            out.print(Some(h), report);
        }
        for cb in &output.callbacks {
            let report = book.callback(cb, finished.get(&cb.request).copied());
            out.print(Some(h), report);
        }
        // Traffic once the network key exists; a join and a rotation proposed once.
        let Some((key, generation)) = chain.engine(network_key).flatten() else { continue };
        let validators = chain.set_at(h + 1).len();
        if !scheduled {
            scheduled = true;
            if let (Some(m), Some(op)) = (chain.members.get(joiner), operators.get_mut(joiner)) {
                let (transport, proof) = m.registration;
                let bond = app_params.staking.min_self_bond;
                let msg = Msg::CreateValidator { consensus_key: m.consensus.verifying_key().to_bytes(), transport, transport_proof: proof.to_vec(), self_bond: bond, moniker: m.name.clone() };
                let tx = op.sign(&app_params, validators, msg);
                let address = m.address.clone();
                chain.submit(tx).map_err(|e| format!("the full node's create-validator: {e}"))?;
                // Included next block; the active set is recomputed at the epoch boundary after.
                let boundary = (h + 1).div_ceil(EPOCH) * EPOCH;
                out.print(
                    Some(h),
                    Report::new(
                        format!("the full node, validator {}, sent create-validator; it will join at height {}: a reshare hands it a share of the same network key", book.who(&address), boundary + 1),
                        json!({ "type": "join_scheduled", "validator": hex(&address), "at": boundary + 1 }),
                    ),
                );
            }
            let deposit = app_params.gov.min_deposit;
            let proposal = Msg::GovSubmit {
                title: "Rotate the network key".into(),
                summary: "A new key generation by DKG; the old one keeps decrypting for the retirement delay.".into(),
                content: tss_app::gov::Content::RotateNetworkKey,
                deposit,
            };
            let tx = wallet.sign(&app_params, validators, proposal);
            chain.submit(tx).map_err(|e| format!("the governance proposal: {e}"))?;
        }
        if h % 5 == 0 {
            let sign = Request::Sign { keyset: NETWORK_KEYSET, message: format!("transfer #{h}").into_bytes(), context: Some(SIGN_CONTEXT.to_vec()) };
            let tx = wallet.sign(&app_params, validators, Msg::Tss(sign.clone()));
            submitted.insert(tx.clone(), vec![RequestInput { requester: wallet.address.0.to_vec(), request: sign }]);
            chain.submit(tx).map_err(|e| format!("a signature request: {e}"))?;
            let enc = tss_crypto::encrypt::EncryptionKey::from_bytes(key, generation);
            if let (Some(enc), Some(label)) = (enc, tss_crypto::encrypt::owned_label(&bidder.address.0, b"/bid")) {
                if let Ok(ct) = tss_crypto::encrypt::encrypt(&enc, &label, format!("sealed bid {h}").as_bytes(), &mut rng) {
                    let decrypt = Request::Decrypt { keyset: NETWORK_KEYSET, ciphertext: ct.to_bytes(), delivery: Delivery::Public };
                    let tx = bidder.sign(&app_params, validators, Msg::Tss(decrypt.clone()));
                    submitted.insert(tx.clone(), vec![RequestInput { requester: bidder.address.0.to_vec(), request: decrypt }]);
                    chain.submit(tx).map_err(|e| format!("a decryption request: {e}"))?;
                }
            }
        }
    }
    let key = chain.engine(network_key).flatten();
    let validators = chain.engine(|s| s.meta.validators.len()).unwrap_or(0);
    let report::Counts { signatures, decryptions, failures, blame } = book.counts;
    out.print(
        None,
        Report::new(
            format!(
                "\nsummary: {} blocks, {validators} validators now, network key {} (generation {}), {signatures} signatures, {decryptions} decryptions, {failures} failed requests, {blame} blame events; every node agreed on the app hash at every height",
                chain.height,
                key.map(|(k, _)| hex(&k)).unwrap_or_else(|| "none".into()),
                key.map(|(_, g)| g.to_string()).unwrap_or_else(|| "none".into()),
            ),
            json!({
                "type": "summary", "height": chain.height, "validators": validators, "network_key": key.map(|(k, _)| hex(&k)),
                "network_key_generation": key.map(|(_, g)| g), "signatures": signatures, "decryptions": decryptions, "failures": failures, "blame_events": blame,
            }),
        ),
    );
    Ok(())
}

/// The network key and its current generation.
fn network_key(state: &tss_engine::EngineState) -> Option<([u8; 32], u32)> {
    let k = state.keysets.get(&NETWORK_KEYSET)?;
    let g = k.current?;
    k.generations.get(&g).map(|gen| (gen.group_key, g))
}

/// The engine's validator set.
fn validators(chain: &LocalChain) -> BTreeSet<Vec<u8>> {
    chain.engine(|s| s.meta.validators.iter().map(|v| v.address.clone()).collect()).unwrap_or_default()
}

fn attr<'a>(e: &'a tendermint_proto::v0_38::abci::Event, key: &str) -> Option<&'a str> {
    e.attributes.iter().find(|a| a.key == key).map(|a| a.value.as_str())
}
