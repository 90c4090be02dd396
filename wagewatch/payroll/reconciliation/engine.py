"""Running the monthly reconciliation: extract (COPY) → DuckDB → findings written back in bulk →
warnings per project-month → a case in the closed loop past the case-opening rule.

A run over a month is idempotent: findings are keyed by (project, month, kind, subject) and upserted;
an open finding of the run's projects and month that the run no longer finds becomes resolved.
One history event per project-month ("payroll.reconcile") carries the counts.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from wagewatch.history.services import events_append
from wagewatch.payroll.models import (
    Attendance,
    Finding,
    FindingKind,
    FindingRule,
    ProjectWorker,
    ReconciliationRun,
    WarningLevel,
)
from wagewatch.registry.models import Project

from .compute import Row, Rule, compute, load
from .extract import MonthWindow, extract, local_start

log = logging.getLogger(__name__)

ATTENDANCE_EVIDENCE_KINDS = {
    FindingKind.SHORTFALL,
    FindingKind.ATTENDANCE_WITHOUT_WAGE,
    FindingKind.EXIT_WITHOUT_SETTLEMENT,
}
CHUNK = 5000


def rules_current() -> dict[str, Rule]:
    return {r.kind: Rule(r.enabled, r.level, r.threshold, r.threshold_secondary) for r in FindingRule.objects.all()}


def supervised_project_ids() -> list[int]:
    return list(Project.objects.filter(under_full_supervision=True).order_by("pk").values_list("pk", flat=True))


def _actor_user(actor):
    return actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None


def reconcile(
    *, actor, month: date, project_ids: list[int] | None = None, as_of: date | None = None, opens_provisional: bool = False
) -> ReconciliationRun:
    """Reconcile one month for the given projects (every project under full supervision when None),
    synchronously; returns the finished run. `as_of` (default: today, local) decides which pay days
    have passed. Cases open only from settled months (`settlement.py`) unless `opens_provisional`
    (the office runs the month on purpose)."""
    from .jobs import chunk_claim, run_create

    month = month.replace(day=1)
    ids = sorted(set(project_ids)) if project_ids is not None else supervised_project_ids()
    # One chunk of all the projects, run here: if this process dies, the job sweep finds the
    # chunk's heartbeat stopped and queues it for a worker.
    run, chunks = run_create(actor=actor, month=month, project_ids=ids, chunk_size=max(len(ids), 1), opens_provisional=opens_provisional)
    for chunk in chunks:
        if chunk_claim(chunk.pk) is not None:
            reconcile_chunk(run=run, actor=actor, project_ids=chunk.project_ids, as_of=as_of, chunk=chunk)
    run.refresh_from_db()
    return run


def reconcile_chunk(
    *, run: ReconciliationRun, actor, project_ids: list[int], as_of: date | None = None, timings: dict | None = None, chunk=None,
) -> int:
    """One piece of a run (a Celery task reconciles one chunk of projects). Returns the number of
    findings written. Marks the run done when its last chunk finishes. `timings` (optional) gets
    the seconds of each stage. With `chunk` (a claimed ReconciliationChunk), its heartbeat and
    the run's beat while it works, and its projects are counted once even if it is run again."""
    from wagewatch.core.jobs import heartbeat

    from .jobs import chunk_done, chunk_failed

    as_of = as_of or timezone.localdate()
    w = MonthWindow.of(run.month)
    timings = timings if timings is not None else {}
    beating = [(ReconciliationRun, run.pk)] + ([(type(chunk), chunk.pk)] if chunk is not None else [])
    with heartbeat(*beating):
        try:
            rows = compute_findings(w, project_ids, as_of=as_of, timings=timings) if project_ids else []
            started = time.perf_counter()
            written = write_findings(run=run, actor=actor, w=w, project_ids=project_ids, rows=rows)
            timings["write"] = time.perf_counter() - started
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if chunk is not None:
                chunk_failed(chunk, error=error)
            ReconciliationRun.objects.filter(pk=run.pk).update(status=ReconciliationRun.Status.FAILED, error=error, finished_at=timezone.now())
            raise
        from .warnings import warnings_refresh

        started = time.perf_counter()
        notes = warnings_refresh(actor=actor, month=w.month, project_ids=project_ids, as_of=as_of, opens_provisional=run.opens_provisional)
        timings["warnings"] = time.perf_counter() - started
    with transaction.atomic():
        if chunk is not None and not chunk_done(chunk, findings=written):
            return written  # counted by another run of this chunk
        current = ReconciliationRun.objects.select_for_update().get(pk=run.pk)
        current.projects_done = F("projects_done") + len(project_ids)
        current.findings_count = F("findings_count") + written
        if notes:
            current.error = (current.error + "\n" if current.error else "") + "\n".join(notes)[:2000]
        current.save(update_fields=["projects_done", "findings_count", "error"])
        current.refresh_from_db()
        if current.projects_done >= current.projects_total and current.status == ReconciliationRun.Status.RUNNING:
            current.status = ReconciliationRun.Status.DONE
            current.finished_at = timezone.now()
            current.save(update_fields=["status", "finished_at"])
    return written


