"""The monthly reconciliation of attendance, payroll and bank payments (issue 5).

Public interface:
- `reconcile(*, actor, month, project_ids=None, as_of=None, opens_provisional=False) -> ReconciliationRun`:
  synchronous run of one month; cases open only from settled months (`settlement.py`) unless
  `opens_provisional` (the office's deliberate run).
- `reconcile_later(*, project_id, months)`: schedule the Celery task once the current transaction
  commits (used after imports).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction


def month_start(value: date) -> date:
    return value.replace(day=1)


def reconcile_later(*, project_id: int, months: Iterable[date]) -> None:
    """Schedule `reconcile_month` for one project and the given months after the current transaction
    commits (so the task sees the imported rows). Duplicated months are sent once."""
    from wagewatch.payroll.tasks import reconcile_month

    wanted = sorted({month_start(m) for m in months})

    def _send() -> None:
        for m in wanted:
            reconcile_month.delay(m.isoformat(), [project_id])

    transaction.on_commit(_send)


def reconcile(*, actor, month: date, project_ids: list[int] | None = None, as_of: date | None = None, opens_provisional: bool = False):
    """Reconcile one month synchronously (see engine.reconcile); returns the ReconciliationRun.
    `opens_provisional`: the office's deliberate run, which may open cases from provisional months."""
    from .engine import reconcile as _reconcile

    return _reconcile(actor=actor, month=month, project_ids=project_ids, as_of=as_of, opens_provisional=opens_provisional)


__all__ = ["reconcile", "reconcile_later", "month_start"]
