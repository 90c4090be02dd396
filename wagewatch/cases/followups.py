"""Later looks at closed cases: sampled re-checks (回头看) and the 3-month follow-up of an
enterprise that settled (created by `case_close`).

A re-check that finds the problem back reopens the case (through `case_reopen`, so the
transition table and its history apply). The monthly job samples recently closed cases for
the office; sampling the same period again only tops the sample up, it never doubles it.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from wagewatch.core.calendar import END_OF_DAY, SHANGHAI
from wagewatch.core.models import Role, User
from wagewatch.history.services import event_append, events_append
from wagewatch.notify.services import notification_create

from .escalations import notify_about_case, office_for
from .lifecycle import TRANSITIONS
from .models import Case, CaseState, FollowUp
from .services import OFFICE_ROLES, actor_kinds, case_reopen

REVIEW_FRACTION = 0.10
REVIEW_DUE_DAYS = 30  # calendar days the office has for a sampled re-check
REVIEW_WINDOW_DAYS = 30  # "recently closed" when no period is given
SAMPLER_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
MAX_NOTE = 2000
_SAMPLE_LOCK = 0xF011


def _is_user(actor) -> bool:
    return isinstance(actor, User)


def can_complete(actor, follow_up: FollowUp) -> bool:
    if not _is_user(actor) or follow_up.result != FollowUp.Result.PENDING:
        return False
    return actor.role in OFFICE_ROLES or (follow_up.organisation_id is not None and actor.organisation_id == follow_up.organisation_id)


def follow_up_complete(*, actor, follow_up: FollowUp, result: str, note: str = "") -> FollowUp:
    """Record the outcome of a re-check or a 3-month follow-up. `problem` (arrears again, wages not
    really paid) reopens the closed case when the office records it; a unit that finds a problem
    records it and the office is told to reopen."""
    errors: dict = {}
    if result not in (FollowUp.Result.CONFIRMED, FollowUp.Result.PROBLEM):
        errors.setdefault("result", []).append("请选择结果:无新问题或发现问题")
    note = (note or "").strip()
    if result == FollowUp.Result.PROBLEM and len(note) < 4:
        errors.setdefault("note", []).append("发现问题的,请写明具体情况(不少于4个字)")
    if len(note) > MAX_NOTE:
        errors.setdefault("note", []).append(f"情况说明不超过{MAX_NOTE}字")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=follow_up.case_id)
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.result != FollowUp.Result.PENDING:
            raise ValidationError(f"该{follow_up.get_kind_display()}已于{follow_up.done_at.astimezone(SHANGHAI):%Y-%m-%d}完成")
        if not can_complete(actor, follow_up):
            raise PermissionDenied("只有清欠办或负责跟踪的单位可以登记该回头看结果")
        now = timezone.now()
        follow_up.result, follow_up.note, follow_up.done_at, follow_up.done_by = result, note, now, actor
        follow_up.save(update_fields=["result", "note", "done_at", "done_by"])
        reopened = False
        outcome = ""
        if result == FollowUp.Result.PROBLEM:
            if case.state not in TRANSITIONS["reopen"].sources:
                outcome = f"案件当前{case.get_state_display()},无需重新办理"
            elif "office" in actor_kinds(actor, case):
                reopened = True
            else:
                outcome = "已通知清欠办确认后重新办理"
        event_append(
            actor=actor,
            action="case.follow_up_completed",
            obj=case,
            payload={
                "follow_up": follow_up.pk,
                "kind": follow_up.kind,
                "kind_label": follow_up.get_kind_display(),
                "result": result,
                "note": note,
                "reopened": reopened,
                **({"outcome": outcome} if outcome else {}),
            },
        )
        if reopened:
            case_reopen(actor=actor, case=case, reason=f"{follow_up.get_kind_display()}发现问题:{note}")
        elif result == FollowUp.Result.PROBLEM and outcome.startswith("已通知"):
            office = office_for(case)
            if office is not None:
                notify_about_case(
                    case=case,
                    organisation=office,
                    title=f"案件{case.number}{follow_up.get_kind_display()}发现问题,请确认是否重新办理",
                    body=note,
                    kind="other",
                    subject=reopen_request_subject(case),
                )
        return follow_up


def reopen_request_subject(case: Case) -> str:
    """The subject of a notice asking the office to reopen `case` (closed when it is reopened)."""
    return f"reopen_request:{case.pk}"


def _end_of_day_after(now: datetime, days: int) -> datetime:
    return datetime.combine((now.astimezone(SHANGHAI) + timedelta(days=days)).date(), END_OF_DAY, tzinfo=SHANGHAI)


def review_sample(
    *,
    actor=None,
    fraction: float | None = None,
    count: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    rng: random.Random | None = None,
) -> list[FollowUp]:
    """Pick a random sample of the cases closed in [since, until) (default: the last 30 days) and
    give each a re-check (回头看) for the office. The sample is `count` cases, or `fraction` of the
    closed cases (default 10%, at least 1 when any was closed). Cases of the period already sampled
    count towards it, so running again for the same period creates nothing more. An office user
    samples the cases in their scope; actor None is the monthly job."""
    if actor is not None and (not _is_user(actor) or actor.role not in SAMPLER_ROLES):
        raise PermissionDenied("只有清欠办可以抽取回头看案件")
    errors: dict = {}
    if count is not None:
        try:
            count = int(count)
        except (TypeError, ValueError):
            count = 0
        if count < 1:
            errors.setdefault("count", []).append("抽查件数应为不小于1的整数")
    if fraction is None:
        fraction = REVIEW_FRACTION
    try:
        fraction = float(fraction)
    except (TypeError, ValueError):
        fraction = -1
    if not 0 < fraction <= 1:
        errors.setdefault("fraction", []).append("抽查比例应大于0且不超过100%")
    until = until or timezone.now()
    since = since or until - timedelta(days=REVIEW_WINDOW_DAYS)
    if since >= until:
        errors.setdefault("since", []).append("抽查期间的开始时间应早于结束时间")
    if errors:
        raise ValidationError(errors)
    rng = rng or random.SystemRandom()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SAMPLE_LOCK])
        closed = Case.objects.filter(state=CaseState.CLOSED, closed_at__gte=since, closed_at__lt=until)
        if actor is not None:
            from .selectors import case_scope_q

            closed = closed.filter(case_scope_q(actor))
        total = closed.count()
        if total == 0:
            return []
        target = min(count if count is not None else max(1, math.ceil(fraction * total)), total)
        sampled = closed.filter(follow_ups__kind=FollowUp.Kind.REVIEW).values("pk").distinct().count()
        needed = target - sampled
        if needed <= 0:
            return []
        pool = list(closed.exclude(follow_ups__kind=FollowUp.Kind.REVIEW).values_list("pk", flat=True))
        chosen = rng.sample(pool, min(needed, len(pool)))
        cases = list(Case.objects.filter(pk__in=chosen).select_related("territory").order_by("pk"))
        now = timezone.now()
        due = _end_of_day_after(now, REVIEW_DUE_DAYS)
        offices = {}
        rows = []
        for case in cases:
            if case.territory_path not in offices:
                offices[case.territory_path] = office_for(case)
            rows.append(
                FollowUp(case=case, kind=FollowUp.Kind.REVIEW, enterprise_id=case.employer_id, organisation=offices[case.territory_path], due_at=due)
            )
        FollowUp.objects.bulk_create(rows)
        events_append(
            actor=actor,
            entries=[
                ("case.follow_up_created", case, {"kind": FollowUp.Kind.REVIEW, "kind_label": FollowUp.Kind.REVIEW.label, "due_at": due.isoformat()})
                for case in cases
            ],
        )
        by_office: dict = {}
        for row in rows:
            if row.organisation is not None:
                by_office.setdefault(row.organisation.pk, [row.organisation, []])[1].append(row.case)
        for office, office_cases in by_office.values():
            numbers = "、".join(c.number for c in office_cases[:20]) + ("等" if len(office_cases) > 20 else "")
            notification_create(
                organisation=office,
                title=f"回头看:抽取已结案件{len(office_cases)}件待复核",
                body=f"请于{due:%Y年%m月%d日}前完成复核:{numbers}",
                link="",
                kind="other",
            )
        return rows


def review_sample_previous_month(*, now: datetime | None = None) -> list[FollowUp]:
    """The monthly job: sample the cases closed in the previous calendar month (Shanghai time)."""
    local = (now or timezone.now()).astimezone(SHANGHAI)
    until = datetime(local.year, local.month, 1, tzinfo=SHANGHAI)
    previous = until - timedelta(days=1)
    since = datetime(previous.year, previous.month, 1, tzinfo=SHANGHAI)
    return review_sample(actor=None, since=since, until=until)
