"""Readable numbers: prefix + date + 5-digit daily sequence, e.g. AJ2026112300012.

The counter row of (prefix, day) is incremented with an UPDATE, which holds its row lock until the
caller's transaction ends: two registrations never get the same number, and a rolled-back one
gives its number back.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import NumberCounter

CASE = "AJ"  # 案件
COMPLAINT = "TS"  # 投诉
DISPATCH_ORDER = "ZB"  # 转办单


def number_next(prefix: str, at: datetime | None = None) -> str:
    day = timezone.localdate(at or timezone.now())
    table = NumberCounter._meta.db_table
    conn = transaction.get_connection()
    day_value = conn.ops.adapt_datefield_value(day)
    with conn.cursor() as cursor:
        # One round trip: increment and read back (PostgreSQL and SQLite ≥ 3.35 both have RETURNING).
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE prefix = %s AND day = %s RETURNING last", [prefix, day_value])
        row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                NumberCounter.objects.create(prefix=prefix, day=day, last=1)
            last = 1
        except IntegrityError:  # created meanwhile by a concurrent registration
            counters = NumberCounter.objects.filter(prefix=prefix, day=day)
            counters.update(last=F("last") + 1)
            last = counters.values_list("last", flat=True).get()
    else:
        last = row[0]
    return f"{prefix}{day:%Y%m%d}{last:05d}"
