"""Ed25519 signatures over tree heads (RFC 6962 §3.5 TreeHeadSignature layout)."""

from __future__ import annotations

import base64
import hashlib
import struct
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SIGNED_DATA_FORMAT = (
    "Ed25519 签名的数据为 RFC 6962 TreeHeadSignature 结构(大端序):"
    "version=0(1字节)‖signature_type=1(1字节)‖timestamp 毫秒(8字节)‖tree_size(8字节)‖root_hash(32字节)"
)


def tree_head_message(*, timestamp_ms: int, tree_size: int, root_hash: bytes) -> bytes:
    return struct.pack(">BBQQ32s", 0, 1, timestamp_ms, tree_size, root_hash)


def decode_key(text: str) -> bytes:
    """A 32-byte value written as base64 (standard or URL-safe) or as 64 hex digits."""
    text = (text or "").strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured("HISTORY_SIGNING_KEY 应为 32 字节种子的 base64 编码")
    return raw


@lru_cache(maxsize=4)
def _private_key(seed_text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(decode_key(seed_text))


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.HISTORY_SIGNING_KEY)


def public_key_bytes() -> bytes:
    return private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


def sign_tree_head(*, timestamp_ms: int, tree_size: int, root_hash: bytes) -> bytes:
    return private_key().sign(tree_head_message(timestamp_ms=timestamp_ms, tree_size=tree_size, root_hash=root_hash))


def verify_tree_head(*, public_key: bytes, signature: bytes, timestamp_ms: int, tree_size: int, root_hash: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            signature, tree_head_message(timestamp_ms=timestamp_ms, tree_size=tree_size, root_hash=root_hash)
        )
    except (InvalidSignature, ValueError):
        return False
    return True
