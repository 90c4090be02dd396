"""Services of payroll imports: a file from the page (queued, processed by a Celery task) and a
JSON push from a gate device or a bank (processed at once).

    job = import_job_create(actor=user, project=p, kind="attendance", upload=f)   # page
    import_job_process(job.pk)                                                   # the task
    job = import_rows_push(actor=user, project=p, kind="attendance", rows=[...])  # API

All or nothing: every row is checked first (nothing written); if any row is rejected the job is
`rejected` with every rejected cell {row, column, field, value (masked if personal), reason}.
Otherwise all rows are written in one transaction with one history event `payroll.import`
(kind, counts, the file's SHA-256), and the months touched are queued for reconciliation.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wagewatch.core import jobs
from wagewatch.core.files import SealedFileError, sealed_read, sealed_write
from wagewatch.core.jobs import heartbeat, transition
from wagewatch.core.models import Role
from wagewatch.history.services import event_append

from ..imports import kinds
from ..imports.reading import FileProblem, canonical, read_upload, rows_from_json
from ..models import ImportJob

logger = logging.getLogger(__name__)

ACTION_LABELS = {
    "payroll.import": "导入工资数据",
    "payroll.import_rejected": "工资数据导入被退回",
    "payroll.import_interrupted": "工资数据导入中断",
    "payroll.import_resumed": "工资数据导入中断后重新处理",
    "payroll.import_file_deleted": "删除保留期满的导入文件",
}
PAYLOAD_KEY_LABELS = {
    "created": "新增",
    "updated": "更新",
    "unchanged": "重复(未变)",
    "months": "涉及月份",
    "rows_rejected": "有误行数",
    "attempt": "第几次运行",
    "last_heartbeat": "最后心跳时间",
    "retention": "保留期限",
}
PAYLOAD_VALUE_LABELS = {
    **{value: label for value, label in ImportJob.Kind.choices},
    "retention_expired": "保留期满",
    "not_encrypted": "未加密保存的旧文件",
}
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def may_edit_payroll(user, project) -> bool:
    """The project's labour manager (its general contractor's organisation), office staff and
    leaders, administrators: the one rule of the payroll app (`selectors.may_write_project`)."""
    from ..selectors import may_write_project

    return may_write_project(user, project)


# What a data-provider token (a gate device, a bank) may push to any project: its own records.
# The roster, teams, quantities and payroll sheets are the contractor's (its labour manager, or the
# office): a feed that could push them could put its own phone on any project's workers and open
# their pay pages, or rewrite a contractor's sheet.
FEED_KINDS = {ImportJob.Kind.ATTENDANCE, ImportJob.Kind.DISBURSEMENTS, ImportJob.Kind.INSTALMENTS}


def may_push(user, project, kind: str | None = None) -> bool:
    """API pushes: a data-provider token (gate devices, banks) for the feed kinds, or whoever may
    edit the payroll. Without `kind`: whether the user may push anything to the project."""
    if user and user.is_authenticated and user.is_active and user.role == Role.DATA_PROVIDER:
        return kind is None or kind in FEED_KINDS
    return may_edit_payroll(user, project)


def require_push(actor, project, kind: str) -> None:
    if not may_push(actor, project, kind):
        if getattr(actor, "role", None) == Role.DATA_PROVIDER:
            raise PermissionDenied("数据接口只能报送考勤、银行代发流水和人工费拨付;花名册、班组、工程量和工资表由本项目总包单位的劳资专管员或清欠办报送")
        raise PermissionDenied("只有本项目总包单位的劳资专管员、清欠办和系统管理员可以导入工资数据")


def upload_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / "payroll_imports" / f"{job.pk}.upload"


def import_job_create(*, actor, project, kind: str, upload=None, data: bytes | None = None, filename: str = "", source: str = "page") -> ImportJob:
    """Store the uploaded file (streamed to disk in chunks, encrypted: `core.files`) and queue its
    processing after commit."""
    if kind not in ImportJob.Kind.values:
        raise ValueError(f"未知的数据类型:{kind}")
    require_push(actor, project, kind)
    with transaction.atomic():
        job = ImportJob.objects.create(
            project=project, kind=kind, file_name=(filename or getattr(upload, "name", "") or "")[:255], source=source,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        chunks = upload.chunks() if upload is not None else [data or b""]
        job.file_sha256 = sealed_write(upload_path(job), chunks)
        job.save(update_fields=["file_sha256"])
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


class JobTakenOver(Exception):
    """This run of a job lost it to another (the job sweep queued it again)."""


def _enqueue(job_id: int) -> None:
    from ..tasks_imports import import_process

    import_process.delay(job_id)


def import_job_process(job_id: int) -> ImportJob:
    """Read the stored file of a queued job, check it, write it (or reject it). Idempotent: a job
    that is not queued any more is left as it is."""
    updated = transition(
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED), ImportJob.TRANSITIONS, ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now(), attempts=F("attempts") + 1,
    )
    job = ImportJob.objects.select_related("project", "created_by").get(pk=job_id)
    if not updated:
        return job
    path = upload_path(job)
    try:
        # Killed from here on (kill -9, out of memory), the job's heartbeat stops and its file stays:
        # the job sweep processes it again from the file (nothing of it was committed).
        with heartbeat((ImportJob, job_id)):
            try:
                data = sealed_read(path)
            except (OSError, SealedFileError):
                return _fail_file(job, "上传的文件已无法读取(可能已过保留期限被删除),请重新上传")
            try:
                frame = canonical(job.kind, read_upload(data, job.file_name), first_row=2)
            except FileProblem as exc:
                return _fail_file(job, exc.message)
            del data
            return _run(job, frame, actor=job.created_by)
    except JobTakenOver:
        logger.warning("payroll import %s: queued again by the job sweep while this run was writing; this run wrote nothing", job_id)
        return ImportJob.objects.get(pk=job_id)
    except Exception as exc:  # the job must not stay "running" for ever
        logger.exception("payroll import %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, error=f"处理失败:{exc.__class__.__name__}", finished_at=timezone.now())
        raise
    finally:
        # A rejected file is kept for the "rejected rows" download (the uploader fixes it in
        # place); anything else is deleted once processed.
        # A job queued again (or taken by another run) still needs it.
        status = ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        if status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
            path.unlink(missing_ok=True)


RESEND_QUEUED_AFTER = timedelta(minutes=5)
INTERRUPTED_ERROR = "处理中断:后台任务在处理过程中停止,本文件没有任何数据写入,请重新上传"


def import_jobs_sweep(*, now=None) -> dict[str, int]:
    """Nothing stays silent (run by the job sweep, core.jobs, every minute):

    - a job still queued RESEND_QUEUED_AFTER after its last sign of life (its message lost with a
      broker restart or a killed worker) is sent again: processing claims a job once, so a second
      message is harmless;
    - a job "running" whose heartbeat stopped for JOB_STALE_SECONDS lost its worker process. Its
      transaction died with the process, so nothing of the file was written. A stored file is
      queued again (`payroll.import_resumed`), up to JOB_MAX_ATTEMPTS runs; past that, or with
      no file (an API push processed in a web process), the job ends interrupted
      (`payroll.import_interrupted`) and the page tells the uploader to upload it again."""
    now = now or timezone.now()
    Status = ImportJob.Status
    resent = 0
    lost = ImportJob.objects.filter(jobs.stale_q(now - RESEND_QUEUED_AFTER, since="created_at"), status=Status.QUEUED)
    for pk in lost.values_list("pk", flat=True):
        _enqueue(pk)
        resent += 1
    resumed = interrupted = 0
    cutoff = now - jobs.stale_after()
    stale = ImportJob.objects.filter(jobs.stale_q(cutoff, since="created_at"), status=Status.RUNNING)
    for job in stale.select_related("project", "created_by"):
        still_stale = ImportJob.objects.filter(jobs.stale_q(cutoff, since="created_at"), pk=job.pk)
        path = upload_path(job)
        with transaction.atomic():
            if job.attempts < jobs.max_attempts() and path.exists():
                if jobs.transition(still_stale, ImportJob.TRANSITIONS, Status.QUEUED, heartbeat_at=now, rows_done=0):
                    _event(job, "payroll.import_resumed", {"attempt": job.attempts, "last_heartbeat": _iso(job.heartbeat_at)})
                    transaction.on_commit(lambda pk=job.pk: _enqueue(pk))
                    resumed += 1
                continue
            if jobs.transition(still_stale, ImportJob.TRANSITIONS, Status.FAILED, error=INTERRUPTED_ERROR, finished_at=now):
                _event(job, "payroll.import_interrupted", {"attempt": job.attempts, "last_heartbeat": _iso(job.heartbeat_at)})
                interrupted += 1
                transaction.on_commit(lambda path=path: path.unlink(missing_ok=True))
    return {"resent": resent, "resumed": resumed, "interrupted": interrupted}


def _iso(value) -> str:
    return value.isoformat() if value else ""


def import_rows_push(*, actor, project, kind: str, rows, source: str = "api") -> ImportJob:
    """A JSON list pushed to the API, processed at once (rows numbered from 0)."""
    require_push(actor, project, kind)
    payload = json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str).encode()
    job = ImportJob.objects.create(
        project=project, kind=kind, source=source, file_name=f"{source}:{kind}", file_sha256=hashlib.sha256(payload).hexdigest(),
        created_by=actor if getattr(actor, "pk", None) else None, status=ImportJob.Status.RUNNING,
        heartbeat_at=timezone.now(), attempts=1,
    )
    # No file is kept: if this process dies, the job sweep ends the job as interrupted.
    with heartbeat((ImportJob, job.pk)):
        try:
            frame = canonical(kind, rows_from_json(rows), first_row=0)
        except FileProblem as exc:
            return _fail_file(job, exc.message)
        return _run(job, frame, actor=actor)


def _fail_file(job: ImportJob, message: str) -> ImportJob:
    job.status = ImportJob.Status.REJECTED
    job.error = message
    job.rejected = [{"row": 1, "column": "", "field": "", "value": "", "reason": message}]
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save(update_fields=["status", "error", "rejected", "finished_at"])
        _event(job, "payroll.import_rejected", {"reason": message[:300]})
    return job


def _event(job: ImportJob, action: str, extra: dict) -> None:
    actor = job.created_by or f"数据接口: {job.source}"
    event_append(
        actor=actor,
        action=action,
        obj=job,
        payload={
            "kind": job.kind,
            "project": job.project.code,
            "file_sha256": job.file_sha256,
            "source": job.source,
            "rows_total": job.rows_total,
            **extra,
        },
    )


def _run(job: ImportJob, frame, *, actor) -> ImportJob:
    check, write = kinds.HANDLERS[job.kind]
    job.rows_total = frame.height
    ImportJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total, rows_done=0)
    ctx = kinds.Context(project=job.project, kind=job.kind, actor=actor)
    kinds.text_check(ctx, frame)
    plan = check(ctx, frame)
    if ctx.rejections:
        job.status = ImportJob.Status.REJECTED
        job.rejected = ctx.rejections.report()
        bad_rows = len(ctx.rejections.rows)
        job.error = f"{bad_rows}行有错误,整个文件未导入:请按提示改正后重新上传"
        if ctx.rejections.count > len(job.rejected):
            job.error += f"(共{ctx.rejections.count}处错误,只列出前{len(job.rejected)}处)"
        job.rows_done = job.rows_total
        job.finished_at = timezone.now()
        with transaction.atomic():
            job.save(update_fields=["status", "rejected", "error", "rows_done", "finished_at"])
            _event(job, "payroll.import_rejected", {"rows_rejected": bad_rows})
        return job
    # Checked: the bar shows every row checked while the one transaction writes them.
    ImportJob.objects.filter(pk=job.pk).update(rows_done=job.rows_total)
    with transaction.atomic():
        outcome = write(ctx, plan)
        job.rows_done = job.rows_total
        job.rows_created, job.rows_updated, job.rows_unchanged = outcome.created, outcome.updated, outcome.unchanged
        job.rejected = []
        job.error = ""
        job.finished_at = timezone.now()
        # Done only if this run still holds the job: the job sweep may have given up a run whose
        # heartbeat it lost and queued the job again; then this transaction writes nothing.
        held = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING, attempts=job.attempts)
        if not transition(
            held, ImportJob.TRANSITIONS, ImportJob.Status.DONE, rows_done=job.rows_done, rows_created=job.rows_created,
            rows_updated=job.rows_updated, rows_unchanged=job.rows_unchanged, rejected=[], error="", finished_at=job.finished_at,
        ):
            raise JobTakenOver(job.pk)
        job.status = ImportJob.Status.DONE
        months = sorted(outcome.months)
        _event(
            job,
            "payroll.import",
            {
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "months": [m.isoformat() for m in months],
                **({"changes": outcome.changes} if outcome.changes else {}),
            },
        )
        if job.kind in kinds.RECONCILED_KINDS and months and outcome.created + outcome.updated:
            _reconcile_later(job.project_id, months)
    _forget_rejected_files(job)
    return job


def _forget_rejected_files(job: ImportJob) -> None:
    """Once a file of this kind imports, the kept files of earlier rejected ones (personal data,
    kept only for the "fix and upload again" download) are deleted."""
    earlier = ImportJob.objects.filter(project=job.project_id, kind=job.kind, status=ImportJob.Status.REJECTED, pk__lt=job.pk)
    for pk in earlier.values_list("pk", flat=True):
        (Path(settings.MEDIA_ROOT) / "payroll_imports" / f"{pk}.upload").unlink(missing_ok=True)


def _reconcile_later(project_id: int, months) -> None:
    try:
        from wagewatch.payroll.reconciliation import reconcile_later
    except ImportError:  # the engine is not installed in this tree
        return
    reconcile_later(project_id=project_id, months=months)


RETENTION_KEY = "import_file_retention"  # a time limit the office edits (/calendar/time-limits/)
PART_FILE_AGE = timedelta(days=1)


def import_files_expire(*, now=None) -> dict[str, int]:
    """Delete every kept import file whose retention ran out (time limit `import_file_retention`,
    default 30 calendar days from the import's end), recording `payroll.import_file_deleted` on
    its import in the same transaction; also any file not sealed (written before files were
    encrypted), any file whose import no longer exists, and writes cut short. A daily beat runs it."""
    from wagewatch.core.calendar import deadline_for, time_limit
    from wagewatch.core.files import MAGIC

    now = now or timezone.now()
    folder = Path(settings.MEDIA_ROOT) / "payroll_imports"
    counts = {"expired": 0, "unsealed": 0, "orphaned": 0}
    if not folder.is_dir():
        return counts
    limit = time_limit(RETENTION_KEY)
    files: dict[int, Path] = {}
    for path in folder.iterdir():
        stem = path.name.removesuffix(".upload")
        if path.name.endswith(".upload") and stem.isdigit():
            files[int(stem)] = path
        elif path.is_file() and now.timestamp() - path.stat().st_mtime > PART_FILE_AGE.total_seconds():
            path.unlink(missing_ok=True)
            counts["orphaned"] += 1
    jobs = {job.pk: job for job in ImportJob.objects.filter(pk__in=list(files)).select_related("project", "created_by")}
    for pk, path in files.items():
        job = jobs.get(pk)
        if job is None:
            path.unlink(missing_ok=True)
            counts["orphaned"] += 1
            continue
        if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
            continue
        with path.open("rb") as handle:
            sealed = handle.read(len(MAGIC)) == MAGIC
        expired = deadline_for(limit, job.finished_at or job.created_at).due_at <= now
        if sealed and not expired:
            continue
        reason = "expired" if expired else "unsealed"
        why = "retention_expired" if expired else "not_encrypted"
        with transaction.atomic():
            event_append(
                actor=None,
                action="payroll.import_file_deleted",
                obj=job,
                payload={
                    "kind": job.kind,
                    "project": job.project.code,
                    "file_sha256": job.file_sha256,
                    "reason": why,
                    "retention": f"{limit.amount}{limit.get_unit_display()}",
                },
            )
            transaction.on_commit(lambda p=path: p.unlink(missing_ok=True))
        counts[reason] += 1
    return counts
