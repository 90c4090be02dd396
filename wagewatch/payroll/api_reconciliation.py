"""Monthly reconciliation API (mounted at /api/v1/payroll/):

- `POST /reconciliation/runs` {"month": "YYYY-MM", "project_ids": [...]}: with project ids (each in
  the user's scope and writable by him: the project's labour manager, the office) the month is
  reconciled at once and the finished run comes back (201); without them (office only) every
  project under full supervision is reconciled by Celery tasks, one per chunk of projects (202).
  The office's runs may open cases from provisional months (未到发薪日、数据未齐); a labour
  manager's run of his own projects opens cases only from settled months.
- `GET /reconciliation/runs`, `GET /reconciliation/runs/{id}`: the runs (office roles).
- `GET /projects/{id}/findings?month=YYYY-MM&status=open`: a project's findings with their figures
  and evidence row ids (scoped like the project pages: 404 outside), and whether their month is
  still provisional (`provisional`, `month_state_label`: 未到发薪日、数据未齐、宽限期内、已结算).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Router, Schema, Status

from wagewatch.core.values import Count, Id

from . import selectors
from .models import Finding, FindingKind, ReconciliationRun, WarningLevel

router = Router(tags=["工资支付监管 · 工资核对"])


class RunIn(Schema):
    month: str
    project_ids: list[Id] | None = None


class RunOut(Schema):
    id: int
    month: date
    status: str
    started_at: datetime
    finished_at: datetime | None
    projects_total: int
    projects_done: int
    findings_count: int
    error: str


class FindingOut(Schema):
    id: int
    month: date
    kind: str
    kind_label: str
    level: str
    level_label: str
    subject: str
    project_worker_id: int | None
    worker_name: str
    amount: Decimal | None
    workers_affected: int
    status: str
    detail: dict
    evidence: dict
    first_found_at: datetime
    last_found_at: datetime
    # The month's settlement (reconciliation/settlement.py): a provisional month's findings
    # (未到发薪日、数据未齐、宽限期内) are not final and open no case.
    provisional: bool = False
    month_state_label: str = ""

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return FindingKind(obj.kind).label

    @staticmethod
    def resolve_level_label(obj) -> str:
        return WarningLevel(obj.level).label

    @staticmethod
    def resolve_worker_name(obj) -> str:
        return obj.project_worker.worker.name if obj.project_worker_id else ""


def _office(user) -> bool:
    return bool(user and user.is_authenticated and user.role in selectors.WRITER_OFFICE_ROLES)


def _month(text: str) -> date:
    month = selectors.month_parse(text) if text else None
    if month is None:
        raise ValidationError({"month": ["月份格式应为 YYYY-MM(例如 2026-09)"]})
    return month


@router.post("/reconciliation/runs", response={201: RunOut, 202: RunOut}, summary="发起工资核对(指定项目立即核对;全部项目由后台分批核对)")
def runs_create(request, payload: RunIn):
    from .reconciliation import reconcile
    from .reconciliation.engine import supervised_project_ids
    from .tasks import reconcile_split

    month = _month(payload.month)
    if payload.project_ids is None:
        if not _office(request.user):
            raise PermissionDenied("只有根治欠薪办可以对全部项目发起核对;请指定自己的项目")
        run_id = reconcile_split(month=month, project_ids=supervised_project_ids(), actor=request.user, opens_provisional=True)
        return Status(202, ReconciliationRun.objects.get(pk=run_id))
    if not payload.project_ids:
        raise ValidationError({"project_ids": ["请至少选择一个项目"]})
    if len(payload.project_ids) > 200:
        raise ValidationError({"project_ids": ["一次最多指定200个项目;更多项目请不指定项目由后台核对"]})
    for pk in payload.project_ids:
        project = selectors.project_get(user=request.user, pk=pk)  # 404 outside the scope
        if not selectors.may_write_project(request.user, project):
            raise PermissionDenied(f"无权对项目“{project.name}”发起核对")
    # The office's run is deliberate: it may open cases from provisional months; a project's own run may not.
    return Status(201, reconcile(actor=request.user, month=month, project_ids=payload.project_ids, opens_provisional=_office(request.user)))


@router.get("/reconciliation/runs", response=list[RunOut], summary="工资核对批次(最近100次)")
def runs_list(request):
    if not _office(request.user):
        raise PermissionDenied("只有根治欠薪办可以查看全部核对批次")
    return list(ReconciliationRun.objects.order_by("-started_at")[:100])


@router.get("/reconciliation/runs/{int:run_id}", response=RunOut, summary="工资核对批次详情")
def runs_get(request, run_id: Id):
    from django.shortcuts import get_object_or_404

    if not _office(request.user):
        raise PermissionDenied("只有根治欠薪办可以查看核对批次")
    return get_object_or_404(ReconciliationRun, pk=run_id)


@router.get("/projects/{int:project_id}/findings", response=list[FindingOut], summary="项目工资核对发现(含证据记录)")
def findings_list(request, project_id: Id, month: str = "", status: str = "open"):
    project = selectors.project_get(user=request.user, pk=project_id)
    qs = selectors.findings(project=project, month=_month(month) if month else None)
    if status:
        if status not in Finding.Status.values:
            raise ValidationError({"status": ["状态应为 open 或 resolved"]})
        qs = qs.filter(status=status)
    from .reconciliation.settlement import states_for

    found = list(qs[:1000])
    states = states_for({(project.pk, f.month) for f in found})
    for f in found:
        state = states.get((project.pk, f.month))
        f.provisional, f.month_state_label = (state.provisional, state.label) if state else (False, "")
    return found


# ---------------------------------------------------------------- thresholds


class RuleOut(Schema):
    kind: str
    kind_label: str
    enabled: bool
    level: str
    threshold: Decimal | None
    threshold_secondary: Decimal | None
    description: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return FindingKind(obj.kind).label


class RuleIn(Schema):
    enabled: bool | None = None
    level: str | None = None
    threshold: str | None = None
    threshold_secondary: str | None = None


class CaseRuleOut(Schema):
    min_level: str
    min_shortfall_total: Decimal
    min_workers_affected: int
    grace_days: int
    incomplete_wait_days: int


class CaseRuleIn(Schema):
    min_level: str | None = None
    min_shortfall_total: str | None = None
    min_workers_affected: Count | None = None
    grace_days: Count | None = None
    incomplete_wait_days: Count | None = None


@router.get("/reconciliation/rules", response=list[RuleOut], summary="核对规则与阈值")
def rules_list(request):
    from .models import FindingRule

    if not _office(request.user):
        raise PermissionDenied("只有根治欠薪办可以查看核对规则")
    return list(FindingRule.objects.order_by("kind"))


@router.patch("/reconciliation/rules/{kind}", response=RuleOut, summary="修改核对规则(启用、预警等级、阈值)")
def rules_update(request, kind: str, payload: RuleIn):
    from .reconciliation.rules import finding_rule_update

    if not _office(request.user):
        raise PermissionDenied("只有根治欠薪办可以修改核对规则")
    changes = payload.dict(exclude_unset=True)
    return finding_rule_update(actor=request.user, kind=kind, **changes)


@router.get("/reconciliation/case-opening-rule", response=CaseRuleOut, summary="自动立案规则")
def case_rule_get(request):
    from .models import CaseOpeningRule

    if not _office(request.user):
        raise PermissionDenied("只有根治欠薪办可以查看自动立案规则")
    return CaseOpeningRule.objects.order_by("pk").first() or CaseOpeningRule()


@router.patch("/reconciliation/case-opening-rule", response=CaseRuleOut, summary="修改自动立案规则")
def case_rule_update(request, payload: CaseRuleIn):
    from .reconciliation.rules import case_opening_rule_update

    if not _office(request.user):
        raise PermissionDenied("只有根治欠薪办可以修改自动立案规则")
    return case_opening_rule_update(actor=request.user, **payload.dict(exclude_unset=True))
