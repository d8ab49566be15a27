//! The chain's authenticated store.
//!
//! [`AuthStore`] is the engine's [`Store`](tss_engine::Store) (latest values, prefix scans)
//! kept together with a Jellyfish Merkle tree over the same entries. [`AuthStore::root`] hashes
//! only what changed since the last root, so a block's cost follows the block, not the state's
//! size. Each root is a version (the block height); [`AuthStore::get_at`] reads a key at a
//! committed version with an ICS-23 proof against that version's root, which is the app hash.
//!
//! [`AuthStore::at`] gives the state as committed at a version (reads and prefix scans), from
//! each key's history; [`AuthStore::prune`] drops versions older than a node keeps.
//!
//! Nothing is written to the backend until [`AuthStore::commit`], which returns every raw write
//! of the block for the caller to apply in one atomic batch (rocksdb's `WriteBatch` in the
//! node), so a crash between `FinalizeBlock` and `Commit` leaves nothing half-written.

mod backend;
mod keys;
mod proof;
mod snapshot;
mod store;
mod tree;

pub use backend::{MemBackend, RawKv, RawWrite};
pub use ics23::CommitmentProof;
pub use proof::{decode_proof, encode_proof, verify, PROOF_TYPE};
pub use snapshot::Snapshot;
pub use store::{AuthStore, Error};
