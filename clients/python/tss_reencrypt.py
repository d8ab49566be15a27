#!/usr/bin/env python3
"""A requester's re-encryption key, and opening a re-encrypted decryption result.

`mpcd tx decrypt --reencrypt-to KEY` asks the validators to deliver the result as (U, V)
sealed to the requester's X25519 re-encryption key instead of a public plaintext; only the
key's secret opens it (docs/ciphertext-format.md, section 10).

    python3 clients/python/tss_reencrypt.py keygen --out alice-reencrypt.key
    python3 clients/python/tss_reencrypt.py open --secret alice-reencrypt.key \
        --group-key HEX --ciphertext HEX --u HEX --v HEX

`keygen` writes the 32-byte secret (hex, mode 0600) and prints the public key for
--reencrypt-to; `open` prints the plaintext in hex. Needs the `cryptography` package.
"""

import argparse
import os
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tss_encrypt import P, TAG, VERSION, add, aead_key, associated_data, inv, mul, prime_order_point, signed_scalar


def parse_ciphertext(ct):
    """(generation, ephemeral, label, body) of a ciphertext's wire encoding (section 7)."""
    if len(ct) < 126 or ct[0] != TAG or ct[1] != VERSION:
        raise ValueError("not a version-1 ciphertext")
    generation, ephemeral = int.from_bytes(ct[2:6], "big"), ct[6:38]
    n = int.from_bytes(ct[38:42], "big")
    label, rest = ct[42:42 + n], ct[42 + n + 64:]
    b = int.from_bytes(rest[:4], "big")
    if len(label) != n or len(rest) != 4 + b:
        raise ValueError("ciphertext length fields do not match its size")
    return generation, ephemeral, label, rest[4:]


def open_reencrypted(group_key, ciphertext, u, v, secret):
    """Section 10: D = V - tau*U, shared = u(D), then the encryptor's HKDF and AEAD."""
    generation, ephemeral, label, body = parse_ciphertext(ciphertext)
    pu, pv = prime_order_point(u), prime_order_point(v)
    if pu is None or pv is None:
        raise ValueError("U and V must be canonical prime-order points (a relay may have tampered with them)")
    tu = mul(signed_scalar(secret), pu)
    d = add(pv, (-tu[0] % P, tu[1], tu[2], -tu[3] % P))
    y = d[1] * inv(d[2]) % P
    shared = ((1 + y) * inv(1 - y) % P).to_bytes(32, "little")
    aad = associated_data(group_key, generation, ephemeral, label)
    try:
        return ChaCha20Poly1305(aead_key(shared, aad)).decrypt(bytes(12), body, aad)
    except InvalidTag:
        raise ValueError("does not open: another key, another ciphertext, or a tampered (U, V)") from None


def main(argv=None):
    ap = argparse.ArgumentParser(description="Re-encryption keys and re-encrypted results (docs/ciphertext-format.md, section 10).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("keygen", help="write a new secret, print the public key for --reencrypt-to")
    gen.add_argument("--out", required=True, metavar="FILE")
    op = sub.add_parser("open", help="open a callback's (u, v); prints the plaintext hex")
    op.add_argument("--secret", required=True, metavar="FILE", help="the file keygen wrote")
    op.add_argument("--group-key", required=True, metavar="HEX", help="the key the ciphertext was encrypted to")
    op.add_argument("--ciphertext", required=True, metavar="HEX")
    op.add_argument("--u", required=True, metavar="HEX")
    op.add_argument("--v", required=True, metavar="HEX")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "keygen":
            secret = os.urandom(32)
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secret.hex() + "\n")
            public = X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            print(public.hex())
        else:
            secret = bytes.fromhex(open(args.secret).read().strip())
            if len(secret) != 32:
                raise ValueError(f"{args.secret} does not hold 32 bytes of hex")
            group_key = bytes.fromhex(args.group_key)
            print(open_reencrypted(group_key, bytes.fromhex(args.ciphertext), bytes.fromhex(args.u), bytes.fromhex(args.v), secret).hex())
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
