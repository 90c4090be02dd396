"""Appending to the history. Every service that changes state calls `event_append` inside its
own transaction, so the change and its event commit or roll back together."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from .models import Event


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"不能写入历史的值类型: {type(value).__name__}")


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def leaf_bytes(*, seq, recorded_at, actor_id, actor_label, action, object_type, object_id, payload) -> bytes:
    return canonical_json(
        {
            "seq": seq,
            "time": recorded_at.isoformat() if hasattr(recorded_at, "isoformat") else recorded_at,
            "actor_id": actor_id,
            "actor": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "payload": payload,
        }
    ).encode()


def leaf_hash(data: bytes) -> str:
    return hashlib.sha256(b"\x00" + data).hexdigest()


def object_label(obj: Model | tuple[str, Any]) -> tuple[str, str]:
    if isinstance(obj, tuple):
        return obj[0], str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


def _lock_log() -> None:
    """Serialise appends. PostgreSQL: a transaction-level advisory lock; SQLite: the write
    lock taken at BEGIN IMMEDIATE already serialises writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x57A6E])


def event_append(*, actor, action: str, obj, payload: dict | None = None) -> Event:
    """Append one event. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("event_append must run inside transaction.atomic()")
    _lock_log()
    last = Event.objects.aggregate(m=Max("seq"))["m"]
    seq = 0 if last is None else last + 1
    object_type, object_id = object_label(obj)
    recorded_at = timezone.now()
    actor_id = getattr(actor, "pk", None)
    actor_label = str(actor) if actor is not None else "系统"
    canonical_payload = json.loads(canonical_json(payload or {}))
    data = leaf_bytes(
        seq=seq,
        recorded_at=recorded_at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        payload=canonical_payload,
    )
    return Event.objects.create(
        seq=seq,
        recorded_at=recorded_at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        payload=canonical_json(canonical_payload),
        leaf_hash=leaf_hash(data),
    )
