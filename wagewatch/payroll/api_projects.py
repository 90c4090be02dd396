"""Project supervision API (mounted at /api/v1/payroll/): projects with their warning and the
"8个100%" rates, and the roster (entry and exit), teams, wage account, guarantee deposits and site
record of one project.

Scoped like the pages: a project outside the user's scope answers 404 (a labour manager sees only
the projects his enterprise builds); writing needs the project's labour manager, the office or an
administrator (403 otherwise). Personal data comes back masked.
"""


from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from wagewatch.core.pagination import BoundedPageNumberPagination
from wagewatch.core.protected import BANK_CARD, ID_NUMBER, PHONE, mask
from wagewatch.core.values import Id, Page, PositiveAmount, bounded_int

from . import compliance, selectors
from .models import GuaranteeDeposit, WageBasis
from .services import roster as services

router = Router(tags=["工资支付监管 · 项目"])

PayDay = bounded_int(1, 31)
ProjectPageSize = bounded_int(1, 500)


# ---------------------------------------------------------------- schemas


class Ref(Schema):
    id: int
    name: str


class WarningOut(Schema):
    level: str
    level_label: str
    month: date
    case_id: int | None = None


class RateOut(Schema):
    key: str
    label: str
    numerator: Decimal
    denominator: Decimal
    unit: str
    percent: Decimal | None


class ProjectPayrollOut(Schema):
    id: int
    code: str
    name: str
    under_full_supervision: bool
    general_contractor: Ref | None
    territory: Ref
    warning: WarningOut | None
    month: date
    rates: list[RateOut]


class ProjectPageOut(Schema):
    count: int
    items: list[ProjectPayrollOut]


class CheckItemOut(Schema):
    key: str
    label: str
    ok: bool
    note: str


class RateDetailOut(RateOut):
    note: str
    behind_label: str
    behind: list[dict]


class ProjectPayrollDetailOut(ProjectPayrollOut):
    rates: list[RateDetailOut]
    checklist: list[CheckItemOut]
    upload_obligation: dict | None


class TeamOut(Schema):
    id: int
    name: str
    enterprise_id: int | None
    leader_name: str
    leader_id_number: str
    leader_phone: str

    @staticmethod
    def resolve_leader_id_number(obj) -> str:
        return mask(ID_NUMBER, obj.leader_id_number)

    @staticmethod
    def resolve_leader_phone(obj) -> str:
        return mask(PHONE, obj.leader_phone)


class TeamIn(Schema):
    name: str
    enterprise_id: Id | None = None
    leader_name: str = ""
    leader_id_number: str = ""
    leader_phone: str = ""


class RosterOut(Schema):
    id: int
    worker_id: int
    name: str
    id_number: str
    phone: str
    bank_card: str
    bank_name: str
    trade: str
    team_id: int | None
    team: str
    entry_date: date
    exit_date: date | None
    contract_signed_on: date | None
    wage_basis: str
    agreed_rate: Decimal
    settled_on: date | None
    settlement_confirmed_on: date | None

    @staticmethod
    def resolve_worker_id(obj) -> int:
        return obj.worker_id

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.worker.name

    @staticmethod
    def resolve_id_number(obj) -> str:
        return mask(ID_NUMBER, obj.worker.id_number)

    @staticmethod
    def resolve_phone(obj) -> str:
        return mask(PHONE, obj.phone)

    @staticmethod
    def resolve_bank_card(obj) -> str:
        return mask(BANK_CARD, obj.bank_card)

    @staticmethod
    def resolve_team(obj) -> str:
        return obj.team.name if obj.team_id else ""


class EnterIn(Schema):
    name: str
    id_number: str
    entry_date: date
    agreed_rate: PositiveAmount
    wage_basis: str = WageBasis.DAILY
    contract_signed_on: date | None = None
    team_id: Id | None = None
    phone: str = ""
    bank_card: str = ""
    bank_name: str = ""
    trade: str = ""


class ExitIn(Schema):
    exit_date: date
    settled_on: date | None = None
    settlement_confirmed_on: date | None = None


class RosterFilters(Schema):
    q: str = ""
    active_in: str = ""  # YYYY-MM: only workers on the roster that month


class WageAccountOut(Schema):
    bank_name: str
    account_number: str
    opened_on: date
    pay_day: int

    @staticmethod
    def resolve_account_number(obj) -> str:
        return mask(BANK_CARD, obj.account_number)


class WageAccountIn(Schema):
    bank_name: str
    account_number: str
    opened_on: date
    pay_day: PayDay = 15


class DepositOut(Schema):
    id: int
    amount: Decimal
    bank_name: str
    form: str
    deposited_on: date
    released_on: date | None


class DepositIn(Schema):
    amount: PositiveAmount
    bank_name: str
    form: str = GuaranteeDeposit.Form.CASH
    deposited_on: date


class ReleaseIn(Schema):
    released_on: date


