//! The vote extension: what one validator contributes at one height.
//!
//! `VerifyVoteExtension` judges only form ([`check_form`]): the envelope decodes, its height is
//! right, it is within the byte budget. The nested protocol messages stay opaque bytes here and
//! are decoded, verified and blamed deterministically when the block is applied.

use tss_crypto::wire::{DecodeError, Reader, Writer};
use tss_crypto::transport::{POSSESSION_PROOF_LEN, SEALED_SCALAR_LEN};
use tss_crypto::Encode;

/// Tag of the extension envelope.
pub const EXTENSION_TAG: u8 = 0x20;
/// Bytes of one published nonce commitment (`[1/8]D || [1/8]E`, hiding then binding).
pub const NONCE_COMMITMENT_LEN: usize = 64;
const MAX_ITEMS: usize = 4096;
const MAX_NESTED: usize = 256 * 1024;
/// Most bytes of a decryption batch's request bitmap (a span of 65,536 request numbers).
pub const MAX_BITMAP: usize = 8192;

/// One contribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A dealing for a session.
    Dealing {
        /// The session.
        session: u64,
        /// `tss_crypto::dealing::Dealing` wire bytes.
        dealing: Vec<u8>,
    },
    /// A complaint in a session.
    Complaint {
        /// The session.
        session: u64,
        /// `tss_crypto::complaint::Complaint` wire bytes.
        complaint: Vec<u8>,
    },
    /// The dealings of a session whose shares for this validator checked out, by digest: once a
    /// recipient has acknowledged or complained about every dealing, it is done with the
    /// session, and a session whose recipients are all done finalizes without waiting out the
    /// complaint window.
    Acks {
        /// The session.
        session: u64,
        /// Digests (`Dealing::digest`) of the dealings acknowledged.
        digests: Vec<[u8; 32]>,
    },
    /// This validator lost its share of an epoch and asks the other members to repair it.
    RepairRequest {
        /// The keyset.
        keyset: u64,
        /// The generation.
        generation: u32,
        /// The epoch (the one in force).
        epoch: u64,
    },
    /// A helper's blinded share for a repair, sealed to its target.
    RepairShare {
        /// The repair session.
        session: u64,
        /// The ephemeral X25519 key it is sealed under.
        ephemeral: [u8; 32],
        /// The sealed blinded share.
        sealed: [u8; SEALED_SCALAR_LEN],
    },
    /// This validator's next transport (communication) key, with a proof that it knows the
    /// secret (bound to the chain and the validator); the extension's consensus signature
    /// authenticates it. Used for sessions that start once the chain records it.
    TransportKey {
        /// The X25519 public key.
        public: [u8; 32],
        /// `TransportSecret::prove_possession`.
        proof: [u8; POSSESSION_PROOF_LEN],
    },
    /// Withdraws every nonce commitment this validator has in the chain's pool: its store no
    /// longer holds their secrets (rebuilt after a lost disk, or restored from an old backup),
    /// and a signer drawn with one of them could only miss.
    WithdrawNonces,
    /// Fresh nonce commitments for the signer's pool.
    Nonces {
        /// Each `hiding || binding`.
        commitments: Vec<[u8; NONCE_COMMITMENT_LEN]>,
    },
    /// A FROST signature share for a request's attempt.
    SignatureShare {
        /// The request.
        request: u64,
        /// The attempt.
        attempt: u32,
        /// The share `z_i`.
        share: [u8; 32],
    },
    /// A re-encryption share (private delivery) for a request's attempt.
    ReencryptionShare {
        /// The request.
        request: u64,
        /// The attempt.
        attempt: u32,
        /// `ReencryptionShare` wire bytes.
        share: Vec<u8>,
    },
    /// This validator's public decryption shares of many requests under one key set, with one
    /// proof (`tss_crypto::decrypt_batch`).
    DecryptionBatch {
        /// The keyset.
        keyset: u64,
        /// The key generation.
        generation: u32,
        /// The epoch whose shares were used.
        epoch: u64,
        /// The first request number the bitmap covers.
        first_request: u64,
        /// Bit `k` (least significant first) is set when the batch has a share for request
        /// `first_request + k`; the shares are in request order.
        present: Vec<u8>,
        /// `DecryptionBatch` wire bytes.
        batch: Vec<u8>,
    },
    /// A combiner's claim of combined decryption points (`tss_crypto::decrypt_claim`) for the
    /// requests the chain assigned it in a claim round.
    DecryptionClaim {
        /// The keyset.
        keyset: u64,
        /// The key generation.
        generation: u32,
        /// The epoch of the batches combined.
        epoch: u64,
        /// The height whose block assigned the requests (the claim round).
        round: u64,
        /// The first request number the bitmap covers.
        first_request: u64,
        /// The requests claimed, as in [`Item::DecryptionBatch`]; the points are in request order.
        present: Vec<u8>,
        /// Each request's claimed point `Q` (`ClaimedPoint` encoding).
        points: Vec<[u8; 32]>,
    },
    /// This holder's answers to a round's claims: one decryption batch over the claims' bases,
    /// in the order of their claimants.
    ClaimAnswers {
        /// The keyset.
        keyset: u64,
        /// The key generation.
        generation: u32,
        /// The epoch whose shares were used.
        epoch: u64,
        /// The claim round.
        round: u64,
        /// Bit `k` is set when the batch answers the claim of the key set's `k`-th holder (in
        /// identifier order).
        claimants: Vec<u8>,
        /// `DecryptionBatch` wire bytes.
        batch: Vec<u8>,
    },
}

