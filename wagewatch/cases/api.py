"""Cases API (mounted at /api/v1/cases): the ledger with its filters, one case with deadlines,
assignments, complaints and timeline, and the lifecycle transitions.

Reads go through `cases.selectors` (out of scope → 404). Phones and ID numbers come back masked,
also inside free text. A transition goes through the matching service, which checks the
transition table and the actor:

- 403 `forbidden`: this user may not take this action on this case (e.g. a unit that is not the
  lead unit signs for it, a unit closes a case);
- 409 `state_conflict`: the action is not allowed from the case's current state (the case moved
  on, or the client is behind). 409 and not 422 so that a client can tell "your fields are wrong,
  fix them" (422) from "the case is no longer where you thought, reload it" (409);
- 422 `invalid`: missing or wrong fields, each with a Chinese message.

Writes accept an `Idempotency-Key` header (see `idempotent_call`).
"""


from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic_core import to_jsonable_python

from wagewatch.core.idempotency import IdempotencyConflict, IdempotencyKeyInvalid, idempotent_run
from wagewatch.core.models import Organisation, Territory
from wagewatch.core.pagination import CappedPageNumberPagination
from wagewatch.core.protected import PHONE, mask
from wagewatch.core.redact import redact_text
from wagewatch.core.values import Amount, Count, Id
from wagewatch.history.selectors import timeline_for

from . import selectors, services
from .labels import state_label_for
from .lifecycle import TRANSITIONS, actions_from
from .models import Callback, Case, CaseDeadline, CaseState

router = Router(tags=["案件办理"])

REPLAYED_HEADER = "Idempotent-Replayed"


# ---------------------------------------------------------------- shared by the write endpoints


def _error(code: str, message: str, errors: list[dict] | None = None) -> dict:
    from wagewatch.api import error_body  # wagewatch.api mounts this module: import late

    return error_body(code, message, errors)