def compute_findings(
    w: MonthWindow, project_ids: list[int], *, as_of: date, rules: dict[str, Rule] | None = None, timings: dict | None = None,
    keep_dir: Path | None = None,
) -> list[Row]:
    """Extract, load into DuckDB and compute. `keep_dir` keeps the extracted CSV files there."""
    rules = rules if rules is not None else rules_current()
    timings = timings if timings is not None else {}
    with tempfile.TemporaryDirectory(prefix="recon-") as tmp:
        directory = keep_dir or Path(tmp)
        started = time.perf_counter()
        paths = extract(w, project_ids, directory)
        timings["extract"] = time.perf_counter() - started
        con = duckdb.connect()
        try:
            started = time.perf_counter()
            load(con, paths)
            timings["load"] = time.perf_counter() - started
            started = time.perf_counter()
            rows = compute(con, w, rules, as_of=as_of)
            timings["compute"] = time.perf_counter() - started
        finally:
            con.close()
    started = time.perf_counter()
    _attendance_evidence(w, rows)
    _exit_levels(rows, rules)
    _subject_labels(rows)
    timings["evidence"] = time.perf_counter() - started
    return rows


def _attendance_evidence(w: MonthWindow, rows: list[Row]) -> None:
    """Add the attendance row ids (read back for the findings' workers only)."""
    wanted = sorted({r.project_worker_id for r in rows if r.kind in ATTENDANCE_EVIDENCE_KINDS and r.project_worker_id})
    ids: dict[int, list[int]] = defaultdict(list)
    t0, t1 = local_start(w.month), local_start(w.following)
    for i in range(0, len(wanted), CHUNK):
        qs = Attendance.objects.filter(project_worker_id__in=wanted[i : i + CHUNK], at__gte=t0, at__lt=t1).order_by("id")
        for pw, pk in qs.values_list("project_worker_id", "id"):
            ids[pw].append(pk)
    for r in rows:
        if r.kind in ATTENDANCE_EVIDENCE_KINDS and r.project_worker_id:
            evidence = json.loads(r.evidence)
            evidence["attendance_ids"] = ids.get(r.project_worker_id, [])
            r.evidence = json.dumps(evidence, ensure_ascii=False)


def _exit_levels(rows: list[Row], rules: dict[str, Rule]) -> None:
    """Rule 5 is yellow while a complaint naming the worker (ID number) is being handled."""
    from wagewatch.cases.models import OPEN_STATES
    from wagewatch.intake.models import Complaint, ComplaintWorker

    exits = [r for r in rows if r.kind == FindingKind.EXIT_WITHOUT_SETTLEMENT]
    digest_of = dict(
        ProjectWorker.objects.filter(pk__in=[r.project_worker_id for r in exits]).values_list("pk", "worker__id_number_digest")
    ) if exits else {}
    digests = set(digest_of.values())
    digests.discard("")
    handled: dict[str, int] = {}
    if digests:
        open_states = [s.value for s in OPEN_STATES]
        for digest, case_id in Complaint.objects.filter(complainant_id_number_digest__in=digests, case__state__in=open_states).values_list(
            "complainant_id_number_digest", "case_id"
        ):
            handled[digest] = case_id
        for digest, case_id in ComplaintWorker.objects.filter(id_number_digest__in=digests, complaint__case__state__in=open_states).values_list(
            "id_number_digest", "complaint__case_id"
        ):
            handled[digest] = case_id
    for r in exits:
        digest = digest_of.get(r.project_worker_id, "")
        if digest and digest in handled:
            r.level_override = WarningLevel.YELLOW
            detail = json.loads(r.detail)
            detail["complaint_case_id"] = handled[digest]
            r.detail = json.dumps(detail, ensure_ascii=False)


def _subject_labels(rows: list[Row]) -> None:
    """What a finding is about, readable: the worker's name, the payee account masked (with the
    names on its payments), or the whole project (`detail.subject_label`)."""
    from wagewatch.core.protected import BANK_CARD, mask
    from wagewatch.payroll.models import BankDisbursement

    names = {}
    pw_ids = sorted({r.project_worker_id for r in rows if r.project_worker_id})
    for i in range(0, len(pw_ids), CHUNK):
        names.update(ProjectWorker.objects.filter(pk__in=pw_ids[i : i + CHUNK]).values_list("pk", "worker__name"))
    first_payment = {}
    for r in rows:
        if r.subject.startswith("acct:"):
            ids = json.loads(r.evidence).get("disbursement_ids") or []
            if ids:
                first_payment[id(r)] = ids[0]
    accounts = {}
    wanted = sorted(set(first_payment.values()))
    for i in range(0, len(wanted), CHUNK):
        for b in BankDisbursement.objects.filter(pk__in=wanted[i : i + CHUNK]).only("pk", "payee_account"):
            accounts[b.pk] = mask(BANK_CARD, b.payee_account)
    for r in rows:
        if r.subject.startswith("pw:"):
            label = names.get(r.project_worker_id, "")
        elif r.subject.startswith("acct:"):
            label = f"收款账户 {accounts.get(first_payment.get(id(r)), '')}".strip()
            if r.project_worker_id and names.get(r.project_worker_id):
                label += f"({names[r.project_worker_id]}的工资卡)"
        else:
            label = "全项目"
        detail = json.loads(r.detail)
        detail["subject_label"] = label
        r.detail = json.dumps(detail, ensure_ascii=False)


