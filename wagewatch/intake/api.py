"""Intake API (mounted at /api/v1/complaints): register one complaint from any channel, read one
back, and import a batch file of clues.

Who may register:
- window clerks, the office (staff, leaders), administrators and labour inspectors: any channel;
- grid workers: only the grid-worker channel (what they find on their rounds);
- data-provider tokens: only the external channels (12345, 110, petitions, the national
  platform), which push their clues with their own id and received time.

A clue of an external channel must carry `external_id` and `received_at`: that is what makes a
resent clue find its first registration (answer 200 with the same body, nothing new written)
instead of registering it twice. An `Idempotency-Key` header does the same for any request.

`dispatch` (default true) dispatches a newly opened case at once by the routing rules: as the
caller for office roles, as the system otherwise. When the rules cannot (no unit, no leader on
file) the case stays registered and `dispatch_note` says why; the registration is kept.
"""


from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from wagewatch.cases.api import ErrorOut, idempotent_call
from wagewatch.cases.selectors import cases_visible
from wagewatch.core.models import Role, Territory
from wagewatch.core.protected import ID_NUMBER, PHONE, mask
from wagewatch.core.redact import redact_text
from wagewatch.core.values import Amount, Count, Id
from wagewatch.registry.models import Project

from . import importers
from .models import EXTERNAL_CHANNELS, Channel, Complaint
from .services import ComplaintInput, RegistrationResult, WorkerInput, complaint_clean, complaint_register

router = Router(tags=["投诉受理"])

ANY_CHANNEL_ROLES = {Role.WINDOW_CLERK, Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR, Role.LABOUR_INSPECTOR}


def register_refusal(user, channel: str) -> str:
    """Why `user` may not register a complaint of `channel` ("" when allowed)."""
    role = getattr(user, "role", None)
    if role in ANY_CHANNEL_ROLES:
        return ""
    if role == Role.GRID_WORKER:
        return "" if channel == Channel.GRID_WORKER else "网格员只能以“网格员上报”渠道登记投诉"
    if role == Role.DATA_PROVIDER:
        return "" if channel in EXTERNAL_CHANNELS else "数据接口只能推送12345热线、110警情、信访和全国平台的线索"
    return "您的角色无权登记投诉"


# ---------------------------------------------------------------- schemas


class WorkerIn(Schema):
    name: str = ""
    phone: str = ""
    id_number: str = ""
    amount_owed: Amount | None = None


class ComplaintIn(Schema):
    channel: str
    external_id: str = ""
    received_at: str | None = None
    complainant_name: str = ""
    complainant_phone: str = ""
    complainant_id_number: str = ""
    worker_count: Count | None = 1
    amount_owed: Amount | None = None
    period_start: str | None = None
    period_end: str | None = None
    employer_name: str = ""
    employer_credit_code: str = ""
    project_code: str = ""
    project_id: Id | None = None
    project_name: str = ""
    site_address: str = ""
    territory_code: str = ""
    industry: str = ""
    subcontracting_chain: str = ""
    description: str = ""
    legal_aid_requested: bool = False
    workers: list[WorkerIn] = []
    dispatch: bool = True


class DuplicateOut(Schema):
    case_number: str
    reasons: list[str]


class RegisteredOut(Schema):
    complaint_number: str
    case_number: str
    case_created: bool
    relation: str
    relation_label: str
    case_state: str
    case_state_label: str
    lead_unit: str
    next_due: str
    dispatch_note: str
    duplicates: list[DuplicateOut]


class ComplaintWorkerOut(Schema):
    name: str
    phone: str
    id_number: str
    amount_owed: Decimal | None


class ComplaintTerritoryRef(Schema):
    code: str
    name: str


class ComplaintOut(Schema):
    number: str
    channel: str
    channel_label: str
    external_id: str
    received_at: datetime
    registered_at: datetime
    relation: str
    relation_label: str
    case_number: str
    case_state: str
    case_state_label: str
    complainant_name: str
    complainant_phone: str
    complainant_id_number: str
    worker_count: int
    amount_owed: Decimal
    period_start: date | None
    period_end: date | None
    employer_name: str
    employer_credit_code: str
    project_name: str
    project_code: str
    site_address: str
    territory: ComplaintTerritoryRef
    industry: str
    industry_label: str
    subcontracting_chain: str
    description: str
    legal_aid_requested: bool
    workers: list[ComplaintWorkerOut]


# ---------------------------------------------------------------- registering


def _renamed(exc: ValidationError, body: ComplaintIn) -> dict[str, list[str]]:
    """Service fields → the fields this API takes (workers are numbered from 0 like the JSON list)."""
    out: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        if key == "territory_id":
            key = "territory_code"
        elif key == "project_id":
            key = "project_id" if body.project_id and not body.project_code else "project_code"
        elif key.startswith("workers."):
            _, index, rest = key.split(".", 2)
            key = f"workers.{int(index) - 1}.{rest}"
        out.setdefault(key, []).extend(messages)
    return out


