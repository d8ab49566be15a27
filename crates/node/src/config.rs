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
}

impl Default for Config {
    fn default() -> Self {
        Self { abci_listen: "127.0.0.1:26658".into(), metrics_listen: "127.0.0.1:26660".into(), validator_address: String::new(), log: "info".into() }
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
}

const HEADER: &str = "# mpcd node configuration. Every key is documented; defaults are shown.
#
# abci_listen:       where the ABCI++ server listens; CometBFT's proxy_app must point here.
#                    Keep it on loopback: the ABCI connection is not authenticated.
# metrics_listen:    Prometheus text endpoint (GET /metrics).
# validator_address: this validator's consensus address, hex; `mpcd init --cometbft-home` fills
#                    it from CometBFT's config/priv_validator_key.json.
# log:               tracing filter, e.g. \"info\" or \"tss_engine=debug,info\"; RUST_LOG overrides.
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
