"""The printed documents of a case, filled from the models: the commitment letter (承诺函) and the
dispatch order (转办单). `wagewatch.documents` draws them from plain dataclasses and imports no
model; this module is the bridge."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from wagewatch.core.models import Organisation, TimeLimit
from wagewatch.core.redact import redact_text
from wagewatch.documents.data import CommitmentLetter, DispatchOrderDoc

from .models import Case, CaseAssignment, CaseDeadline, DeadlineKind

DEFAULT_OFFICE_NAME = "根治欠薪工作领导小组办公室"


def office_for(case: Case) -> Organisation | None:
    """The wage-arrears office answering for the case's territory (the nearest one above it)."""
    offices = Organisation.objects.filter(kind=Organisation.Kind.WAGE_ARREARS_OFFICE, is_active=True).select_related("territory")
    covering = [o for o in offices if case.territory_path.startswith(o.territory.path)]
    if covering:
        return max(covering, key=lambda o: len(o.territory.path))
    return offices.first()


def time_limit_text(key: str = DeadlineKind.CLOSE) -> str:
    """"7个工作日" from the time-limit table (what the letter promises)."""
    limit = TimeLimit.objects.filter(key=key).first()
    if limit is None:
        return ""
    words = {TimeLimit.Unit.WORKING_DAYS: "个工作日", TimeLimit.Unit.CALENDAR_DAYS: "日", TimeLimit.Unit.HOURS: "小时"}
    return f"{limit.amount}{words.get(limit.unit, limit.get_unit_display())}"


def track_url(request=None) -> str:
    """Where the worker follows the case: the worker pages at `settings.WORKER_SITE_URL` (the
    address workers reach from their phones, which need not be the staff site's); the request's
    own host only when that setting is empty."""
    from django.conf import settings

    for name in ("worker:track", "worker:start"):
        try:
            path = reverse(name)
            break
        except NoReverseMatch:
            continue
    else:
        path = "/w/"
    base = (getattr(settings, "WORKER_SITE_URL", "") or "").rstrip("/")
    if base:
        return base + path
    return request.build_absolute_uri(path) if request is not None else path


def _close_deadline(case: Case) -> CaseDeadline | None:
    """The close deadline promised: the open one, else the latest one met."""
    rows = case.deadlines.filter(kind=DeadlineKind.CLOSE).exclude(status=CaseDeadline.Status.CANCELLED)
    return rows.filter(status=CaseDeadline.Status.OPEN).order_by("-started_at").first() or rows.order_by("-started_at").first()


def _origin_complaint(case: Case):
    from wagewatch.intake.models import Complaint

    complaints = case.complaints.order_by("received_at", "pk")
    return complaints.filter(relation=Complaint.Relation.ORIGIN).first() or complaints.first()


def commitment_letter_for(case: Case, *, request=None) -> CommitmentLetter:
    complaint = _origin_complaint(case)
    office = office_for(case)
    close = _close_deadline(case)
    handler = case.registered_by
    return CommitmentLetter(
        case_number=case.number,
        complainant_name=complaint.complainant_name if complaint else "",
        received_at=case.received_at,
        employer_name=case.employer_display_name,
        amount_owed=case.amount_owed if case.amount_owed else None,
        worker_count=case.worker_count,
        time_limit_text=time_limit_text(DeadlineKind.CLOSE) or "7个工作日",
        track_url=track_url(request),
        office_name=office.name if office else DEFAULT_OFFICE_NAME,
        office_phone=office.phone_display if office else "",
        issued_at=case.commitment_letter_issued_at or case.registered_at,
        due_at=close.due_at if close else None,
        due_provisional=close.provisional if close else False,
        project_name=case.project_name,
        site_address=case.site_address,
        handler_name=(handler.full_name or handler.username) if handler else "",
    )


def latest_lead_assignment(case: Case) -> CaseAssignment | None:
    """The dispatch order now in force: the latest active lead assignment."""
    return (
        case.assignments.filter(role=CaseAssignment.Role.LEAD, active=True)
        .select_related("organisation", "dispatched_by")
        .order_by("-dispatched_at", "-pk")
        .first()
    )


