//! A signing attempt's FROST package and shares, rebuilt from the bytes kept on chain. Shared by
//! the signers (`local`), the proposer (`proposal`) and block application (`apply`).

use crate::context::id_of;
use crate::types::ParticipantKey;
use std::collections::BTreeMap;
use tss_crypto::sign::{signing_package, NonceCommitment, SignatureShare};
use tss_crypto::wire::{tag, Writer};
use tss_crypto::Encode;
use frost_ed25519::SigningPackage;

/// The package of an attempt: its message and every signer's published commitment. `Err` names
/// the signers whose commitment does not decode (empty if the package itself cannot be built).
pub(crate) fn attempt_package(message: &[u8], signers: &BTreeMap<ParticipantKey, [u8; 64]>) -> Result<SigningPackage, Vec<ParticipantKey>> {
    let mut commitments = Vec::with_capacity(signers.len());
    let mut bad = Vec::new();
    for (signer, raw) in signers {
        match id_of(signer).map(|i| NonceCommitment::from_published(i, raw)) {
            Some(Ok(c)) => commitments.push(c),
            _ => bad.push(*signer),
        }
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    signing_package(message, &commitments).map_err(|_| Vec::new())
}

/// A signer's 32-byte share as it travels in an extension.
pub(crate) fn parse_share(signer: &ParticipantKey, z: &[u8]) -> Option<SignatureShare> {
    let id = id_of(signer)?;
    let mut w = Writer::message(tag::SIGNATURE_SHARE, SignatureShare::VERSION);
    w.identifier(&id).raw(z);
    SignatureShare::from_bytes(&w.finish()).ok()
}