class SiteRecordOut(Schema):
    work_injury_policy_number: str = ""
    work_injury_insured_on: date | None = None
    rights_board_posted_on: date | None = None
    completed_on: date | None = None
    records_uploaded_on: date | None = None


class SiteRecordPatch(Schema):
    work_injury_policy_number: str | None = None
    work_injury_insured_on: date | None = None
    rights_board_posted_on: date | None = None
    completed_on: date | None = None
    records_uploaded_on: date | None = None


class PayrollProjectFilters(Schema):
    q: str = ""
    warning_level: str = ""  # red / orange / yellow / none
    under_full_supervision: bool | None = None
    month: str = ""  # YYYY-MM, default last month


# ---------------------------------------------------------------- helpers


def _month(text: str) -> date:
    if not text:
        return selectors.month_default()
    month = selectors.month_parse(text)
    if month is None:
        raise ValidationError({"month": ["月份格式应为 YYYY-MM"]})
    return month


def _warning(project) -> dict | None:
    level = getattr(project, "warning_level", None)
    if not level:
        return None
    from .models import WarningLevel

    return {"level": level, "level_label": WarningLevel(level).label, "month": project.warning_month, "case_id": project.warning_case_id}


def _project_out(project, month: date, rates) -> dict:
    return {
        "id": project.pk,
        "code": project.code,
        "name": project.name,
        "under_full_supervision": project.under_full_supervision,
        "general_contractor": project.general_contractor,
        "territory": project.territory,
        "warning": _warning(project),
        "month": month,
        "rates": [r.as_dict() for r in rates],
    }


def _annotated(user, pk: int):
    """The project with its warning annotations (the list's selector, so the same scope)."""
    from django.http import Http404

    project = selectors.project_list(user=user).filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


# ---------------------------------------------------------------- projects


@router.get("/projects", response=ProjectPageOut, summary="项目工资支付监管列表(预警与“8个100%”)")
def projects_list(request, filters: Query[PayrollProjectFilters], page: Page = 1, page_size: ProjectPageSize = 50):
    """The common page shape {"items": [...], "count": n}, paged here because the rates are
    computed for the page's projects together (a fixed number of queries)."""
    month = _month(filters.month)
    qs = selectors.project_list(
        user=request.user, search=filters.q, warning_level=filters.warning_level, under_full_supervision=filters.under_full_supervision
    )
    page_size = max(1, min(page_size, 500))
    page = max(page, 1)
    projects = list(qs[(page - 1) * page_size : page * page_size])
    rates = compliance.project_rates(projects, month)
    return {"count": qs.count(), "items": [_project_out(p, month, rates[p.pk]) for p in projects]}


@router.get("/projects/{int:project_id}", response=ProjectPayrollDetailOut, summary="项目工资支付监管详情")
def projects_get(request, project_id: Id, month: str = ""):
    project = _annotated(request.user, project_id)
    m = _month(month)
    rates = compliance.rates_for(project, m)
    out = _project_out(project, m, rates)
    out["rates"] = [{**r.as_dict(), "note": r.note, "behind_label": r.behind_label, "behind": r.behind} for r in rates]
    out["checklist"] = [vars(item) for item in compliance.checklist(project, m, rates)]
    obligation = compliance.upload_obligation(project, selectors.site_record_of(project))
    out["upload_obligation"] = (
        {"due_at": obligation.due_at, "done_on": obligation.done_on, "overdue": obligation.overdue, "late": obligation.late}
        if obligation.applies
        else None
    )
    return out


# ---------------------------------------------------------------- roster


@router.get("/projects/{int:project_id}/workers", response=list[RosterOut], summary="工人花名册")
@paginate(BoundedPageNumberPagination, page_size=100, max_page_size=1000)
def workers_list(request, project_id: Id, filters: Query[RosterFilters]):
    project = selectors.project_get(user=request.user, pk=project_id)
    active_in = None
    if filters.active_in:
        active_in = selectors.month_parse(filters.active_in)
        if active_in is None:
            raise ValidationError({"active_in": ["月份格式应为 YYYY-MM"]})
    return selectors.roster(project=project, active_in=active_in, search=filters.q)


@router.post("/projects/{int:project_id}/workers", response={201: RosterOut}, summary="工人进场登记(同一身份证号再次提交即更新)")
def workers_enter(request, project_id: Id, payload: EnterIn):
    project = selectors.project_for_write(user=request.user, pk=project_id)
    data = payload.dict()
    team_id = data.pop("team_id")
    team = None
    if team_id is not None:
        team = selectors.teams(project=project).filter(pk=team_id).first()
        if team is None:
            raise ValidationError({"team_id": ["班组必须是本项目的班组"]})
    pw = services.project_worker_enter(actor=request.user, project=project, team=team, **data)
    return Status(201, selectors.project_worker_get(project=project, pk=pw.pk))


