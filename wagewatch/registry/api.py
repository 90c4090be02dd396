"""Registry API (mounted at /api/v1/): enterprises, projects, contractor chains, imports.

Reads are scoped like the pages (out of scope → 404); personal data comes back masked and is
revealed one field at a time through /enterprises/{id}/reveal/{field}, which is recorded.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from wagewatch.core.models import Industry, Organisation, Territory
from wagewatch.core.pagination import BoundedPageNumberPagination
from wagewatch.core.protected import ID_NUMBER, PHONE, mask
from wagewatch.core.services import personal_data_reveal
from wagewatch.core.values import Amount, Count, Id

from . import importers, selectors, services
from .models import Enterprise, Project, ProjectParticipant

router = Router(tags=["企业与项目"])

# Service field → API field, so a 422 names the field the client actually sent.
RENAMES = {
    "territory": "territory_id",
    "owner": "owner_id",
    "owner_organisation": "owner_organisation_id",
    "general_contractor": "general_contractor_id",
    "industry_authority": "industry_authority_id",
    "enterprise": "enterprise_id",
    "parent": "parent_id",
}


def _renamed(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({RENAMES.get(field, field): messages for field, messages in exc.message_dict.items()})


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except ValidationError as exc:
        raise _renamed(exc) from None


# ---------------------------------------------------------------- schemas


class TerritoryIdRef(Schema):
    id: int
    code: str
    name: str


class EnterpriseRef(Schema):
    id: int
    name: str
    credit_code: str | None


class OrganisationRef(Schema):
    id: int
    name: str


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str | None
    credit_code_missing: bool
    legal_representative: str
    legal_representative_id_number: str
    contact_phone: str
    address: str
    territory: TerritoryIdRef
    industry: str
    industry_label: str
    size: str
    employee_count: int | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_legal_representative_id_number(obj) -> str:
        return mask(ID_NUMBER, obj.legal_representative_id_number)

    @staticmethod
    def resolve_contact_phone(obj) -> str:
        return mask(PHONE, obj.contact_phone)

    @staticmethod
    def resolve_industry_label(obj) -> str:
        return obj.get_industry_display()


class EnterpriseIn(Schema):
    name: str
    territory_id: Id
    credit_code: str | None = None
    legal_representative: str = ""
    legal_representative_id_number: str = ""
    contact_phone: str = ""
    address: str = ""
    industry: str = Industry.OTHER
    size: str = ""
    employee_count: Count | None = None


class EnterprisePatch(Schema):
    name: str | None = None
    territory_id: Id | None = None
    credit_code: str | None = None
    legal_representative: str | None = None
    legal_representative_id_number: str | None = None
    contact_phone: str | None = None
    address: str | None = None
    industry: str | None = None
    size: str | None = None
    employee_count: Count | None = None


class EnterpriseFilters(Schema):
    q: str = ""
    territory_id: Id | None = None
    industry: str = ""
    size: str = ""
    credit_code_missing: bool | None = None


class ProjectOut(Schema):
    id: int
    name: str
    code: str
    territory: TerritoryIdRef
    owner: EnterpriseRef | None
    owner_organisation: OrganisationRef | None
    general_contractor: EnterpriseRef | None
    investment_type: str
    contract_value: Amount
    planned_start: date | None
    planned_end: date | None
    industry: str
    industry_authority: OrganisationRef | None
    site_address: str
    status: str
    under_full_supervision: bool
    created_at: datetime
    updated_at: datetime


class ParticipantOut(Schema):
    id: int
    enterprise: EnterpriseRef
    role: str
    role_label: str
    parent_id: int | None
    contract_value: Decimal | None

    @staticmethod
    def resolve_role_label(obj) -> str:
        return obj.get_role_display()


class ProjectDetailOut(ProjectOut):
    supervision_reason: str
    participants: list[ParticipantOut]


class ProjectIn(Schema):
    name: str
    code: str
    territory_id: Id
    owner_id: Id | None = None
    owner_organisation_id: Id | None = None
    general_contractor_id: Id | None = None
    investment_type: str = Project.InvestmentType.SOCIAL
    contract_value: Amount
    planned_start: date | None = None
    planned_end: date | None = None
    industry: str = Industry.CONSTRUCTION
    industry_authority_id: Id | None = None
    site_address: str = ""
    status: str = Project.Status.UNDER_CONSTRUCTION


class ProjectPatch(Schema):
    name: str | None = None
    code: str | None = None
    territory_id: Id | None = None
    owner_id: Id | None = None
    owner_organisation_id: Id | None = None
    general_contractor_id: Id | None = None
    investment_type: str | None = None
    contract_value: Amount | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    industry: str | None = None
    industry_authority_id: Id | None = None
    site_address: str | None = None
    status: str | None = None


class RegistryProjectFilters(Schema):
    q: str = ""
    territory_id: Id | None = None
    industry: str = ""
    investment_type: str = ""
    under_full_supervision: bool | None = None
    status: str = ""


class ParticipantIn(Schema):
    enterprise_id: Id
    role: str
    parent_id: Id | None = None
    contract_value: Amount | None = None


class EnterpriseRevealOut(Schema):
    field: str
    value: str


# ---------------------------------------------------------------- reference resolution


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _territory(user, pk: int) -> Territory:
    territory = selectors.territories_in_scope(user).filter(pk=pk).first()
    if territory is None:
        raise _invalid("territory_id", "所属辖区不存在或不在您的管辖范围内")
    return territory


def _enterprise_ref(user, pk: int | None, field: str) -> Enterprise | None:
    if pk is None:
        return None
    enterprise = selectors.enterprise_list(user=user).filter(pk=pk).first()
    if enterprise is None:
        raise _invalid(field, "企业不存在或您无权查看")
    return enterprise


def _organisation_ref(pk: int | None, field: str) -> Organisation | None:
    if pk is None:
        return None
    organisation = Organisation.objects.filter(pk=pk, is_active=True).first()
    if organisation is None:
        raise _invalid(field, "单位不存在或已停用")
    return organisation


def _project_refs(user, data: dict) -> dict:
    """Turn *_id fields of a request into objects, checking the user may use them."""
    out = {}
    for key, value in data.items():
        if key == "territory_id":
            out["territory"] = _territory(user, value)
        elif key in ("owner_id", "general_contractor_id"):
            out[key[:-3]] = _enterprise_ref(user, value, key)
        elif key in ("owner_organisation_id", "industry_authority_id"):
            out[key[:-3]] = _organisation_ref(value, key)
        else:
            out[key] = value
    return out


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# ---------------------------------------------------------------- enterprises


@router.get("/enterprises", response=list[EnterpriseOut], summary="企业列表")
@paginate(BoundedPageNumberPagination, page_size=50, max_page_size=500)
def enterprises_list(request, filters: Query[EnterpriseFilters]):
    territory = Territory.objects.filter(pk=filters.territory_id).first() if filters.territory_id else None
    if filters.territory_id and territory is None:
        return Enterprise.objects.none()
    return selectors.enterprise_list(
        user=request.user,
        search=filters.q,
        territory=territory,
        industry=filters.industry,
        size=filters.size,
        credit_code_missing=filters.credit_code_missing,
    )


@router.post("/enterprises", response={201: EnterpriseOut}, summary="登记企业")
def enterprises_create(request, payload: EnterpriseIn):
    _require(selectors.may_edit_enterprises(request.user), "您的角色无权登记企业")
    data = payload.dict()
    data["territory"] = _territory(request.user, data.pop("territory_id"))
    return Status(201, _call(services.enterprise_create, actor=request.user, **data))


@router.get("/enterprises/{int:enterprise_id}", response=EnterpriseOut, summary="企业详情")
def enterprises_get(request, enterprise_id: Id):
    return selectors.enterprise_get(user=request.user, pk=enterprise_id)


@router.patch("/enterprises/{int:enterprise_id}", response=EnterpriseOut, summary="修改企业")
def enterprises_update(request, enterprise_id: Id, payload: EnterprisePatch):
    enterprise = selectors.enterprise_get(user=request.user, pk=enterprise_id)
    _require(selectors.may_edit_enterprises(request.user), "您的角色无权修改企业信息")
    changes = payload.dict(exclude_unset=True)
    if "territory_id" in changes:
        changes["territory"] = _territory(request.user, changes.pop("territory_id"))
    return _call(services.enterprise_update, actor=request.user, enterprise=enterprise, **changes)


@router.post("/enterprises/{int:enterprise_id}/reveal/{field}", response=EnterpriseRevealOut, summary="查看完整个人信息(留痕)")
def enterprises_reveal(request, enterprise_id: Id, field: str):
    enterprise = selectors.enterprise_get(user=request.user, pk=enterprise_id)
    if field not in services.PROTECTED_FIELDS:
        raise Http404
    return {"field": field, "value": personal_data_reveal(actor=request.user, obj=enterprise, field_name=field)}


# ---------------------------------------------------------------- projects


@router.get("/projects", response=list[ProjectOut], summary="建设项目列表")
@paginate(BoundedPageNumberPagination, page_size=50, max_page_size=500)
def projects_list(request, filters: Query[RegistryProjectFilters]):
    territory = Territory.objects.filter(pk=filters.territory_id).first() if filters.territory_id else None
    if filters.territory_id and territory is None:
        return Project.objects.none()
    return selectors.project_list(
        user=request.user,
        search=filters.q,
        territory=territory,
        industry=filters.industry,
        investment_type=filters.investment_type,
        under_full_supervision=filters.under_full_supervision,
        status=filters.status,
    )


def _project_detail(project: Project) -> dict:
    data = ProjectOut.from_orm(project).dict()
    data["supervision_reason"] = services.project_supervision(project).reason
    data["participants"] = list(project.participants.select_related("enterprise").order_by("pk"))
    return data


@router.post("/projects", response={201: ProjectDetailOut}, summary="登记建设项目")
def projects_create(request, payload: ProjectIn):
    _require(selectors.may_edit_projects(request.user), "您的角色无权登记建设项目")
    data = _project_refs(request.user, payload.dict())
    project = _call(services.project_create, actor=request.user, **data)
    return Status(201, _project_detail(project))


@router.get("/projects/{int:project_id}", response=ProjectDetailOut, summary="建设项目详情(含承包链条)")
def projects_get(request, project_id: Id):
    return _project_detail(selectors.project_get(user=request.user, pk=project_id))


@router.patch("/projects/{int:project_id}", response=ProjectDetailOut, summary="修改建设项目")
def projects_update(request, project_id: Id, payload: ProjectPatch):
    project = selectors.project_get(user=request.user, pk=project_id)
    _require(selectors.may_edit_projects(request.user), "您的角色无权修改建设项目")
    changes = _project_refs(request.user, payload.dict(exclude_unset=True))
    project = _call(services.project_update, actor=request.user, project=project, **changes)
    return _project_detail(project)


@router.post("/projects/{int:project_id}/participants", response={201: ParticipantOut}, summary="添加参建单位(分包、班组)")
def projects_participant_add(request, project_id: Id, payload: ParticipantIn):
    project = selectors.project_get(user=request.user, pk=project_id)
    _require(selectors.may_edit_projects(request.user), "您的角色无权修改建设项目")
    enterprise = _enterprise_ref(request.user, payload.enterprise_id, "enterprise_id")
    parent = None
    if payload.parent_id is not None:
        parent = ProjectParticipant.objects.filter(pk=payload.parent_id, project=project).first()
        if parent is None:
            raise _invalid("parent_id", "上级承包方必须是本项目的参建单位")
    participant = _call(
        services.project_participant_add,
        actor=request.user,
        project=project,
        enterprise=enterprise,
        role=payload.role,
        parent=parent,
        contract_value=payload.contract_value,
    )
    return Status(201, participant)


# ---------------------------------------------------------------- imports


def _import(request, kind: str, upload: UploadedFile):
    allowed = selectors.may_edit_enterprises if kind == "enterprises" else selectors.may_edit_projects
    _require(allowed(request.user), "您的角色无权导入数据")
    report = importers.run_import(kind=kind, actor=request.user, data=upload.read(), filename=upload.name or "")
    body = report.to_dict()
    if report.ok:
        return Status(200, body)
    errors = [{"field": "file", "message": message} for message in body["file_errors"]]
    errors += [{"field": f"第{p.row}行", "message": ";".join(p.reasons)} for p in report.rejected]
    message = f"文件中有{len(report.rejected)}行有误,未导入任何数据" if report.rejected else "文件无法导入,未导入任何数据"
    return Status(422, {"code": "invalid", "message": message, "errors": errors, "report": body})


@router.post("/imports/enterprises", response={200: dict, 422: dict}, summary="导入企业(.xlsx/.csv)")
def imports_enterprises(request, file: File[UploadedFile]):
    return _import(request, "enterprises", file)


@router.post("/imports/projects", response={200: dict, 422: dict}, summary="导入建设项目(.xlsx/.csv)")
def imports_projects(request, file: File[UploadedFile]):
    return _import(request, "projects", file)
