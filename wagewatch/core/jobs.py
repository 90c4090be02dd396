"""Long background jobs that survive a dead worker: a heartbeat column, a claim, one sweep.

Every long job model has `heartbeat_at`, the last time the job showed life: set when it is queued
or claimed, then beaten every JOB_HEARTBEAT_SECONDS by a thread of the process doing the work.
The thread has its own database connection, so a beat is seen while the work's own transaction is
still open (an import writes all its rows in one transaction: beats from inside it would be
invisible until it commits, which is how a dead import used to show "90% 处理中" for an hour).

A job whose heartbeat is older than JOB_STALE_SECONDS lost its process (kill -9, out of memory, a
machine gone). `jobs_sweep` (beat, every minute) calls every registered sweep; each one re-queues
its stale jobs whose work may be redone, or ends them as interrupted, with a history event.

State changes of a job go through its transition table (`transition`): a conditional UPDATE that
moves only rows in a state the table allows, so a sweep and a late worker never both win.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

logger = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    return float(getattr(settings, "JOB_HEARTBEAT_SECONDS", 15))


def stale_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "JOB_STALE_SECONDS", 180)))


def max_attempts() -> int:
    return int(getattr(settings, "JOB_MAX_ATTEMPTS", 3))


def stale_q(cutoff: datetime, *, since: str) -> Q:
    """Rows whose last sign of life (heartbeat_at, else the `since` column) is before `cutoff`."""
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, **{f"{since}__lt": cutoff})


def last_sign_of_life(qs: QuerySet, *, since: str) -> QuerySet:
    return qs.annotate(last_alive=Coalesce("heartbeat_at", since))


def transition(qs: QuerySet, table: dict[str, frozenset[str]], to: str, **fields) -> int:
    """Move the rows of `qs` to state `to` if their state allows it (`table`: state -> states it may
    go to); returns how many moved. One UPDATE: of two processes racing, one wins."""
    sources = [state for state, targets in table.items() if to in targets]
    if not sources:
        raise ValueError(f"no state may go to {to!r}")
    return qs.filter(status__in=sources).update(status=to, **fields)


class heartbeat:
    """`with heartbeat((Model, pk), ...):` beats `heartbeat_at` of these rows every
    JOB_HEARTBEAT_SECONDS until the block ends (or the process dies, which is the point).

    Inside an outer transaction (a test, a caller's atomic block) the job row is not committed yet:
    another connection could not see it, so no thread is started."""

    def __init__(self, *targets: tuple[type, int]):
        self.targets = [(model, pk) for model, pk in targets if pk is not None]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self):
        if self.targets and not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=heartbeat_seconds() + 35)
        return False

    def _run(self) -> None:
        interval = heartbeat_seconds()
        try:
            while not self._stop.wait(interval):
                self.beat()
        finally:
            connections.close_all()  # this thread's connections only

    def beat(self) -> None:
        now = timezone.now()
        for model, pk in self.targets:
            try:
                model.objects.filter(pk=pk).update(heartbeat_at=now)
            except Exception:  # SQLite busy behind the job's own write, a dropped connection: beat again later
                logger.info("heartbeat of %s %s not written this time", model.__name__, pk, exc_info=True)


SWEEPS: dict[str, Callable[..., dict]] = {}


def register_sweep(name: str, sweep: Callable[..., dict]) -> None:
    """Apps register their job sweeps (`sweep(*, now) -> counts`) in AppConfig.ready()."""
    SWEEPS[name] = sweep


def jobs_sweep(*, now: datetime | None = None) -> dict[str, dict]:
    """Run every registered sweep; one failing does not stop the others (it is logged and the next
    sweep, a minute later, tries again)."""
    now = now or timezone.now()
    results = {}
    for name, sweep in SWEEPS.items():
        try:
            results[name] = sweep(now=now)
        except Exception:
            logger.exception("job sweep %s failed", name)
            results[name] = {"error": 1}
    return results