/// The bitmap of a sorted, duplicate-free list of request numbers, from its first.
pub fn request_bitmap(requests: &[u64]) -> Option<(u64, Vec<u8>)> {
    let first = *requests.first()?;
    let span = usize::try_from(requests.last()? - first).ok()? + 1;
    let mut present = vec![0u8; span.div_ceil(8)];
    for r in requests {
        let k = usize::try_from(r - first).ok()?;
        *present.get_mut(k / 8)? |= 1 << (k % 8);
    }
    Some((first, present))
}

/// The request numbers a bitmap names, in order.
pub fn bitmap_requests(first: u64, present: &[u8]) -> Vec<u64> {
    let mut out = Vec::new();
    for (byte, bits) in present.iter().enumerate() {
        for bit in 0..8 {
            if bits & (1 << bit) != 0 {
                out.extend(first.checked_add((byte * 8 + bit) as u64));
            }
        }
    }
    out
}

/// A validator's vote extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VoteExtension {
    /// The height it was made for.
    pub height: u64,
    /// Its contributions.
    pub items: Vec<Item>,
}

impl Item {
    /// Encoded size of this item.
    pub fn encoded_len(&self) -> usize {
        1 + match self {
            Item::Dealing { dealing, .. } => 8 + 4 + dealing.len(),
            Item::Complaint { complaint, .. } => 8 + 4 + complaint.len(),
            Item::Acks { digests, .. } => 8 + 2 + 32 * digests.len(),
            Item::RepairRequest { .. } => 8 + 4 + 8,
            Item::RepairShare { .. } => 8 + 32 + SEALED_SCALAR_LEN,
            Item::TransportKey { .. } => 32 + POSSESSION_PROOF_LEN,
            Item::WithdrawNonces => 0,
            Item::Nonces { commitments } => 2 + NONCE_COMMITMENT_LEN * commitments.len(),
            Item::SignatureShare { .. } => 8 + 4 + 32,
            Item::ReencryptionShare { share, .. } => 8 + 4 + 4 + share.len(),
            Item::DecryptionBatch { present, batch, .. } => 8 + 4 + 8 + 8 + 2 + present.len() + 4 + batch.len(),
            Item::DecryptionClaim { present, points, .. } => 8 + 4 + 8 + 8 + 8 + 2 + present.len() + 2 + 32 * points.len(),
            Item::ClaimAnswers { claimants, batch, .. } => 8 + 4 + 8 + 8 + 2 + claimants.len() + 4 + batch.len(),
        }
    }
}

/// Encoded size of an empty extension.
pub const EMPTY_EXTENSION_LEN: usize = 2 + 8 + 2;

impl Encode for VoteExtension {
    const TAG: u8 = EXTENSION_TAG;
    /// 2: item kinds 6 (acknowledgements), 7 and 8 (share repair), 9 (transport key), 10
    /// (withdrawn nonces). 3: nonce commitments in their published form, `[1/8]D || [1/8]E`
    /// ([`tss_crypto::sign::NonceCommitment::from_published`]). 4: public decryption shares
    /// travel only in batches (kind 11); kind 5 is for re-encryption shares. 5: claims of
    /// combined decryption points (kind 12) and their answers (kind 13).
    const VERSION: u8 = 5;
    const MAX_LEN: usize = 4 * 1024 * 1024;

