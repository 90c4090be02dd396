"""The demo's payroll months: the labour manager's supervised projects get a roster of 12 workers
and three months of attendance, payroll sheets and bank payments (the three months before
today), with a few anomalies, then each month is reconciled so the project pages show findings,
warnings and one case opened by the reconciliation.

- first project: clean every month;
- second: one worker paid 1,000 yuan short (orange) in the middle month;
- third: three workers' pay sent to a foreman's account (orange) in the middle month;
- fourth: nothing paid from the special account for the oldest month or the one after (rule 1,
  red): that month's pay day is long past without bank rows, so it is settled ("数据逾期未齐",
  reconciliation/settlement.py) and the case is opened automatically (channel: reconciliation).
Payments that would fall after today are not made, so the last month is reconciled only for what
is already due; before its pay day it is provisional ("未到发薪日") and opens nothing. Written with the synthetic generator (COPY on PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from wagewatch.payroll import synthetic
from wagewatch.payroll.models import ProjectWorker
from wagewatch.payroll.reconciliation import reconcile
from wagewatch.registry.models import Project

WORKERS = 12
# per project: the plant of each month, oldest first
PLAN = [
    (None, None, None),
    (None, "shortfall", None),
    (None, "paid_to_other", None),
    ("no_wage_from_account", None, None),
]


def _months(today):
    first = today.replace(day=1)
    months = []
    for _ in range(3):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return list(reversed(months))


def load(ctx) -> None:
    today = timezone.localdate()
    busy = set(ProjectWorker.objects.values_list("project_id", flat=True).distinct())
    candidates = [
        p for p in ctx.projects
        if p.under_full_supervision and p.general_contractor_id == getattr(ctx.contractor_enterprise, "pk", None)
        and p.status == Project.Status.UNDER_CONSTRUCTION and p.pk not in busy
    ]
    projects = candidates[: len(PLAN)]
    if not projects:
        return
    months = _months(today)
    staff: dict[int, list[dict]] = {}
    for i, month in enumerate(months):
        builder = synthetic.Builder(month, until=today)
        for project, plan in zip(projects, PLAN, strict=False):
            builder.project(project, workers=WORKERS, plant=plan[i], staff=staff.get(project.pk))
            staff[project.pk] = builder.last_staff
        builder.write()
        ctx.count("工资核对:工人月", builder.worker_months)
    for month in months:
        run = reconcile(actor=ctx.actor, month=month, project_ids=[p.pk for p in projects], as_of=today)
        ctx.count("工资核对:发现问题", run.findings_count)
