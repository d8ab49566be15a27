#!/usr/bin/env python3
"""Encrypts a plaintext to a threshold key held by the validators.

Written from docs/ciphertext-format.md alone (section numbers below are that page's). Needs
Python 3.8+ and the `cryptography` package (X25519, HKDF-SHA256, ChaCha20-Poly1305); the
edwards25519 arithmetic of the proof of knowledge is plain Python here, after RFC 8032.

    python3 clients/python/tss_encrypt.py --group-key HEX --generation N \
        --owner mpc1... --purpose /demo --plaintext "sealed bid: 42"

prints the ciphertext's wire encoding in hex, what `mpcd tx decrypt --ciphertext` takes.
The chain decrypts a ciphertext only for the account its label names as owner:
label = u16be(len(owner)) || owner || purpose, owner = the account's 20 address bytes.
"""

import argparse
import hashlib
import secrets
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# Section 2: constants.
TAG, VERSION = 0x06, 0x01
KDF_SALT = b"tss/threshold-decryption/v1"
POK_DOMAIN = b"tss/ciphertext-pok/v1"
MAX_LABEL, MAX_PLAINTEXT = 256, 65536

# Section 1: edwards25519 (RFC 8032 section 5.1), points in extended coordinates (X, Y, Z, T).
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1, 1, 0)


def inv(x):
    return pow(x, P - 2, P)


def add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def mul(k, p):
    q = IDENTITY
    while k:
        if k & 1:
            q = add(q, p)
        p = add(p, p)
        k >>= 1
    return q


def encode(p):
    zi = inv(p[2])
    x, y = p[0] * zi % P, p[1] * zi % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def decode(b):
    """A canonical encoding's point, or None (rejects y >= p, non-points, negative zero)."""
    y = int.from_bytes(b, "little") & (2**255 - 1)
    sign = b[31] >> 7
    if y >= P:
        return None
    x2 = (y * y - 1) * inv(D * y * y + 1) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P or (x == 0 and sign):
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def is_identity(p):
    return p[0] % P == 0 and (p[1] - p[2]) % P == 0


G = decode(((4 * inv(5)) % P).to_bytes(32, "little"))


def prime_order_point(b):
    """The point of a canonical encoding in the prime-order subgroup, not the identity, or None."""
    p = decode(b) if len(b) == 32 else None
    if p is None or encode(p) != b or is_identity(p) or not is_identity(mul(L, p)):
        return None
    return p


def signed_scalar(secret):
    """Section 5: the scalar r of an X25519 secret with r*G = lift(X25519(secret, 9))."""
    clamped = bytearray(secret)
    clamped[0] &= 0xF8
    clamped[31] = (clamped[31] & 0x7F) | 0x40
    a = int.from_bytes(clamped, "little") % L
    return (L - a) % L if encode(mul(a, G))[31] & 0x80 else a


def u32be(n):
    return n.to_bytes(4, "big")


# Section 6: the proof transcript.
def field(label, value):
    return len(label).to_bytes(8, "little") + label + len(value).to_bytes(8, "little") + value


def challenge(group_key, generation, ephemeral, label, body, r):
    data = (field(b"domain", POK_DOMAIN) + field(b"group key", group_key) + field(b"generation", u32be(generation))
            + field(b"ephemeral", ephemeral) + field(b"label", label) + field(b"body", body) + field(b"R", r)
            + len(b"challenge").to_bytes(8, "little") + b"challenge")
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % L


def associated_data(group_key, generation, ephemeral, label):
    """Section 4, step 3."""
    return group_key + u32be(generation) + ephemeral + u32be(len(label)) + label


def aead_key(shared, aad):
    """Section 4, step 4: HKDF-SHA256 with the whole associated data as info."""
    return HKDF(algorithm=SHA256(), length=32, salt=KDF_SALT, info=aad).derive(shared)


def owned_label(owner, purpose):
    """label = u16be(len(owner)) || owner || purpose, as the chain requires (section 4)."""
    if not 1 <= len(owner) <= 0xFFFF or 2 + len(owner) + len(purpose) > MAX_LABEL:
        raise ValueError("the owner must be 1 or more bytes and the whole label at most 256 bytes")
    return len(owner).to_bytes(2, "big") + owner + purpose


def encrypt(group_key, generation, label, plaintext, ephemeral_secret=None, k=None):
    """Section 4. `ephemeral_secret` and `k` are for test vectors only: leave them out."""
    if len(label) > MAX_LABEL or len(plaintext) > MAX_PLAINTEXT:
        raise ValueError("label over 256 bytes or plaintext over 64 KiB")
    # Section 3: the group key must be a canonical, prime-order, non-identity point.
    if prime_order_point(group_key) is None:
        raise ValueError("the group key is not a canonical prime-order edwards25519 point")
    y = int.from_bytes(group_key, "little") & (2**255 - 1)
    group_x25519 = ((1 + y) * inv(1 - y) % P).to_bytes(32, "little")
    # Steps 1-2: ephemeral key and key agreement (plain X25519).
    e = ephemeral_secret if ephemeral_secret is not None else secrets.token_bytes(32)
    secret = X25519PrivateKey.from_private_bytes(e)
    ephemeral = secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = secret.exchange(X25519PublicKey.from_public_bytes(group_x25519))
    # Steps 3-5: associated data, key derivation, body.
    aad = associated_data(group_key, generation, ephemeral, label)
    body = ChaCha20Poly1305(aead_key(shared, aad)).encrypt(bytes(12), plaintext, aad)
    # Step 6, section 5: the signed scalar r with r*G = lift(E).
    r = signed_scalar(e)
    # Steps 7-9: Schnorr proof of knowledge of r.
    if k is None:
        k = int.from_bytes(secrets.token_bytes(64), "little") % L
    commitment = encode(mul(k, G))
    z = (k + challenge(group_key, generation, ephemeral, label, body, commitment) * r) % L
    # Step 10, section 7: the message.
    return (bytes([TAG, VERSION]) + u32be(generation) + ephemeral + u32be(len(label)) + label
            + commitment + z.to_bytes(32, "little") + u32be(len(body)) + body)


