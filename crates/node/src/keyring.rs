//! Account keys in a keyring, in the shape of the Cosmos SDK's (`keys add | list | show |
//! delete | import`, backends `file` and `test`): one JSON file per key under the keyring
//! directory, never overwritten.
//!
//! A key is an Ed25519 key derived from a BIP-39 mnemonic (24 words) along the SLIP-0010 path
//! `m/44'/118'/0'/0'/0'` (hardened throughout, as SLIP-0010 requires for Ed25519; coin type 118
//! as Cosmos accounts), so `keys add --recover` with the same words gives the same account.
//! Imported raw key files (`mpcd keygen`, a localnet's `faucet.key`) have no mnemonic.
//!
//! Backends:
//! - `file` (default): the secret is sealed with ChaCha20-Poly1305 under a key stretched from a
//!   passphrase with Argon2id (salt per key); the passphrase comes from `MPCD_KEYRING_PASSPHRASE`
//!   or, on a terminal, a prompt. Name, address and public key stay readable for `keys list`.
//! - `test`: the secret in clear (mode 0600), for localnets and scripts, as Cosmos's `test`.
//!
//! # Security
//! Secrets are held in `Zeroizing` buffers; nothing here logs or prints a secret except the
//! mnemonic that `keys add` shows once, by design, so its owner can write it down.

use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tss_app::Address;
use zeroize::Zeroizing;

/// The derivation path of account keys.
pub const DERIVATION_PATH: &str = "m/44'/118'/0'/0'/0'";
/// The environment variable that holds the `file` backend's passphrase.
pub const PASSPHRASE_ENV: &str = "MPCD_KEYRING_PASSPHRASE";

/// Where the secret is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Sealed under a passphrase (Argon2id + ChaCha20-Poly1305).
    File,
    /// In clear, mode 0600: localnets and tests only.
    Test,
}

/// What went wrong, and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// The name is not usable as a file name.
    #[error("key name {0:?}: use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'")]
    BadName(String),
    /// A key of that name exists.
    #[error("a key named {name:?} already exists in {dir}: choose another name, or delete it first with `mpcd keys delete {name}`")]
    Exists {
        /// The name.
        name: String,
        /// The keyring directory.
        dir: String,
    },
    /// No key of that name.
    #[error("no key named {name:?} in {dir} (backend {backend}): list the keys with `mpcd keys list`, or create one with `mpcd keys add {name}`")]
    Missing {
        /// The name.
        name: String,
        /// The keyring directory.
        dir: String,
        /// The backend asked for.
        backend: &'static str,
    },
    /// The mnemonic does not parse.
    #[error("the mnemonic is not a valid BIP-39 phrase ({0}): check every word and their order")]
    Mnemonic(String),
    /// The passphrase is wrong or the file was modified.
    #[error("{0}: wrong passphrase, or the key file was modified")]
    Undecryptable(String),
    /// No passphrase could be had.
    #[error("the file keyring needs a passphrase: set {PASSPHRASE_ENV} or run on a terminal (or use --keyring-backend test for a localnet)")]
    NoPassphrase,
    /// A key file does not parse.
    #[error("{path}: not a key file of this keyring ({why})")]
    Corrupt {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// One key's file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    name: String,
    backend: Backend,
    /// Ed25519 public key, hex.
    public_key: String,
    /// `mnemonic` (BIP-39 + SLIP-0010) or `imported` (a raw key).
    origin: String,
    /// `test`: the 32-byte secret, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// `file`: Argon2id salt, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    /// `file`: AEAD nonce, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    /// `file`: the sealed secret, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
}

/// What `keys list` and `keys show` print about a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key's name.
    pub name: String,
    /// Its account address.
    pub address: Address,
    /// Its Ed25519 public key.
    pub public_key: [u8; 32],
    /// `mnemonic` or `imported`.
    pub origin: String,
}

/// A keyring directory and backend.
pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
}

/// The default keyring directory: `$MPCD_KEYRING_DIR`, else `$HOME/.mpcd/keyring`.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MPCD_KEYRING_DIR") {
        return PathBuf::from(d);
    }
    std::env::var_os("HOME").map_or_else(|| PathBuf::from(".mpcd/keyring"), |h| PathBuf::from(h).join(".mpcd").join("keyring"))
}

/// A new 24-word mnemonic from the OS's randomness.
pub fn new_mnemonic() -> Zeroizing<String> {
    let mut entropy = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(entropy.as_mut());
    // 32 bytes of entropy is always a valid length.
    Zeroizing::new(bip39::Mnemonic::from_entropy(entropy.as_ref()).map(|m| m.to_string()).unwrap_or_default())
}

