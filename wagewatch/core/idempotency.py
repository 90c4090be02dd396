"""Idempotent writes: a request carrying an `Idempotency-Key` that was seen before gets the first
answer back; the same key with a different payload is refused.

The key row is inserted in the same transaction as the work it guards. Two copies of one request
racing each other: the second insert waits on the unique index until the first commits, then
fails, its whole transaction (the duplicate case included) rolls back, and it answers with the
stored first result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from .models import IdempotencyKey

MAX_KEY_LENGTH = 128


class IdempotencyConflict(Exception):
    """The key was used before with a different payload."""

    message = "幂等键(Idempotency-Key)已用于内容不同的请求:请为新的请求使用新的幂等键"


class IdempotencyKeyInvalid(Exception):
    message = f"幂等键(Idempotency-Key)不正确:应为1至{MAX_KEY_LENGTH}个可见字符"


@dataclass(frozen=True)
class IdempotentResult:
    status_code: int
    body: dict
    replayed: bool


def request_hash(payload) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def key_validate(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise IdempotencyKeyInvalid()
    return key


def _stored(owner: str, endpoint: str, key: str, digest: str) -> IdempotentResult | None:
    row = IdempotencyKey.objects.filter(owner=owner, endpoint=endpoint, key=key).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise IdempotencyConflict()
    return IdempotentResult(row.status_code, row.response, True)


def idempotent_run(*, owner: str, endpoint: str, key: str, payload, run: Callable[[], tuple[int, dict]]) -> IdempotentResult:
    """Run `run()` (which returns (status_code, body) and does its writes) at most once per
    (owner, endpoint, key). Only successful answers (2xx) are kept: a refused request did
    nothing, so sending it again is harmless."""
    key = key_validate(key)
    digest = request_hash(payload)
    found = _stored(owner, endpoint, key, digest)
    if found is not None:
        return found
    try:
        with transaction.atomic():
            status, body = run()
            if 200 <= status < 300:
                IdempotencyKey.objects.create(
                    owner=owner[:100], endpoint=endpoint[:100], key=key, request_hash=digest, status_code=status, response=body
                )
    except IntegrityError:
        found = _stored(owner, endpoint, key, digest)
        if found is None:
            raise
        return found
    return IdempotentResult(status, body, False)
