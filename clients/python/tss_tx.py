#!/usr/bin/env python3
"""Builds and signs a transaction offline, byte by byte as docs/transactions.md specifies.

Needs Python 3.8+ and the `cryptography` package (Ed25519). Prints {"tx": HEX, "hash": HEX}:
send the bytes with `mpcd tx broadcast HEX --node URL`, or with CometBFT's RPC
(`GET /broadcast_tx_sync?tx=0xHEX`); `hash` is CometBFT's transaction hash.

    python3 clients/python/tss_tx.py --key alice.key --chain-id CHAIN --sequence 0 \
        --gas 40000 --fees 2000 bank-send mpc1... 5

The key file holds the account's 32-byte Ed25519 secret key in hex (what `mpcd keygen` writes).
"""

import argparse
import hashlib
import json
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tss_encrypt import account_bytes

TX_TAG, TX_VERSION = 0x32, 0x01
SIGN_DOMAIN = b"mpc/tx/v2"


# postcard, the body's encoding: unsigned LEB128 varints, length-prefixed bytes and strings.
def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def byte_string(b):
    return varint(len(b)) + b


def option(value):
    return b"\x00" if value is None else b"\x01" + value


# Msg variants (enum index first), docs/transactions.md section 3.
def bank_send(to, amount):
    return varint(0) + to + varint(amount)


def tss_sign(keyset, message, context=None):
    return varint(1) + varint(1) + varint(keyset) + byte_string(message) + option(None if context is None else byte_string(context))


def tss_decrypt(keyset, ciphertext, reencrypt_to=None):
    delivery = varint(0) if reencrypt_to is None else varint(1) + reencrypt_to
    return varint(1) + varint(3) + varint(keyset) + byte_string(ciphertext) + delivery


def body(chain_id, sequence, fee, gas_limit, msgs, memo=""):
    return (byte_string(chain_id.encode()) + varint(sequence) + varint(fee) + varint(gas_limit)
            + varint(len(msgs)) + b"".join(msgs) + byte_string(memo.encode()))


def sign(secret_key, body_bytes):
    """The transaction: tag, version, signer key, u32be body length, body, signature."""
    key = Ed25519PrivateKey.from_private_bytes(secret_key)
    signer = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signature = key.sign(SIGN_DOMAIN + hashlib.sha256(body_bytes).digest())
    return bytes([TX_TAG, TX_VERSION]) + signer + len(body_bytes).to_bytes(4, "big") + body_bytes + signature


def main(argv=None):
    ap = argparse.ArgumentParser(description="Build and sign a transaction offline (docs/transactions.md).")
    key = ap.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", metavar="FILE", help="the account's key file (32-byte secret key, hex)")
    key.add_argument("--key-hex", metavar="HEX", help="the account's 32-byte secret key, hex")
    ap.add_argument("--chain-id", required=True)
    ap.add_argument("--sequence", required=True, type=int, help="the account's sequence (`mpcd query account`)")
    ap.add_argument("--gas", required=True, type=int, help="gas limit (docs/params.md: tx_base + per_byte x size + the message's)")
    ap.add_argument("--fees", required=True, type=int, help="fee, at least ceil(gas x min_gas_price_micro / 10^6)")
    ap.add_argument("--memo", default="")
    sub = ap.add_subparsers(dest="msg", required=True)
    send = sub.add_parser("bank-send", help="transfer to an account")
    send.add_argument("to", help="the recipient, bech32")
    send.add_argument("amount", type=int)
    sig = sub.add_parser("sign", help="request a threshold signature")
    sig.add_argument("--keyset", type=int, default=0)
    msg = sig.add_mutually_exclusive_group(required=True)
    msg.add_argument("--message")
    msg.add_argument("--message-hex")
    sig.add_argument("--context")
    dec = sub.add_parser("decrypt", help="request a threshold decryption")
    dec.add_argument("--keyset", type=int, default=0)
    dec.add_argument("--ciphertext", required=True, metavar="HEX")
    dec.add_argument("--reencrypt-to", metavar="HEX", help="X25519 re-encryption key")
    args = ap.parse_args(argv)
    try:
        secret = bytes.fromhex(open(args.key).read().strip() if args.key else args.key_hex)
        if len(secret) != 32:
            raise ValueError("the key is not 32 bytes of hex")
        if args.msg == "bank-send":
            m = bank_send(account_bytes(args.to), args.amount)
        elif args.msg == "sign":
            message = args.message.encode() if args.message is not None else bytes.fromhex(args.message_hex)
            m = tss_sign(args.keyset, message, None if args.context is None else args.context.encode())
        else:
            target = None if args.reencrypt_to is None else bytes.fromhex(args.reencrypt_to)
            if target is not None and len(target) != 32:
                raise ValueError("--reencrypt-to takes 32 bytes of hex")
            m = tss_decrypt(args.keyset, bytes.fromhex(args.ciphertext), target)
        tx = sign(secret, body(args.chain_id, args.sequence, args.fees, args.gas, [m], args.memo))
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"tx": tx.hex(), "hash": hashlib.sha256(tx).hexdigest().upper()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
