//! The canonical binary encoding of every public message.
//!
//! Layout of every message: `tag: u8 | version: u8 | body`; each message type has its own
//! version ([`Encode::VERSION`]), bumped whenever its body changes. Integers are big-endian, points and
//! scalars are their canonical 32-byte encodings, variable-length fields carry an explicit
//! length checked against a hard bound *before* anything is allocated, and a message must be
//! consumed exactly (no trailing bytes). So each value has exactly one encoding, and decoding
//! arbitrary bytes either yields a value or a [`DecodeError`] — never a panic.
//! The byte-level layout of each message is documented in `docs/wire-format.md`.

use crate::group::{decode_scalar, CanonicalPoint};
use curve25519_dalek::scalar::Scalar;
use frost_ed25519::Identifier;


/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the message did.
    #[error("truncated {what}: needed {needed} more bytes")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// How many bytes were missing.
        needed: usize,
    },
    /// The message type tag is not the one expected.
    #[error("wrong message tag {found:#04x}, expected {expected:#04x}")]
    WrongTag {
        /// The tag read.
        found: u8,
        /// The tag expected.
        expected: u8,
    },
    /// The encoding version is not supported by this build.
    #[error("unsupported encoding version {found} (this build speaks version {expected} of this message)")]
    UnsupportedVersion {
        /// The version read.
        found: u8,
        /// The version this build encodes and decodes.
        expected: u8,
    },
    /// A length field exceeds its bound.
    #[error("{what} has length {len}, over the limit of {max}")]
    TooLong {
        /// The field.
        what: &'static str,
        /// The length read.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A field holds a value outside its domain (non-canonical point or scalar, zero
    /// identifier, unknown enum tag, ...).
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// Bytes remain after the message.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
}

/// Appends encoded fields to a buffer.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// Starts a message with its tag and version.
    pub fn message(tag: u8, version: u8) -> Self {
        let mut w = Self::default();
        w.u8(tag).u8(version);
        w
    }

    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// A byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// A big-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A big-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A big-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Raw bytes of a fixed, known length.
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// Bytes prefixed by a u32 length. The caller guarantees `v.len()` is within the field's
    /// bound (checked again on decode).
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.raw(v)
    }

    /// A point's canonical encoding.
    pub fn point(&mut self, p: &CanonicalPoint) -> &mut Self {
        self.raw(&p.to_bytes())
    }

    /// A scalar's canonical encoding.
    pub fn scalar(&mut self, s: &Scalar) -> &mut Self {
        self.raw(s.as_bytes())
    }

    /// A participant identifier (its 32-byte scalar).
    pub fn identifier(&mut self, id: &Identifier) -> &mut Self {
        self.raw(&id.serialize())
    }
}

/// Reads encoded fields from untrusted bytes.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading a message, checking its tag and version.
    pub fn message(bytes: &'a [u8], tag: u8, expected: u8) -> Result<Self, DecodeError> {
        let mut r = Self { rest: bytes };
        let found = r.u8("message tag")?;
        if found != tag {
            return Err(DecodeError::WrongTag { found, expected: tag });
        }
        let version = r.u8("version")?;
        if version != expected {
            return Err(DecodeError::UnsupportedVersion { found: version, expected });
        }
        Ok(r)
    }

    /// Reads over a nested slice without a header.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Fails unless every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.rest.len()))
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated { what, needed: n - self.rest.len() });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// A byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// A big-endian u32.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// A big-endian u64.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// Length-prefixed bytes, at most `max` long.
    pub fn bytes(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], DecodeError> {
        let len = self.u32(what)? as usize;
        if len > max {
            return Err(DecodeError::TooLong { what, len, max });
        }
        self.take(len, what)
    }

    /// A count prefix (u16) checked against a bound, and against the bytes left given each
    /// item's minimum size, so a forged count cannot trigger a large allocation.
    pub fn count(&mut self, what: &'static str, max: usize, item_size: usize) -> Result<usize, DecodeError> {
        let n = usize::from(self.u16(what)?);
        if n > max {
            return Err(DecodeError::TooLong { what, len: n, max });
        }
        let needed = n.saturating_mul(item_size);
        if needed > self.rest.len() {
            return Err(DecodeError::Truncated { what, needed: needed - self.rest.len() });
        }
        Ok(n)
    }

    /// A canonical point (torsion not checked; see [`crate::group`]).
    pub fn point(&mut self, what: &'static str) -> Result<CanonicalPoint, DecodeError> {
        CanonicalPoint::decode(self.array(what)?).ok_or(DecodeError::Invalid(what))
    }

    /// A canonical scalar.
    pub fn scalar(&mut self, what: &'static str) -> Result<Scalar, DecodeError> {
        decode_scalar(self.array(what)?).ok_or(DecodeError::Invalid(what))
    }

    /// A participant identifier (canonical, non-zero scalar).
    pub fn identifier(&mut self, what: &'static str) -> Result<Identifier, DecodeError> {
        let bytes: [u8; 32] = self.array(what)?;
        Identifier::deserialize(&bytes).map_err(|_| DecodeError::Invalid(what))
    }
}

