"""A reconciliation run as a job that survives a dead worker (core.jobs).

A run is split into chunks (ReconciliationChunk), one Celery task each. A task claims its chunk
(queued → running, once), beats the chunk's and the run's `heartbeat_at` while it works, and counts
the chunk's projects in the run when the chunk becomes done, once. A chunk may be run again: its
findings are upserted by key, so a second run of the same projects writes the same findings.

The job sweep (`reconciliation_jobs_sweep`, every minute):
- a running chunk whose heartbeat stopped lost its worker: queued again (`payroll.reconcile_resumed`)
  up to JOB_MAX_ATTEMPTS runs, then failed, and its run ends (`payroll.reconcile_interrupted`);
- a queued chunk silent for RESEND_QUEUED_AFTER (its message lost with a killed worker or a broker
  restart) is sent again; a second message is harmless, the claim takes one;
- a running run with no unfinished chunk and a stopped heartbeat (one from before chunks, or
  whose last chunk died between its work and its count) is ended with the same event.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from wagewatch.core import jobs
from wagewatch.history.services import event_append
from wagewatch.payroll.models import ReconciliationChunk, ReconciliationRun

RESEND_QUEUED_AFTER = timedelta(minutes=5)
SWEEP_ACTOR = "后台任务巡检"
INTERRUPTED_ERROR = "核对中断:后台任务在核对过程中停止,重试后仍未完成;已核对项目的结果保留,请重新发起本月核对"
Chunk = ReconciliationChunk


def _actor_user(actor):
    return actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None


def run_create(
    *, actor, month: date, project_ids: list[int], chunk_size: int, opens_provisional: bool = False
) -> tuple[ReconciliationRun, list[ReconciliationChunk]]:
    """A run over these projects and its queued chunks of `chunk_size` projects (none: done at once).
    `opens_provisional`: the office's deliberate run, which may open cases from provisional months."""
    ids = sorted(set(project_ids))
    now = timezone.now()
    with transaction.atomic():
        run = ReconciliationRun.objects.create(
            month=month.replace(day=1), projects_total=len(ids), requested_by=_actor_user(actor), heartbeat_at=now,
            opens_provisional=opens_provisional,
        )
        chunks = ReconciliationChunk.objects.bulk_create([
            ReconciliationChunk(run=run, number=n, project_ids=ids[i : i + chunk_size], heartbeat_at=now)
            for n, i in enumerate(range(0, len(ids), chunk_size))
        ])
        if not ids:
            jobs.transition(ReconciliationRun.objects.filter(pk=run.pk), ReconciliationRun.TRANSITIONS, ReconciliationRun.Status.DONE, finished_at=now)
            run.refresh_from_db()
    return run, chunks


def chunk_send(chunk: ReconciliationChunk) -> None:
    from wagewatch.payroll.tasks import reconcile_month

    reconcile_month.delay(chunk.run.month.isoformat(), chunk.project_ids, chunk.run_id, chunk.pk)


def chunk_claim(chunk_id: int) -> ReconciliationChunk | None:
    """Queued → running for this worker; None if the chunk is not queued (done, taken, ended)."""
    now = timezone.now()
    moved = jobs.transition(
        Chunk.objects.filter(pk=chunk_id), Chunk.TRANSITIONS, Chunk.Status.RUNNING, attempts=F("attempts") + 1, heartbeat_at=now,
    )
    if not moved:
        return None
    chunk = Chunk.objects.select_related("run").get(pk=chunk_id)
    ReconciliationRun.objects.filter(pk=chunk.run_id).update(heartbeat_at=now)
    return chunk


def chunk_done(chunk: ReconciliationChunk, *, findings: int) -> bool:
    """Running → done (inside the transaction that counts it in the run); False if this run of the
    chunk was given up meanwhile (the sweep re-queued it: the next run counts it)."""
    return bool(jobs.transition(
        Chunk.objects.filter(pk=chunk.pk), Chunk.TRANSITIONS, Chunk.Status.DONE, findings_count=findings, finished_at=timezone.now(),
    ))


def chunk_failed(chunk: ReconciliationChunk, *, error: str) -> None:
    jobs.transition(Chunk.objects.filter(pk=chunk.pk), Chunk.TRANSITIONS, Chunk.Status.FAILED, finished_at=timezone.now())


def _silent(cutoff: datetime) -> Q:
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _run_end(run: ReconciliationRun, *, now: datetime, payload: dict) -> bool:
    moved = jobs.transition(
        ReconciliationRun.objects.filter(pk=run.pk), ReconciliationRun.TRANSITIONS, ReconciliationRun.Status.FAILED,
        error=INTERRUPTED_ERROR, finished_at=now,
    )
    if moved:
        event_append(
            actor=SWEEP_ACTOR, action="payroll.reconcile_interrupted", obj=run,
            payload={"month": run.month.isoformat(), "projects_done": run.projects_done, "projects_total": run.projects_total, **payload},
        )
    return bool(moved)


def reconciliation_jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    cutoff = now - jobs.stale_after()
    counts = {"resent": 0, "resumed": 0, "interrupted": 0}

    for chunk in Chunk.objects.filter(_silent(now - RESEND_QUEUED_AFTER), status=Chunk.Status.QUEUED, run__status=ReconciliationRun.Status.RUNNING).select_related("run"):
        if Chunk.objects.filter(_silent(now - RESEND_QUEUED_AFTER), pk=chunk.pk, status=Chunk.Status.QUEUED).update(heartbeat_at=now):
            chunk_send(chunk)
            counts["resent"] += 1

    for chunk in Chunk.objects.filter(_silent(cutoff), status=Chunk.Status.RUNNING).select_related("run"):
        run = chunk.run
        still_silent = Chunk.objects.filter(_silent(cutoff), pk=chunk.pk)
        payload = {"chunk": chunk.number + 1, "projects": len(chunk.project_ids), "attempt": chunk.attempts, "last_heartbeat": _iso(chunk.heartbeat_at)}
        with transaction.atomic():
            if chunk.attempts < jobs.max_attempts() and run.status == ReconciliationRun.Status.RUNNING:
                if jobs.transition(still_silent, Chunk.TRANSITIONS, Chunk.Status.QUEUED, heartbeat_at=now):
                    event_append(actor=SWEEP_ACTOR, action="payroll.reconcile_resumed", obj=run, payload={"month": run.month.isoformat(), **payload})
                    transaction.on_commit(lambda chunk=chunk: chunk_send(chunk))
                    counts["resumed"] += 1
                continue
            if jobs.transition(still_silent, Chunk.TRANSITIONS, Chunk.Status.FAILED, finished_at=now) and _run_end(run, now=now, payload=payload):
                counts["interrupted"] += 1

    unfinished = Chunk.objects.filter(run=OuterRef("pk"), status__in=[Chunk.Status.QUEUED, Chunk.Status.RUNNING])
    orphans = ReconciliationRun.objects.filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff), ~Exists(unfinished), status=ReconciliationRun.Status.RUNNING,
    )
    for run in orphans:
        with transaction.atomic():
            if _run_end(run, now=now, payload={"last_heartbeat": _iso(run.heartbeat_at or run.started_at)}):
                counts["interrupted"] += 1
    return counts
