"""The job sweep (core.jobs) over imports and reconciliation runs: a job whose heartbeat stopped is
queued again if its work may be redone, or ended as interrupted, within minutes and with its history
event; a job whose heartbeat goes on is left alone however old it is. Killing real workers is in
test_jobs_killed.py; here the heartbeat columns are set by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wagewatch.core.jobs import heartbeat, jobs_sweep
from wagewatch.history.models import Event
from wagewatch.payroll.models import Attendance, ImportJob, ReconciliationChunk, ReconciliationRun
from wagewatch.payroll.reconciliation.jobs import chunk_claim, reconciliation_jobs_sweep, run_create
from wagewatch.payroll.services import imports as services

from .test_imports import attendance_rows, csv_bytes, roster  # noqa: F401  (fixture)

Kind = ImportJob.Kind
pytestmark = pytest.mark.django_db
import_tests = pytest.mark.usefixtures("roster")  # the workers the attendance rows name


@pytest.fixture
def sent(monkeypatch):
    sent = []
    monkeypatch.setattr(services, "_enqueue", sent.append)
    return sent


def _job(world, name="a.csv"):
    return services.import_job_create(
        actor=world.users["labour_manager"], project=world.projects["housing_b"], kind=Kind.ATTENDANCE,
        data=csv_bytes(attendance_rows()), filename=name,
    )


def _running(job, *, beat_ago: timedelta, attempts=1, created_ago=timedelta(0)):
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status="running", attempts=attempts, heartbeat_at=now - beat_ago, rows_done=9, rows_total=10)
    ImportJob.objects.filter(pk=job.pk).update(created_at=now - created_ago)


@import_tests
def test_an_import_whose_heartbeat_stopped_is_queued_again_within_minutes(world, sent, django_capture_on_commit_callbacks):
    """Before: only a job created more than an hour ago was looked at ("90% 处理中" for an hour),
    and it was ended even though its file was stored and nothing of it had been written."""
    dead = _job(world)
    _running(dead, beat_ago=timedelta(minutes=4), created_ago=timedelta(minutes=5))
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.import_jobs_sweep()
    assert counts == {"resent": 0, "resumed": 1, "interrupted": 0}
    assert sent == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == "queued" and dead.rows_done == 0
    event = Event.objects.get(action="payroll.import_resumed", object_id=str(dead.pk))
    assert event.payload_data["attempt"] == 1
    # The worker that takes the message again imports the file, once.
    assert services.import_job_process(dead.pk).status == "done"
    assert Attendance.objects.count() == len(attendance_rows()) - 1
    assert ImportJob.objects.get(pk=dead.pk).attempts == 2
    assert services.import_jobs_sweep() == {"resent": 0, "resumed": 0, "interrupted": 0}


@import_tests
def test_an_import_that_keeps_beating_is_left_alone_however_long_it_runs(world, sent):
    alive = _job(world)
    _running(alive, beat_ago=timedelta(seconds=20), created_ago=timedelta(hours=3))
    assert services.import_jobs_sweep() == {"resent": 0, "resumed": 0, "interrupted": 0}
    assert ImportJob.objects.get(pk=alive.pk).status == "running"


@import_tests
def test_an_import_past_its_attempts_ends_interrupted_with_its_event_once(world, sent, django_capture_on_commit_callbacks):
    dead = _job(world)
    _running(dead, beat_ago=timedelta(minutes=10), attempts=3)
    path = services.upload_path(dead)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_jobs_sweep()["interrupted"] == 1
    dead.refresh_from_db()
    assert dead.status == "failed" and "请重新上传" in dead.error and dead.finished_at
    assert not path.exists()  # the file (personal data) is not kept for a job that is over
    assert services.import_jobs_sweep()["interrupted"] == 0  # not recorded twice
    assert Event.objects.filter(action="payroll.import_interrupted", object_id=str(dead.pk)).count() == 1
    assert not Attendance.objects.exists()


@import_tests
def test_a_pushed_import_has_no_file_to_redo_and_ends_interrupted(world, sent):
    job = ImportJob.objects.create(
        project=world.projects["housing_b"], kind=Kind.ATTENDANCE, source="api", file_name="api:attendance", status="running",
        attempts=1, heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    assert services.import_jobs_sweep()["interrupted"] == 1
    assert ImportJob.objects.get(pk=job.pk).status == "failed"


@import_tests
def test_a_queued_import_whose_message_was_lost_is_sent_again(world, sent):
    lost = _job(world)
    sent.clear()
    assert services.import_jobs_sweep()["resent"] == 0
    ImportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    assert services.import_jobs_sweep()["resent"] == 1 and sent == [lost.pk]


# ------------------------------------------------------------------ reconciliation


def _run(chunks=2):
    run, made = run_create(actor=None, month=timezone.localdate(), project_ids=list(range(1, 2 * chunks + 1)), chunk_size=2)
    return run, made


def test_a_reconciliation_chunk_whose_worker_died_is_queued_again(world, monkeypatch, django_capture_on_commit_callbacks):
    """Before: a run whose worker was killed stayed "running 0/334" forever."""
    sent = []
    monkeypatch.setattr("wagewatch.payroll.reconciliation.jobs.chunk_send", sent.append)
    run, (first, second) = _run()
    assert chunk_claim(first.pk) is not None and chunk_claim(first.pk) is None  # claimed once
    ReconciliationChunk.objects.filter(pk=first.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=4))
    with django_capture_on_commit_callbacks(execute=True):
        counts = reconciliation_jobs_sweep()
    assert counts == {"resent": 0, "resumed": 1, "interrupted": 0}
    assert [c.pk for c in sent] == [first.pk]
    assert ReconciliationChunk.objects.get(pk=first.pk).status == "queued"
    event = Event.objects.get(action="payroll.reconcile_resumed", object_id=str(run.pk))
    assert event.payload_data["chunk"] == 1 and event.payload_data["attempt"] == 1
    # The queued second chunk's message was lost too: sent again after five minutes of silence.
    ReconciliationChunk.objects.filter(pk=second.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=6))
    sent.clear()
    assert reconciliation_jobs_sweep()["resent"] == 1 and [c.pk for c in sent] == [second.pk]
    assert ReconciliationRun.objects.get(pk=run.pk).status == "running"


def test_a_chunk_past_its_attempts_ends_the_run_with_its_event(world, monkeypatch):
    monkeypatch.setattr("wagewatch.payroll.reconciliation.jobs.chunk_send", lambda chunk: None)
    run, (first, _) = _run()
    ReconciliationChunk.objects.filter(pk=first.pk).update(status="running", attempts=3, heartbeat_at=timezone.now() - timedelta(minutes=4))
    assert reconciliation_jobs_sweep()["interrupted"] == 1
    run.refresh_from_db()
    assert run.status == "failed" and "核对中断" in run.error and run.finished_at
    assert Event.objects.filter(action="payroll.reconcile_interrupted", object_id=str(run.pk)).count() == 1
    assert reconciliation_jobs_sweep()["interrupted"] == 0


def test_a_run_without_chunks_left_running_is_ended(world):
    """A run from before chunks existed (the "running 0/334" of the first wave)."""
    old = ReconciliationRun.objects.create(month=timezone.localdate().replace(day=1), projects_total=334)
    ReconciliationRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(hours=5))
    fresh = ReconciliationRun.objects.create(month=timezone.localdate().replace(day=1), projects_total=334)
    result = jobs_sweep()
    assert result["payroll.reconciliation"]["interrupted"] == 1
    assert ReconciliationRun.objects.get(pk=old.pk).status == "failed"
    assert ReconciliationRun.objects.get(pk=fresh.pk).status == "running"


def test_a_chunk_run_twice_counts_its_projects_once(world):
    """A chunk redone after its worker died late (the sweep queued it again) adds its projects to the run once."""
    from wagewatch.payroll.reconciliation.engine import reconcile_chunk

    ids = [world.projects["housing_b"].pk, world.projects["road_a"].pk]
    run, (first, second) = run_create(actor=None, month=timezone.localdate(), project_ids=ids, chunk_size=1)
    chunk = chunk_claim(first.pk)
    reconcile_chunk(run=run, actor=None, project_ids=chunk.project_ids, chunk=chunk)
    reconcile_chunk(run=run, actor=None, project_ids=chunk.project_ids, chunk=chunk)  # a late duplicate
    run.refresh_from_db()
    assert (run.projects_done, run.status) == (1, "running")
    chunk = chunk_claim(second.pk)
    reconcile_chunk(run=run, actor=None, project_ids=chunk.project_ids, chunk=chunk)
    run.refresh_from_db()
    assert (run.projects_done, run.projects_total, run.status) == (2, 2, "done")


def test_heartbeat_is_not_started_inside_a_transaction(world):
    with heartbeat((ImportJob, 1)) as beat:
        assert beat._thread is None


@import_tests
def test_a_run_given_up_by_the_sweep_writes_nothing_when_it_finishes_late(world, monkeypatch):
    """A worker that lost its heartbeat but not its life (the sweep queued the job again meanwhile)
    must not commit the file a second time beside the next run: its transaction is rolled back."""
    from wagewatch.payroll.imports import kinds

    job = _job(world)
    check, write = kinds.HANDLERS[Kind.ATTENDANCE]

    def write_then_lose_the_job(ctx, plan):
        outcome = write(ctx, plan)
        ImportJob.objects.filter(pk=job.pk).update(status="queued")  # what the sweep did meanwhile
        return outcome

    monkeypatch.setitem(kinds.HANDLERS, Kind.ATTENDANCE, (check, write_then_lose_the_job))
    services.import_job_process(job.pk)
    assert not Attendance.objects.exists()
    assert not Event.objects.filter(action="payroll.import", object_id=str(job.pk)).exists()
    assert services.upload_path(job).exists()  # kept for the run the sweep queued