/// The account key of a mnemonic (BIP-39 seed, empty BIP-39 passphrase, SLIP-0010 along
/// [`DERIVATION_PATH`]).
pub fn key_from_mnemonic(words: &str) -> Result<SigningKey, KeyringError> {
    let normalized = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let mnemonic = bip39::Mnemonic::parse_normalized(&normalized).map_err(|e| KeyringError::Mnemonic(e.to_string()))?;
    let seed = Zeroizing::new(mnemonic.to_seed(""));
    let path: ed25519_dalek_bip32::DerivationPath = DERIVATION_PATH.parse().map_err(|e| KeyringError::Mnemonic(format!("{e:?}")))?;
    let root = ed25519_dalek_bip32::ExtendedSigningKey::from_seed(seed.as_ref()).map_err(|e| KeyringError::Mnemonic(e.to_string()))?;
    let child = root.derive(&path).map_err(|e| KeyringError::Mnemonic(e.to_string()))?;
    Ok(SigningKey::from_bytes(&child.signing_key.to_bytes()))
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyringError + '_ {
    move |source| KeyringError::Io { path: path.display().to_string(), source }
}

/// Stretches a passphrase into an AEAD key (Argon2id, the crate's default cost: 19 MiB, 2
/// passes).
fn stretch(passphrase: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, KeyringError> {
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::default().hash_password_into(passphrase, salt, key.as_mut()).map_err(|e| KeyringError::Undecryptable(e.to_string()))?;
    Ok(key)
}

/// The passphrase: from the environment, else a terminal prompt (`confirm` asks twice).
pub fn passphrase(confirm: bool) -> Result<Zeroizing<String>, KeyringError> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(Zeroizing::new(p));
    }
    let first = Zeroizing::new(rpassword::prompt_password("keyring passphrase: ").map_err(|_| KeyringError::NoPassphrase)?);
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password("repeat the passphrase: ").map_err(|_| KeyringError::NoPassphrase)?);
        if *again != *first {
            return Err(KeyringError::Undecryptable("the two passphrases differ".into()));
        }
    }
    Ok(first)
}

