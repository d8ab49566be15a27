//! The engine's inputs and outputs.

use serde::{Deserialize, Serialize};

/// A keyset: the network key (id 0) or one a contract created.
pub type KeysetId = u64;
/// The chain's own network key.
pub const NETWORK_KEYSET: KeysetId = 0;
/// A signing, decryption or keyset-creation request.
pub type RequestId = u64;
/// A DKG, refresh or reshare session.
pub type SessionNumber = u64;
/// A participant identifier's 32-byte encoding (frost `Identifier`).
pub type ParticipantKey = [u8; 32];

/// Longest validator address accepted.
pub const MAX_ADDRESS_LEN: usize = 64;
/// Longest requester (account or contract address) accepted.
pub const MAX_REQUESTER_LEN: usize = 128;

/// A validator as the chain knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validator {
    /// Consensus address (1 to 64 bytes).
    pub address: Vec<u8>,
    /// Voting power.
    pub power: u64,
    /// X25519 communication key its shares are sealed to.
    pub transport: [u8; 32],
}

/// How a decryption result is delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// The plaintext is the callback's payload.
    Public,
    /// Re-encrypted to the requester's X25519 transport key; only it can open the result.
    Reencrypt {
        /// The requester's X25519 public key.
        transport: [u8; 32],
    },
}

/// What a transaction asks of the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// A new keyset held by the current validators, owned by the requester.
    CreateKeyset {
        /// The threshold; the default `floor(2n/3)+1` when absent.
        threshold: Option<u16>,
    },
    /// A threshold signature.
    Sign {
        /// Which keyset signs.
        keyset: KeysetId,
        /// The message (at most `Params::max_message_len` bytes).
        message: Vec<u8>,
        /// A derivation context: sign with the derived key `Y + H(Y, context)*G`.
        context: Option<Vec<u8>>,
    },
    /// Deletes a keyset the requester owns: pending requests on it fail, its sessions stop, it
    /// is never refreshed again and every validator erases its shares at the next commit.
    DeleteKeyset {
        /// The keyset.
        keyset: KeysetId,
    },
    /// A threshold decryption of a ciphertext whose label the requester owns.
    Decrypt {
        /// Which keyset decrypts.
        keyset: KeysetId,
        /// The ciphertext's wire encoding.
        ciphertext: Vec<u8>,
        /// Public or re-encrypted delivery.
        delivery: Delivery,
    },
}

/// A request with the party that made it (already authenticated by the chain).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestInput {
    /// Who asked: an account or a contract address. Only it is called back.
    pub requester: Vec<u8>,
    /// What it asked.
    pub request: Request,
}

/// A validator-set change, applied only after the key handover completes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Membership {
    /// A validator joins.
    Join(Validator),
    /// A validator leaves.
    Leave {
        /// Its address.
        address: Vec<u8>,
    },
}

/// Why a validator is blamed. The input to jailing and slashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BlameReason {
    /// Its extension did not decode, or exceeded the budget.
    MalformedExtension,
    /// Its dealing failed public verification.
    InvalidDealing,
    /// A complaint against its dealing was upheld.
    BadShare,
    /// It filed a complaint that was rejected.
    FalseComplaint,
    /// It did not deal before the session's deadline.
    MissingDealing,
    /// Its signature share was invalid.
    InvalidSignatureShare,
    /// It was chosen to sign and sent no share in time.
    MissingSignatureShare,
    /// Its decryption share was invalid.
    InvalidDecryptionShare,
    /// It published a malformed nonce commitment.
    InvalidNonceCommitment,
    /// Its claim of combined decryption points was wrong (the holders' answers refuted it).
    WrongDecryptionClaim,
}

