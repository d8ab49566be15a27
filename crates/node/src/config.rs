//! The node's home directory and configuration file.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `config.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Address the ABCI server listens on; CometBFT's `proxy_app` points here.
    pub abci_listen: String,
    /// Address of the Prometheus metrics endpoint.
    pub metrics_listen: String,
    /// This validator's consensus address (hex, 20 bytes), from CometBFT's
    /// `priv_validator_key.json`.
    pub validator_address: String,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `tss_engine=debug,info`.
    pub log: String,
    /// CometBFT's home: `start` checks that its `config/priv_validator_key.json` is the
    /// validator the secret store was made for. Empty with a remote signer (then
    /// `validator_address` alone is checked).
    #[serde(default)]
    pub cometbft_home: String,
    /// Committed heights whose state stays readable (queries at a height, proofs); older ones
    /// are pruned. 0 keeps every height (an archive node).
    #[serde(default = "default_state_heights")]
    pub state_heights: u64,
}

/// Committed heights a node keeps readable by default: about a day of 1 s blocks.
pub const DEFAULT_STATE_HEIGHTS: u64 = 100_000;

fn default_state_heights() -> u64 {
    DEFAULT_STATE_HEIGHTS
}

/// The default metrics address: CometBFT's own Prometheus endpoint takes 26660.
pub const DEFAULT_METRICS: &str = "127.0.0.1:26670";

/// A validator's identity as CometBFT's `config/priv_validator_key.json` holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CometIdentity {
    /// The consensus address: the first 20 bytes of SHA-256 of the key.
    pub address: [u8; 20],
    /// The Ed25519 consensus public key.
    pub public_key: [u8; 32],
}

/// Reads and checks `<cometbft_home>/config/priv_validator_key.json`: an Ed25519 key whose
/// address matches it.
pub fn cometbft_identity(cometbft_home: &Path) -> anyhow::Result<CometIdentity> {
    use base64::Engine;
    use sha2::Digest;
    let path = cometbft_home.join("config").join("priv_validator_key.json");
    let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e} (is this CometBFT's home? `cometbft init --home DIR` creates it)", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", path.display()))?;
    let kind = v.pointer("/pub_key/type").and_then(serde_json::Value::as_str).unwrap_or_default();
    if kind != "tendermint/PubKeyEd25519" {
        anyhow::bail!("{}: pub_key.type is {kind:?}: only Ed25519 consensus keys (tendermint/PubKeyEd25519) are supported", path.display());
    }
    let public_key: [u8; 32] = v
        .pointer("/pub_key/value")
        .and_then(serde_json::Value::as_str)
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("{}: pub_key.value is not a base64 32-byte Ed25519 key", path.display()))?;
    let mut address = [0u8; 20];
    address.copy_from_slice(sha2::Sha256::digest(public_key).get(..20).unwrap_or(&[0; 20]));
    let written = v.get("address").and_then(serde_json::Value::as_str).unwrap_or_default();
    if !written.eq_ignore_ascii_case(&hex::encode(address)) {
        anyhow::bail!("{}: address {written:?} is not the address of its pub_key ({}): the file was edited or mixed up; restore it from backup", path.display(), hex::encode_upper(address));
    }
    Ok(CometIdentity { address, public_key })
}

/// A validator address given in hex (20 bytes, any case, `0x` allowed).
pub fn parse_validator_address(s: &str) -> Result<[u8; 20], String> {
    let t = s.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    hex::decode(t).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| format!("{s:?} is not a validator address (40 hex digits, as in CometBFT's priv_validator_key.json)"))
}

impl Default for Config {
    fn default() -> Self {
        Self { abci_listen: "127.0.0.1:26658".into(), metrics_listen: DEFAULT_METRICS.into(), validator_address: String::new(), log: "info".into(), cometbft_home: String::new(), state_heights: DEFAULT_STATE_HEIGHTS }
    }
}

/// The files of a node home.
pub struct Home(pub PathBuf);

impl Home {
    /// `config.toml`.
    pub fn config(&self) -> PathBuf {
        self.0.join("config.toml")
    }
    /// The key that encrypts the secret store.
    pub fn store_key(&self) -> PathBuf {
        self.0.join("local.key")
    }
    /// The encrypted secret store.
    pub fn secrets(&self) -> PathBuf {
        self.0.join("secrets.store")
    }
    /// The chain database.
    pub fn data(&self) -> PathBuf {
        self.0.join("data")
    }
    /// Compiled contract modules (a cache: rebuilt from chain state when lost).
    pub fn wasm_cache(&self) -> PathBuf {
        self.0.join("wasm")
    }
}

const HEADER: &str = "# mpcd node configuration. Every key is documented; defaults are shown.
#
# abci_listen:       where the ABCI++ server listens; CometBFT's proxy_app must point here.
#                    Keep it on loopback: the ABCI connection is not authenticated.
# metrics_listen:    Prometheus text endpoint (GET /metrics).
# validator_address: this validator's consensus address, hex; `mpcd init --cometbft-home` fills
#                    it from CometBFT's config/priv_validator_key.json. The secret store is
#                    bound to it: `mpcd start` refuses a store made for another validator.
# cometbft_home:     CometBFT's home; `mpcd start` checks its priv_validator_key.json is this
#                    validator. Leave empty with a remote signer.
# log:               tracing filter, e.g. \"info\" or \"tss_engine=debug,info\"; RUST_LOG overrides.
# state_heights:     committed heights whose state stays readable (`mpcd query --height`, proofs);
#                    older ones are pruned from data/. 0 keeps every height (an archive node).
";

impl Config {
    /// Reads `config.toml`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}; run `mpcd init --home <dir>` first", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Writes `config.toml` with its documentation header.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let body = toml::to_string(self)?;
        std::fs::write(path, format!("{HEADER}\n{body}")).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}
