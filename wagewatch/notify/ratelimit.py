"""Fixed-window rate limits that hold across processes and machines.

Counters live in one table (`RateLimitWindow`), one row per key and window, incremented with a
single `INSERT … ON CONFLICT … DO UPDATE … RETURNING` statement: atomic on PostgreSQL and on
SQLite (≥ 3.35), so two workers can never both take the last allowed hit. Windows are aligned
to local midnight (Asia/Shanghai), so a one-day window is a calendar day. Old windows are
deleted by the periodic task `wagewatch.notify.tasks.rate_limit_windows_purge`.

    if not rate_limit_hit(f"complaint:{phone_digest}", limit=5, window_seconds=3600):
        ...refuse...

Views use `rate_limited(request, scope, limit, window)`, which answers a Chinese 429 page, or
the `rate_limit(...)` decorator. Keys must not contain clear personal data: pass digests.
"""

from __future__ import annotations

import functools
import hashlib
import math
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from wagewatch.core.protected import lookup_digest

from . import clock
from .models import RateLimitWindow

MAX_KEY_LENGTH = 200


def window_bounds(window_seconds: int, now: datetime | None = None) -> tuple[int, int]:
    """Start and end (epoch seconds) of the fixed window holding `now`, aligned to local midnight."""
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")
    now = now or clock.now()
    ts = int(now.timestamp())
    offset = int(timezone.localtime(now).utcoffset().total_seconds())
    start = (ts + offset) // window_seconds * window_seconds - offset
    return start, start + window_seconds


def _stored_key(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def rate_limit_hit(key: str, *, limit: int, window_seconds: int, now: datetime | None = None) -> bool:
    """Count one hit on `key` in the current window; True while the count is within `limit`.

    Runs in the caller's transaction when there is one: if the caller rolls back (for example
    because it refused the request for another reason), the hit is not counted."""
    start, end = window_bounds(window_seconds, now)
    key = _stored_key(key)
    using = router.db_for_write(RateLimitWindow)
    connection = connections[using]
    if connection.vendor in {"postgresql", "sqlite"}:
        count = _upsert(connection, key, start, window_seconds, end)
    else:  # pragma: no cover - the project runs on PostgreSQL and SQLite
        count = _update_or_insert(using, key, start, window_seconds, end)
    return count <= limit


def rate_limit_count(key: str, *, window_seconds: int, now: datetime | None = None) -> int:
    """Hits counted so far in the current window (without counting one)."""
    start, _ = window_bounds(window_seconds, now)
    row = RateLimitWindow.objects.filter(key=_stored_key(key), window_start=start, window_seconds=window_seconds).first()
    return row.count if row else 0


def _upsert(connection, key: str, start: int, window_seconds: int, end: int) -> int:
    qn = connection.ops.quote_name
    meta = RateLimitWindow._meta
    table = qn(meta.db_table)
    col = {name: qn(meta.get_field(name).column) for name in ("key", "window_start", "window_seconds", "count", "expires_ts")}
    sql = (
        f"INSERT INTO {table} ({col['key']}, {col['window_start']}, {col['window_seconds']}, {col['count']}, {col['expires_ts']}) "
        f"VALUES (%s, %s, %s, 1, %s) "
        f"ON CONFLICT ({col['key']}, {col['window_start']}, {col['window_seconds']}) "
        f"DO UPDATE SET {col['count']} = {table}.{col['count']} + 1 "
        f"RETURNING {col['count']}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, start, window_seconds, end])
        return int(cursor.fetchone()[0])


def _update_or_insert(using: str, key: str, start: int, window_seconds: int, end: int) -> int:  # pragma: no cover
    rows = RateLimitWindow.objects.using(using).filter(key=key, window_start=start, window_seconds=window_seconds)
    with transaction.atomic(using=using):
        if not rows.update(count=F("count") + 1):
            try:
                with transaction.atomic(using=using):
                    RateLimitWindow.objects.using(using).create(
                        key=key, window_start=start, window_seconds=window_seconds, count=1, expires_ts=end
                    )
            except IntegrityError:
                rows.update(count=F("count") + 1)
        return rows.values_list("count", flat=True).get()


def rate_limit_windows_purge(*, now: datetime | None = None) -> int:
    """Delete windows that ended; returns how many rows went."""
    ts = int((now or clock.now()).timestamp())
    deleted, _ = RateLimitWindow.objects.filter(expires_ts__lt=ts).delete()
    return deleted


# ------------------------------------------------------------------------------------- views


def client_ip(request) -> str:
    """The client's address. Behind N trusted reverse proxies (setting RATE_LIMIT_TRUSTED_PROXIES,
    default 0) it is the N-th address from the right of X-Forwarded-For; otherwise REMOTE_ADDR."""
    trusted = int(getattr(settings, "RATE_LIMIT_TRUSTED_PROXIES", 0) or 0)
    if trusted > 0:
        parts = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(parts) >= trusted:
            return parts[-trusted]
    return request.META.get("REMOTE_ADDR", "") or ""


def wait_message(seconds: int) -> str:
    """'操作过于频繁,请X分钟后再试' for a wait of `seconds` (at least one minute)."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"操作过于频繁,请{minutes}分钟后再试"


def rate_limited(request, scope: str, limit: int, window: int, *, key: str | None = None) -> HttpResponse | None:
    """Count one hit of this client (or of `key`, e.g. a phone digest) on `scope`.

    Returns None when allowed, else a 429 page in Chinese with a Retry-After header:

        if (refused := rate_limited(request, "track", 20, 3600)) is not None:
            return refused
    """
    ident = key if key is not None else "ip:" + (lookup_digest("ip", client_ip(request))[:32] or "unknown")
    now = clock.now()
    if rate_limit_hit(f"view:{scope}:{ident}", limit=limit, window_seconds=window, now=now):
        return None
    _, end = window_bounds(window, now)
    wait = max(1, end - int(now.timestamp()))
    message = wait_message(wait)
    context = {"title": "操作过于频繁", "message": message, "status": 429}
    try:
        response = render(request, "errors.html", context, status=429)
    except Exception:  # the refusal must not fail in turn
        response = HttpResponse(f"<!DOCTYPE html><meta charset='utf-8'><p>{message}</p>", status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limit(scope: str, limit: int, window: int, *, methods: tuple[str, ...] = ("POST",)):
    """View decorator: `@rate_limit("complaint_submit", 10, 3600)` counts each POST per client."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                refused = rate_limited(request, scope, limit, window)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
