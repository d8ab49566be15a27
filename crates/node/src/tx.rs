//! Account transactions: a request to the engine signed by an account key, with a sequence
//! number against replay. `CheckTx` and `FinalizeBlock` both check everything; a bad
//! transaction gets a non-zero code and a log line, never a panic.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use tss_crypto::wire::{DecodeError, Reader, Writer};
use tss_crypto::Encode;
use tss_engine::types::Request;

/// First byte of an account transaction.
pub const TX_TAG: u8 = 0x31;
const MAX_BODY: usize = 128 * 1024;

/// Result codes.
pub mod code {
    /// Accepted.
    pub const OK: u32 = 0;
    /// Bytes do not decode.
    pub const MALFORMED: u32 = 1;
    /// Signature does not verify.
    pub const BAD_SIGNATURE: u32 = 2;
    /// Sequence is not the account's next one (replay or gap).
    pub const BAD_SEQUENCE: u32 = 3;
    /// The envelope position is reserved.
    pub const RESERVED: u32 = 4;
}

/// A signed account transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    /// The account's Ed25519 public key.
    pub signer: [u8; 32],
    /// The account's sequence number (starts at 0).
    pub sequence: u64,
    /// The request, postcard-encoded.
    pub body: Vec<u8>,
    /// Signature over [`Tx::sign_bytes`].
    pub signature: [u8; 64],
}

impl Encode for Tx {
    const TAG: u8 = TX_TAG;
    const MAX_LEN: usize = 2 + 32 + 8 + 4 + MAX_BODY + 64;

    fn encode_body(&self, w: &mut Writer) {
        w.raw(&self.signer).u64(self.sequence).bytes(&self.body).raw(&self.signature);
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self { signer: r.array("signer")?, sequence: r.u64("sequence")?, body: r.bytes("body", MAX_BODY)?.to_vec(), signature: r.array("signature")? })
    }
}

/// An account's address: the first 20 bytes of SHA-256 of its key. It is the requester identity
/// the engine sees, and the owner a ciphertext's label must name
/// (`tss_crypto::encrypt::owned_label`).
pub fn account_address(key: &[u8; 32]) -> Vec<u8> {
    Sha256::digest(key).get(..20).map(<[u8]>::to_vec).unwrap_or_default()
}

impl Tx {
    /// The bytes an account signs: domain, chain id, key, sequence, body.
    pub fn sign_bytes(chain_id: &str, signer: &[u8; 32], sequence: u64, body: &[u8]) -> Vec<u8> {
        let mut v = b"mpcd/tx/v1".to_vec();
        v.extend_from_slice(&(chain_id.len() as u64).to_be_bytes());
        v.extend_from_slice(chain_id.as_bytes());
        v.extend_from_slice(signer);
        v.extend_from_slice(&sequence.to_be_bytes());
        v.extend_from_slice(&Sha256::digest(body));
        v
    }

    /// Signs a request.
    pub fn new(chain_id: &str, key: &SigningKey, sequence: u64, request: &Request) -> Self {
        let signer = key.verifying_key().to_bytes();
        let body = postcard::to_allocvec(request).unwrap_or_default();
        let signature = key.sign(&Self::sign_bytes(chain_id, &signer, sequence, &body)).to_bytes();
        Self { signer, sequence, body, signature }
    }

    /// Checks the signature and decodes the request.
    pub fn verify(&self, chain_id: &str) -> Result<Request, (u32, String)> {
        let key = VerifyingKey::from_bytes(&self.signer).map_err(|_| (code::BAD_SIGNATURE, "signer is not a valid Ed25519 key".to_owned()))?;
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature);
        key.verify_strict(&Self::sign_bytes(chain_id, &self.signer, self.sequence, &self.body), &sig)
            .map_err(|_| (code::BAD_SIGNATURE, "signature does not verify for this chain, key, sequence and body".to_owned()))?;
        let (request, rest): (Request, &[u8]) = postcard::take_from_bytes(&self.body).map_err(|e| (code::MALFORMED, format!("request does not decode: {e}")))?;
        if !rest.is_empty() {
            return Err((code::MALFORMED, "trailing bytes after the request".into()));
        }
        Ok(request)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signed_tx_verifies_and_tampering_is_caught() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let req = Request::Sign { keyset: 0, message: b"m".to_vec(), context: None };
        let tx = Tx::new("chain", &key, 4, &req);
        let decoded = Tx::from_bytes(&tx.to_bytes()).unwrap();
        assert_eq!(decoded.verify("chain").unwrap(), req);
        assert_eq!(decoded.verify("other").unwrap_err().0, code::BAD_SIGNATURE);
        let mut replayed = decoded.clone();
        replayed.sequence = 5;
        assert_eq!(replayed.verify("chain").unwrap_err().0, code::BAD_SIGNATURE);
        let mut garbled = decoded;
        garbled.body.push(1);
        assert_eq!(garbled.verify("chain").unwrap_err().0, code::BAD_SIGNATURE);
    }
}
