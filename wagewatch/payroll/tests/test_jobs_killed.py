"""A real worker process killed (SIGKILL) in the middle of an import and of a reconciliation; the
job sweep then hands the job to the session's worker, and the end state is checked: the import is
written exactly once, the run completes with every project counted once, never "running" for ever.

The killed worker is wagewatch.testing.stalling_worker: it stops dead at a known point of the job
(and says so with a marker file), so the kill lands where the first wave's kills did, every time."""

from __future__ import annotations

import signal
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from wagewatch.celery import app
from wagewatch.conftest import start_celery_worker
from wagewatch.core.jobs import jobs_sweep, stale_after
from wagewatch.history.models import Event
from wagewatch.payroll import synthetic
from wagewatch.payroll.models import Attendance, Finding, ImportJob, ReconciliationChunk, ReconciliationRun
from wagewatch.payroll.reconciliation.jobs import RESEND_QUEUED_AFTER
from wagewatch.payroll.services.imports import import_job_create
from wagewatch.payroll.tasks import reconcile_split
from wagewatch.testing.world import build_world

from .test_imports import ATTENDANCE_HEADER, ROSTER, csv_bytes, id_number

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stalling_worker(celery_worker, tmp_path):
    """start(point) -> (worker, marker): a second worker on a queue of its own that stops at `point`.
    Tasks sent inside `sending_to(worker)` go to it; everything else goes to the session worker."""
    started = []

    def start(point: str):
        import sys

        queue = f"stall-{uuid.uuid4().hex[:8]}"
        marker = tmp_path / f"{point}.reached"
        worker = start_celery_worker(
            queue, tmp_path / f"{point}.log",
            program=[sys.executable, "-m", "wagewatch.testing.stalling_worker", point, str(marker)],
            env={"JOB_HEARTBEAT_SECONDS": "1"},
        )
        started.append(worker)
        return worker, marker

    yield start
    for worker in started:
        if worker.alive():
            worker.process.kill()
            worker.process.wait()
        with app.connection_for_write() as conn:  # the messages it never took
            try:
                conn.default_channel.queue_purge(worker.queue)
            except Exception:
                pass


class sending_to:
    def __init__(self, worker):
        self.queue = worker.queue

    def __enter__(self):
        self.saved, app.conf.task_default_queue = app.conf.task_default_queue, self.queue

    def __exit__(self, *exc):
        app.conf.task_default_queue = self.saved


def _kill(worker) -> None:
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(timeout=10)


def _sweep_later(extra: timedelta = timedelta(0)):
    """The sweep as it runs a few minutes after the worker died (instead of waiting for them)."""
    return jobs_sweep(now=timezone.now() + max(stale_after(), extra) + timedelta(seconds=5))


def _upload(world, kind, rows, name):
    return import_job_create(actor=world.users["labour_manager"], project=world.projects["housing_b"], kind=kind, data=csv_bytes(rows), filename=name)


def test_an_import_killed_while_writing_is_written_once_by_the_next_worker(celery_worker, stalling_worker):
    world = build_world()
    teams = _upload(world, "teams", [["班组名称", "班组长", "所属企业"], ["钢筋班", "赵六", "东城建工集团有限公司"], ["木工班", "钱七", ""]], "teams.csv")
    celery_worker.wait_for(lambda: ImportJob.objects.filter(pk=teams.pk, status="done").exists())
    roster = _upload(world, "workers", ROSTER, "roster.csv")
    celery_worker.wait_for(lambda: ImportJob.objects.filter(pk=roster.pk, status="done").exists())
    rows = [ATTENDANCE_HEADER] + [
        [id_number(i), "", f"2026-11-{day:02d} {hour}:0{i}:00", way, "GATE-01", "1号门"]
        for i in (1, 2, 3) for day in range(2, 28) for hour, way in (("07", "进"), ("18", "出"))
    ]
    stalled, marker = stalling_worker("import_write")
    with sending_to(stalled):
        job = _upload(world, "attendance", rows, "attendance.csv")

    stalled.wait_for(marker.exists, timeout=60)  # every row written, not committed
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    if connection.vendor == "postgresql":  # SQLite has one writer: the beat waits behind the write
        first = job.heartbeat_at
        stalled.wait_for(lambda: ImportJob.objects.get(pk=job.pk).heartbeat_at > first, timeout=20)
    _kill(stalled)

    assert not Attendance.objects.exists()  # nothing half-written
    assert ImportJob.objects.get(pk=job.pk).status == "running"  # what the first wave saw for an hour
    assert jobs_sweep()["payroll.imports"]["resumed"] == 0  # not before its heartbeat is stale
    assert _sweep_later()["payroll.imports"]["resumed"] == 1

    celery_worker.wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status="done").exists(), timeout=60)
    job.refresh_from_db()
    assert job.attempts == 2 and job.rows_created == len(rows) - 1
    assert Attendance.objects.count() == len(rows) - 1  # exactly once
    assert Event.objects.filter(action="payroll.import", object_id=str(job.pk)).count() == 1
    assert Event.objects.filter(action="payroll.import_resumed", object_id=str(job.pk)).count() == 1


def test_a_reconciliation_killed_mid_run_completes_with_every_project_counted_once(celery_worker, stalling_worker):
    world = build_world()
    month = date(2026, 9, 1)
    result = synthetic.build(
        month=month, territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"],
        clean_projects=1, anomalies=["shortfall", "low_average_pay", "late_payment"],
    )
    stalled, marker = stalling_worker("reconcile_warnings")
    with sending_to(stalled):
        run_id = reconcile_split(month=month, project_ids=result.project_ids, chunk=2)

    stalled.wait_for(marker.exists, timeout=90)  # first chunk's findings committed, not counted
    # The chunk it took first: a queue need not hand out chunk 0 before chunk 1.
    first = ReconciliationChunk.objects.get(run_id=run_id, status="running")
    assert first.attempts == 1
    assert ReconciliationChunk.objects.filter(run_id=run_id, status="queued", attempts=0).count() == 1
    stalled.wait_for(lambda: ReconciliationChunk.objects.get(pk=first.pk).heartbeat_at > first.heartbeat_at, timeout=20)
    _kill(stalled)
    run = ReconciliationRun.objects.get(pk=run_id)
    assert (run.status, run.projects_done) == ("running", 0)  # "running 0/4", for ever before

    swept = _sweep_later(RESEND_QUEUED_AFTER)["payroll.reconciliation"]
    assert swept == {"resent": 1, "resumed": 1, "interrupted": 0}  # the killed chunk and the one it never took

    celery_worker.wait_for(lambda: ReconciliationRun.objects.filter(pk=run_id, status="done").exists(), timeout=120)
    run.refresh_from_db()
    assert run.projects_done == run.projects_total == 4
    assert set(ReconciliationChunk.objects.filter(run_id=run_id).values_list("status", flat=True)) == {"done"}
    assert {f.kind for f in Finding.objects.filter(project_id__in=result.project_ids)} >= {"shortfall", "low_average_pay", "late_payment"}
    assert Event.objects.filter(action="payroll.reconcile_resumed", object_id=str(run_id)).count() == 1
