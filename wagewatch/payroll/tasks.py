"""Background jobs of the payroll app: the monthly reconciliation, split by project chunks."""

from __future__ import annotations

from datetime import date

from celery import shared_task


@shared_task(name="wagewatch.payroll.tasks.reconcile_month", ignore_result=True)
def reconcile_month(month_iso: str, project_ids: list[int] | None = None) -> int:
    """Reconcile one month for the given projects (all supervised projects when None); returns
    the number of open findings written."""
    from wagewatch.payroll.reconciliation import reconcile

    run = reconcile(actor=None, month=date.fromisoformat(month_iso), project_ids=project_ids)
    return run.findings_count
