"""Reads of cases, always scoped to the requesting user.

Who sees a case: the office, window clerks, labour inspectors and administrators see every case
in their territory's subtree; grid workers the cases in their grid; every other organisation
(street governments included) only the cases it has an active part in: lead, assisting, copy,
notified or an escalation. So a unit never sees another unit's case.
"""

from __future__ import annotations

import re

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import StrIndex
from django.utils import timezone

from wagewatch.core.models import Role
from wagewatch.core.scoping import JURISDICTION_ROLES, get_in_scope_or_404, scope_for

from .models import OPEN_STATES, Case, CaseAssignment, CaseDeadline

TERRITORIAL_CASE_ROLES = JURISDICTION_ROLES | {Role.GRID_WORKER}
# A case number (AJ + date + sequence), or one carried over from an older system: letters, then digits.
CASE_NUMBER = re.compile(r"[A-Z]{1,4}\d{8,20}")


def case_scope_q(user) -> Q:
    scope = scope_for(user)
    if scope.user_id is None or scope.sees_nothing:
        return Q(pk__in=[])
    if user.role in TERRITORIAL_CASE_ROLES:
        if scope.territory_prefix is None:
            return Q(pk__in=[])
        if scope.territory_prefix == "":
            return Q()
        return Q(territory_path__startswith=scope.territory_prefix)
    if scope.organisation_id:
        return Q(Exists(CaseAssignment.objects.filter(case=OuterRef("pk"), organisation_id=scope.organisation_id, active=True)))
    return Q(pk__in=[])


def cases_visible(user) -> QuerySet[Case]:
    return Case.objects.filter(case_scope_q(user))


def case_get(user, **lookup) -> Case:
    """One case in the user's scope (404 otherwise)."""
    return get_in_scope_or_404(cases_visible(user).select_related("territory", "lead_organisation", "employer", "project"), **lookup)


def case_list(
    user,
    *,
    state: str = "",
    unit: int | None = None,
    territory_path: str = "",
    channel: str = "",
    overdue: bool = False,
    major: bool = False,
    q: str = "",
) -> QuerySet[Case]:
    """The case ledger with the list filters; newest first."""
    qs = cases_visible(user)
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if unit:
        qs = qs.filter(lead_organisation_id=unit)
    if territory_path:
        qs = qs.filter(territory_path__startswith=territory_path)
    if channel:
        qs = qs.filter(channel=channel)
    if overdue:
        qs = qs.filter(next_due_at__lt=timezone.now(), state__in=OPEN_STATES)
    if major:
        qs = qs.filter(is_major=True)
    q = (q or "").strip()
    if q:
        if CASE_NUMBER.fullmatch(q.upper()):
            qs = qs.filter(number=q.upper())
        elif len(q) >= 3:
            # PostgreSQL answers this from the trigram indexes (migration 0006).
            qs = qs.filter(Q(employer_name__contains=q) | Q(project_name__contains=q))
        else:
            # One or two characters hold no trigram: a trigram index would be read whole, slower
            # than scanning, so keep the planner off it with strpos (instr on SQLite).
            qs = qs.alias(
                in_employer=StrIndex("employer_name", Value(q)), in_project=StrIndex("project_name", Value(q))
            ).filter(Q(in_employer__gt=0) | Q(in_project__gt=0))
    return qs.select_related("territory", "lead_organisation", "employer").order_by("-registered_at", "-id")


def unit_inbox(user) -> QuerySet[Case]:
    """Open cases where the user's organisation has an active part, most urgent first."""
    if not user.organisation_id:
        return Case.objects.none()
    part = CaseAssignment.objects.filter(case=OuterRef("pk"), organisation_id=user.organisation_id, active=True)
    return (
        Case.objects.filter(Exists(part), state__in=OPEN_STATES)
        .select_related("territory", "lead_organisation", "employer")
        .order_by(F("next_due_at").asc(nulls_last=True), "registered_at", "pk")
    )


def overdue_deadlines(user) -> QuerySet[CaseDeadline]:
    """Open deadlines already past, in the user's scope: the office's overdue board."""
    return (
        CaseDeadline.objects.filter(status=CaseDeadline.Status.OPEN, due_at__lt=timezone.now())
        .filter(case__in=cases_visible(user).filter(state__in=OPEN_STATES))
        .select_related("case", "case__lead_organisation", "case__territory", "case__employer")
        .order_by("due_at")
    )


def approvals_awaiting(user) -> QuerySet:
    """What awaits `user`'s approval: proposed advance payments on cases in the user's scope, for
    the office leaders who approve them (nothing for anyone else); oldest first."""
    from .escalations import APPROVER_ROLES
    from .models import Escalation

    if user is None or not getattr(user, "is_authenticated", False) or user.role not in APPROVER_ROLES:
        return Escalation.objects.none()
    return (
        Escalation.objects.filter(kind=Escalation.Kind.ADVANCE_PAYMENT, status=Escalation.Status.PROPOSED)
        .filter(case__in=cases_visible(user))
        .select_related("case", "case__territory", "case__employer", "organisation", "opened_by")
        .order_by("opened_at", "pk")
    )
