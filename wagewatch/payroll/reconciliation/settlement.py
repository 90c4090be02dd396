"""Whether a project's month is settled: the one rule deciding when the reconciliation's findings
about a month are final enough to open a case, to colour a rate red or to tell a worker he was
paid less than he is owed (docs/payroll_reconciliation.md, "已结算与暂定").

Month M of a project (wages of M are due by the pay day in M+1):

- pay day: day `WageAccount.pay_day` of M+1 (15 without an account; the last day when M+1 is
  shorter), as the engine computes it;
- data complete: for the project and M there is at least one attendance punch in M, a payroll
  sheet with at least one line for M, and at least one bank disbursement row belonging to M
  (`month` = M, or no month and paid, local time, in M+1), the same rows the engine reads;
- settled: the pay day plus the office's grace days (`CaseOpeningRule.grace_days`) has passed
  and the data is complete; or, with data still missing, `incomplete_wait_days` more days have
  passed: a month whose pay day is long past without bank rows is the real arrears signal, so it
  settles on the data there is ("数据逾期未齐").

Until then the month is provisional: "未到发薪日" (the pay day has not passed), "数据未齐" (the
pay day passed, a kind of data is missing) or "宽限期内" (data complete, grace not over).
Provisional findings are shown as such and never open a case unless the office runs the month on
purpose. "Passed" means strictly before `as_of` (today, local), as for the engine's pay day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from wagewatch.core.calendar import SHANGHAI

CHUNK = 2000

NOT_DUE, INCOMPLETE, GRACE, SETTLED, SETTLED_INCOMPLETE = "not_due", "incomplete", "grace", "settled", "settled_incomplete"
LABELS = {
    NOT_DUE: "未到发薪日",
    INCOMPLETE: "数据未齐",
    GRACE: "宽限期内",
    SETTLED: "已结算",
    SETTLED_INCOMPLETE: "数据逾期未齐",
}
PARTS = (("attendance", "考勤"), ("payroll", "工资表"), ("disbursements", "银行代发流水"))


def _next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def pay_day_for(month: date, pay_day: int | None) -> date:
    """The day wages of `month` are due: day `pay_day` (15 when None) of the month after."""
    n = _next_month(month.replace(day=1))
    return n.replace(day=min(pay_day or 15, calendar.monthrange(n.year, n.month)[1]))


@dataclass(frozen=True)
class MonthState:
    project_id: int
    month: date
    as_of: date
    pay_day: date
    grace_days: int
    wait_days: int
    has_attendance: bool
    has_payroll: bool
    has_disbursements: bool

    @property
    def due(self) -> bool:
        """The pay day has passed."""
        return self.pay_day < self.as_of

    @property
    def settles_on(self) -> date:
        """The last day of the grace: the month settles the day after, if its data is complete."""
        return self.pay_day + timedelta(days=self.grace_days)

    @property
    def settles_anyway_on(self) -> date:
        return self.settles_on + timedelta(days=self.wait_days)

    @property
    def complete(self) -> bool:
        return self.has_attendance and self.has_payroll and self.has_disbursements

    @property
    def missing(self) -> list[str]:
        """What is missing, in words (考勤、工资表、银行代发流水)."""
        return [label for key, label in PARTS if not getattr(self, f"has_{key}")]

    @property
    def code(self) -> str:
        if not self.due:
            return NOT_DUE
        if self.complete:
            return SETTLED if self.settles_on < self.as_of else GRACE
        return SETTLED_INCOMPLETE if self.settles_anyway_on < self.as_of else INCOMPLETE

    @property
    def settled(self) -> bool:
        return self.code in (SETTLED, SETTLED_INCOMPLETE)

    @property
    def provisional(self) -> bool:
        return not self.settled

    @property
    def label(self) -> str:
        return LABELS[self.code]

    @property
    def short(self) -> str:
        """A few words for a badge's neighbour: "未到发薪日(12月15日)", "数据未齐(缺银行代发流水)"."""
        code = self.code
        if code == NOT_DUE:
            return f"未到发薪日({self.pay_day.month}月{self.pay_day.day}日)"
        if code in (INCOMPLETE, SETTLED_INCOMPLETE):
            return f"{self.label}(缺{'、'.join(self.missing)})"
        if code == GRACE:
            return f"宽限期内(至{self.settles_on.month}月{self.settles_on.day}日)"
        return self.label

    @property
    def worker_words(self) -> str:
        """What a worker is told while the month is provisional (empty once settled)."""
        code = self.code
        if code == NOT_DUE:
            return f"还没到发薪日({self.pay_day.month}月{self.pay_day.day}日),这个月的工资可能还没发,下面的核对结果是暂时的。"
        if code == INCOMPLETE:
            return f"工地这个月的数据还没报齐(缺{'、'.join(self.missing)}),下面的核对结果是暂时的。"
        if code == GRACE:
            return "发薪日刚过,银行的发放记录可能还在报送,下面的核对结果是暂时的。"
        return ""

    @property
    def explanation(self) -> str:
        """One sentence for staff: why the month is (not) final, and when it will be."""
        code = self.code
        missing = "、".join(self.missing)
        if code == NOT_DUE:
            text = f"未到发薪日({self.pay_day:%Y-%m-%d}),核对结果为暂定,不自动立案"
            return text + (f";尚缺{missing}" if missing else "")
        if code == INCOMPLETE:
            return f"数据未齐(尚缺{missing}),核对结果为暂定,不自动立案;{self.settles_anyway_on:%Y-%m-%d}后仍未报齐则按现有数据核对"
        if code == GRACE:
            return f"发薪日后宽限期内(至{self.settles_on:%Y-%m-%d}),核对结果为暂定,不自动立案"
        if code == SETTLED_INCOMPLETE:
            return f"发薪日({self.pay_day:%Y-%m-%d})已过{(self.as_of - self.pay_day).days}天仍缺{missing},按现有数据核对"
        return "已过发薪日和宽限期,数据齐全,核对结果为最终结果"

    def as_dict(self) -> dict:
        return {
            "state": self.code, "state_label": self.label, "provisional": self.provisional, "pay_day": self.pay_day.isoformat(),
            "settles_on": self.settles_on.isoformat(), "missing": self.missing,
        }


