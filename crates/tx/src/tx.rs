//! Transactions: messages, a fee with its gas limit and the account's sequence, signed by the
//! account's Ed25519 key over the chain id. Every byte is attacker-controlled: decoding is
//! bounded and canonical, and every check names what failed.

use crate::address::Address;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tss_crypto::wire::{DecodeError, Reader, Writer};
use tss_crypto::Encode;
use tss_engine::types::Request;

/// First byte of a transaction.
pub const TX_TAG: u8 = 0x32;
/// Largest body accepted (room for a contract's code: `tss_wasm::host::MAX_CODE_SIZE`).
pub const MAX_BODY: usize = 900 * 1024;
/// Most messages in one transaction.
pub const MAX_MSGS: usize = 16;
/// Longest memo.
pub const MAX_MEMO: usize = 256;

/// One thing a transaction asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// Moves `amount` of the native denom to `to`.
    BankSend {
        /// The recipient.
        to: Address,
        /// How much.
        amount: u128,
    },
    /// A request to the threshold engine, made by the signer's account.
    Tss(Request),
    /// Registers the signer as a validator operator: its consensus key, its X25519 transport
    /// key with a proof of possession (`TransportSecret::prove_possession` for the consensus
    /// address), a self-bond and a name. It joins the active set at the next epoch boundary
    /// if its bond ranks.
    CreateValidator {
        /// Ed25519 consensus public key (CometBFT's `priv_validator_key.json`).
        consensus_key: [u8; 32],
        /// X25519 transport key.
        transport: [u8; 32],
        /// 64-byte proof of possession of the transport key.
        transport_proof: Vec<u8>,
        /// Stake bonded now.
        self_bond: u128,
        /// A name for people.
        moniker: String,
    },
    /// Adds to the signer's validator bond.
    Bond {
        /// How much.
        amount: u128,
    },
    /// Starts unbonding part of the bond: released after `unbonding_blocks`.
    Unbond {
        /// How much.
        amount: u128,
    },
    /// Lets a jailed validator back into the candidates after its jail time.
    Unjail,
    /// Submits a governance proposal with an initial deposit (`tss_app::gov`).
    GovSubmit {
        /// A title (1 to 140 bytes).
        title: String,
        /// What and why (at most 10,000 bytes).
        summary: String,
        /// What it does when it passes.
        content: crate::gov::Content,
        /// The initial deposit.
        deposit: u128,
    },
    /// Adds to a proposal's deposit.
    GovDeposit {
        /// The proposal.
        proposal: u64,
        /// How much.
        amount: u128,
    },
    /// Votes on a proposal (a validator's operator; a later vote replaces an earlier one).
    GovVote {
        /// The proposal.
        proposal: u64,
        /// The vote.
        option: crate::gov::VoteOption,
    },
    /// Stores a contract's wasm code after cosmwasm-vm's checks; its id is in the
    /// `store_code` event.
    WasmStore {
        /// The wasm bytes (at most `tss_wasm::host::MAX_CODE_SIZE`).
        code: Vec<u8>,
    },
    /// Instantiates a stored code; the new contract's address is in the `instantiate` event.
    WasmInstantiate {
        /// The code.
        code_id: u64,
        /// The JSON instantiate message.
        msg: Vec<u8>,
        /// A name for people (1 to 128 bytes).
        label: String,
        /// Who may migrate it (raw address bytes), if anyone.
        admin: Option<Vec<u8>>,
    },
    /// Executes a contract.
    WasmExecute {
        /// The contract (32 bytes).
        contract: [u8; 32],
        /// The JSON execute message.
        msg: Vec<u8>,
    },
    /// Migrates a contract to another code (its admin only).
    WasmMigrate {
        /// The contract.
        contract: [u8; 32],
        /// The new code.
        code_id: u64,
        /// The JSON migrate message.
        msg: Vec<u8>,
    },
}

impl Msg {
    /// A short name for logs and events.
    pub fn name(&self) -> &'static str {
        match self {
            Msg::BankSend { .. } => "bank/send",
            Msg::Tss(Request::CreateKeyset { .. }) => "tss/create-keyset",
            Msg::Tss(Request::Sign { .. }) => "tss/sign",
            Msg::Tss(Request::Decrypt { .. }) => "tss/decrypt",
            Msg::Tss(Request::DeleteKeyset { .. }) => "tss/delete-keyset",
            Msg::CreateValidator { .. } => "staking/create-validator",
            Msg::Bond { .. } => "staking/bond",
            Msg::Unbond { .. } => "staking/unbond",
            Msg::Unjail => "slashing/unjail",
            Msg::GovSubmit { .. } => "gov/submit-proposal",
            Msg::GovDeposit { .. } => "gov/deposit",
            Msg::GovVote { .. } => "gov/vote",
            Msg::WasmStore { .. } => "wasm/store",
            Msg::WasmInstantiate { .. } => "wasm/instantiate",
            Msg::WasmExecute { .. } => "wasm/execute",
            Msg::WasmMigrate { .. } => "wasm/migrate",
        }
    }
}

/// The fee offered and the gas it buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// Paid in the native denom, whatever the transaction uses.
    pub amount: u128,
    /// Most gas the transaction may use.
    pub gas_limit: u64,
}

/// What the account signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxBody {
    /// The chain it is for.
    pub chain_id: String,
    /// The account's sequence (its number of committed transactions).
    pub sequence: u64,
    /// The fee.
    pub fee: Fee,
    /// The messages, executed in order; if one fails, none takes effect.
    pub msgs: Vec<Msg>,
    /// Free text.
    pub memo: String,
}

