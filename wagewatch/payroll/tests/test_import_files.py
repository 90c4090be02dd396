"""Uploaded import files on disk: encrypted, owner-only, deleted after the office's retention."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from wagewatch.core.calendar_services import time_limit_update
from wagewatch.core.files import SealedFileError, sealed_read, sealed_write
from wagewatch.core.models import TimeLimit
from wagewatch.history.models import Event
from wagewatch.payroll.models import ImportJob
from wagewatch.payroll.services.imports import import_files_expire, upload_path

from .test_imports import ATTENDANCE_HEADER, attendance_rows, csv_bytes, id_number, roster, run_file  # noqa: F401


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    """Files other tests of this process left (their rows rolled back) would count as orphans here."""
    settings.MEDIA_ROOT = tmp_path / "media"


def rejected_job(world) -> ImportJob:
    bad = attendance_rows() + [[id_number(99), "", "2026-11-05 08:00:00", "进", "", ""]]
    job = run_file(world, ImportJob.Kind.ATTENDANCE, csv_bytes(bad))
    assert job.status == ImportJob.Status.REJECTED
    return job


def test_a_kept_file_is_encrypted_and_owner_only(world, roster):  # noqa: F811
    job = rejected_job(world)
    path = upload_path(job)
    assert path.exists()
    raw = path.read_bytes()
    assert id_number(1).encode() not in raw and "身份证号".encode() not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert id_number(1) in sealed_read(path).decode()


def test_a_sealed_file_detects_changes_and_truncation(tmp_path):
    path = tmp_path / "x.upload"
    content = os.urandom(2 * 1024 * 1024 + 17)
    sealed_write(path, [content[:70000], content[70000:]])
    assert sealed_read(path) == content
    data = path.read_bytes()
    for broken in (data[:-1], data[: len(data) // 2], data[:-100] + bytes([data[-100] ^ 1]) + data[-99:]):
        path.write_bytes(broken)
        with pytest.raises(SealedFileError):
            sealed_read(path)
    sealed_write(path, [b""])
    assert sealed_read(path) == b""


def test_files_are_deleted_after_the_retention_the_office_sets(world, roster, django_capture_on_commit_callbacks):  # noqa: F811
    job = rejected_job(world)
    path = upload_path(job)
    limit = TimeLimit.objects.get(key="import_file_retention")
    assert (limit.amount, limit.unit) == (30, TimeLimit.Unit.CALENDAR_DAYS)
    assert import_files_expire(now=timezone.now() + timedelta(days=29)) == {"expired": 0, "unsealed": 0, "orphaned": 0}
    assert path.exists()
    # The office shortens it to 7 days: an event records the change, and the next run deletes.
    time_limit_update(actor=world.users["office_staff"], limit=limit, amount=7, unit=TimeLimit.Unit.CALENDAR_DAYS)
    assert Event.objects.filter(action="time_limit.updated", object_id=str(limit.pk)).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the event is committed
        counts = import_files_expire(now=timezone.now() + timedelta(days=8))
    assert counts["expired"] == 1 and not path.exists()
    event = Event.objects.get(action="payroll.import_file_deleted")
    assert event.object_id == str(job.pk) and "retention_expired" in event.payload and "7自然日" in event.payload


def test_clear_and_orphaned_files_are_deleted(world, roster, django_capture_on_commit_callbacks):  # noqa: F811
    job = rejected_job(world)
    folder = Path(settings.MEDIA_ROOT) / "payroll_imports"
    upload_path(job).write_bytes(b"\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe5\x8f\xb7,110105194912310021\n")  # a file from before encryption
    orphan = folder / "999999.upload"
    orphan.write_bytes(b"x")
    with django_capture_on_commit_callbacks(execute=True):
        counts = import_files_expire()
    assert counts == {"expired": 0, "unsealed": 1, "orphaned": 1}
    assert not upload_path(job).exists() and not orphan.exists()
    assert "not_encrypted" in Event.objects.get(action="payroll.import_file_deleted").payload


def test_the_daily_job_is_scheduled():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("import_files_expire"))
    assert entry["schedule"].hour == {3}