def _prepared(body: ComplaintIn):
    """(received_at, ComplaintInput) from the request; every problem at once as a ValidationError."""
    errors: dict[str, list[str]] = {}
    if body.channel not in Channel.values:
        errors["channel"] = ["受理渠道不正确,可选:" + "、".join(f"{v}({label})" for v, label in Channel.choices)]
    external = body.channel in EXTERNAL_CHANNELS
    if external and not body.external_id.strip():
        errors["external_id"] = ["12345热线、110、信访和全国平台的线索须填写渠道编号(工单号),重复推送时据此识别"]
    received_at = None
    if body.received_at:
        try:
            received_at = importers.received_at_parse(body.received_at)
        except ValidationError as exc:
            errors["received_at"] = exc.messages
    elif external:
        errors["received_at"] = ["外部渠道的线索须填写收到时间(渠道受理的时间)"]
    project_id = body.project_id
    if body.project_code.strip():
        project = Project.objects.filter(code=body.project_code.strip()).only("pk").first()
        if project is None:
            errors["project_code"] = [f"项目编号“{body.project_code.strip()}”未在平台登记:请核对,或只填写项目名称"]
        else:
            project_id = project.pk
    territory_id = None
    if body.territory_code.strip():
        territory = Territory.objects.filter(code=body.territory_code.strip()).only("pk").first()
        if territory is None:
            errors["territory_code"] = [f"辖区编码“{body.territory_code.strip()}”不存在"]
        else:
            territory_id = territory.pk
    data = ComplaintInput(
        complainant_name=body.complainant_name,
        complainant_phone=body.complainant_phone,
        complainant_id_number=body.complainant_id_number,
        worker_count=body.worker_count,
        amount_owed=body.amount_owed,
        period_start=body.period_start,
        period_end=body.period_end,
        employer_name=body.employer_name,
        employer_credit_code=body.employer_credit_code,
        project_id=project_id,
        project_name=body.project_name,
        site_address=body.site_address,
        territory_id=territory_id,
        industry=body.industry,
        subcontracting_chain=body.subcontracting_chain,
        description=body.description,
        legal_aid_requested=body.legal_aid_requested,
        workers=[WorkerInput(w.name, w.phone, w.id_number, w.amount_owed) for w in body.workers],
    )
    if errors:
        # Report the service's findings too, so the caller fixes everything in one go.
        try:
            complaint_clean(data)
        except ValidationError as exc:
            for key, messages in (_renamed(exc, body) if hasattr(exc, "error_dict") else {"": exc.messages}).items():
                errors.setdefault(key, messages)
        raise ValidationError(errors)
    return received_at, data


def registered_body(user, result: RegistrationResult, dispatch_note: str = "") -> dict:
    case = result.case
    duplicates = []
    if result.duplicates:
        # Only cases this caller may see: a feed or a grid worker learns nothing of other cases.
        visible = set(cases_visible(user).filter(pk__in=[d.case.pk for d in result.duplicates]).values_list("pk", flat=True))
        duplicates = [{"case_number": d.case.number, "reasons": d.reasons} for d in result.duplicates if d.case.pk in visible]
    return {
        "complaint_number": result.complaint.number,
        "case_number": case.number,
        "case_created": result.case_created,
        "relation": result.complaint.relation,
        "relation_label": result.complaint.get_relation_display(),
        "case_state": case.state,
        "case_state_label": case.get_state_display(),
        "lead_unit": case.lead_organisation.name if case.lead_organisation_id else "",
        "next_due": case.next_deadline_text(),
        "dispatch_note": dispatch_note,
        "duplicates": duplicates,
    }


def _register(user, body: ComplaintIn) -> tuple[int, dict]:
    received_at, data = _prepared(body)
    external_id = body.external_id.strip()
    try:
        result = complaint_register(
            actor=user, channel=body.channel, data=data, received_at=received_at, external_id=external_id, dispatch=body.dispatch
        )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(_renamed(exc, body)) from None
    except IntegrityError:
        # The same clue sent twice at the same moment: the other request registered it.
        existing = Complaint.objects.select_related("case").filter(channel=body.channel, external_id=external_id).first()
        if not external_id or existing is None:
            raise
        result = RegistrationResult(existing, existing.case, case_created=False, complaint_created=False)
    if not result.complaint_created:
        result.case.refresh_from_db()
        return 200, registered_body(user, result)
    return 201, registered_body(user, result, result.dispatch_note)


