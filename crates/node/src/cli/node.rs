//! `mpcd init`, `mpcd start`, `mpcd show-transport-key`: a node home bound to one validator.

use crate::config::{self, Config, Home};
use crate::secret_store::{create_key_file, SecretStore};
use crate::{app::App, db::ChainDb, metrics};
use clap::Args;
use rand_core::OsRng;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tss_engine::LocalSecrets;

/// `mpcd init`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("identity").required(true).args(["cometbft_home", "validator_address"]))]
pub struct InitArgs {
    /// The node home directory.
    #[arg(long)]
    pub home: PathBuf,
    /// CometBFT's home: this validator's identity comes from its config/priv_validator_key.json
    /// (and `start` checks it again).
    #[arg(long)]
    pub cometbft_home: Option<PathBuf>,
    /// This validator's consensus address (40 hex digits), for a remote signer whose key file
    /// is not on this machine; otherwise give --cometbft-home.
    #[arg(long, value_parser = config::parse_validator_address)]
    pub validator_address: Option<[u8; 20]>,
    /// The ABCI listen address (CometBFT's proxy_app).
    #[arg(long, default_value = "127.0.0.1:26658")]
    pub abci: String,
    /// The metrics listen address (CometBFT's own Prometheus endpoint takes 26660).
    #[arg(long, default_value = config::DEFAULT_METRICS)]
    pub metrics: String,
}

/// Creates a node home bound to the validator `args` names.
pub fn init(args: &InitArgs) -> anyhow::Result<()> {
    let home = Home(args.home.clone());
    if home.secrets().exists() || home.config().exists() {
        anyhow::bail!("--home: {} already holds a node (config.toml or secrets.store): refusing to overwrite it; choose another directory", home.0.display());
    }
    let (address, cometbft_home) = match (&args.cometbft_home, args.validator_address) {
        (Some(c), _) => (config::cometbft_identity(c).map_err(|e| anyhow::anyhow!("--cometbft-home: {e}"))?.address, c.display().to_string()),
        (None, Some(a)) => (a, String::new()),
        (None, None) => anyhow::bail!("give --cometbft-home (or --validator-address with a remote signer): the secret store is bound to one validator"),
    };
    std::fs::create_dir_all(&home.0).map_err(|e| anyhow::anyhow!("--home: {}: {e}", home.0.display()))?;
    create_key_file(&home.store_key())?;
    let local = LocalSecrets::generate(&address, &mut OsRng).map_err(|e| anyhow::anyhow!("{e}"))?;
    SecretStore::open(&home.secrets(), &home.store_key())?.write(&local.to_bytes())?;
    Config { abci_listen: args.abci.clone(), metrics_listen: args.metrics.clone(), validator_address: hex::encode(address), cometbft_home, ..Config::default() }.save(&home.config())?;
    println!("{}", hex::encode(local.transport_public()));
    Ok(())
}

/// The local secrets of a node home, checked against the validator it is configured for.
pub fn open_checked(home: &Home, config: &Config) -> anyhow::Result<(SecretStore, LocalSecrets)> {
    let store = SecretStore::open(&home.secrets(), &home.store_key())?;
    let local = LocalSecrets::from_bytes(&store.read()?, None).map_err(|e| anyhow::anyhow!("{}: {e}", home.secrets().display()))?;
    check_identity(local.address(), config)?;
    Ok((store, local))
}

/// Refuses a store whose validator is not the configured one, or not CometBFT's.
pub fn check_identity(store_address: &[u8], config: &Config) -> anyhow::Result<()> {
    if store_address.len() != 20 {
        anyhow::bail!(
            "the secret store has no validator identity ({:?}): it was made by an `mpcd init` without --cometbft-home and can never contribute. Make a new home with `mpcd init --home NEW --cometbft-home C` (its communication key then goes into genesis or a create-validator transaction)",
            String::from_utf8_lossy(store_address)
        );
    }
    let configured = config::parse_validator_address(&config.validator_address).map_err(|e| anyhow::anyhow!("config.toml validator_address: {e}"))?;
    if configured.as_slice() != store_address {
        anyhow::bail!("config.toml names validator {} but the secret store belongs to {}: put back the config.toml or the store of this node", hex::encode_upper(configured), hex::encode_upper(store_address));
    }
    if !config.cometbft_home.is_empty() {
        let comet = config::cometbft_identity(Path::new(&config.cometbft_home)).map_err(|e| anyhow::anyhow!("config.toml cometbft_home: {e} (with a remote signer, set cometbft_home = \"\")"))?;
        if comet.address.as_slice() != store_address {
            anyhow::bail!(
                "CometBFT's key in {} is validator {}, but this node's secret store belongs to {}: this node would never contribute. Use the mpcd home made for that CometBFT home, or `mpcd init` a new one",
                config.cometbft_home,
                hex::encode_upper(comet.address),
                hex::encode_upper(store_address)
            );
        }
    }
    Ok(())
}

/// `mpcd show-transport-key`.
pub fn show_transport_key(home: &Path) -> anyhow::Result<()> {
    let home = Home(home.to_path_buf());
    let config = Config::load(&home.config())?;
    let (_, local) = open_checked(&home, &config)?;
    println!("{}", json!({ "validator_address": hex::encode_upper(local.address()), "transport_key": hex::encode(local.transport_public()) }));
    Ok(())
}

/// `mpcd start`.
pub fn start(home: &Path) -> anyhow::Result<()> {
    let home = Home(home.to_path_buf());
    let config = Config::load(&home.config())?;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| config.log.clone());
    let _ = tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::new(filter)).try_init();
    let (store, local) = open_checked(&home, &config)?;
    let db = ChainDb::open(&home.data(), config.state_heights)?;
    let metrics = Arc::new(metrics::Metrics::default());
    metrics::serve(&config.metrics_listen, metrics.clone())?;
    let host = tss_wasm::Host::open(&home.wasm_cache()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = App::new(db, store, local, metrics, host)?;
    let server = tendermint_abci::ServerBuilder::new(8 * 1024 * 1024).bind(&config.abci_listen, app).map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.abci_listen))?;
    tracing::info!(abci = %config.abci_listen, metrics = %config.metrics_listen, "mpcd serving ABCI++");
    server.listen().map_err(|e| anyhow::anyhow!("ABCI server stopped: {e}"))
}
