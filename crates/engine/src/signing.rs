//! A signing attempt's FROST package and shares, rebuilt from the bytes kept on chain. Shared by
//! the signers (`local`), the proposer (`proposal`) and block application (`apply`). The package
//! is prepared once per attempt ([`PreparedPackage`]: binding factors, group commitment and
//! challenge), so a share or an aggregate costs scalar arithmetic on top.

use crate::commitment_cache::CommitmentCache;
use crate::context::id_of;
use crate::types::ParticipantKey;
use std::collections::BTreeMap;
use tss_crypto::prepared::PreparedPackage;
use tss_crypto::sign::SignatureShare;
use tss_crypto::wire::{tag, Writer};
use tss_crypto::{Encode, KeyTweak, PublicKeySet};

/// The prepared package of an attempt: its message and every signer's published commitment,
/// under the key set's group key (shifted by `tweak` for a derived key). `Err` names the
/// signers whose commitment does not decode (empty if the package itself cannot be built).
/// Commitments come from `decoded` when they are there.
pub(crate) fn attempt_package(decoded: &CommitmentCache, message: &[u8], signers: &BTreeMap<ParticipantKey, [u8; 64]>, public: &PublicKeySet, tweak: Option<&KeyTweak>) -> Result<PreparedPackage, Vec<ParticipantKey>> {
    let mut commitments = Vec::with_capacity(signers.len());
    let mut bad = Vec::new();
    for (signer, raw) in signers {
        match id_of(signer).map(|i| decoded.decode(i, raw)) {
            Some(Ok(c)) => commitments.push(c),
            _ => bad.push(*signer),
        }
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    PreparedPackage::new(message, &commitments, public, tweak).map_err(|_| Vec::new())
}

/// A signer's 32-byte share as it travels in an extension.
pub(crate) fn parse_share(signer: &ParticipantKey, z: &[u8]) -> Option<SignatureShare> {
    let id = id_of(signer)?;
    let mut w = Writer::message(tag::SIGNATURE_SHARE, SignatureShare::VERSION);
    w.identifier(&id).raw(z);
    SignatureShare::from_bytes(&w.finish()).ok()
}
