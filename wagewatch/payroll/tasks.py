"""Background jobs of the payroll app: the monthly reconciliation, split by project chunks so that
more Celery workers finish a month sooner.

Scheduled in settings.CELERY_BEAT_SCHEDULE:
- `reconcile_monthly` on the 1st: the month just ended (sheet and attendance rules) and the month
  before it (rule 1 looks at the month after the attendance month too);
- `reconcile_after_pay_day` daily: the previous month of the projects whose pay day was yesterday.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

CHUNK_PROJECTS = 200


def _previous_month(d: date) -> date:
    first = d.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


# Redo-safe (a chunk is claimed once and its findings are upserted by key): acknowledged after it
# ran, and given back to the broker if the worker process running it dies.
@shared_task(name="wagewatch.payroll.tasks.reconcile_month", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def reconcile_month(month_iso: str, project_ids: list[int] | None = None, run_id: int | None = None, chunk_id: int | None = None) -> int:
    """Reconcile one month for the given projects (all supervised projects when None). With
    `chunk_id`, this is one chunk of a split run (`reconcile_split`). Returns the number of findings written."""
    from wagewatch.payroll.models import ReconciliationRun
    from wagewatch.payroll.reconciliation import reconcile
    from wagewatch.payroll.reconciliation.engine import reconcile_chunk
    from wagewatch.payroll.reconciliation.jobs import chunk_claim

    if chunk_id is not None:
        chunk = chunk_claim(chunk_id)
        if chunk is None:  # done, being run by another worker, or ended
            return 0
        return reconcile_chunk(run=chunk.run, actor=None, project_ids=chunk.project_ids, chunk=chunk)
    if run_id is not None:  # a message sent before runs had chunks
        return reconcile_chunk(run=ReconciliationRun.objects.get(pk=run_id), actor=None, project_ids=project_ids or [])
    run = reconcile(actor=None, month=date.fromisoformat(month_iso), project_ids=project_ids)
    return run.findings_count


def reconcile_split(*, month: date, project_ids: list[int], chunk: int = CHUNK_PROJECTS, actor=None) -> int:
    """Create one run and its chunks of projects, and send one `reconcile_month` task per chunk
    once they are committed; returns the run id."""
    from django.db import transaction

    from wagewatch.payroll.reconciliation.jobs import chunk_send, run_create

    run, chunks = run_create(actor=actor, month=month, project_ids=project_ids, chunk_size=chunk)
    transaction.on_commit(lambda: [chunk_send(c) for c in chunks])
    return run.pk


@shared_task(name="wagewatch.payroll.tasks.reconcile_monthly", ignore_result=True)
def reconcile_monthly() -> list[int]:
    from wagewatch.payroll.reconciliation.engine import supervised_project_ids

    today = timezone.localdate()
    ids = supervised_project_ids()
    last = _previous_month(today)
    return [reconcile_split(month=m, project_ids=ids) for m in (last, _previous_month(last))]


@shared_task(name="wagewatch.payroll.tasks.reconcile_after_pay_day", ignore_result=True)
def reconcile_after_pay_day() -> int | None:
    """The day after a project's pay day, reconcile the month whose wages were due."""
    from django.db.models import Q

    from wagewatch.payroll.models import WageAccount

    yesterday = timezone.localdate() - timedelta(days=1)
    q = Q(pay_day=yesterday.day)
    if yesterday.day == calendar.monthrange(yesterday.year, yesterday.month)[1]:
        q |= Q(pay_day__gt=yesterday.day)  # pay day 31 in a 30-day month falls on the 30th
    ids = list(WageAccount.objects.filter(q, project__under_full_supervision=True).values_list("project_id", flat=True))
    if not ids:
        return None
    return reconcile_split(month=_previous_month(yesterday), project_ids=ids)
