"""Writes to the history. Every service that changes state calls `event_append` inside its own
transaction, so the change and its event commit or roll back together. `tree_head_publish`
extends the stored Merkle nodes and signs a new tree head."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from wagewatch.core.redact import redact_data, redact_text

from . import signing, tree
from .canonical import canonical_json, canonical_payload, leaf_bytes, leaf_hash, leaf_text, time_text
from .models import Event, TreeHead
from .tree import HistoryIntegrityError

__all__ = [
    "HistoryIntegrityError",
    "canonical_json",
    "canonical_payload",
    "event_append",
    "events_append",
    "leaf_bytes",
    "leaf_hash",
    "leaf_text",
    "object_label",
    "time_text",
    "tree_head_publish",
]

# Advisory lock keys (PostgreSQL); on SQLite BEGIN IMMEDIATE already serialises writers.
APPEND_LOCK = 0x57A6E
PUBLISH_LOCK = 0x57A6F

_LAST = f"SELECT MAX(seq) FROM {Event._meta.db_table}"
_LOCK_AND_LAST = f"SELECT pg_advisory_xact_lock({APPEND_LOCK}); {_LAST}"
_INSERT = (
    f"INSERT INTO {Event._meta.db_table} "
    "(seq, recorded_at, actor_id, actor_label, action, object_type, object_id, payload, leaf_hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def object_label(obj: Model | tuple[str, Any]) -> tuple[str, str]:
    if isinstance(obj, tuple):
        return obj[0], str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


def _actor_fields(actor) -> tuple[int | None, str]:
    # A label is for reading (the id says who): a user named by a phone number, or a label
    # built from one, is masked like any text in the history.
    if actor is None:
        return None, "系统"
    if isinstance(actor, str):
        return None, redact_text(actor)[:100]
    return getattr(actor, "pk", None), redact_text(str(actor))[:100]


def event_append(*, actor, action: str, obj, payload: dict | None = None) -> Event:
    """Append one event. Must run inside the caller's transaction.

    `actor` is a user, None (the system) or a label such as "数据接口: 税务局"."""
    return events_append(actor=actor, entries=[(action, obj, payload)])[0]


def events_append(*, actor, entries: Sequence[tuple[str, Any, dict | None]]) -> list[Event]:
    """Append several events (action, object, payload) in order, taking the log lock and reading
    the last sequence number once and inserting in one batch: for services that record many
    objects in one transaction (imports, bulk recomputations). An entry may carry a fourth
    element, its own actor (a registration by a worker dispatched by the system). Must run inside
    the caller's transaction."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("event_append must run inside transaction.atomic()")
    default_actor = _actor_fields(actor)
    prepared = []
    for action, obj, payload, *entry_actor in entries:
        if not action or len(action) > 64:
            raise ValueError("动作名称不能为空,且不超过 64 个字符")
        object_type, object_id = object_label(obj)
        if len(object_id) > 64 or len(object_type) > 64:
            raise ValueError("对象类型和对象ID不超过 64 个字符")
        who = _actor_fields(entry_actor[0]) if entry_actor else default_actor
        # Free text in a payload (a note, a reason, an error quoting a file's row) is masked
        # before it is hashed: the history can never be changed or deleted, so no clear ID,
        # phone or bank card number may enter it (wagewatch.core.redact).
        prepared.append((action, object_type, object_id, canonical_payload(redact_data(payload or {})), who))
    if not prepared:
        return []
    events = []
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # Two statements in one round trip (simple query protocol, no parameters). Each gets
            # its own snapshot in READ COMMITTED, so the MAX is read after the lock is held and
            # sees the previous holder's committed row.
            cursor.execute(_LOCK_AND_LAST)
            cursor.nextset()
        else:
            cursor.execute(_LAST)
        last = cursor.fetchone()[0]
        seq = 0 if last is None else last + 1
        recorded_at = timezone.now()  # taken under the lock, so time never goes back as seq grows
        time_iso = recorded_at.isoformat()
        db_time = conn.ops.adapt_datetimefield_value(recorded_at)
        rows = []
        for action, object_type, object_id, payload_text, (actor_id, actor_label) in prepared:
            digest = leaf_hash(
                leaf_text(seq, time_iso, actor_id, actor_label, action, object_type, object_id, payload_text).encode()
            )
            rows.append([seq, db_time, actor_id, actor_label, action, object_type, object_id, payload_text, digest])
            event = Event(
                seq=seq,
                recorded_at=recorded_at,
                actor_id=actor_id,
                actor_label=actor_label,
                action=action,
                object_type=object_type,
                object_id=object_id,
                payload=payload_text,
                leaf_hash=digest,
            )
            event._state.adding = False
            event._state.db = conn.alias
            events.append(event)
            seq += 1
        if len(rows) == 1:
            cursor.execute(_INSERT, rows[0])
        else:
            cursor.executemany(_INSERT, rows)
    return events


def tree_head_publish(*, actor=None) -> TreeHead | None:
    """Extend the stored Merkle nodes to every event appended so far and sign a tree head.

    Returns None when nothing changed since the last head (or there are no events). Refuses
    (HistoryIntegrityError) when a new event no longer hashes to its recorded leaf hash: a
    signature must never vouch for altered rows."""
    _, published_by = _actor_fields(actor)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLISH_LOCK])
        latest = TreeHead.objects.order_by("-tree_size").first()
        old_size = latest.tree_size if latest else 0
        size = tree.event_count()
        if size == 0 or size == old_size:
            return None
        if size < old_size:
            raise HistoryIntegrityError(f"事件数 {size} 少于已发布树头的规模 {old_size},历史记录被删除", seq=size)
        root = tree.extend_nodes(old_size, size)
        timestamp_ms = int(timezone.now().timestamp() * 1000)
        signature = signing.sign_tree_head(timestamp_ms=timestamp_ms, tree_size=size, root_hash=root)
        return TreeHead.objects.create(
            tree_size=size,
            root_hash=root.hex(),
            timestamp_ms=timestamp_ms,
            signed_at=datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC),
            signature=signature.hex(),
            public_key=signing.public_key_bytes().hex(),
            published_by=published_by if actor is not None else "定时任务",
        )


def public_key_info() -> dict:
    raw = signing.public_key_bytes()
    return {
        "algorithm": "Ed25519",
        "public_key_hex": raw.hex(),
        "public_key_base64": base64.b64encode(raw).decode(),
        "key_id": signing.key_id(raw),
        "signed_data_format": signing.SIGNED_DATA_FORMAT,
    }
