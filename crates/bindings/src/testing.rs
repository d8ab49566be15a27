//! Helpers for contracts' unit tests (feature `testing`): ciphertexts laid out as version 1
//! around a label, and a check that a contract's README flow sends only messages it parses.
//! Not for use on chain: [`layout`]'s ciphertexts have no valid points or proof.

use cosmwasm_std::from_json;
use serde::de::DeserializeOwned;

/// A ciphertext with the version-1 layout around `label` whose body (the AEAD output, tag
/// included) is `body`; the ephemeral key is `9`s, `R` and `z` are zeros.
pub fn layout(label: &[u8], body: &[u8]) -> Vec<u8> {
    let mut ct = vec![0x06, 0x01, 0, 0, 0, 1];
    ct.extend_from_slice(&[9u8; 32]);
    ct.extend_from_slice(&u32::try_from(label.len()).unwrap_or(u32::MAX).to_be_bytes());
    ct.extend_from_slice(label);
    ct.extend_from_slice(&[0u8; 64]);
    ct.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
    ct.extend_from_slice(body);
    ct
}

/// Every `mpcd tx wasm instantiate | execute` and `mpcd query wasm contract-state smart` line
/// in `readme` carries (between single quotes) JSON that parses as `I`, `E` or `Q`; the
/// placeholders `CIPHERTEXT_BASE64` and `TRANSPORT_KEY_BASE64` stand for base64. Returns how
/// many lines were checked; the error names the first that does not parse.
pub fn readme_messages_parse<I: DeserializeOwned, E: DeserializeOwned, Q: DeserializeOwned>(readme: &str) -> Result<usize, String> {
    let mut checked = 0;
    for line in readme.lines().filter(|l| l.starts_with("mpcd ")) {
        let Some(json) = line.split('\'').nth(1) else { continue };
        let json = json.replace("CIPHERTEXT_BASE64", "AAAA").replace("TRANSPORT_KEY_BASE64", "AAAA");
        let parsed = if line.starts_with("mpcd tx wasm instantiate") {
            from_json::<I>(json.as_bytes()).map(drop)
        } else if line.starts_with("mpcd tx wasm execute") {
            from_json::<E>(json.as_bytes()).map(drop)
        } else {
            from_json::<Q>(json.as_bytes()).map(drop)
        };
        parsed.map_err(|e| format!("{line}: {e}"))?;
        checked += 1;
    }
    Ok(checked)
}