@router.post(
    "",
    response={200: RegisteredOut, 201: RegisteredOut, 403: ErrorOut, 422: ErrorOut},
    summary="登记投诉(任一渠道;外部渠道须带渠道编号和收到时间)",
)
def complaints_create(request, body: ComplaintIn, response: HttpResponse):
    """201: registered now (a new case, or linked to an open case as a repeat: see `relation`).
    200: this channel's `external_id` was registered before; the body describes that registration.
    Send `Idempotency-Key` to make any retry safe; a replay carries `Idempotent-Replayed: true`."""
    refusal = register_refusal(request.user, body.channel)
    if refusal:
        raise PermissionDenied(refusal)
    return idempotent_call(
        request, response, endpoint="complaints.create", payload=body.dict(), run=lambda: _register(request.user, body)
    )


# ---------------------------------------------------------------- batch files


class BatchRejectedOut(Schema):
    row: int
    external_id: str
    reasons: list[str]


class BatchRegisteredOut(Schema):
    row: int
    external_id: str
    complaint_number: str
    case_number: str
    relation: str
    dispatch_note: str


class BatchRowOut(Schema):
    row: int
    external_id: str


class BatchOut(Schema):
    batch_id: int | None
    channel: str
    filename: str
    sha256: str
    dispatch: bool
    total_rows: int
    created: int
    linked: int
    unchanged: int
    rejected_count: int
    deferred_count: int
    summary: str
    file_errors: list[str]
    rejected: list[BatchRejectedOut]
    registered: list[BatchRegisteredOut]
    already_registered: list[BatchRowOut]
    deferred: list[BatchRowOut]


@router.post("/batch", response={200: BatchOut, 403: ErrorOut, 422: dict}, summary="批量导入线索(.xlsx/.csv,12345、110、信访、全国平台)")
def complaints_batch(request, file: File[UploadedFile], channel: Form[str], dispatch: Form[bool] = True):
    """All or nothing: 200 with the report when every row was registered (or had been before);
    422 in the error shape, with every rejected row (`field` = `第N行`) and the report, when any
    row is wrong or the file cannot be read; then nothing of the file is registered. Re-sending
    the file registers only what is missing."""
    if not importers.may_import(request.user):
        raise PermissionDenied("只有专窗受理员、清欠办和系统管理员可以批量导入线索")
    if channel not in EXTERNAL_CHANNELS:
        raise ValidationError({"channel": ["批量导入的渠道应为 " + "、".join(f"{c.value}({c.label})" for c in importers.BATCH_CHANNELS)]})
    report = importers.complaints_import(actor=request.user, channel=channel, data=file.read(), filename=file.name or "", dispatch=dispatch)
    body = report.to_dict()
    if report.file_errors or report.rejected:
        from wagewatch.api import error_body

        errors = [{"field": "file", "message": m} for m in body["file_errors"]]
        errors += [{"field": f"第{p['row']}行", "message": ";".join(p["reasons"])} for p in body["rejected"]]
        message = "文件无法导入,未登记任何线索" if report.file_errors else body["summary"]
        return Status(422, {**error_body("invalid", message, errors), "report": body})
    return Status(200, body)


# ---------------------------------------------------------------- reading one complaint


@router.get("/{number}", response=ComplaintOut, summary="投诉详情(个人信息已脱敏)")
def complaints_get(request, number: str):
    from wagewatch.core.scoping import get_in_scope_or_404

    complaint = get_in_scope_or_404(
        Complaint.objects.filter(case__in=cases_visible(request.user)).select_related("case", "territory", "project"),
        number=number.strip().upper(),
    )
    return {
        "number": complaint.number,
        "channel": complaint.channel,
        "channel_label": complaint.get_channel_display(),
        "external_id": complaint.external_id,
        "received_at": complaint.received_at,
        "registered_at": complaint.registered_at,
        "relation": complaint.relation,
        "relation_label": complaint.get_relation_display(),
        "case_number": complaint.case.number,
        "case_state": complaint.case.state,
        "case_state_label": complaint.case.get_state_display(),
        "complainant_name": complaint.complainant_name,
        "complainant_phone": mask(PHONE, complaint.complainant_phone),
        "complainant_id_number": mask(ID_NUMBER, complaint.complainant_id_number),
        "worker_count": complaint.worker_count,
        "amount_owed": complaint.amount_owed,
        "period_start": complaint.period_start,
        "period_end": complaint.period_end,
        "employer_name": complaint.employer_name,
        "employer_credit_code": complaint.employer_credit_code,
        "project_name": complaint.project_name,
        "project_code": complaint.project.code if complaint.project_id else "",
        "site_address": redact_text(complaint.site_address),
        "territory": complaint.territory,
        "industry": complaint.industry,
        "industry_label": complaint.get_industry_display(),
        "subcontracting_chain": redact_text(complaint.subcontracting_chain),
        "description": redact_text(complaint.description),
        "legal_aid_requested": complaint.legal_aid_requested,
        "workers": [
            {"name": w.name, "phone": mask(PHONE, w.phone), "id_number": mask(ID_NUMBER, w.id_number), "amount_owed": w.amount_owed}
            for w in complaint.workers.all()
        ],
    }
