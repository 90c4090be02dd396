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
        qs = ledger_search(qs, q)
    return qs.select_related("territory", "lead_organisation", "employer").order_by("-registered_at", "-id")


# A phone (mobile, or a landline with its area code) or an ID number typed into the search box,
# with spaces or dashes: these are looked up by their keyed digest, exact match only.
PHONE_LIKE = re.compile(r"1[3-9]\d{9}|0\d{9,11}")
ID_NUMBER_LIKE = re.compile(r"\d{17}[\dX]|\d{15}")
# Cases found by a person's name, at most: a name shared by more people than this is too vague
# to list (the clerk adds a phone or an ID number).
NAMED_CASES_LIMIT = 500


def _cases_of_person(*, name: str = "", kind: str = "", digest: str = "") -> list[int]:
    """Ids of the cases whose complainant or named worker has this exact name, or this phone or
    ID number (by digest). Read first, from the indexed columns, so the ledger's query stays an
    OR of index scans."""
    from wagewatch.intake.models import Complaint, ComplaintWorker

    if name:
        complaints, workers = Complaint.objects.filter(complainant_name=name), ComplaintWorker.objects.filter(name=name)
    else:
        field = "phone_digest" if kind == "phone" else "id_number_digest"
        complaints = Complaint.objects.filter(**{f"complainant_{field}": digest})
        workers = ComplaintWorker.objects.filter(**{field: digest})
    ids = set(complaints.values_list("case_id", flat=True)[:NAMED_CASES_LIMIT])
    ids.update(workers.values_list("complaint__case_id", flat=True)[:NAMED_CASES_LIMIT])
    return sorted(ids)[:NAMED_CASES_LIMIT]


def ledger_search(qs: QuerySet[Case], q: str) -> QuerySet[Case]:
    """The ledger's one search box, by what the text looks like:

    - a case number (AJ…) or a complaint number (TS…): that case, or the case holding that complaint;
    - a phone number or an ID number (spaces and dashes allowed): the cases whose complainant or
      named worker has it, exact match through `lookup_digest` (clear numbers are never queried);
    - other text: the employer or project name containing it, or a complainant or named worker of
      exactly that name.

    Only narrows `qs`, which the caller has already scoped to the user: nothing out of scope is found."""
    from wagewatch.core.protected import ID_NUMBER, PHONE, lookup_digest, normalise
    from wagewatch.intake.models import Complaint

    q = q.strip()
    code = q.upper()
    if CASE_NUMBER.fullmatch(code):
        return qs.filter(Q(number=code) | Q(pk__in=Complaint.objects.filter(number=code).values("case_id")))
    compact = normalise(ID_NUMBER, q)
    if PHONE_LIKE.fullmatch(compact):
        return qs.filter(pk__in=_cases_of_person(kind=PHONE, digest=lookup_digest(PHONE, compact)))
    if ID_NUMBER_LIKE.fullmatch(compact):
        return qs.filter(pk__in=_cases_of_person(kind=ID_NUMBER, digest=lookup_digest(ID_NUMBER, compact)))
    named = Q(pk__in=_cases_of_person(name=q)) if len(q) <= 50 else Q(pk__in=[])
    if len(q) >= 3:
        # PostgreSQL answers this from the trigram indexes (migration 0006).
        return qs.filter(Q(employer_name__contains=q) | Q(project_name__contains=q) | named)
    # One or two characters hold no trigram: a trigram index would be read whole, slower than
    # scanning, so keep the planner off it with strpos (instr on SQLite).
    return qs.alias(in_employer=StrIndex("employer_name", Value(q)), in_project=StrIndex("project_name", Value(q))).filter(
        Q(in_employer__gt=0) | Q(in_project__gt=0) | named
    )


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
