"""Writes to the registry. Each validates everything first (all problems at once, in Chinese,
keyed by field), saves, and appends its history event in the same transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from wagewatch.core.models import Industry, Organisation, Territory
from wagewatch.core.protected import validate_id_number, validate_phone
from wagewatch.core.values import CONTRACT_VALUE_MAX, amount_check
from wagewatch.history.services import event_append

from .models import Enterprise, Project, ProjectParticipant, SupervisionThreshold
from .rules import clean_credit_code, normalise_name, supervision_evaluate
from .selectors import supervision_threshold_get

PROTECTED_FIELDS = {"legal_representative_id_number", "contact_phone"}
ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "legal_representative",
    "legal_representative_id_number",
    "contact_phone",
    "address",
    "territory",
    "industry",
    "size",
    "employee_count",
)
PROJECT_FIELDS = (
    "name",
    "code",
    "territory",
    "owner",
    "owner_organisation",
    "general_contractor",
    "investment_type",
    "contract_value",
    "planned_start",
    "planned_end",
    "industry",
    "industry_authority",
    "site_address",
    "status",
)


class _Errors:
    """Collects field errors so one submission reports every problem together."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _label(model, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)


def _payload_value(field: str, value: Any) -> Any:
    if field in PROTECTED_FIELDS:
        # Never the clear value: only whether one is on file.
        return "已填写" if value else ""
    if isinstance(value, Territory):
        return value.code
    if hasattr(value, "pk"):
        return value.pk
    return value


# ---------------------------------------------------------------- enterprises


def _enterprise_validate(enterprise: Enterprise, errors: _Errors) -> None:
    if not (enterprise.name or "").strip():
        errors.add("name", "企业名称必填")
    enterprise.name = (enterprise.name or "").strip()
    enterprise.name_normalised = normalise_name(enterprise.name)[:200]
    try:
        enterprise.credit_code = clean_credit_code(enterprise.credit_code)
    except ValidationError as exc:
        errors.add("credit_code", exc.messages[0])
    else:
        if enterprise.credit_code:
            clash = Enterprise.objects.filter(credit_code=enterprise.credit_code).exclude(pk=enterprise.pk).first()
            if clash is not None:
                errors.add("credit_code", f"统一社会信用代码{enterprise.credit_code}已登记为企业“{clash.name}”,不能重复登记")
    enterprise.credit_code_missing = not enterprise.credit_code
    if not enterprise.credit_code and enterprise.name_normalised and enterprise.territory_id:
        # Without a code the name is all that tells two enterprises apart: a second one of the
        # same name in the same territory is almost always the same enterprise entered twice.
        twin = (
            Enterprise.objects.filter(
                name_normalised=enterprise.name_normalised, territory_id=enterprise.territory_id, credit_code__isnull=True
            )
            .exclude(pk=enterprise.pk)
            .first()
        )
        if twin is not None:
            errors.add(
                "name",
                f"本辖区已登记同名企业“{twin.name}”:请核对是否重复登记;确为不同企业的,请填写统一社会信用代码",
            )
    if enterprise.legal_representative_id_number:
        try:
            enterprise.legal_representative_id_number = validate_id_number(enterprise.legal_representative_id_number)
        except ValidationError as exc:
            errors.add("legal_representative_id_number", f"法定代表人{exc.messages[0]}")
    if enterprise.contact_phone:
        try:
            enterprise.contact_phone = validate_phone(enterprise.contact_phone)
        except ValidationError as exc:
            errors.add("contact_phone", f"联系电话:{exc.messages[0]}")
    if enterprise.territory_id is None:
        errors.add("territory", "所属辖区必填")
    if enterprise.industry not in Industry.values:
        errors.add("industry", f"行业“{enterprise.industry}”不在可选范围内")
    if enterprise.size and enterprise.size not in Enterprise.Size.values:
        errors.add("size", f"规模“{enterprise.size}”不在可选范围内:应为微型、小型、中型或大型")
    if enterprise.employee_count is not None:
        try:
            enterprise.employee_count = int(enterprise.employee_count)
            if enterprise.employee_count < 0:
                raise ValueError
        except (TypeError, ValueError):
            errors.add("employee_count", "职工人数应为不小于0的整数")
    for field in ("name", "legal_representative", "address"):
        limit = Enterprise._meta.get_field(field).max_length
        if len(getattr(enterprise, field) or "") > limit:
            errors.add(field, f"{_label(Enterprise, field)}不能超过{limit}个字")