def idempotent_call(request, response: HttpResponse, *, endpoint: str, payload: dict, run) -> Status:
    """Run `run() -> (status, body)` once per `Idempotency-Key` of this user and endpoint.

    Without the header the work just runs in one transaction. With it, a request seen before
    gets the first answer back (with `Idempotent-Replayed: true`); the same key with another
    payload, or a malformed key, is refused with 422 and writes nothing. The body must be
    JSON-ready (it is stored)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        with transaction.atomic():
            status, body = run()
        return Status(status, body)
    try:
        result = idempotent_run(owner=f"user:{request.user.pk}", endpoint=endpoint, key=key, payload=payload, run=run)
    except (IdempotencyConflict, IdempotencyKeyInvalid) as exc:
        code = "idempotency_conflict" if isinstance(exc, IdempotencyConflict) else "idempotency_key_invalid"
        return Status(422, _error(code, exc.message, [{"field": "Idempotency-Key", "message": exc.message}]))
    if result.replayed:
        response[REPLAYED_HEADER] = "true"
    return Status(result.status_code, result.body)


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[ErrorItem]


# ---------------------------------------------------------------- schemas


class CaseTerritoryRef(Schema):
    code: str
    name: str


class CaseFields(Schema):
    number: str
    state: str
    state_label: str
    channel: str
    channel_label: str
    territory: CaseTerritoryRef
    industry: str
    employer_name: str
    project_name: str
    amount_owed: Decimal
    worker_count: int
    lead_unit: str
    received_at: datetime
    registered_at: datetime
    next_due_at: datetime | None
    next_due_text: str
    overdue: bool
    is_major: bool


class CaseListOut(CaseFields):
    """One row of the ledger (built from a Case)."""

    @staticmethod
    def resolve_state_label(obj, context) -> str:
        # In the viewer's words: the lead unit reads a dispatched case as "待签收".
        request = (context or {}).get("request")
        return state_label_for(obj, getattr(request, "user", None))

    @staticmethod
    def resolve_channel_label(obj) -> str:
        return _channel_label(obj.channel)

    @staticmethod
    def resolve_lead_unit(obj) -> str:
        return obj.lead_organisation.name if obj.lead_organisation_id else ""

    @staticmethod
    def resolve_next_due_text(obj) -> str:
        return obj.next_deadline_text()

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return bool(obj.is_open and obj.next_due_at and obj.next_due_at < timezone.now())


class DeadlineOut(Schema):
    kind: str
    kind_label: str
    status: str
    status_label: str
    started_at: datetime
    due_at: datetime
    provisional: bool
    met_at: datetime | None
    overdue: bool


class AssignmentOut(Schema):
    organisation: str
    role: str
    role_label: str
    active: bool
    order_number: str
    responsible_leader: str
    responsible_person: str
    measures: str
    due_at: datetime | None
    due_provisional: bool
    dispatched_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    end_reason: str


class CaseComplaintOut(Schema):
    number: str
    channel: str
    channel_label: str
    external_id: str
    received_at: datetime
    relation: str
    relation_label: str
    complainant_name: str
    complainant_phone: str
    worker_count: int
    amount_owed: Decimal


class CaseEventOut(Schema):
    seq: int
    recorded_at: datetime
    actor: str
    action: str
    action_label: str
    summary: str


class ActionOut(Schema):
    action: str
    label: str


class CaseDetailOut(CaseFields):
    """One case (built as a dict by `case_detail`)."""

    industry_label: str
    employer_credit_code: str
    project_code: str
    site_address: str
    summary: str
    dispatched_at: datetime | None
    accepted_at: datetime | None
    first_contact_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    amount_verified: Decimal | None
    workers_verified: int | None
    amount_paid: Decimal | None
    workers_paid: int | None
    resolution_summary: str
    reopen_count: int
    merged_into: str
    major_reason: str
    listed_supervision: bool
    deadlines: list[DeadlineOut]
    assignments: list[AssignmentOut]
    complaints: list[CaseComplaintOut]
    events: list[CaseEventOut]
    actions: list[ActionOut]


def _channel_label(channel: str) -> str:
    from wagewatch.intake.models import Channel

    try:
        return Channel(channel).label
    except ValueError:
        return channel


# Transitions the API offers, with the service and the fields each takes.
API_ACTIONS = ("dispatch", "accept", "return", "verify", "handle", "resolve", "callback", "reopen", "close", "close_no_arrears")


def _actions_for(user, case: Case) -> list[dict]:
    kinds = services.actor_kinds(user, case)
    offered = [t for t in actions_from(case.state) if t.action in API_ACTIONS and kinds & t.actors]
    if any(t.action == "close_no_arrears" for t in offered):
        from wagewatch.payroll.reconciliation.warnings import case_no_arrears_check

        if case_no_arrears_check(case):  # the same rule as the case page: only once its warning cleared
            offered = [t for t in offered if t.action != "close_no_arrears"]
    return [{"action": t.action, "label": t.label} for t in offered]


def case_detail(user, case: Case) -> dict:
    """The JSON-ready detail of one case (already checked to be in the user's scope)."""
    now = timezone.now()
    data = CaseListOut.from_orm(case).model_dump(mode="json")
    data.update(
        state_label=state_label_for(case, user),
        industry_label=case.get_industry_display(),
        employer_credit_code=case.employer_credit_code,
        project_code=case.project.code if case.project_id else "",
        site_address=redact_text(case.site_address),
        summary=redact_text(case.summary),
        dispatched_at=case.dispatched_at,
        accepted_at=case.accepted_at,
        first_contact_at=case.first_contact_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        amount_verified=case.amount_verified,
        workers_verified=case.workers_verified,
        amount_paid=case.amount_paid,
        workers_paid=case.workers_paid,
        resolution_summary=redact_text(case.resolution_summary),
        reopen_count=case.reopen_count,
        merged_into=case.merged_into.number if case.merged_into_id else "",
        major_reason=redact_text(case.major_reason),
        listed_supervision=case.listed_supervision,
        deadlines=[
            {
                "kind": d.kind,
                "kind_label": d.get_kind_display(),
                "status": d.status,
                "status_label": d.get_status_display(),
                "started_at": d.started_at,
                "due_at": d.due_at,
                "provisional": d.provisional,
                "met_at": d.met_at,
                "overdue": d.status == CaseDeadline.Status.OPEN and d.due_at < now,
            }
            for d in case.deadlines.order_by("due_at", "pk")
        ],
        assignments=[
            {
                "organisation": a.organisation.name,
                "role": a.role,
                "role_label": a.get_role_display(),
                "active": a.active,
                "order_number": a.order_number,
                "responsible_leader": a.responsible_leader,
                "responsible_person": a.responsible_person,
                "measures": redact_text(a.measures),
                "due_at": a.due_at,
                "due_provisional": a.due_provisional,
                "dispatched_at": a.dispatched_at,
                "accepted_at": a.accepted_at,
                "ended_at": a.ended_at,
                "end_reason": redact_text(a.end_reason),
            }
            for a in case.assignments.select_related("organisation").order_by("dispatched_at", "pk")
        ],
        complaints=[
            {
                "number": c.number,
                "channel": c.channel,
                "channel_label": c.get_channel_display(),
                "external_id": c.external_id,
                "received_at": c.received_at,
                "relation": c.relation,
                "relation_label": c.get_relation_display(),
                "complainant_name": c.complainant_name,
                "complainant_phone": mask(PHONE, c.complainant_phone),
                "worker_count": c.worker_count,
                "amount_owed": c.amount_owed,
            }
            for c in case.complaints.order_by("received_at", "pk")
        ],
        events=[
            {
                "seq": e.seq,
                "recorded_at": e.recorded_at,
                "actor": e.actor_label,
                "action": e.action,
                "action_label": e.action_label,
                "summary": redact_text(e.payload_summary),
            }
            for e in timeline_for(case)
        ],
        actions=_actions_for(user, case),
    )
    return to_jsonable_python(data)


# ---------------------------------------------------------------- reads


class CaseFilters(Schema):
    state: str = ""
    unit: Id | None = None
    territory: str = ""
    channel: str = ""
    overdue: bool = False
    major: bool = False
    q: str = ""


@router.get("", response=list[CaseListOut], summary="案件台账(按状态、责任单位、辖区、渠道、超期、重大案件筛选;超过一千件时 count 为 1000、count_capped 为 true)")
@paginate(CappedPageNumberPagination, page_size=50, max_page_size=500)
def cases_list(request, filters: Query[CaseFilters]):
    territory_path = ""
    if filters.territory:
        territory = Territory.objects.filter(code=filters.territory.strip()).first()
        if territory is None:
            return Case.objects.none()
        territory_path = territory.path
    return selectors.case_list(
        request.user,
        state=filters.state.strip(),
        unit=filters.unit,
        territory_path=territory_path,
        channel=filters.channel.strip(),
        overdue=filters.overdue,
        major=filters.major,
        q=filters.q,
    )


def _case(request, number: str) -> Case:
    return selectors.case_get(request.user, number=number.strip().upper())


@router.get("/{number}", response=CaseDetailOut, summary="案件详情(期限、转办、投诉、办理记录、可执行的操作)")
def cases_get(request, number: str):
    return case_detail(request.user, _case(request, number))


# ---------------------------------------------------------------- transitions


class TransitionIn(Schema):
    """`action` and the fields it takes:

    - dispatch 转办: lead_id (省略则按分派规则), assisting_ids, responsible_leader, responsible_person, measures
    - accept 签收: responsible_person
    - return 退回: reason
    - verify 开始核实: note
    - handle 核实完毕: amount_verified, workers_verified, facts_clear, note
    - resolve 办结: amount_paid, workers_paid, summary (须先上传结案材料)
    - callback 回访: resolved, paid_in_full, lawful, satisfied, note, method (未解决则重新办理)
    - reopen 重新办理: reason
    - close 结案: note
    - close_no_arrears 核实无欠薪(工资核对自动立案、预警已解除): note(如何核实)
    """

    action: str
    lead_id: Id | None = None
    assisting_ids: list[Id] | None = None
    responsible_leader: str = ""
    responsible_person: str = ""
    measures: str = ""
    reason: str = ""
    note: str = ""
    amount_verified: Amount | None = None
    workers_verified: Count | None = None
    facts_clear: bool = False
    amount_paid: Amount | None = None
    workers_paid: Count | None = None
    summary: str = ""
    resolved: bool | None = None
    paid_in_full: bool | None = None
    lawful: bool | None = None
    satisfied: bool | None = None
    method: str = Callback.Method.PHONE


def _organisation(pk: int, field: str) -> Organisation:
    organisation = Organisation.objects.filter(pk=pk, is_active=True).first()
    if organisation is None:
        raise ValidationError({field: ["单位不存在或已停用"]})
    return organisation


def _transition_run(user, case: Case, body: TransitionIn) -> Case:
    action = body.action
    if action == "dispatch":
        lead = _organisation(body.lead_id, "lead_id") if body.lead_id else None
        assisting = [_organisation(pk, "assisting_ids") for pk in body.assisting_ids] if body.assisting_ids is not None else None
        return services.case_dispatch(
            actor=user,
            case=case,
            lead=lead,
            responsible_leader=body.responsible_leader,
            responsible_person=body.responsible_person,
            measures=body.measures,
            assisting=assisting,
        )
    if action == "accept":
        return services.case_accept(actor=user, case=case, responsible_person=body.responsible_person)
    if action == "return":
        return services.case_return(actor=user, case=case, reason=body.reason)
    if action == "verify":
        return services.case_verification_start(actor=user, case=case, note=body.note)
    if action == "handle":
        return services.case_facts_confirm(
            actor=user,
            case=case,
            amount_verified=body.amount_verified,
            workers_verified=body.workers_verified,
            facts_clear=body.facts_clear,
            note=body.note,
        )
    if action == "resolve":
        return services.case_resolve(actor=user, case=case, amount_paid=body.amount_paid, workers_paid=body.workers_paid, summary=body.summary)
    if action == "callback":
        errors = {
            name: [f"{label}必填(true 或 false)"]
            for name, label in (("resolved", "问题是否已解决"), ("paid_in_full", "工资是否足额支付"), ("lawful", "办理程序是否合法"), ("satisfied", "是否满意"))
            if getattr(body, name) is None
        }
        if body.method not in Callback.Method.values:
            errors["method"] = ["回访方式应为 " + "、".join(f"{v}({label})" for v, label in Callback.Method.choices)]
        if errors:
            raise ValidationError(errors)
        services.case_callback_record(
            actor=user,
            case=case,
            resolved=body.resolved,
            paid_in_full=body.paid_in_full,
            lawful=body.lawful,
            satisfied=body.satisfied,
            note=body.note,
            method=body.method,
        )
        return Case.objects.get(pk=case.pk)
    if action == "reopen":
        return services.case_reopen(actor=user, case=case, reason=body.reason)
    if action == "close":
        return services.case_close(actor=user, case=case, note=body.note)
    if action == "close_no_arrears":
        return services.case_close_no_arrears(actor=user, case=case, note=body.note)
    raise AssertionError(action)


def _detail_after(user, case: Case) -> dict:
    # Re-read through the scope: after a return the unit may no longer see the case.
    fresh = selectors.cases_visible(user).select_related("territory", "lead_organisation", "project", "merged_into").filter(pk=case.pk).first()
    if fresh is None:
        return {"number": case.number, "state": case.state, "state_label": CaseState(case.state).label, "visible": False}
    return case_detail(user, fresh)


@router.post(
    "/{number}/transitions",
    response={200: dict, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="办理操作(转办、签收、退回、核实、处置、办结、回访、重新办理、结案)",
)
def cases_transition(request, number: str, body: TransitionIn, response: HttpResponse):
    """Answers the case detail after the action. After a return the lead unit no longer sees
    the case: the answer is then only {number, state, state_label, visible: false}."""
    case = _case(request, number)
    if body.action not in API_ACTIONS:
        known = "、".join(f"{a}({TRANSITIONS[a].label})" for a in API_ACTIONS)
        raise ValidationError({"action": [f"未知的办理动作“{body.action}”,可选:{known}"]})

    def run():
        moved = _transition_run(request.user, case, body)
        return 200, _detail_after(request.user, moved)

    try:
        return idempotent_call(
            request, response, endpoint="cases.transition", payload={"number": case.number, **body.dict()}, run=run
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        # A message without fields comes from the transition table: not allowed from this state.
        return Status(409, _error("state_conflict", exc.messages[0]))


# ---------------------------------------------------------------- evidence


class EvidenceOut(Schema):
    id: int
    purpose: str
    purpose_label: str
    content_type: str
    size: int
    sha256: str
    description: str
    uploaded_at: datetime


@router.post("/{number}/evidence", response={201: EvidenceOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="上传材料(照片或PDF)")
def cases_evidence_add(request, number: str, file: File[UploadedFile], purpose: Form[str] = "handling", description: Form[str] = ""):
    """Closure evidence (`purpose=closure`: bank records, signed pay lists) must be on the case
    before it can be resolved."""
    from django.core.exceptions import PermissionDenied

    from wagewatch.intake.services import evidence_add

    case = _case(request, number)
    if not services.actor_kinds(request.user, case) & {"office", "unit"}:
        raise PermissionDenied("只有清欠办和牵头责任单位可以上传该案件的材料")
    evidence = evidence_add(actor=request.user, case=case, uploaded_file=file, purpose=purpose, description=description)
    return Status(
        201,
        {
            "id": evidence.pk,
            "purpose": evidence.purpose,
            "purpose_label": evidence.get_purpose_display(),
            "content_type": evidence.content_type,
            "size": evidence.size,
            "sha256": evidence.sha256,
            "description": redact_text(evidence.description),
            "uploaded_at": evidence.uploaded_at,
        },
    )
