//! What a contract's user needs off chain: encrypt to a keyset for a given owner and purpose,
//! make an X25519 transport key, and open a re-encrypted result with it.

use crate::cli::args::{hex32, hex_bytes, node_url, print, Output, DEFAULT_NODE};
use crate::rpc;
use clap::{Args, Subcommand};
use rand_core::OsRng;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tss_crypto::encrypt::{Ciphertext, EncryptionKey};
use tss_crypto::{Encode, TransportSecret};

/// Where the keyset's public key comes from.
#[derive(Debug, Args)]
pub struct KeySource {
    /// CometBFT RPC address to read the keyset's key from.
    #[arg(long, alias = "rpc", default_value = DEFAULT_NODE, value_parser = node_url)]
    pub node: String,
    /// The keyset (0: the network key).
    #[arg(long, default_value_t = 0)]
    pub keyset: u64,
    /// Use this Ed25519 group key (hex) instead of asking a node (with --generation).
    #[arg(long, value_parser = hex32, requires = "generation")]
    pub group_key: Option<[u8; 32]>,
    /// The key generation of --group-key.
    #[arg(long)]
    pub generation: Option<u32>,
}

/// `mpcd encrypt`.
#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// Who may have it decrypted: a contract or account (bech32), named in the label.
    #[arg(long)]
    pub owner: String,
    /// What it is, after the owner in the label (e.g. `bid:mpc1...` for the auction).
    #[arg(long)]
    pub purpose: String,
    /// The plaintext as UTF-8 text.
    #[arg(long, conflicts_with = "plaintext_file", required_unless_present = "plaintext_file")]
    pub plaintext: Option<String>,
    /// The plaintext is this file's bytes.
    #[arg(long)]
    pub plaintext_file: Option<PathBuf>,
    /// Write the ciphertext (hex) to this file as well.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The key.
    #[command(flatten)]
    pub key: KeySource,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub output: Output,
}

/// `mpcd transport-key`.
#[derive(Debug, Subcommand)]
pub enum TransportKeyCommand {
    /// Make a new X25519 transport key: the secret goes to a new file (hex, mode 0600), the
    /// public key is printed (give it as `reencrypt_to`).
    New {
        /// The secret's file (refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key of a transport secret file.
    Show {
        /// The secret's file.
        #[arg(long)]
        secret: PathBuf,
    },
}

/// `mpcd open-reencrypted`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The transport secret's file (`mpcd transport-key new`).
    #[arg(long)]
    pub secret: PathBuf,
    /// The original ciphertext: hex, or a file holding it (hex text or raw bytes).
    #[arg(long)]
    pub ciphertext: String,
    /// `U` of the re-encrypted result (hex, or base64 as a contract's query shows it).
    #[arg(long)]
    pub u: String,
    /// `V` of the re-encrypted result (hex or base64).
    #[arg(long)]
    pub v: String,
    /// The key the ciphertext was made for.
    #[command(flatten)]
    pub key: KeySource,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub output: Output,
}

