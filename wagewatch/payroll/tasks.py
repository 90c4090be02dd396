"""Background jobs of the payroll app: the monthly reconciliation, split by project chunks so that
more Celery workers finish a month sooner.

Scheduled in settings.CELERY_BEAT_SCHEDULE:
- `reconcile_monthly` on the 1st: the month just ended (sheet and attendance rules) and the month
  before it (rule 1 looks at the month after the attendance month too);
- `reconcile_after_pay_day` daily: a project's month the day after its pay day, after its grace
  and after the wait for missing data (reconciliation/settlement.py), so that it settles on time.
"""

from __future__ import annotations

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


def reconcile_split(*, month: date, project_ids: list[int], chunk: int = CHUNK_PROJECTS, actor=None, opens_provisional: bool = False) -> int:
    """Create one run and its chunks of projects, and send one `reconcile_month` task per chunk
    once they are committed; returns the run id. `opens_provisional`: the office's deliberate run
    (may open cases from provisional months)."""
    from django.db import transaction

    from wagewatch.payroll.reconciliation.jobs import chunk_send, run_create

    run, chunks = run_create(actor=actor, month=month, project_ids=project_ids, chunk_size=chunk, opens_provisional=opens_provisional)
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
def reconcile_after_pay_day() -> list[int]:
    """Daily: reconcile a project's month on the day after its pay day, after its grace ends
    (the month may then settle and open its case) and after the wait for missing data ends
    (it settles anyway). Looks at the two months before this one; returns the run ids."""
    from wagewatch.payroll.models import WageAccount
    from wagewatch.payroll.reconciliation.engine import supervised_project_ids
    from wagewatch.payroll.reconciliation.settlement import pay_day_for, settlement_days

    yesterday = timezone.localdate() - timedelta(days=1)
    grace, wait = settlement_days()
    ids = supervised_project_ids()
    pay_days = dict(WageAccount.objects.filter(project_id__in=ids).values_list("project_id", "pay_day"))
    runs = []
    last = _previous_month(timezone.localdate())
    for month in (last, _previous_month(last)):
        due = []
        for pid in ids:
            pay_day = pay_day_for(month, pay_days.get(pid))
            if yesterday in (pay_day, pay_day + timedelta(days=grace), pay_day + timedelta(days=grace + wait)):
                due.append(pid)
        if due:
            runs.append(reconcile_split(month=month, project_ids=due))
    return runs
