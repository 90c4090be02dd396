"""The reconciliation run by real Celery workers: after an import (reconcile_later) and split by
project chunks (one run, several tasks)."""

from datetime import date

import pytest
from django.db import transaction

from wagewatch.payroll import synthetic
from wagewatch.payroll.models import Finding, ReconciliationRun
from wagewatch.payroll.reconciliation import reconcile_later
from wagewatch.payroll.tasks import reconcile_split
from wagewatch.testing.world import build_world

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]

MONTH = date(2026, 9, 1)


def _month():
    world = build_world()
    return synthetic.build(
        month=MONTH, territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"],
        clean_projects=1, anomalies=["shortfall", "low_average_pay", "late_payment"],
    )


def test_reconcile_later_runs_after_commit_in_a_worker(celery_worker):
    result = _month()
    project_id = result.project_ids[1]  # the shortfall project
    with transaction.atomic():
        reconcile_later(project_id=project_id, months=[MONTH, date(2026, 9, 17)])  # one task for the month
        assert not ReconciliationRun.objects.exists()  # nothing sent before the commit
    celery_worker.wait_for(lambda: ReconciliationRun.objects.filter(status="done").exists(), timeout=90)
    assert ReconciliationRun.objects.count() == 1
    assert Finding.objects.filter(project_id=project_id, kind="shortfall").exists()


def test_a_split_run_finishes_when_its_last_chunk_does(celery_worker):
    result = _month()
    run_id = reconcile_split(month=MONTH, project_ids=result.project_ids, chunk=2)
    celery_worker.wait_for(lambda: ReconciliationRun.objects.filter(pk=run_id, status="done").exists(), timeout=120)
    run = ReconciliationRun.objects.get(pk=run_id)
    assert run.projects_done == run.projects_total == 4
    assert {f.kind for f in Finding.objects.filter(run=run)} >= {"shortfall", "low_average_pay", "late_payment"}
    assert not Finding.objects.filter(project_id=result.clean_project_ids[0]).exists()