/// A signed transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    /// The account's Ed25519 public key.
    pub signer: [u8; 32],
    /// The postcard encoding of the [`TxBody`].
    pub body: Vec<u8>,
    /// Ed25519 over [`Tx::sign_bytes`].
    pub signature: [u8; 64],
}

impl Encode for Tx {
    const TAG: u8 = TX_TAG;
    const MAX_LEN: usize = 2 + 32 + 4 + MAX_BODY + 64;

    fn encode_body(&self, w: &mut Writer) {
        w.raw(&self.signer).bytes(&self.body).raw(&self.signature);
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self { signer: r.array("signer")?, body: r.bytes("body", MAX_BODY)?.to_vec(), signature: r.array("signature")? })
    }
}

/// Why a transaction is refused before any state is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The bytes are not a transaction.
    #[error("transaction does not decode: {0}")]
    Decode(String),
    /// The signature does not verify.
    #[error("signature does not verify for this signer and body")]
    Signature,
    /// Made for another chain.
    #[error("transaction is for chain {found:?}, this is {expected:?}")]
    WrongChain {
        /// The chain it names.
        found: String,
        /// This chain.
        expected: String,
    },
    /// Empty, or over a bound.
    #[error("{0}")]
    Bounds(String),
}

impl Tx {
    /// The bytes an account signs: a domain and the body's digest (the body names the chain).
    pub fn sign_bytes(body: &[u8]) -> Vec<u8> {
        let mut v = b"mpc/tx/v2".to_vec();
        v.extend_from_slice(&Sha256::digest(body));
        v
    }

    /// Signs a body.
    pub fn sign(key: &SigningKey, body: &TxBody) -> Self {
        let body = postcard::to_allocvec(body).unwrap_or_default();
        let signature = key.sign(&Self::sign_bytes(&body)).to_bytes();
        Self { signer: key.verifying_key().to_bytes(), body, signature }
    }

    /// The signer's account.
    pub fn account(&self) -> Address {
        Address::of_key(&self.signer)
    }

    /// Checks the signature, decodes the body and checks its bounds and chain.
    pub fn verify(&self, chain_id: &str) -> Result<TxBody, TxError> {
        let key = VerifyingKey::from_bytes(&self.signer).map_err(|_| TxError::Signature)?;
        key.verify_strict(&Self::sign_bytes(&self.body), &ed25519_dalek::Signature::from_bytes(&self.signature)).map_err(|_| TxError::Signature)?;
        let (body, rest): (TxBody, &[u8]) = postcard::take_from_bytes(&self.body).map_err(|e| TxError::Decode(e.to_string()))?;
        if !rest.is_empty() {
            return Err(TxError::Decode(format!("{} trailing bytes after the body", rest.len())));
        }
        if body.chain_id != chain_id {
            return Err(TxError::WrongChain { found: body.chain_id, expected: chain_id.to_owned() });
        }
        if body.msgs.is_empty() || body.msgs.len() > MAX_MSGS {
            return Err(TxError::Bounds(format!("a transaction carries 1 to {MAX_MSGS} messages, this one {}", body.msgs.len())));
        }
        if body.memo.len() > MAX_MEMO {
            return Err(TxError::Bounds(format!("memo of {} bytes exceeds {MAX_MEMO}", body.memo.len())));
        }
        Ok(body)
    }
}

/// The gas limit a transaction's fee names, read without checking its signature (for a
/// proposer filling a block with transactions its mempool already checked); `None` if the
/// bytes are not a transaction.
pub fn gas_limit(bytes: &[u8]) -> Option<u64> {
    let tx = Tx::from_bytes(bytes).ok()?;
    let (body, _): (TxBody, &[u8]) = postcard::take_from_bytes(&tx.body).ok()?;
    Some(body.fee.gas_limit)
}

/// Decodes and verifies transaction bytes.
pub fn decode(bytes: &[u8], chain_id: &str) -> Result<(Tx, TxBody), TxError> {
    let tx = Tx::from_bytes(bytes).map_err(|e| TxError::Decode(e.to_string()))?;
    let body = tx.verify(chain_id)?;
    Ok((tx, body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn body(chain: &str) -> TxBody {
        TxBody { chain_id: chain.into(), sequence: 0, fee: Fee { amount: 10, gas_limit: 100_000 }, msgs: vec![Msg::BankSend { to: Address([1; 20]), amount: 5 }], memo: String::new() }
    }

    #[test]
    fn signed_tx_verifies_and_tampering_replay_and_other_chains_are_refused() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let tx = Tx::sign(&key, &body("c"));
        let (decoded, b) = decode(&tx.to_bytes(), "c").unwrap();
        assert_eq!(b, body("c"));
        assert_eq!(decoded.account(), Address::of_key(&key.verifying_key().to_bytes()));
        assert!(matches!(decode(&tx.to_bytes(), "other"), Err(TxError::WrongChain { .. })));
        let mut garbled = tx.clone();
        garbled.body.push(0);
        assert_eq!(garbled.verify("c"), Err(TxError::Signature));
        let mut empty = body("c");
        empty.msgs.clear();
        assert!(matches!(Tx::sign(&key, &empty).verify("c"), Err(TxError::Bounds(_))));
        assert!(decode(&[TX_TAG, 1, 0], "c").is_err());
        assert_eq!(gas_limit(&tx.to_bytes()), Some(100_000));
        assert_eq!(gas_limit(&[TX_TAG, 1, 0]), None);
    }
}