# Bech32 (BIP 173): an account address decodes to its 20 bytes.
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            chk ^= gen if (top >> i) & 1 else 0
    return chk


def bech32_hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(text):
    """(prefix, data bytes) of a bech32 string; ValueError if it is not one."""
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    text = text.lower()
    hrp, sep, data = text.rpartition("1")
    if not sep or not hrp or len(data) < 6 or any(c not in BECH32_CHARSET for c in data):
        raise ValueError("not bech32")
    values = [BECH32_CHARSET.index(c) for c in data]
    if bech32_polymod(bech32_hrp_expand(hrp) + values) != 1:
        raise ValueError("bad checksum")
    acc, bits, out = 0, 0, bytearray()
    for v in values[:-6]:
        acc, bits = acc << 5 | v, bits + 5
        if bits >= 8:
            bits -= 8
            out.append(acc >> bits & 0xFF)
    if bits >= 5 or acc & ((1 << bits) - 1):
        raise ValueError("bad padding")
    return hrp, bytes(out)


def bech32_encode(hrp, data):
    acc, bits, values = 0, 0, []
    for byte in data:
        acc, bits = acc << 8 | byte, bits + 8
        while bits >= 5:
            bits -= 5
            values.append(acc >> bits & 31)
    if bits:
        values.append(acc << (5 - bits) & 31)
    poly = bech32_polymod(bech32_hrp_expand(hrp) + values + [0] * 6) ^ 1
    return hrp + "1" + "".join(BECH32_CHARSET[v] for v in values + [poly >> 5 * (5 - i) & 31 for i in range(6)])


def account_bytes(text):
    """The 20 address bytes of a bech32 account (any prefix)."""
    _, data = bech32_decode(text.strip())
    if len(data) != 20:
        raise ValueError(f"an account address holds 20 bytes, this one {len(data)}")
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description="Encrypt to a threshold network key (docs/ciphertext-format.md); prints the ciphertext hex.")
    ap.add_argument("--group-key", required=True, metavar="HEX", help="the key's Ed25519 group key (`group_key` of `mpcd query network-key`)")
    ap.add_argument("--generation", required=True, type=int, metavar="N", help="its key generation (`generation`)")
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--owner", metavar="ACCOUNT", help="the requesting account, bech32 (mpc1...)")
    who.add_argument("--owner-hex", metavar="HEX", help="the requesting account's address bytes, hex")
    who.add_argument("--label-hex", metavar="HEX", help="a raw label instead of an owned one (the chain refuses to decrypt it unless it is owned)")
    ap.add_argument("--purpose", default="", metavar="TEXT", help="the label's purpose, after the owner (default empty)")
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--plaintext", metavar="TEXT", help="the plaintext, UTF-8")
    what.add_argument("--plaintext-hex", metavar="HEX", help="the plaintext, hex")
    ap.add_argument("--test-ephemeral-hex", metavar="HEX", help="fixed ephemeral secret: for test vectors only, never reuse")
    ap.add_argument("--test-nonce-hex", metavar="HEX", help="fixed proof nonce k (little-endian): for test vectors only, never reuse")
    args = ap.parse_args(argv)
    try:
        group_key = bytes.fromhex(args.group_key)
        if len(group_key) != 32 or not 0 <= args.generation < 2**32:
            raise ValueError("--group-key takes 32 bytes of hex and --generation a u32")
        if args.label_hex is not None:
            if args.purpose:
                raise ValueError("--purpose goes with --owner or --owner-hex, not --label-hex")
            label = bytes.fromhex(args.label_hex)
        else:
            owner = account_bytes(args.owner) if args.owner is not None else bytes.fromhex(args.owner_hex)
            label = owned_label(owner, args.purpose.encode())
        plaintext = args.plaintext.encode() if args.plaintext is not None else bytes.fromhex(args.plaintext_hex)
        e = bytes.fromhex(args.test_ephemeral_hex) if args.test_ephemeral_hex else None
        k = int.from_bytes(bytes.fromhex(args.test_nonce_hex), "little") % L if args.test_nonce_hex else None
        if e is not None and len(e) != 32:
            raise ValueError("--test-ephemeral-hex takes 32 bytes")
        print(encrypt(group_key, args.generation, label, plaintext, e, k).hex())
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