@transaction.atomic
def enterprise_create(
    *,
    actor,
    name: str,
    territory: Territory,
    credit_code: str | None = None,
    legal_representative: str = "",
    legal_representative_id_number: str = "",
    contact_phone: str = "",
    address: str = "",
    industry: str = Industry.OTHER,
    size: str = "",
    employee_count: int | None = None,
) -> Enterprise:
    enterprise = Enterprise(
        name=name,
        territory=territory,
        credit_code=credit_code,
        legal_representative=(legal_representative or "").strip(),
        legal_representative_id_number=legal_representative_id_number or "",
        contact_phone=contact_phone or "",
        address=(address or "").strip(),
        industry=industry or Industry.OTHER,
        size=size or "",
        employee_count=employee_count,
    )
    errors = _Errors()
    _enterprise_validate(enterprise, errors)
    errors.raise_if_any()
    enterprise.save()
    event_append(
        actor=actor,
        action="enterprise.created",
        obj=enterprise,
        payload={field: _payload_value(field, getattr(enterprise, field)) for field in ENTERPRISE_FIELDS}
        | {"credit_code_missing": enterprise.credit_code_missing},
    )
    return enterprise


def _comparable(field: str, value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    if value == "" and field == "credit_code":
        return None
    return value


@transaction.atomic
def enterprise_update(*, actor, enterprise: Enterprise, **changes) -> Enterprise:
    """Apply `changes` (field → new value). No real change → no save, no event."""
    unknown = set(changes) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise ValidationError({field: f"字段“{field}”不能修改" for field in sorted(unknown)})
    before = {field: getattr(enterprise, field) for field in ENTERPRISE_FIELDS}
    for field, value in changes.items():
        setattr(enterprise, field, "" if value is None and field not in {"credit_code", "employee_count"} else value)
    errors = _Errors()
    _enterprise_validate(enterprise, errors)
    if errors.errors:
        for field, value in before.items():  # leave the caller's object as it was
            setattr(enterprise, field, value)
        enterprise.name_normalised = normalise_name(enterprise.name)
        enterprise.credit_code_missing = not enterprise.credit_code
        errors.raise_if_any()
    diff = {
        field: [_payload_value(field, before[field]), _payload_value(field, getattr(enterprise, field))]
        for field in ENTERPRISE_FIELDS
        if _comparable(field, before[field]) != _comparable(field, getattr(enterprise, field))
    }
    if not diff:
        return enterprise
    enterprise.save()
    event_append(actor=actor, action="enterprise.updated", obj=enterprise, payload={"changes": diff})
    return enterprise


# ---------------------------------------------------------------- projects


def _to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _project_validate(project: Project, errors: _Errors) -> None:
    project.name = (project.name or "").strip()
    project.code = (project.code or "").strip()
    if not project.name:
        errors.add("name", "项目名称必填")
    if not project.code:
        errors.add("code", "项目编号必填")
    else:
        clash = Project.objects.filter(code=project.code).exclude(pk=project.pk).first()
        if clash is not None:
            errors.add("code", f"项目编号“{project.code}”已被项目“{clash.name}”使用,项目编号不能重复")
    try:
        project.contract_value = amount_check("" if project.contract_value is None else project.contract_value, maximum=CONTRACT_VALUE_MAX)
    except ValueError as exc:
        errors.add("contract_value", f"合同价款{exc}")
    for field in ("planned_start", "planned_end"):
        if getattr(project, field) is not None and not isinstance(getattr(project, field), date):
            errors.add(field, f"{_label(Project, field)}应为日期(YYYY-MM-DD)")
    if isinstance(project.planned_start, date) and isinstance(project.planned_end, date) and project.planned_end < project.planned_start:
        errors.add("planned_end", "计划竣工日期不能早于计划开工日期")
    if project.territory_id is None:
        errors.add("territory", "所属辖区必填")
    if project.investment_type not in Project.InvestmentType.values:
        errors.add("investment_type", f"投资类型“{project.investment_type}”不在可选范围内")
    if project.industry not in Industry.values:
        errors.add("industry", f"行业“{project.industry}”不在可选范围内")
    if project.status not in Project.Status.values:
        errors.add("status", f"状态“{project.status}”不在可选范围内")
    if project.owner_id is not None and project.owner_id == project.general_contractor_id:
        errors.add("general_contractor", "施工总承包单位不能与建设单位相同")
    for field in ("name", "site_address", "code"):
        limit = Project._meta.get_field(field).max_length
        if len(getattr(project, field) or "") > limit:
            errors.add(field, f"{_label(Project, field)}不能超过{limit}个字")


def _supervision(project: Project, threshold: SupervisionThreshold | None = None):
    threshold = threshold or supervision_threshold_get()
    return supervision_evaluate(
        contract_value=project.contract_value,
        planned_start=project.planned_start,
        planned_end=project.planned_end,
        min_contract_value=threshold.min_contract_value,
        min_duration_months=threshold.min_duration_months,
    )


def project_supervision(project: Project):
    """Whether and why the project is under full platform supervision (for pages and API)."""
    return _supervision(project)


@transaction.atomic
def project_create(
    *,
    actor,
    name: str,
    code: str,
    territory: Territory,
    owner: Enterprise | None = None,
    owner_organisation: Organisation | None = None,
    general_contractor: Enterprise | None = None,
    investment_type: str = Project.InvestmentType.SOCIAL,
    contract_value,
    planned_start: date | None = None,
    planned_end: date | None = None,
    industry: str = Industry.CONSTRUCTION,
    industry_authority: Organisation | None = None,
    site_address: str = "",
    status: str = Project.Status.UNDER_CONSTRUCTION,
) -> Project:
    project = Project(
        name=name,
        code=code,
        territory=territory,
        owner=owner,
        owner_organisation=owner_organisation,
        general_contractor=general_contractor,
        investment_type=investment_type or Project.InvestmentType.SOCIAL,
        contract_value=contract_value,
        planned_start=planned_start,
        planned_end=planned_end,
        industry=industry or Industry.CONSTRUCTION,
        industry_authority=industry_authority,
        site_address=(site_address or "").strip(),
        status=status or Project.Status.UNDER_CONSTRUCTION,
    )
    errors = _Errors()
    _project_validate(project, errors)
    errors.raise_if_any()
    project.under_full_supervision = _supervision(project).applies
    project.save()
    event_append(
        actor=actor,
        action="project.created",
        obj=project,
        payload={field: _payload_value(field, getattr(project, field)) for field in PROJECT_FIELDS}
        | {"under_full_supervision": project.under_full_supervision},
    )
    return project


@transaction.atomic
def project_update(*, actor, project: Project, **changes) -> Project:
    """Apply `changes`; recomputes supervision. No real change → no save, no event."""
    unknown = set(changes) - set(PROJECT_FIELDS)
    if unknown:
        raise ValidationError({field: f"字段“{field}”不能修改" for field in sorted(unknown)})
    before = {field: getattr(project, field) for field in PROJECT_FIELDS}
    before_supervised = project.under_full_supervision
    for field, value in changes.items():
        if value is None and field in {"name", "code", "site_address"}:
            value = ""
        setattr(project, field, value)
    errors = _Errors()
    _project_validate(project, errors)
    if errors.errors:
        for field, value in before.items():
            setattr(project, field, value)
        errors.raise_if_any()
    project.under_full_supervision = _supervision(project).applies
    diff = {
        field: [_payload_value(field, before[field]), _payload_value(field, getattr(project, field))]
        for field in PROJECT_FIELDS
        if _comparable(field, before[field]) != _comparable(field, getattr(project, field))
    }
    if before_supervised != project.under_full_supervision:
        diff["under_full_supervision"] = [before_supervised, project.under_full_supervision]
    if not diff:
        return project
    project.save()
    event_append(actor=actor, action="project.updated", obj=project, payload={"changes": diff})
    return project


@transaction.atomic
def project_participant_add(
    *,
    actor,
    project: Project,
    enterprise: Enterprise,
    role: str,
    parent: ProjectParticipant | None = None,
    contract_value=None,
) -> ProjectParticipant:
    errors = _Errors()
    if role not in ProjectParticipant.Role.values:
        errors.add("role", "参建角色不在可选范围内:应为专业分包、劳务分包、班组或监理单位")
    if parent is not None and parent.project_id != project.pk:
        errors.add("parent", "上级承包方必须是本项目的参建单位")
    if enterprise.pk in {project.owner_id, project.general_contractor_id}:
        errors.add("enterprise", f"“{enterprise.name}”已是本项目的建设单位或施工总承包单位")
    elif ProjectParticipant.objects.filter(project=project, enterprise=enterprise, role=role).exists():
        errors.add("enterprise", f"“{enterprise.name}”已以该角色参与本项目")
    value = None
    if contract_value not in (None, ""):
        try:
            value = amount_check(contract_value, maximum=CONTRACT_VALUE_MAX)
        except ValueError as exc:
            errors.add("contract_value", f"分包合同价款{exc}")
    errors.raise_if_any()
    participant = ProjectParticipant.objects.create(
        project=project, enterprise=enterprise, role=role, parent=parent, contract_value=value
    )
    event_append(
        actor=actor,
        action="project.participant_added",
        obj=project,
        payload={
            "participant": participant.pk,
            "enterprise": enterprise.pk,
            "enterprise_name": enterprise.name,
            "role": role,
            "parent": parent.pk if parent else None,
            "contract_value": value,
        },
    )
    return participant


# ---------------------------------------------------------------- thresholds


@transaction.atomic
def supervision_threshold_update(*, actor, min_contract_value, min_duration_months: int) -> SupervisionThreshold:
    """Change the rule and recompute `under_full_supervision` of every project in bulk."""
    errors = _Errors()
    value = _to_decimal(min_contract_value)
    if value is None or value < 0:
        errors.add("min_contract_value", "合同价款下限应为不小于0的数字(单位:元)")
    try:
        months = int(min_duration_months)
        if months < 0 or months > 240:
            raise ValueError
    except (TypeError, ValueError):
        months = None
        errors.add("min_duration_months", "工期下限应为0至240之间的整数(单位:月)")
    errors.raise_if_any()
    threshold = SupervisionThreshold.objects.select_for_update().filter(pk=supervision_threshold_get().pk).get()
    old = {"min_contract_value": threshold.min_contract_value, "min_duration_months": threshold.min_duration_months}
    threshold.min_contract_value = value.quantize(Decimal("0.01"))
    threshold.min_duration_months = months
    threshold.save()
    now_on, now_off = [], []
    rows = Project.objects.values_list("pk", "contract_value", "planned_start", "planned_end", "under_full_supervision")
    for pk, contract_value, start, end, current in rows.iterator(chunk_size=2000):
        applies = supervision_evaluate(
            contract_value=contract_value,
            planned_start=start,
            planned_end=end,
            min_contract_value=threshold.min_contract_value,
            min_duration_months=months,
        ).applies
        if applies != current:
            (now_on if applies else now_off).append(pk)
    for flag, pks in ((True, now_on), (False, now_off)):
        for i in range(0, len(pks), 500):  # stay under SQLite's bound-parameter limit
            Project.objects.filter(pk__in=pks[i : i + 500]).update(under_full_supervision=flag)
    event_append(
        actor=actor,
        action="supervision_threshold.updated",
        obj=threshold,
        payload={
            "old": old,
            "new": {"min_contract_value": threshold.min_contract_value, "min_duration_months": months},
            "projects_changed": len(now_on) + len(now_off),
            "projects_now_supervised": len(now_on),
            "projects_no_longer_supervised": len(now_off),
        },
    )
    threshold.projects_changed = len(now_on) + len(now_off)
    return threshold