/// The group key of `generation` of the keyset (current when `None`).
fn group_key(src: &KeySource, generation: Option<u32>) -> anyhow::Result<(EncryptionKey, u32)> {
    if let (Some(k), Some(g)) = (src.group_key, src.generation) {
        let key = EncryptionKey::from_bytes(k, g).ok_or_else(|| anyhow::anyhow!("--group-key: not a valid Ed25519 group key"))?;
        return Ok((key, g));
    }
    let keyset = rpc::abci_query(&src.node, "/keyset", &src.keyset.to_be_bytes())?;
    let want = match generation {
        Some(g) => g,
        None => keyset.get("current_generation").and_then(Value::as_u64).and_then(|g| u32::try_from(g).ok()).ok_or_else(|| anyhow::anyhow!("keyset {} has no key yet (its DKG is still running)", src.keyset))?,
    };
    let hex = keyset
        .get("generations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|g| g.get("generation").and_then(Value::as_u64) == Some(u64::from(want)))
        .and_then(|g| g.get("group_key").and_then(Value::as_str))
        .ok_or_else(|| anyhow::anyhow!("keyset {} has no generation {want} (retired?)", src.keyset))?;
    let bytes = hex32(hex).map_err(|e| anyhow::anyhow!("the node's group key: {e}"))?;
    let key = EncryptionKey::from_bytes(bytes, want).ok_or_else(|| anyhow::anyhow!("the node's group key is not a valid Ed25519 point"))?;
    Ok((key, want))
}

/// `mpcd encrypt`.
pub fn encrypt(args: &EncryptArgs) -> anyhow::Result<()> {
    let (_, owner) = bech32::decode(args.owner.trim()).map_err(|e| anyhow::anyhow!("--owner: {:?} is not a bech32 address ({e})", args.owner))?;
    let label = tss_crypto::encrypt::owned_label(&owner, args.purpose.as_bytes()).ok_or_else(|| anyhow::anyhow!("--purpose: the label (owner and purpose) exceeds {} bytes", tss_crypto::encrypt::MAX_LABEL_LEN))?;
    let plaintext = match (&args.plaintext, &args.plaintext_file) {
        (Some(t), _) => t.as_bytes().to_vec(),
        (None, Some(p)) => std::fs::read(p).map_err(|e| anyhow::anyhow!("--plaintext-file: {}: {e}", p.display()))?,
        (None, None) => anyhow::bail!("give --plaintext or --plaintext-file"),
    };
    let (key, generation) = group_key(&args.key, None)?;
    let ct = tss_crypto::encrypt::encrypt(&key, &label, &plaintext, &mut OsRng).map_err(|e| anyhow::anyhow!("cannot encrypt: {e}"))?;
    let bytes = ct.to_bytes();
    let hex = hex::encode(&bytes);
    if let Some(out) = &args.out {
        std::fs::write(out, &hex).map_err(|e| anyhow::anyhow!("--out: {}: {e}", out.display()))?;
    }
    // Base64 too: a contract message takes the ciphertext as a `Binary`.
    print(&json!({ "ciphertext": hex, "ciphertext_base64": base64(&bytes), "label": hex::encode(&label), "keyset": args.key.keyset, "generation": generation, "out": args.out }), args.output);
    Ok(())
}

/// Standard base64 with padding, as cosmwasm's `Binary` reads and writes it.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn read_secret(path: &Path) -> anyhow::Result<TransportSecret> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("--secret: {}: {e}", path.display()))?;
    let bytes = zeroize::Zeroizing::new(hex32(text.trim()).map_err(|e| anyhow::anyhow!("--secret: {}: {e}", path.display()))?);
    Ok(TransportSecret::from_bytes(*bytes))
}

/// `mpcd transport-key`.
pub fn transport_key(cmd: &TransportKeyCommand) -> anyhow::Result<()> {
    match cmd {
        TransportKeyCommand::New { out } => {
            let secret = TransportSecret::generate(&mut OsRng);
            let hex = zeroize::Zeroizing::new(hex::encode(*secret.to_bytes()));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut f = options.open(out).map_err(|e| anyhow::anyhow!("--out: {}: {e} (an existing key is never overwritten)", out.display()))?;
            std::io::Write::write_all(&mut f, hex.as_bytes()).and_then(|()| f.sync_all()).map_err(|e| anyhow::anyhow!("--out: {}: {e}", out.display()))?;
            let public = secret.public().to_bytes();
            print(&json!({ "public_key": hex::encode(public), "public_key_base64": base64(&public), "secret_file": out }), Output::Json);
        }
        TransportKeyCommand::Show { secret } => {
            let public = read_secret(secret)?.public().to_bytes();
            print(&json!({ "public_key": hex::encode(public), "public_key_base64": base64(&public) }), Output::Json)
        }
    }
    Ok(())
}

/// `mpcd open-reencrypted`.
pub fn open(args: &OpenArgs) -> anyhow::Result<()> {
    let secret = read_secret(&args.secret)?;
    let bytes = match hex_bytes(&args.ciphertext) {
        Ok(b) => b,
        Err(_) => {
            let raw = std::fs::read(&args.ciphertext).map_err(|e| anyhow::anyhow!("--ciphertext: neither hex nor a readable file ({e})"))?;
            std::str::from_utf8(&raw).ok().and_then(|t| hex_bytes(t).ok()).unwrap_or(raw)
        }
    };
    let ct = Ciphertext::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("--ciphertext: not a ciphertext ({e})"))?;
    let (key, _) = group_key(&args.key, Some(ct.generation))?;
    let point = |flag: &str, s: &str| {
        // Hex, or base64 as a contract's JSON gives a `Binary`.
        let b = hex32(s).or_else(|e| crate::cli::args::base64_bytes(s).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or(e)).map_err(|e| anyhow::anyhow!("{flag}: {e} (or 32 bytes of base64)"))?;
        tss_crypto::group::CanonicalPoint::decode(b).ok_or_else(|| anyhow::anyhow!("{flag}: not a valid point"))
    };
    let rk = tss_crypto::decrypt::ReencryptedKey { u: point("--u", &args.u)?, v: point("--v", &args.v)? };
    let plaintext = tss_crypto::decrypt::open_reencrypted(&ct, &key, &rk, &secret).map_err(|e| anyhow::anyhow!("cannot open: {e} (is this the transport secret the result was re-encrypted to, and the ciphertext it came from?)"))?;
    let text = std::str::from_utf8(&plaintext).ok();
    print(&json!({ "plaintext": text, "plaintext_hex": hex::encode(&*plaintext) }), args.output);
    Ok(())
}