impl Keyring {
    /// The keyring in `dir` with `backend`.
    pub fn new(dir: PathBuf, backend: Backend) -> Self {
        Self { dir, backend }
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeyringError> {
        if !valid_name(name) {
            return Err(KeyringError::BadName(name.to_owned()));
        }
        Ok(self.dir.join(format!("{name}.{}.json", self.backend_name())))
    }

    fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::File => "file",
            Backend::Test => "test",
        }
    }

    /// Stores `key` under `name`; refuses an existing name. `passphrase` is asked for only
    /// by the `file` backend.
    pub fn add(&self, name: &str, key: &SigningKey, origin: &str, passphrase: impl FnOnce() -> Result<Zeroizing<String>, KeyringError>) -> Result<KeyInfo, KeyringError> {
        let path = self.ensure_free(name)?;
        let secret = Zeroizing::new(key.to_bytes());
        let mut file = KeyFile { name: name.to_owned(), backend: self.backend, public_key: hex::encode(key.verifying_key().to_bytes()), origin: origin.to_owned(), secret: None, salt: None, nonce: None, sealed: None };
        match self.backend {
            Backend::Test => file.secret = Some(hex::encode(secret.as_ref())),
            Backend::File => {
                let pass = passphrase()?;
                let mut salt = [0u8; 16];
                let mut nonce = [0u8; 12];
                OsRng.fill_bytes(&mut salt);
                OsRng.fill_bytes(&mut nonce);
                let k = stretch(pass.as_bytes(), &salt)?;
                let sealed = ChaCha20Poly1305::new(Key::from_slice(k.as_ref()))
                    .encrypt(Nonce::from_slice(&nonce), Payload { msg: secret.as_ref(), aad: name.as_bytes() })
                    .map_err(|_| KeyringError::Undecryptable(name.to_owned()))?;
                (file.salt, file.nonce, file.sealed) = (Some(hex::encode(salt)), Some(hex::encode(nonce)), Some(hex::encode(sealed)));
            }
        }
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700));
        }
        let text = serde_json::to_string_pretty(&file).map_err(|e| KeyringError::Corrupt { path: path.display().to_string(), why: e.to_string() })?;
        // Create-new: a key that appeared since the check above is not overwritten either.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&path).map_err(|e| if e.kind() == std::io::ErrorKind::AlreadyExists { KeyringError::Exists { name: name.to_owned(), dir: self.dir.display().to_string() } } else { io(&path)(e) })?;
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io(&path))?;
        f.sync_all().map_err(io(&path))?;
        Ok(KeyInfo { name: name.to_owned(), address: Address::of_key(&key.verifying_key().to_bytes()), public_key: key.verifying_key().to_bytes(), origin: origin.to_owned() })
    }

    /// Refuses a bad or taken name (before anything is asked of the user); the key's path.
    pub fn ensure_free(&self, name: &str) -> Result<PathBuf, KeyringError> {
        let path = self.path(name)?;
        if path.exists() {
            return Err(KeyringError::Exists { name: name.to_owned(), dir: self.dir.display().to_string() });
        }
        Ok(path)
    }

    fn read(&self, name: &str) -> Result<(PathBuf, KeyFile), KeyringError> {
        let path = self.path(name)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyringError::Missing { name: name.to_owned(), dir: self.dir.display().to_string(), backend: self.backend_name() })
            }
            Err(e) => return Err(io(&path)(e)),
        };
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| KeyringError::Corrupt { path: path.display().to_string(), why: e.to_string() })?;
        Ok((path, file))
    }

    fn info(path: &Path, file: &KeyFile) -> Result<KeyInfo, KeyringError> {
        let corrupt = |why: &str| KeyringError::Corrupt { path: path.display().to_string(), why: why.to_owned() };
        let public_key: [u8; 32] = hex::decode(&file.public_key).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| corrupt("public_key is not 32 bytes of hex"))?;
        Ok(KeyInfo { name: file.name.clone(), address: Address::of_key(&public_key), public_key, origin: file.origin.clone() })
    }

    /// The public facts of one key.
    pub fn show(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        let (path, file) = self.read(name)?;
        Self::info(&path, &file)
    }

    /// Every key of this backend, by name.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyringError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.dir)(e)),
        };
        let suffix = format!(".{}.json", self.backend_name());
        let mut names: Vec<String> = entries.flatten().filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(&suffix)).map(str::to_owned)).filter(|n| valid_name(n)).collect();
        names.sort();
        names.iter().map(|n| self.show(n)).collect()
    }

    /// The signing key of `name` (the `file` backend asks for the passphrase).
    pub fn signing_key(&self, name: &str, passphrase: impl FnOnce() -> Result<Zeroizing<String>, KeyringError>) -> Result<SigningKey, KeyringError> {
        let (path, file) = self.read(name)?;
        let info = Self::info(&path, &file)?;
        let corrupt = |why: &str| KeyringError::Corrupt { path: path.display().to_string(), why: why.to_owned() };
        let secret: Zeroizing<Vec<u8>> = match file.backend {
            Backend::Test => Zeroizing::new(hex::decode(file.secret.as_deref().ok_or_else(|| corrupt("no secret"))?).map_err(|_| corrupt("secret is not hex"))?),
            Backend::File => {
                let field = |f: &Option<String>, what: &str| f.as_deref().and_then(|h| hex::decode(h).ok()).ok_or_else(|| corrupt(what));
                let (salt, nonce, sealed) = (field(&file.salt, "no salt")?, field(&file.nonce, "no nonce")?, field(&file.sealed, "no sealed secret")?);
                if nonce.len() != 12 {
                    return Err(corrupt("nonce is not 12 bytes"));
                }
                let pass = passphrase()?;
                let k = stretch(pass.as_bytes(), &salt)?;
                Zeroizing::new(
                    ChaCha20Poly1305::new(Key::from_slice(k.as_ref()))
                        .decrypt(Nonce::from_slice(&nonce), Payload { msg: &sealed, aad: file.name.as_bytes() })
                        .map_err(|_| KeyringError::Undecryptable(path.display().to_string()))?,
                )
            }
        };
        let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(secret.as_slice().try_into().map_err(|_| corrupt("secret is not 32 bytes"))?);
        let key = SigningKey::from_bytes(&bytes);
        if key.verifying_key().to_bytes() != info.public_key {
            return Err(corrupt("the secret does not match the public key"));
        }
        Ok(key)
    }

    /// Deletes `name`.
    pub fn delete(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        let (path, file) = self.read(name)?;
        let info = Self::info(&path, &file)?;
        std::fs::remove_file(&path).map_err(io(&path))?;
        Ok(info)
    }
}

