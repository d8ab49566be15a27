//! Engine parameters (later changed by governance).

use serde::{Deserialize, Serialize};

/// Tunable parameters. All durations are in blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Blocks between proactive refreshes.
    pub epoch_length: u64,
    /// Hard cap on one validator's vote extension, in bytes.
    pub extension_budget: usize,
    /// Blocks a DKG, refresh or reshare may spend collecting dealings before it fails.
    pub dealing_timeout: u64,
    /// Blocks after the last dealing's arrival during which a session still waits for
    /// recipients that have not acknowledged or complained about every dealing (never fewer
    /// than f+1, one more than the proposers that may be byzantine, and never ending before the
    /// dealing deadline). A session whose recipients are all done finalizes at once.
    pub complaint_window: u64,
    /// Blocks one signing or decryption attempt may take before it is retried.
    pub request_timeout: u64,
    /// Attempts per request before it fails, beyond one for each validator that may be
    /// byzantine (`floor((n-1)/3)` of the key's committee): f bad signers can spoil one attempt
    /// each before all are excluded.
    pub max_attempts: u32,
    /// Published nonce commitments each validator keeps on chain.
    pub nonce_pool_target: usize,
    /// Nonce commitments one extension publishes at most.
    pub nonce_batch: usize,
    /// Blocks an old key generation stays usable for decryption after a rotation.
    pub retirement_delay: u64,
    /// Longest message a signature request may carry.
    pub max_message_len: usize,
    /// Longest derivation context.
    pub max_context_len: usize,
    /// Blocks a finished session stays in state (so late readers can compute their shares).
    pub session_retention: u64,
    /// Reshare sessions a handover may start per keyset before it is abandoned
    /// (`Event::HandoverFailed`) and the validator set stays as it was.
    #[serde(default = "default_handover_attempts")]
    pub handover_attempts: u32,
    /// Repair sessions one validator may have for one epoch of a key (a member that keeps
    /// asking cannot keep the others busy).
    #[serde(default = "default_repair_attempts")]
    pub repair_attempts: u32,
}

fn default_repair_attempts() -> u32 {
    3
}

fn default_handover_attempts() -> u32 {
    3
}

impl Default for Params {
    fn default() -> Self {
        Self {
            epoch_length: 20,
            extension_budget: 64 * 1024,
            dealing_timeout: 6,
            complaint_window: 1,
            request_timeout: 2,
            max_attempts: 3,
            nonce_pool_target: 64,
            nonce_batch: 32,
            retirement_delay: 10,
            max_message_len: 1024,
            max_context_len: 256,
            session_retention: 8,
            handover_attempts: default_handover_attempts(),
            repair_attempts: default_repair_attempts(),
        }
    }
}
