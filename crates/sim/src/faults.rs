//! Faults a scenario can inject.

/// How a validator behaves when it makes its vote extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behavior {
    /// Follows the protocol.
    Honest,
    /// Corrupts the shares its dealings carry.
    BadDealing,
    /// The ephemeral-key oracle: deals one height late, reusing an honest dealing's ephemeral
    /// key (and that dealing's proof) with garbage shares, so that honest complaints would
    /// reveal the Diffie-Hellman secrets of the honest dealing.
    CopyEphemeral,
    /// The censored-complaint attack: deals a bad share to one victim (node index) only, holds
    /// its dealing back until the victim's complaint would land in a block this validator
    /// proposes, and as proposer leaves the victim's extension out (whenever > 2/3 of the power
    /// stays).
    CensoringDealer {
        /// The node whose share is bad and whose extensions are dropped.
        victim: usize,
    },
    /// Complains about every honest dealing it receives, with a valid-looking proof.
    FalseComplaint,
    /// Sends a wrong signature share.
    WrongSignatureShare,
    /// Sends a wrong decryption share: the proof of its batches (and of its claim answers) is
    /// wrong, the share points are right.
    WrongDecryptionShare,
    /// Sends a wrong share point (the first of each batch) with the batch's original proof.
    WrongDecryptionPoints,
    /// As a combiner, claims a wrong point (the first of each claim).
    WrongClaim,
    /// Sends protocol items whose payload is random bytes.
    GarbageItems,
    /// Sends an extension over the byte budget (honest nodes refuse it in VerifyVoteExtension).
    OversizedExtension,
}

/// When a crash happens around `ExtendVote`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPhase {
    /// Local secrets were persisted, the extension never left the node.
    AfterPersistBeforeBroadcast,
    /// The extension was broadcast, the node died before the block committed.
    AfterBroadcastBeforeCommit,
}

/// How a proposer misbehaves in round 0 of a height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposerFault {
    /// Leaves out up to this many extensions (never so many that 2/3 of power is lost).
    Drop(usize),
    /// Changes a byte of one extension (its signature no longer verifies).
    Tamper,
    /// Appends 65,535 aggregated signatures for requests that are not open (the envelope's
    /// maximum), to make every node verify them one by one.
    StuffAggregates,
}