/// Reads a raw key file: 64 hex characters (`mpcd keygen`, a localnet's `faucet.key`), or
/// CometBFT's `priv_validator_key.json` (a genesis validator's operator account is its
/// consensus key's, so its operator signs with that file, e.g. to vote).
pub fn read_key_file(path: &Path) -> anyhow::Result<SigningKey> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        use base64::Engine;
        let pair = v
            .pointer("/priv_key/value")
            .and_then(serde_json::Value::as_str)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(Zeroizing::new)
            .ok_or_else(|| anyhow::anyhow!("{}: JSON without priv_key.value: not a CometBFT priv_validator_key.json", path.display()))?;
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(pair.get(..32).and_then(|s| s.try_into().ok()).ok_or_else(|| anyhow::anyhow!("{}: priv_key.value is not an Ed25519 key pair", path.display()))?);
        return Ok(SigningKey::from_bytes(&seed));
    }
    let bytes = Zeroizing::new(hex::decode(text.trim().trim_start_matches("0x")).map_err(|_| anyhow::anyhow!("{}: not a hex key file (64 hex characters)", path.display()))?);
    let bytes: [u8; 32] = bytes.as_slice().try_into().map_err(|_| anyhow::anyhow!("{}: a key file holds 32 bytes (64 hex characters), this one {}", path.display(), bytes.len()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pass() -> Result<Zeroizing<String>, KeyringError> {
        Ok(Zeroizing::new("correct horse".into()))
    }

    #[test]
    fn slip10_matches_the_published_vector() {
        // SLIP-0010 test vector 1 for ed25519, chain m/0'/1'/2'/2'/1000000000'.
        let seed = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let root = ed25519_dalek_bip32::ExtendedSigningKey::from_seed(&seed).unwrap();
        let child = root.derive(&"m/0'/1'/2'/2'/1000000000'".parse::<ed25519_dalek_bip32::DerivationPath>().unwrap()).unwrap();
        assert_eq!(hex::encode(child.signing_key.to_bytes()), "8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793");
    }

    #[test]
    fn recovery_from_the_mnemonic_gives_the_same_account() {
        let words = new_mnemonic();
        assert_eq!(words.split_whitespace().count(), 24);
        let a = key_from_mnemonic(&words).unwrap();
        let spaced = format!("  {}\n", words.replace(' ', "   "));
        assert_eq!(key_from_mnemonic(&spaced).unwrap().to_bytes(), a.to_bytes());
        // 24 times "abandon" fails the checksum (23 of them and "art" is the valid phrase).
        let bad = vec!["abandon"; 24].join(" ");
        assert!(matches!(key_from_mnemonic(&bad), Err(KeyringError::Mnemonic(_))));
        assert!(key_from_mnemonic(&format!("{} art", vec!["abandon"; 23].join(" "))).is_ok());
    }

    #[test]
    fn both_backends_roundtrip_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        for backend in [Backend::Test, Backend::File] {
            let ring = Keyring::new(dir.path().to_path_buf(), backend);
            let key = key_from_mnemonic(&new_mnemonic()).unwrap();
            let info = ring.add("alice", &key, "mnemonic", pass).unwrap();
            assert_eq!(info.address, Address::of_key(&key.verifying_key().to_bytes()));
            assert_eq!(ring.signing_key("alice", pass).unwrap().to_bytes(), key.to_bytes());
            let other = SigningKey::from_bytes(&[7; 32]);
            assert!(matches!(ring.add("alice", &other, "imported", pass), Err(KeyringError::Exists { .. })));
            assert_eq!(ring.signing_key("alice", pass).unwrap().to_bytes(), key.to_bytes(), "the refused add changed nothing");
            assert_eq!(ring.list().unwrap(), vec![info.clone()]);
            assert!(matches!(ring.show("bob"), Err(KeyringError::Missing { .. })));
            assert!(matches!(ring.add("../x", &other, "imported", pass), Err(KeyringError::BadName(_))));
            assert_eq!(ring.delete("alice").unwrap(), info);
            assert!(ring.list().unwrap().is_empty());
        }
    }

    #[test]
    fn the_file_backend_keeps_the_secret_sealed_and_refuses_a_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::new(dir.path().to_path_buf(), Backend::File);
        let key = SigningKey::from_bytes(&[9; 32]);
        ring.add("k", &key, "imported", pass).unwrap();
        let raw = std::fs::read_to_string(dir.path().join("k.file.json")).unwrap();
        assert!(!raw.contains(&hex::encode([9u8; 32])), "secret in clear on disk");
        let wrong = || Ok(Zeroizing::new("wrong".to_owned()));
        assert!(matches!(ring.signing_key("k", wrong), Err(KeyringError::Undecryptable(_))));
    }
}
