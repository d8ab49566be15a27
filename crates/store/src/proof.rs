//! Checking a proof from [`AuthStore::get_at`](crate::AuthStore::get_at) against an app hash,
//! as a light client would.

/// Whether `proof` shows that `key` holds `value` (or, with `None`, holds nothing) in the state
/// whose root is `root`. The tree holds each value framed (`0x01 ++ value`), which this applies.
pub fn verify(root: &[u8; 32], key: &[u8], value: Option<&[u8]>, proof: &ics23::CommitmentProof) -> bool {
    let spec = jmt::ics23_spec();
    match value {
        Some(v) => ics23::verify_membership::<ics23::HostFunctionsManager>(proof, &spec, &root.to_vec(), key, &crate::keys::tree_value(v)),
        None => ics23::verify_non_membership::<ics23::HostFunctionsManager>(proof, &spec, &root.to_vec(), key),
    }
}

/// The proof's protobuf encoding (ICS-23's `CommitmentProof`), as ABCI's `ProofOp.data` carries it.
pub fn encode_proof(proof: &ics23::CommitmentProof) -> Vec<u8> {
    prost::Message::encode_to_vec(proof)
}

/// Decodes a proof from its protobuf encoding; attacker-controlled bytes give an error.
pub fn decode_proof(bytes: &[u8]) -> Result<ics23::CommitmentProof, String> {
    <ics23::CommitmentProof as prost::Message>::decode(bytes).map_err(|e| format!("not an ICS-23 commitment proof: {e}"))
}

/// The `ProofOp.type` of these proofs.
pub const PROOF_TYPE: &str = "ics23:jmt-sha256";