# ---------------------------------------------------------------- write-back

_COLUMNS = [
    "project_id", "enterprise_id", "month", "kind", "level", "subject", "project_worker_id", "amount", "workers_affected",
    "detail", "evidence", "status", "first_found_at", "last_found_at", "run_id",
]
_UPDATED = ["enterprise_id", "level", "project_worker_id", "amount", "workers_affected", "detail", "evidence", "status", "last_found_at", "run_id"]


def write_findings(*, run: ReconciliationRun, actor, w: MonthWindow, project_ids: list[int], rows: list[Row]) -> int:
    rules = rules_current()
    now = timezone.now()
    enterprises = dict(Project.objects.filter(pk__in=project_ids).values_list("pk", "general_contractor_id")) if len(project_ids) < 20000 else None
    if enterprises is None:
        enterprises = dict(Project.objects.values_list("pk", "general_contractor_id"))
    records = []
    for r in rows:
        level = getattr(r, "level_override", None) or rules[r.kind].level
        records.append((
            r.project_id, enterprises.get(r.project_id), w.month, r.kind, level, r.subject, r.project_worker_id, r.amount,
            r.workers_affected, r.detail, r.evidence, Finding.Status.OPEN, now, now, run.pk,
        ))
    with transaction.atomic():
        before = _open_keys(w.month, project_ids)
        if connection.vendor == "postgresql":
            _upsert_postgresql(records)
        else:
            _upsert_orm(records)
        # Open findings this run did not find again are resolved (by key, so that two runs of the
        # same month at once, e.g. after an import and the monthly one, never resolve each other's).
        current = {(r.project_id, r.kind, r.subject) for r in rows}
        resolved = Counter()
        stale_ids = []
        for key, pk in before.items():
            if key not in current:
                resolved[key[0]] += 1
                stale_ids.append(pk)
        for i in range(0, len(stale_ids), CHUNK):
            Finding.objects.filter(pk__in=stale_ids[i : i + CHUNK]).update(status=Finding.Status.RESOLVED, last_found_at=now)
        per_project: dict[int, Counter] = defaultdict(Counter)
        new = Counter()
        for r in rows:
            per_project[r.project_id][r.kind] += 1
            if (r.project_id, r.kind, r.subject) not in before:
                new[r.project_id] += 1
        entries = []
        for pid in project_ids:
            kinds = per_project.get(pid, Counter())
            entries.append((
                "payroll.reconcile",
                ("registry.project", pid),
                {
                    "month": w.month.isoformat(),
                    "reconciliation_run": run.pk,
                    "findings_found": sum(kinds.values()),
                    "findings_new": new[pid],
                    "findings_resolved": resolved[pid],
                    "findings_by_kind": dict(sorted(kinds.items())),
                },
            ))
        events_append(actor=actor if actor is not None else "工资核对", entries=entries)
    return len(rows)


def _open_keys(month: date, project_ids: list[int]) -> dict[tuple[int, str, str], int]:
    """(project, kind, subject) -> id of the open findings of these projects and month."""
    keys = {}
    for i in range(0, len(project_ids), CHUNK):
        rows = Finding.objects.filter(month=month, status=Finding.Status.OPEN, project_id__in=project_ids[i : i + CHUNK]).values_list(
            "project_id", "kind", "subject", "pk"
        )
        keys.update({(p, k, s): pk for p, k, s, pk in rows})
    return keys


def _upsert_postgresql(records: list[tuple]) -> None:
    """COPY into a temporary table, then one INSERT … ON CONFLICT DO UPDATE."""
    if not records:
        return
    table = connection.ops.quote_name(Finding._meta.db_table)
    cols = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS recon_finding_in (project_id bigint, enterprise_id bigint, month date, kind text, "
            "level text, subject text, project_worker_id bigint, amount numeric(14,2), workers_affected integer, detail jsonb, "
            "evidence jsonb, status text, first_found_at timestamptz, last_found_at timestamptz, run_id bigint) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY recon_finding_in ({cols}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        cursor.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM recon_finding_in "
            f"ON CONFLICT (project_id, month, kind, subject) DO UPDATE SET {updates}"
        )
        cursor.execute("TRUNCATE recon_finding_in")


def _upsert_orm(records: list[tuple]) -> None:
    objs = []
    for rec in records:
        data = dict(zip(_COLUMNS, rec, strict=True))
        data["detail"] = json.loads(data["detail"])
        data["evidence"] = json.loads(data["evidence"])
        objs.append(Finding(**data))
    Finding.objects.bulk_create(
        objs, batch_size=500, update_conflicts=True, unique_fields=["project", "month", "kind", "subject"],
        update_fields=[c.removesuffix("_id") if c in {"enterprise_id", "project_worker_id", "run_id"} else c for c in _UPDATED],
    )


def money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))