    fn encode_body(&self, w: &mut Writer) {
        w.u64(self.height).u16(u16::try_from(self.items.len()).unwrap_or(u16::MAX));
        for item in &self.items {
            match item {
                Item::Dealing { session, dealing } => {
                    w.u8(1).u64(*session).bytes(dealing);
                }
                Item::Complaint { session, complaint } => {
                    w.u8(2).u64(*session).bytes(complaint);
                }
                Item::Acks { session, digests } => {
                    w.u8(6).u64(*session).u16(u16::try_from(digests.len()).unwrap_or(u16::MAX));
                    for d in digests {
                        w.raw(d);
                    }
                }
                Item::RepairRequest { keyset, generation, epoch } => {
                    w.u8(7).u64(*keyset).u32(*generation).u64(*epoch);
                }
                Item::RepairShare { session, ephemeral, sealed } => {
                    w.u8(8).u64(*session).raw(ephemeral).raw(sealed);
                }
                Item::TransportKey { public, proof } => {
                    w.u8(9).raw(public).raw(proof);
                }
                Item::WithdrawNonces => {
                    w.u8(10);
                }
                Item::Nonces { commitments } => {
                    w.u8(3).u16(u16::try_from(commitments.len()).unwrap_or(u16::MAX));
                    for c in commitments {
                        w.raw(c);
                    }
                }
                Item::SignatureShare { request, attempt, share } => {
                    w.u8(4).u64(*request).u32(*attempt).raw(share);
                }
                Item::ReencryptionShare { request, attempt, share } => {
                    w.u8(5).u64(*request).u32(*attempt).bytes(share);
                }
                Item::DecryptionBatch { keyset, generation, epoch, first_request, present, batch } => {
                    w.u8(11).u64(*keyset).u32(*generation).u64(*epoch).u64(*first_request);
                    w.u16(u16::try_from(present.len()).unwrap_or(u16::MAX)).raw(present).bytes(batch);
                }
                Item::DecryptionClaim { keyset, generation, epoch, round, first_request, present, points } => {
                    w.u8(12).u64(*keyset).u32(*generation).u64(*epoch).u64(*round).u64(*first_request);
                    w.u16(u16::try_from(present.len()).unwrap_or(u16::MAX)).raw(present);
                    w.u16(u16::try_from(points.len()).unwrap_or(u16::MAX));
                    for p in points {
                        w.raw(p);
                    }
                }
                Item::ClaimAnswers { keyset, generation, epoch, round, claimants, batch } => {
                    w.u8(13).u64(*keyset).u32(*generation).u64(*epoch).u64(*round);
                    w.u16(u16::try_from(claimants.len()).unwrap_or(u16::MAX)).raw(claimants).bytes(batch);
                }
            }
        }
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let height = r.u64("height")?;
        let n = r.count("items", MAX_ITEMS, 1)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let item = match r.u8("item kind")? {
                1 => Item::Dealing { session: r.u64("session")?, dealing: r.bytes("dealing", MAX_NESTED)?.to_vec() },
                2 => Item::Complaint { session: r.u64("session")?, complaint: r.bytes("complaint", MAX_NESTED)?.to_vec() },
                3 => {
                    let m = r.count("nonce commitments", MAX_ITEMS, NONCE_COMMITMENT_LEN)?;
                    Item::Nonces { commitments: (0..m).map(|_| r.array("nonce commitment")).collect::<Result<_, _>>()? }
                }
                4 => Item::SignatureShare { request: r.u64("request")?, attempt: r.u32("attempt")?, share: r.array("signature share")? },
                6 => {
                    let session = r.u64("session")?;
                    let m = r.count("acknowledged dealings", MAX_ITEMS, 32)?;
                    Item::Acks { session, digests: (0..m).map(|_| r.array("dealing digest")).collect::<Result<_, _>>()? }
                }
                7 => Item::RepairRequest { keyset: r.u64("keyset")?, generation: r.u32("generation")?, epoch: r.u64("epoch")? },
                8 => Item::RepairShare { session: r.u64("session")?, ephemeral: r.array("repair ephemeral key")?, sealed: r.array("sealed repair share")? },
                10 => Item::WithdrawNonces,
                9 => Item::TransportKey { public: r.array("transport key")?, proof: r.array("transport key proof")? },
                5 => Item::ReencryptionShare { request: r.u64("request")?, attempt: r.u32("attempt")?, share: r.bytes("re-encryption share", MAX_NESTED)?.to_vec() },
                11 => {
                    let (keyset, generation, epoch, first_request) = (r.u64("keyset")?, r.u32("generation")?, r.u64("epoch")?, r.u64("first request")?);
                    let len = r.count("request bitmap", MAX_BITMAP, 1)?;
                    let present = r.take(len, "request bitmap")?.to_vec();
                    Item::DecryptionBatch { keyset, generation, epoch, first_request, present, batch: r.bytes("decryption batch", MAX_NESTED)?.to_vec() }
                }
                12 => {
                    let (keyset, generation, epoch, round, first_request) = (r.u64("keyset")?, r.u32("generation")?, r.u64("epoch")?, r.u64("claim round")?, r.u64("first request")?);
                    let len = r.count("request bitmap", MAX_BITMAP, 1)?;
                    let present = r.take(len, "request bitmap")?.to_vec();
                    let m = r.count("claimed points", MAX_ITEMS, 32)?;
                    let points = (0..m).map(|_| r.array("claimed point")).collect::<Result<_, _>>()?;
                    Item::DecryptionClaim { keyset, generation, epoch, round, first_request, present, points }
                }
                13 => {
                    let (keyset, generation, epoch, round) = (r.u64("keyset")?, r.u32("generation")?, r.u64("epoch")?, r.u64("claim round")?);
                    let len = r.count("claimant bitmap", MAX_BITMAP, 1)?;
                    let claimants = r.take(len, "claimant bitmap")?.to_vec();
                    Item::ClaimAnswers { keyset, generation, epoch, round, claimants, batch: r.bytes("claim answers", MAX_NESTED)?.to_vec() }
                }
                _ => return Err(DecodeError::Invalid("item kind")),
            };
            items.push(item);
        }
        Ok(Self { height, items })
    }
}