@router.get("/projects/{int:project_id}/workers/{int:worker_id}", response=RosterOut, summary="项目工人详情")
def workers_get(request, project_id: Id, worker_id: Id):
    project = selectors.project_get(user=request.user, pk=project_id)
    return selectors.project_worker_get(project=project, pk=worker_id)


@router.post("/projects/{int:project_id}/workers/{int:worker_id}/exit", response=RosterOut, summary="工人退场登记(结算、确认)")
def workers_exit(request, project_id: Id, worker_id: Id, payload: ExitIn):
    project = selectors.project_for_write(user=request.user, pk=project_id)
    pw = selectors.project_worker_get(project=project, pk=worker_id)
    services.project_worker_exit(actor=request.user, project_worker=pw, **payload.dict())
    return selectors.project_worker_get(project=project, pk=worker_id)


class WorkerRevealOut(Schema):
    field: str
    value: str


@router.post("/projects/{int:project_id}/workers/{int:worker_id}/reveal/{field}", response=WorkerRevealOut, summary="查看工人完整个人信息(留痕)")
def workers_reveal(request, project_id: Id, worker_id: Id, field: str):
    from django.http import Http404

    from wagewatch.core.services import personal_data_reveal

    project = selectors.project_get(user=request.user, pk=project_id)
    pw = selectors.project_worker_get(project=project, pk=worker_id)
    if field not in ("id_number", "phone", "bank_card"):
        raise Http404
    return {"field": field, "value": personal_data_reveal(actor=request.user, obj=pw.worker if field == "id_number" else pw, field_name=field)}


# ---------------------------------------------------------------- teams


@router.get("/projects/{int:project_id}/teams", response=list[TeamOut], summary="班组")
def teams_list(request, project_id: Id):
    project = selectors.project_get(user=request.user, pk=project_id)
    return list(selectors.teams(project=project))


@router.post("/projects/{int:project_id}/teams", response={201: TeamOut}, summary="登记班组")
def teams_create(request, project_id: Id, payload: TeamIn):
    from wagewatch.registry.selectors import enterprise_list

    project = selectors.project_for_write(user=request.user, pk=project_id)
    data = payload.dict()
    enterprise_id = data.pop("enterprise_id")
    enterprise = None
    if enterprise_id is not None:
        enterprise = enterprise_list(user=request.user).filter(pk=enterprise_id).first()
        if enterprise is None:
            raise ValidationError({"enterprise_id": ["企业不存在或您无权查看"]})
    return Status(201, services.team_create(actor=request.user, project=project, enterprise=enterprise, **data))


# ---------------------------------------------------------------- wage account, deposits, site record


@router.get("/projects/{int:project_id}/wage-account", response={200: WageAccountOut, 404: dict}, summary="工资专用账户")
def wage_account_get(request, project_id: Id):
    from django.http import Http404

    project = selectors.project_get(user=request.user, pk=project_id)
    account = selectors.wage_account_of(project)
    if account is None:
        raise Http404
    return account


@router.put("/projects/{int:project_id}/wage-account", response=WageAccountOut, summary="登记或修改工资专用账户")
def wage_account_put(request, project_id: Id, payload: WageAccountIn):
    project = selectors.project_for_write(user=request.user, pk=project_id)
    return services.wage_account_open(actor=request.user, project=project, **payload.dict())


@router.get("/projects/{int:project_id}/deposits", response=list[DepositOut], summary="工资保证金")
def deposits_list(request, project_id: Id):
    project = selectors.project_get(user=request.user, pk=project_id)
    return list(selectors.deposits(project=project))


@router.post("/projects/{int:project_id}/deposits", response={201: DepositOut}, summary="登记工资保证金")
def deposits_add(request, project_id: Id, payload: DepositIn):
    project = selectors.project_for_write(user=request.user, pk=project_id)
    return Status(201, services.guarantee_deposit_add(actor=request.user, project=project, **payload.dict()))


@router.post("/projects/{int:project_id}/deposits/{int:deposit_id}/release", response=DepositOut, summary="返还工资保证金")
def deposits_release(request, project_id: Id, deposit_id: Id, payload: ReleaseIn):
    project = selectors.project_for_write(user=request.user, pk=project_id)
    deposit = selectors.deposit_get(project=project, pk=deposit_id)
    return services.guarantee_deposit_release(actor=request.user, deposit=deposit, **payload.dict())


@router.get("/projects/{int:project_id}/site-record", response=SiteRecordOut, summary="项目用工情况(工伤保险、维权告示牌、竣工与资料上传)")
def site_record_get(request, project_id: Id):
    project = selectors.project_get(user=request.user, pk=project_id)
    return selectors.site_record_of(project) or SiteRecordOut()


@router.patch("/projects/{int:project_id}/site-record", response=SiteRecordOut, summary="更新项目用工情况")
def site_record_patch(request, project_id: Id, payload: SiteRecordPatch):
    project = selectors.project_for_write(user=request.user, pk=project_id)
    return services.site_record_update(actor=request.user, project=project, **payload.dict(exclude_unset=True))

