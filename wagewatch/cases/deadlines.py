"""Deadlines of a case: started from the time-limit table and the working-day calendar, stored
as rows (`CaseDeadline.due_at`, indexed), met or cancelled by the services, recomputed when the
calendar changes. `Case.next_due_at` mirrors the earliest open one for lists."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from wagewatch.core.calendar import SHANGHAI, deadline_for, working_calendar
from wagewatch.core.models import TimeLimit

from .models import Case, CaseAssignment, CaseDeadline, DeadlineKind

# What finishing each deadline means, for plain-words texts ("2026年11月30日前办结").
DEADLINE_VERBS = {
    DeadlineKind.FIRST_CONTACT: "与您联系",
    DeadlineKind.RESPOND: "响应",
    DeadlineKind.VERIFY: "核实",
    DeadlineKind.CLOSE: "办结",
    DeadlineKind.ADVANCE_PAYMENT_TRIGGER: "解决(逾期启动垫付)",
    DeadlineKind.PROPERTY_PRESERVATION: "作出财产保全裁定",
}


def deadline_text(kind: str, due_at: datetime) -> str:
    """Plain words for the worker (SMS, phone pages): `Case.next_deadline_text` uses this."""
    return worker_deadline_text(kind, due_at)


def staff_deadline_text(kind: str, due_at: datetime) -> str:
    local = due_at.astimezone(SHANGHAI)
    verb = DEADLINE_VERBS.get(kind, "完成")
    return f"{local:%Y年%m月%d日 %H:%M}前{verb}"


# What the worker is told: the next step they wait for, by date only.
WORKER_DEADLINE_VERBS = {
    DeadlineKind.FIRST_CONTACT: "与您联系",
    DeadlineKind.RESPOND: "与您联系",
    DeadlineKind.VERIFY: "核实完毕",
    DeadlineKind.CLOSE: "办结",
    DeadlineKind.ADVANCE_PAYMENT_TRIGGER: "解决",
    DeadlineKind.PROPERTY_PRESERVATION: "作出财产保全裁定",
}


def worker_deadline_text(kind: str, due_at: datetime) -> str:
    """"今天16:30前与您联系", "明天9:30前与您联系" for the short limits, counted in office hours;
    "2026年12月9日前办结" for the rest."""
    local = due_at.astimezone(SHANGHAI)
    verb = WORKER_DEADLINE_VERBS.get(kind, "办理")
    if kind in (DeadlineKind.RESPOND, DeadlineKind.VERIFY):
        days = (local.date() - timezone.localdate()).days
        when = {0: "今天", 1: "明天", 2: "后天"}.get(days)
        if when:
            return f"{when}{local.hour}:{local.minute:02d}前{verb}"
        return f"{local.month}月{local.day}日{local.hour}:{local.minute:02d}前{verb}"
    return f"{local.year}年{local.month}月{local.day}日前{verb}"


def deadline_start(case: Case, kind: str, start: datetime, *, limits: dict[str, TimeLimit] | None = None) -> CaseDeadline:
    """Start (or restart) the deadline `kind` on a case at `start`; an open one of the same kind
    is cancelled first. The caller refreshes `next_due_at` (see `next_due_refresh`)."""
    limit = (limits or {}).get(kind) or TimeLimit.objects.get(key=kind)
    due = deadline_for(limit, start)
    CaseDeadline.objects.filter(case=case, kind=kind, status=CaseDeadline.Status.OPEN).update(status=CaseDeadline.Status.CANCELLED)
    return CaseDeadline.objects.create(
        case=case, kind=kind, time_limit_key=limit.key, started_at=start, due_at=due.due_at, provisional=due.provisional
    )


def deadline_meet(case: Case, kinds, at: datetime | None = None) -> int:
    at = at or timezone.now()
    return CaseDeadline.objects.filter(case=case, kind__in=list(kinds), status=CaseDeadline.Status.OPEN).update(
        status=CaseDeadline.Status.MET, met_at=at
    )


def deadline_cancel(case: Case, kinds=None) -> int:
    qs = CaseDeadline.objects.filter(case=case, status=CaseDeadline.Status.OPEN)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.update(status=CaseDeadline.Status.CANCELLED)


def next_due_refresh(case: Case) -> None:
    """Set `next_due_at`/`next_due_kind` from the earliest open deadline (in memory; the caller saves)."""
    first = (
        CaseDeadline.objects.filter(case=case, status=CaseDeadline.Status.OPEN).order_by("due_at").values("due_at", "kind").first()
        if case.is_open
        else None
    )
    case.next_due_at = first["due_at"] if first else None
    case.next_due_kind = first["kind"] if first else ""


def open_deadlines(case: Case):
    return case.deadlines.filter(status=CaseDeadline.Status.OPEN).order_by("due_at")


def deadlines_recompute(*, year: int | None = None) -> list[tuple[CaseDeadline, datetime, bool]]:
    """Recompute open working-day deadlines after the calendar changed: those still provisional,
    and (when `year` is given) every one whose span from start to due date touches that year.

    Returns (deadline, old due_at, old provisional) for each one that changed; the rows, the
    lead assignments' due dates and the cases' `next_due_at` are updated here. Runs inside the
    caller's transaction (the calendar load)."""
    working_keys = list(TimeLimit.objects.filter(unit=TimeLimit.Unit.WORKING_DAYS).values_list("key", flat=True))
    limits = {t.key: t for t in TimeLimit.objects.filter(key__in=working_keys)}
    touched = Q(provisional=True)
    if year is not None:
        start_of_year = datetime(year, 1, 1, tzinfo=SHANGHAI)
        end_of_year = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
        touched |= Q(started_at__lt=end_of_year, due_at__gte=start_of_year)
    rows = CaseDeadline.objects.filter(touched, status=CaseDeadline.Status.OPEN, time_limit_key__in=working_keys).select_related("case")
    calendar = working_calendar()
    changed = []
    for row in rows:
        due = deadline_for(limits[row.time_limit_key], row.started_at, calendar=calendar)
        if due.due_at != row.due_at or due.provisional != row.provisional:
            changed.append((row, row.due_at, row.provisional))
            row.due_at, row.provisional = due.due_at, due.provisional
            row.save(update_fields=["due_at", "provisional"])
            if row.kind == DeadlineKind.CLOSE:
                CaseAssignment.objects.filter(case=row.case, role=CaseAssignment.Role.LEAD, active=True).update(
                    due_at=due.due_at, due_provisional=due.provisional
                )
    for case in {row.case_id: row.case for row, _, _ in changed}.values():
        next_due_refresh(case)
        Case.objects.filter(pk=case.pk).update(next_due_at=case.next_due_at, next_due_kind=case.next_due_kind)
    return changed
