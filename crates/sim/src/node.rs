//! One simulated node: consensus key, engine state store, local secrets and what it persisted.

use crate::faults::Behavior;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand_chacha::ChaCha20Rng;
use tss_engine::{LocalSecrets, MemStore};
use zeroize::Zeroizing;

/// A node of the simulated network.
pub struct Node {
    /// Its validator address.
    pub address: Vec<u8>,
    pub(crate) consensus: SigningKey,
    /// Its chain-state store.
    pub store: MemStore,
    /// Its local secrets as held in memory.
    pub local: LocalSecrets,
    /// The last bytes it persisted (what a restart reads back).
    pub persisted: Zeroizing<Vec<u8>>,
    /// A copy of its transport secret bytes (byzantine nodes use it to forge complaints).
    pub(crate) transport: Zeroizing<[u8; 32]>,
    /// How it behaves.
    pub behavior: Behavior,
    pub(crate) rng: ChaCha20Rng,
}

/// The bytes a validator signs for its extension (the simulator's stand-in for CometBFT's
/// canonical vote-extension sign bytes).
pub fn sign_bytes(chain_id: &str, height: u64, extension: &[u8]) -> Vec<u8> {
    let mut v = b"tss-sim/vote-extension/v1".to_vec();
    v.extend_from_slice(&(chain_id.len() as u64).to_be_bytes());
    v.extend_from_slice(chain_id.as_bytes());
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(extension);
    v
}

impl Node {
    /// A copy of the simulated validator's consensus key, for tests that sign as its operator
    /// (a genesis validator's operator account is its consensus key's).
    pub fn consensus_secret(&self) -> SigningKey {
        self.consensus.clone()
    }

    /// The consensus public key.
    pub fn consensus_key(&self) -> VerifyingKey {
        self.consensus.verifying_key()
    }

    pub(crate) fn sign(&self, chain_id: &str, height: u64, extension: &[u8]) -> [u8; 64] {
        self.consensus.sign(&sign_bytes(chain_id, height, extension)).to_bytes()
    }
}