/// A message with a canonical encoding.
pub trait Encode: Sized {
    /// The message's tag byte.
    const TAG: u8;
    /// The version of the body's layout this build writes and reads.
    const VERSION: u8 = 1;
    /// The largest encoding accepted when decoding.
    const MAX_LEN: usize;
    /// Writes the body (after tag and version).
    fn encode_body(&self, w: &mut Writer);
    /// Reads the body (after tag and version).
    fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// The canonical encoding.
    fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::message(Self::TAG, Self::VERSION);
        self.encode_body(&mut w);
        w.finish()
    }

    /// Decodes untrusted bytes: bounded, canonical, exact.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > Self::MAX_LEN {
            return Err(DecodeError::TooLong { what: "message", len: bytes.len(), max: Self::MAX_LEN });
        }
        let mut r = Reader::message(bytes, Self::TAG, Self::VERSION)?;
        let value = Self::decode_body(&mut r)?;
        r.finish()?;
        Ok(value)
    }
}

/// Message tags. Distinct per type so a message can never be read as another.
pub mod tag {
    /// [`crate::dealing::Dealing`]
    pub const DEALING: u8 = 0x01;
    /// [`crate::complaint::Complaint`]
    pub const COMPLAINT: u8 = 0x02;
    /// [`crate::sign::NonceCommitment`]
    pub const NONCE_COMMITMENT: u8 = 0x03;
    /// [`crate::sign::SignatureShare`]
    pub const SIGNATURE_SHARE: u8 = 0x04;
    /// [`crate::decrypt::DecryptionShare`]
    pub const DECRYPTION_SHARE: u8 = 0x05;
    /// [`crate::encrypt::Ciphertext`]
    pub const CIPHERTEXT: u8 = 0x06;
    /// [`crate::decrypt::ReencryptionShare`]
    pub const REENCRYPTION_SHARE: u8 = 0x07;
    /// [`crate::decrypt::ReencryptedKey`]
    pub const REENCRYPTED_KEY: u8 = 0x08;
    /// [`crate::keys::PublicKeySet`]
    pub const PUBLIC_KEY_SET: u8 = 0x09;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_count_is_rejected_before_allocation() {
        let mut r = Reader::new(&[0xff, 0xff, 0, 0]);
        assert!(matches!(r.count("items", 1000, 32), Err(DecodeError::TooLong { .. })));
        let mut r = Reader::new(&[0x00, 0x10, 0, 0]);
        assert!(matches!(r.count("items", 1000, 32), Err(DecodeError::Truncated { .. })));
    }

    #[test]
    fn bytes_over_bound_are_rejected() {
        let mut r = Reader::new(&[0, 0, 1, 0]);
        assert!(matches!(r.bytes("label", 16), Err(DecodeError::TooLong { len: 256, .. })));
    }
}