/// Why an extension is rejected by `VerifyVoteExtension`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// Over the per-height byte budget.
    #[error("extension of {len} bytes exceeds the budget of {budget}")]
    OverBudget {
        /// Its length.
        len: usize,
        /// The budget.
        budget: usize,
    },
    /// Made for another height.
    #[error("extension made for height {found}, expected {expected}")]
    WrongHeight {
        /// The height it names.
        found: u64,
        /// The height being voted on.
        expected: u64,
    },
    /// Does not decode.
    #[error("extension does not decode: {0}")]
    Decode(#[from] DecodeError),
}

/// The form check for `VerifyVoteExtension`: budget, decoding, height. Never looks at state.
/// An empty byte string is a valid (empty) extension.
pub fn check_form(bytes: &[u8], height: u64, budget: usize) -> Result<VoteExtension, FormError> {
    if bytes.is_empty() {
        return Ok(VoteExtension { height, items: Vec::new() });
    }
    if bytes.len() > budget {
        return Err(FormError::OverBudget { len: bytes.len(), budget });
    }
    let ext = VoteExtension::from_bytes(bytes)?;
    if ext.height != height {
        return Err(FormError::WrongHeight { found: ext.height, expected: height });
    }
    Ok(ext)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn extension_roundtrips_and_size_is_predicted() {
        let ext = VoteExtension {
            height: 9,
            items: vec![
                Item::Dealing { session: 1, dealing: vec![1, 2, 3] },
                Item::Complaint { session: 2, complaint: vec![4] },
                Item::Acks { session: 2, digests: vec![[3; 32], [4; 32]] },
                Item::RepairRequest { keyset: 1, generation: 2, epoch: 3 },
                Item::RepairShare { session: 4, ephemeral: [5; 32], sealed: [6; SEALED_SCALAR_LEN] },
                Item::TransportKey { public: [7; 32], proof: [8; POSSESSION_PROOF_LEN] },
                Item::WithdrawNonces,
                Item::Nonces { commitments: vec![[7; 64], [8; 64]] },
                Item::SignatureShare { request: 3, attempt: 1, share: [9; 32] },
                Item::ReencryptionShare { request: 4, attempt: 0, share: vec![5; 10] },
                Item::DecryptionBatch { keyset: 1, generation: 0, epoch: 2, first_request: 10, present: vec![0b101], batch: vec![6; 40] },
                Item::DecryptionClaim { keyset: 1, generation: 0, epoch: 2, round: 8, first_request: 10, present: vec![0b11], points: vec![[1; 32], [2; 32]] },
                Item::ClaimAnswers { keyset: 1, generation: 0, epoch: 2, round: 8, claimants: vec![0b1001], batch: vec![7; 40] },
            ],
        };
        let bytes = ext.to_bytes();
        assert_eq!(bytes.len(), EMPTY_EXTENSION_LEN + ext.items.iter().map(Item::encoded_len).sum::<usize>());
        assert_eq!(check_form(&bytes, 9, 1 << 16).unwrap(), ext);
        assert!(matches!(check_form(&bytes, 10, 1 << 16), Err(FormError::WrongHeight { .. })));
        assert!(matches!(check_form(&bytes, 9, 10), Err(FormError::OverBudget { .. })));
        assert!(check_form(&bytes[..bytes.len() - 1], 9, 1 << 16).is_err());
    }

    #[test]
    fn request_bitmaps_roundtrip() {
        for requests in [vec![7u64], vec![0, 1, 2, 3, 4, 5, 6, 7, 8], vec![3, 9, 200, 201], vec![u64::MAX - 1, u64::MAX]] {
            let (first, present) = request_bitmap(&requests).unwrap();
            assert_eq!(first, requests[0]);
            assert_eq!(bitmap_requests(first, &present), requests);
        }
        assert_eq!(request_bitmap(&[]), None);
        // Bits past u64::MAX name nothing.
        assert_eq!(bitmap_requests(u64::MAX, &[0xff]), vec![u64::MAX]);
    }
}
