//! `mpcd genesis ...`: edit CometBFT's genesis.json for this app and check it with the same
//! code InitChain runs, so a mistake stops here rather than at the chain's first block.

use crate::config::{Config, Home};
use clap::Subcommand;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The `genesis` subcommands.
#[derive(Debug, Subcommand)]
pub enum GenesisCommand {
    /// Add a genesis validator's communication key (app_state.transport_keys) from its node
    /// home; the validator must be in the genesis file's validators.
    AddTransportKey {
        /// CometBFT's genesis.json.
        #[arg(long)]
        genesis: PathBuf,
        /// The validator's mpcd home (made by `mpcd init`).
        #[arg(long)]
        home: PathBuf,
    },
    /// Fund an account at genesis (app_state.accounts).
    AddAccount {
        /// CometBFT's genesis.json.
        #[arg(long)]
        genesis: PathBuf,
        /// The account (bech32 with the chain's prefix).
        address: String,
        /// The amount, in the chain's denom.
        #[arg(value_parser = crate::cli::args::amount)]
        amount: u128,
    },
    /// Check a genesis file exactly as InitChain will: validators, communication keys, params,
    /// accounts, consensus params. Prints a summary, or what to fix.
    Validate {
        /// CometBFT's genesis.json.
        file: PathBuf,
    },
}

fn load(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("--genesis: {}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", path.display()))?;
    if !v.is_object() {
        anyhow::bail!("{}: a genesis file is a JSON object", path.display());
    }
    Ok(v)
}

fn save(path: &Path, v: &Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| anyhow::anyhow!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn app_state(g: &mut Value) -> anyhow::Result<&mut serde_json::Map<String, Value>> {
    let obj = g.as_object_mut().ok_or_else(|| anyhow::anyhow!("a genesis file is a JSON object"))?;
    let state = obj.entry("app_state").or_insert_with(|| json!({}));
    if state.is_null() {
        *state = json!({});
    }
    state.as_object_mut().ok_or_else(|| anyhow::anyhow!("app_state is not a JSON object"))
}

fn section<'a>(state: &'a mut serde_json::Map<String, Value>, key: &str) -> anyhow::Result<&'a mut serde_json::Map<String, Value>> {
    state.entry(key).or_insert_with(|| json!({})).as_object_mut().ok_or_else(|| anyhow::anyhow!("app_state.{key} is not a JSON object"))
}

/// Runs a `genesis` subcommand.
pub fn run(cmd: GenesisCommand) -> anyhow::Result<()> {
    match cmd {
        GenesisCommand::AddTransportKey { genesis, home } => {
            let home = Home(home);
            let config = Config::load(&home.config()).map_err(|e| anyhow::anyhow!("--home: {e}"))?;
            let (_, local) = crate::cli::node::open_checked(&home, &config).map_err(|e| anyhow::anyhow!("--home: {e}"))?;
            let address = hex::encode(local.address());
            let key = hex::encode(local.transport_public());
            let mut g = load(&genesis)?;
            let request = crate::genesis::from_json(&g).map_err(|e| anyhow::anyhow!("{}: {e}", genesis.display()))?;
            let known = crate::genesis::validator_addresses(&request).map_err(|e| anyhow::anyhow!("{}: {e}", genesis.display()))?;
            if !known.iter().any(|a| hex::encode(a) == address) {
                anyhow::bail!("validator {} (the one --home belongs to) is not among the {} validators of {}: add it to genesis first, or give the home of a genesis validator", address.to_uppercase(), known.len(), genesis.display());
            }
            let keys = section(app_state(&mut g)?, "transport_keys")?;
            let existing = keys.iter().find(|(k, _)| k.eq_ignore_ascii_case(&address)).map(|(k, v)| (k.clone(), v.clone()));
            match existing {
                Some((_, v)) if v.as_str() == Some(key.as_str()) => {}
                Some((k, v)) => anyhow::bail!("app_state.transport_keys already holds {v} for validator {k}: remove that entry first if this node's key replaces it"),
                None => {
                    keys.insert(address.clone(), Value::String(key.clone()));
                }
            }
            save(&genesis, &g)?;
            println!("{}", json!({ "validator_address": address.to_uppercase(), "transport_key": key }));
            Ok(())
        }
        GenesisCommand::AddAccount { genesis, address, amount } => {
            let mut g = load(&genesis)?;
            let state = app_state(&mut g)?;
            let prefix = match state.get("app_params") {
                Some(p) => serde_json::from_value::<tss_app::AppParams>(p.clone()).map_err(|e| anyhow::anyhow!("app_state.app_params: {e}"))?.address_prefix,
                None => tss_app::AppParams::default().address_prefix,
            };
            tss_app::Address::parse(&prefix, &address).map_err(|e| anyhow::anyhow!("ADDRESS: {e}"))?;
            let accounts = section(state, "accounts")?;
            if accounts.contains_key(&address) {
                anyhow::bail!("app_state.accounts already funds {address}: edit its amount in the file instead");
            }
            accounts.insert(address.clone(), Value::String(amount.to_string()));
            save(&genesis, &g)?;
            println!("{}", json!({ "account": address, "amount": amount.to_string() }));
            Ok(())
        }
        GenesisCommand::Validate { file } => {
            let g = load(&file)?;
            let request = crate::genesis::from_json(&g).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let read = crate::genesis::read(&request).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            println!(
                "{}",
                json!({
                    "valid": true,
                    "chain_id": request.chain_id,
                    "validators": read.validators.len(),
                    "vote_extensions_from": read.vote_extensions_from,
                    "accounts": read.balances.len(),
                    "epoch_length": read.params.epoch_length,
                    "address_prefix": read.app_params.address_prefix,
                })
            );
            Ok(())
        }
    }
}
