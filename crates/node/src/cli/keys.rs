//! `mpcd keys ...` and `mpcd keygen`.

use crate::cli::args::{print, Output};
use crate::keyring::{self, Backend, KeyInfo, Keyring};
use clap::{Args, Subcommand};
use ed25519_dalek::SigningKey;
use rand_core::OsRng;
use serde_json::{json, Value};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use tss_app::Address;

/// Which keyring.
#[derive(Clone, Debug, Args)]
pub struct KeyringArgs {
    /// Keyring backend: `file` (sealed under a passphrase from MPCD_KEYRING_PASSPHRASE or a
    /// prompt) or `test` (in clear, for localnets).
    #[arg(long, global = true, value_enum, default_value = "file")]
    pub keyring_backend: Backend,
    /// Keyring directory [default: $MPCD_KEYRING_DIR, else ~/.mpcd/keyring].
    #[arg(long, global = true)]
    pub keyring_dir: Option<PathBuf>,
    /// Bech32 prefix of the chain's addresses, for printing them.
    #[arg(long, global = true, default_value = "mpc")]
    pub prefix: String,
}

impl KeyringArgs {
    /// The keyring these flags name.
    pub fn keyring(&self) -> Keyring {
        Keyring::new(self.keyring_dir.clone().unwrap_or_else(keyring::default_dir), self.keyring_backend)
    }
}

/// The `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key from a new 24-word mnemonic (shown once: write it down), or from yours
    /// with --recover. Refuses a name that exists.
    Add {
        /// The key's name.
        name: String,
        /// Read a BIP-39 mnemonic from standard input instead of making a new one.
        #[arg(long)]
        recover: bool,
        /// Print JSON (the mnemonic included) instead of text.
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
    },
    /// Add a raw key file (64 hex characters, e.g. a localnet's faucet.key) under a name.
    Import {
        /// The key's name.
        name: String,
        /// The key file.
        file: PathBuf,
    },
    /// List the keys of the backend.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        output: Output,
    },
    /// Show one key's address and public key.
    Show {
        /// The key's name.
        name: String,
        /// Print the address alone.
        #[arg(long)]
        address: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        output: Output,
    },
    /// Delete a key (it cannot be recovered without its mnemonic or a backup).
    Delete {
        /// The key's name.
        name: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
}

fn info_json(info: &KeyInfo, prefix: &str) -> anyhow::Result<Value> {
    Ok(json!({ "name": info.name, "address": info.address.to_bech32(prefix)?, "public_key": hex::encode(info.public_key), "origin": info.origin }))
}

/// Runs a `keys` subcommand.
pub fn run(cmd: KeysCommand, args: &KeyringArgs) -> anyhow::Result<()> {
    tss_app::address::check_prefix(&args.prefix).map_err(|e| anyhow::anyhow!("--prefix: {e}"))?;
    let ring = args.keyring();
    let ask = |confirm: bool| move || keyring::passphrase(confirm);
    match cmd {
        KeysCommand::Add { name, recover, output } => {
            ring.ensure_free(&name)?;
            let (key, mnemonic) = if recover {
                eprintln!("enter the mnemonic (words separated by spaces), then Enter:");
                let mut line = zeroize::Zeroizing::new(String::new());
                std::io::stdin().lock().read_line(&mut line)?;
                (keyring::key_from_mnemonic(&line)?, None)
            } else {
                let words = keyring::new_mnemonic();
                (keyring::key_from_mnemonic(&words)?, Some(words))
            };
            let info = ring.add(&name, &key, "mnemonic", ask(true))?;
            let mut value = info_json(&info, &args.prefix)?;
            match (&mnemonic, output) {
                (Some(words), Output::Json) => {
                    if let Some(o) = value.as_object_mut() {
                        o.insert("mnemonic".into(), json!(words.as_str()));
                    }
                }
                (Some(words), Output::Text) => {
                    print(&value, Output::Text);
                    println!("\n**Write this mnemonic down and keep it safe: it is the only way to recover this key.**\n\n{}", words.as_str());
                    return Ok(());
                }
                (None, _) => {}
            }
            print(&value, output);
            Ok(())
        }
        KeysCommand::Import { name, file } => {
            ring.ensure_free(&name)?;
            let key = keyring::read_key_file(&file)?;
            print(&info_json(&ring.add(&name, &key, "imported", ask(true))?, &args.prefix)?, Output::Json);
            Ok(())
        }
        KeysCommand::List { output } => {
            let list = ring.list()?.iter().map(|i| info_json(i, &args.prefix)).collect::<anyhow::Result<Vec<_>>>()?;
            print(&Value::Array(list), output);
            Ok(())
        }
        KeysCommand::Show { name, address, output } => {
            let info = ring.show(&name)?;
            if address {
                println!("{}", info.address.to_bech32(&args.prefix)?);
            } else {
                print(&info_json(&info, &args.prefix)?, output);
            }
            Ok(())
        }
        KeysCommand::Delete { name, yes } => {
            if !yes {
                anyhow::bail!("deleting {name:?} cannot be undone without its mnemonic or a backup: run again with --yes");
            }
            let info = ring.delete(&name)?;
            print(&json!({ "deleted": info_json(&info, &args.prefix)? }), Output::Json);
            Ok(())
        }
    }
}

/// `mpcd keygen --out FILE`: a raw key file, never over an existing file.
pub fn keygen(out: &Path, prefix: &str) -> anyhow::Result<()> {
    tss_app::address::check_prefix(prefix).map_err(|e| anyhow::anyhow!("--prefix: {e}"))?;
    if out.exists() {
        anyhow::bail!("--out: {} already exists: refusing to overwrite a key (choose another path, or move that file away first)", out.display());
    }
    let key = SigningKey::generate(&mut OsRng);
    crate::secret_store::write_private(out, hex::encode(key.to_bytes()).as_bytes())?;
    let address = Address::of_key(&key.verifying_key().to_bytes());
    println!("{}", json!({ "public_key": hex::encode(key.verifying_key().to_bytes()), "account": address.to_bech32(prefix)?, "address_hex": hex::encode(address.0) }));
    Ok(())
}
