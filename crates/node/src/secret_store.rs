//! The validator's local secret store on disk: the engine's `LocalSecrets` (transport key,
//! shares, unspent nonces), encrypted at rest with ChaCha20-Poly1305 under a 32-byte key from a
//! key file, written atomically and fsync'd before anything that depends on it leaves the node.
//!
//! File layout: `"MPCDSEC1" || nonce (12 bytes) || ciphertext || tag`; the associated data is the
//! magic. A wrong key or a corrupted file is an error that names the file and what to do; the
//! node never silently starts over with fresh secrets.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::{OsRng, RngCore};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"MPCDSEC1";

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// I/O on a path.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The key file is not 64 hex characters.
    #[error("{0}: the key file must hold 64 hex characters (32 bytes); restore it from your backup")]
    BadKeyFile(PathBuf),
    /// The file is not a store, or the key is wrong, or the file was modified.
    #[error("{0}: cannot decrypt the secret store: wrong key file or corrupted store. Do not delete it: restore the key file or the store from backup")]
    Undecryptable(PathBuf),
}

/// An encrypted file holding the local secrets.
pub struct SecretStore {
    path: PathBuf,
    key: Zeroizing<[u8; 32]>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// Creates a new random key file (mode 0600).
pub fn create_key_file(path: &Path) -> Result<(), StoreError> {
    let mut key = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(key.as_mut());
    write_private(path, hex::encode(key.as_ref()).as_bytes())
}

/// Writes a file readable only by its owner, atomically.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(io(path))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl SecretStore {
    /// Opens the store at `path` with the key in `key_file`.
    pub fn open(path: &Path, key_file: &Path) -> Result<Self, StoreError> {
        let text = Zeroizing::new(fs::read_to_string(key_file).map_err(io(key_file))?);
        let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| StoreError::BadKeyFile(key_file.to_path_buf()))?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| StoreError::BadKeyFile(key_file.to_path_buf()))?;
        Ok(Self { path: path.to_path_buf(), key: Zeroizing::new(key) })
    }

    /// Whether the store file exists.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Reads and decrypts the store.
    pub fn read(&self) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let data = fs::read(&self.path).map_err(io(&self.path))?;
        let bad = || StoreError::Undecryptable(self.path.clone());
        let rest = data.strip_prefix(MAGIC.as_slice()).ok_or_else(bad)?;
        if rest.len() < 12 + 16 {
            return Err(bad());
        }
        let (nonce, ct) = rest.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(self.key.as_ref()));
        cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: MAGIC }).map(Zeroizing::new).map_err(|_| bad())
    }

    /// Encrypts and writes the store atomically, fsync'd.
    pub fn write(&self, plaintext: &[u8]) -> Result<(), StoreError> {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(self.key.as_ref()));
        let ct = cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: MAGIC }).map_err(|_| StoreError::Undecryptable(self.path.clone()))?;
        let mut out = Vec::with_capacity(8 + 12 + ct.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        write_private(&self.path, &out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_wrong_key_and_corruption_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("local.key");
        let other = dir.path().join("other.key");
        create_key_file(&key).unwrap();
        create_key_file(&other).unwrap();
        let path = dir.path().join("secrets.store");
        let store = SecretStore::open(&path, &key).unwrap();
        store.write(b"shares and nonces").unwrap();
        assert_eq!(store.read().unwrap().as_slice(), b"shares and nonces");
        let raw = fs::read(&path).unwrap();
        assert!(!raw.windows(6).any(|w| w == b"shares"), "nothing in clear on disk");
        let wrong = SecretStore::open(&path, &other).unwrap();
        assert!(matches!(wrong.read(), Err(StoreError::Undecryptable(_))));
        let mut corrupted = raw.clone();
        let last = corrupted.len() - 1;
        corrupted[last] ^= 1;
        fs::write(&path, &corrupted).unwrap();
        let err = store.read().unwrap_err();
        assert!(err.to_string().contains("restore"), "{err}");
        fs::write(&key, "not hex").unwrap();
        assert!(matches!(SecretStore::open(&path, &key), Err(StoreError::BadKeyFile(_))));
    }
}