def may_print_complainant_phone(viewer, case: Case) -> bool:
    """The dispatch order tells the lead unit to call the complainant on the day, so the unit
    (and the office that dispatches) print the number in full; every other reader of the order
    (assisting, copied and notified units, the general contractor complained about) gets it
    masked. The role must also be one that may reveal phones (`core.protected.REVEAL_ROLES`)."""
    from wagewatch.core.protected import PHONE, may_reveal

    from .services import OFFICE_ROLES, UNIT_ROLES

    if viewer is None or not may_reveal(viewer, PHONE):
        return False
    if viewer.role in OFFICE_ROLES:
        return True
    return viewer.role in UNIT_ROLES and bool(viewer.organisation_id) and viewer.organisation_id == case.lead_organisation_id


def _complainant_phone(case: Case, complaint, viewer) -> str:
    """The number printed on the order: clear (and the reveal recorded, like any other) for those
    who must call, masked for the rest."""
    from django.db import transaction

    from wagewatch.core.protected import PHONE, mask
    from wagewatch.core.services import personal_data_reveal

    phone = (complaint.complainant_phone or "") if complaint else ""
    if not phone:
        return ""
    if not may_print_complainant_phone(viewer, case):
        return mask(PHONE, phone)
    with transaction.atomic():
        return personal_data_reveal(actor=viewer, obj=complaint, field_name="complainant_phone")


def dispatch_order_for(case: Case, order: CaseAssignment, *, viewer=None) -> DispatchOrderDoc:
    """The order as `viewer` may print it (the complainant's phone in full or masked, see
    `may_print_complainant_phone`); no viewer prints the phone masked."""
    from wagewatch.intake.models import Channel

    complaint = _origin_complaint(case)
    office = office_for(case)
    others = list(
        case.assignments.filter(active=True, role__in=[CaseAssignment.Role.ASSISTING, CaseAssignment.Role.COPY, CaseAssignment.Role.NOTIFIED])
        .select_related("organisation")
        .order_by("dispatched_at", "pk")
    )
    notified = [a.organisation.name for a in others if a.role == CaseAssignment.Role.NOTIFIED]
    contractor = "、".join(notified)
    if not contractor and case.project_id and case.project.general_contractor_id:
        contractor = case.project.general_contractor.name
    issuer = order.dispatched_by
    return DispatchOrderDoc(
        order_number=order.order_number,
        case_number=case.number,
        issued_at=order.dispatched_at,
        dispatching_office=office.name if office else DEFAULT_OFFICE_NAME,
        responsible_unit=order.organisation.name,
        responsible_leader=order.responsible_leader,
        responsible_person=order.responsible_person,
        measures=redact_text(order.measures),
        due_at=order.due_at,
        due_provisional=order.due_provisional,
        time_limit_text=time_limit_text(DeadlineKind.CLOSE),
        received_at=case.received_at,
        channel=Channel(case.channel).label if case.channel in Channel.values else case.channel,
        complainant_name=complaint.complainant_name if complaint else "",
        complainant_phone=_complainant_phone(case, complaint, viewer),
        employer_name=case.employer_display_name,
        employer_credit_code=case.employer_credit_code,
        project_name=case.project_name,
        site_address=redact_text(case.site_address),
        amount_owed=case.amount_owed if case.amount_owed else None,
        worker_count=case.worker_count,
        description=redact_text(case.summary or (complaint.description if complaint else "")),
        assisting_units=[a.organisation.name for a in others if a.role == CaseAssignment.Role.ASSISTING],
        copy_to=[a.organisation.name for a in others if a.role == CaseAssignment.Role.COPY],
        general_contractor=contractor,
        general_contractor_notified=bool(notified),
        is_major=case.is_major,
        issuer_name=(issuer.full_name or issuer.username) if issuer else "",
        office_phone=office.phone_display if office else "",
    )