def settlement_days() -> tuple[int, int]:
    """(grace days, incomplete wait days) from the case-opening rule."""
    from wagewatch.payroll.models import CaseOpeningRule

    rule = CaseOpeningRule.objects.order_by("pk").values("grace_days", "incomplete_wait_days").first()
    return (rule["grace_days"], rule["incomplete_wait_days"]) if rule else (5, 10)


def month_states(project_ids: Iterable[int], month: date, *, as_of: date | None = None) -> dict[int, MonthState]:
    """The state of `month` for each project: one query per 2,000 projects (the pay day, the
    office's grace and wait days, and each kind of data as an EXISTS on its project index)."""
    from wagewatch.payroll.models import Attendance, BankDisbursement, CaseOpeningRule, PayrollLine, WageAccount
    from wagewatch.registry.models import Project

    month = month.replace(day=1)
    as_of = as_of or timezone.localdate()
    following = _next_month(month)
    t0, t1, t2 = (datetime.combine(d, time(0), tzinfo=SHANGHAI) for d in (month, following, _next_month(following)))
    rule = CaseOpeningRule.objects.order_by("pk")
    ids = sorted(set(project_ids))
    out: dict[int, MonthState] = {}
    for i in range(0, len(ids), CHUNK):
        rows = (
            Project.objects.filter(pk__in=ids[i : i + CHUNK])
            .annotate(
                pay_day=Subquery(WageAccount.objects.filter(project_id=OuterRef("pk")).values("pay_day")[:1]),
                grace=Subquery(rule.values("grace_days")[:1]),
                wait=Subquery(rule.values("incomplete_wait_days")[:1]),
                a=Exists(Attendance.objects.filter(project_id=OuterRef("pk"), at__gte=t0, at__lt=t1)),
                p=Exists(PayrollLine.objects.filter(sheet__project_id=OuterRef("pk"), sheet__month=month)),
                b=Exists(
                    BankDisbursement.objects.filter(project_id=OuterRef("pk")).filter(
                        Q(month=month) | Q(month__isnull=True, paid_at__gte=t1, paid_at__lt=t2)
                    )
                ),
            )
            .values_list("pk", "pay_day", "grace", "wait", "a", "p", "b")
        )
        for pk, pay_day, grace, wait, a, p, b in rows:
            out[pk] = MonthState(
                pk, month, as_of, pay_day_for(month, pay_day), 5 if grace is None else grace, 10 if wait is None else wait,
                bool(a), bool(p), bool(b),
            )
    return out


def states_for(pairs: Iterable[tuple[int, date]], *, as_of: date | None = None) -> dict[tuple[int, date], MonthState]:
    """The state of each (project id, month): one `month_states` query per distinct month."""
    by_month: dict[date, set[int]] = {}
    for pid, month in pairs:
        if pid and month:
            by_month.setdefault(month.replace(day=1), set()).add(pid)
    out = {}
    for month, ids in by_month.items():
        for pid, state in month_states(ids, month, as_of=as_of).items():
            out[(pid, month)] = state
    return out


def month_state(project, month: date, *, as_of: date | None = None) -> MonthState:
    return month_states([project.pk], month, as_of=as_of)[project.pk]
