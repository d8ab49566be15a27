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
    /// The threshold of a new key or committee is `floor(n * numerator / denominator) + 1`
    /// (2/3 by default: compromise needs the collusion that breaks consensus safety). A change
    /// takes effect at the next DKG or reshare; a refresh keeps its committee's threshold.
    #[serde(default = "default_threshold_numerator")]
    pub threshold_numerator: u32,
    /// See `threshold_numerator`.
    #[serde(default = "default_threshold_denominator")]
    pub threshold_denominator: u32,
    /// A key set's public decryptions go through a claim round (one combiner per slice, its
    /// claim checked by the holders' answers; `h+4` instead of `h+2`, a fraction of every
    /// node's work) when a block brings shares for at least this many of them.
    #[serde(default = "default_decryption_claim_min")]
    pub decryption_claim_min: usize,
}

fn default_decryption_claim_min() -> usize {
    256
}

fn default_threshold_numerator() -> u32 {
    2
}

fn default_threshold_denominator() -> u32 {
    3
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
            threshold_numerator: default_threshold_numerator(),
            threshold_denominator: default_threshold_denominator(),
            decryption_claim_min: default_decryption_claim_min(),
        }
    }
}

impl Params {
    /// The threshold for a committee of `n`: `floor(n * num / den) + 1`, within `1..=n`.
    pub fn threshold(&self, n: usize) -> u16 {
        let n64 = n as u64;
        let t = n64.saturating_mul(u64::from(self.threshold_numerator)) / u64::from(self.threshold_denominator.max(1)) + 1;
        u16::try_from(t.clamp(1, n64.max(1))).unwrap_or(u16::MAX)
    }

    /// Refuses values the engine cannot run with (genesis and governance both check this).
    pub fn validate(&self) -> Result<(), String> {
        let bad = |what: &str| Err(format!("params: {what}"));
        if self.epoch_length < 8 {
            return bad("epoch_length must be at least 8 blocks (a refresh and the transport-key rotation before it need them)");
        }
        if !(16 * 1024..=1024 * 1024).contains(&self.extension_budget) {
            return bad("extension_budget must be 16384 to 1048576 bytes");
        }
        if self.dealing_timeout < 2 || self.dealing_timeout >= self.epoch_length {
            return bad("dealing_timeout must be at least 2 blocks and below epoch_length");
        }
        if self.complaint_window == 0 || self.request_timeout < 2 || self.max_attempts == 0 {
            return bad("complaint_window and max_attempts must be at least 1, request_timeout at least 2 (shares arrive two blocks after a request)");
        }
        if self.nonce_batch == 0 || self.nonce_batch > self.nonce_pool_target || self.nonce_pool_target > 4096 {
            return bad("nonce_batch must be 1 to nonce_pool_target, and nonce_pool_target at most 4096");
        }
        if self.retirement_delay == 0 || self.session_retention == 0 {
            return bad("retirement_delay and session_retention must be at least 1 block");
        }
        if self.max_message_len == 0 || self.max_message_len > 65536 || self.max_context_len > 1024 {
            return bad("max_message_len must be 1 to 65536 and max_context_len at most 1024");
        }
        if self.handover_attempts == 0 || self.repair_attempts == 0 {
            return bad("handover_attempts and repair_attempts must be at least 1");
        }
        if self.decryption_claim_min == 0 {
            return bad("decryption_claim_min must be at least 1");
        }
        // t > n/2 keeps a single key from being reconstructable by a minority; t <= n.
        let (num, den) = (u64::from(self.threshold_numerator), u64::from(self.threshold_denominator));
        if den == 0 || num >= den || 2 * num < den {
            return bad("the threshold ratio threshold_numerator / threshold_denominator must be at least 1/2 and below 1");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_ratio_is_the_classic_two_thirds_threshold() {
        let p = Params::default();
        for n in 1..=300 {
            assert_eq!(p.threshold(n), tss_crypto::default_threshold(n), "n = {n}");
        }
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn validation_refuses_what_the_engine_cannot_run_with() {
        for p in [
            Params { epoch_length: 3, ..Params::default() },
            Params { extension_budget: 10, ..Params::default() },
            Params { threshold_numerator: 1, threshold_denominator: 3, ..Params::default() },
            Params { threshold_numerator: 3, threshold_denominator: 3, ..Params::default() },
            Params { threshold_denominator: 0, ..Params::default() },
            Params { nonce_batch: 100, nonce_pool_target: 10, ..Params::default() },
        ] {
            assert!(p.validate().is_err(), "{p:?}");
        }
        assert_eq!(Params { threshold_numerator: 1, threshold_denominator: 2, ..Params::default() }.threshold(4), 3);
    }
}