/// What happened in a block, for logs, metrics and clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A session started.
    SessionStarted {
        /// Session number.
        session: SessionNumber,
        /// "dkg", "refresh" or "reshare".
        kind: String,
        /// The keyset.
        keyset: KeysetId,
        /// The key generation.
        generation: u32,
    },
    /// A session produced a key; it becomes active at `active_from`.
    SessionCompleted {
        /// Session number.
        session: SessionNumber,
        /// The keyset.
        keyset: KeysetId,
        /// The key generation.
        generation: u32,
        /// The new epoch of that generation.
        epoch: u64,
        /// The (unchanged, for refresh and reshare) group key.
        group_key: [u8; 32],
        /// Height from which the new shares are used.
        active_from: u64,
        /// Blocks from the session's start to its completion.
        blocks: u64,
    },
    /// A session failed.
    SessionFailed {
        /// Session number.
        session: SessionNumber,
        /// Why.
        reason: String,
    },
    /// A validator is blamed.
    Blame {
        /// Its address.
        validator: Vec<u8>,
        /// Why.
        reason: BlameReason,
    },
    /// A request was accepted and given an id.
    RequestAccepted {
        /// The id.
        request: RequestId,
    },
    /// A request ended (its callback is in the same block's output).
    RequestFinished {
        /// The id.
        request: RequestId,
        /// Whether it succeeded.
        ok: bool,
        /// Blocks from submission to the callback.
        blocks: u64,
    },
    /// The validator set changed after a completed handover.
    ValidatorSetChanged {
        /// The new set's size.
        validators: usize,
    },
    /// A handover was abandoned after `Params::handover_attempts` failed reshares: the
    /// validator set stays as it was, the queued joins and leaves are dropped (submit them
    /// again once the cause is fixed) and refreshes resume. See runbooks/validator.md.
    HandoverFailed {
        /// Reshare sessions started for it, failed ones included.
        attempts: u32,
        /// The membership changes dropped.
        dropped: Vec<Membership>,
        /// What the last failed session said.
        reason: String,
    },
    /// A share repair's blinded shares are in (or its time is up): the target recovers its
    /// share from them if at least `t` are good (it alone can tell, they are sealed to it).
    RepairDelivered {
        /// The repair session.
        session: SessionNumber,
        /// The validator whose share is repaired.
        validator: Vec<u8>,
        /// The keyset.
        keyset: KeysetId,
        /// Blinded shares delivered.
        contributions: usize,
    },
    /// A validator's transport key was replaced (sessions that start from the next block on
    /// seal its shares to the new key).
    TransportKeyRotated {
        /// Its address.
        validator: Vec<u8>,
        /// The new X25519 key.
        transport: [u8; 32],
    },
    /// A key generation was retired and its shares erased.
    GenerationRetired {
        /// The keyset.
        keyset: KeysetId,
        /// The generation.
        generation: u32,
    },
    /// A rotation of the network key was scheduled.
    RotationScheduled {
        /// Why ("governance" or "departed members reached the threshold").
        reason: String,
    },
    /// Governance froze or unfroze a keyset.
    KeysetFrozen {
        /// The keyset.
        keyset: KeysetId,
        /// Frozen now, or unfrozen.
        frozen: bool,
    },
    /// Governance's parameter change was applied, or refused.
    ParamsChanged {
        /// Applied.
        ok: bool,
        /// Why it was refused (empty when applied).
        reason: String,
    },
}

/// The result delivered to the requester (the chain turns it into a `sudo` call).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// A keyset is ready.
    KeysetReady {
        /// Its id.
        keyset: KeysetId,
        /// Its Ed25519 group key.
        public_key: [u8; 32],
    },
    /// A keyset was deleted.
    KeysetDeleted {
        /// Its id.
        keyset: KeysetId,
    },
    /// A signature.
    Signature {
        /// The 64-byte Ed25519 signature.
        signature: Vec<u8>,
        /// The key it verifies under (derived, if a context was given).
        public_key: [u8; 32],
    },
    /// A public decryption.
    Plaintext(Vec<u8>),
    /// A private decryption: `(U, V)`, opened with the requester's transport secret.
    Reencrypted {
        /// `U`.
        u: [u8; 32],
        /// `V`.
        v: [u8; 32],
    },
    /// The request failed.
    Failed {
        /// Why, for the requester.
        reason: String,
    },
}

/// One callback, to the requester only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// The requester.
    pub requester: Vec<u8>,
    /// The request.
    pub request: RequestId,
    /// The result.
    pub outcome: Outcome,
}

/// A change to hand to consensus (power 0 removes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorUpdate {
    /// The validator's address.
    pub address: Vec<u8>,
    /// Its new power.
    pub power: u64,
}
