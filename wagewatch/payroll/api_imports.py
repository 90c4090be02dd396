"""Pushes of payroll data to /api/v1/payroll/projects/{code}/… (gate devices, banks, the labour
manager's own software), and the imports of a project.

    POST /api/v1/payroll/projects/{code}/imports/{kind}   JSON list; kind: teams, workers, attendance,
                                                          quantities, payroll, disbursements, instalments
    POST /api/v1/payroll/projects/{code}/attendance       the same, short paths for the feeds:
    POST …/disbursements | …/payroll | …/quantities | …/instalments
    GET  /api/v1/payroll/projects/{code}/imports          the project's imports, newest first
    GET  /api/v1/payroll/projects/{code}/imports/{id}     one import with its rejected rows

(Teams and workers have no short path: `POST /projects/{id}/workers|teams` of the project
pages' API enter one worker or team by the project's numeric id.)

Keys are the English keys of docs/payroll-formats.md (Chinese headers are accepted too). All or
nothing: 200 with the counts, or 422 in the common error shape with every rejected cell
(`field` = `rows.<index>.<key>`, plus `row`, `value` masked, `reason`) and nothing written.
`Idempotency-Key` works as on POST /api/v1/complaints; without it a resend changes nothing
anyway (natural keys). Who: a data-provider token (any project, by code), or a user who may
edit the project's payroll (its general contractor's labour manager, office staff and leaders,
administrators); a project the user may not see answers 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from ninja import Router, Schema
from ninja.pagination import paginate

from wagewatch.cases.api import idempotent_call
from wagewatch.core.models import Role
from wagewatch.core.pagination import CappedPageNumberPagination
from wagewatch.core.values import Id
from wagewatch.registry.models import Project
from wagewatch.registry.selectors import project_scope_q

from .models import ImportJob
from .services.imports import import_rows_push, may_edit_payroll, may_push, require_push

router = Router(tags=["工资数据导入"])

# Short paths for the feeds (gate devices, banks); every kind also at /imports/{kind}.
SHORT_PATHS = ("attendance", "disbursements", "payroll", "quantities", "instalments")


class RejectedOut(Schema):
    row: int
    column: str
    field: str
    value: str
    reason: str


class ImportOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    source: str
    file_name: str
    file_sha256: str
    rows_total: int
    rows_done: int
    rows_created: int
    rows_updated: int
    rows_unchanged: int
    error: str
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_kind_label(obj: ImportJob) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj: ImportJob) -> str:
        return obj.get_status_display()


class ImportDetailOut(ImportOut):
    rejected: list[RejectedOut]


def _user(request):
    return request.auth if getattr(request.auth, "pk", None) else request.user


def _project(user, code: str, *, write: bool) -> Project:
    qs = Project.objects.filter(code=code)
    if not (user.role == Role.DATA_PROVIDER and write):
        qs = qs.filter(project_scope_q(user))
    project = qs.select_related("general_contractor").first()
    if project is None:
        raise Http404
    allowed = may_push(user, project) if write else (may_edit_payroll(user, project) or user.role in {Role.OFFICE_LEADER, Role.LABOUR_INSPECTOR})
    if not allowed:
        raise PermissionDenied("只有本项目总包单位的劳资专管员、清欠办、系统管理员和数据接口可以报送工资数据")
    return project


def _body(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "rows_total": job.rows_total,
        "rows_created": job.rows_created,
        "rows_updated": job.rows_updated,
        "rows_unchanged": job.rows_unchanged,
        "file_sha256": job.file_sha256,
    }


def _rejected_body(job: ImportJob) -> dict:
    from wagewatch.api import error_body

    errors = [
        {**r, "field": f"rows.{r['row']}.{r['field']}" if r.get("field") else "", "message": r["reason"]}
        for r in job.rejected
    ]
    message = job.error or "数据有错误,全部未导入"
    return {**error_body("invalid", message, errors), "import_id": job.pk}


def _push(request, response: HttpResponse, code: str, kind: str, rows: list[dict[str, Any]]):
    user = _user(request)
    project = _project(user, code, write=True)
    require_push(user, project, kind)

    def run():
        job = import_rows_push(actor=user, project=project, kind=kind, rows=rows)
        if job.status == ImportJob.Status.DONE:
            return 200, _body(job)
        return 422, _rejected_body(job)

    return idempotent_call(request, response, endpoint=f"payroll.push.{kind}:{project.pk}", payload=rows, run=run)


@router.get("/projects/{code}/imports", response=list[ImportOut], summary="项目的工资数据导入记录")
@paginate(CappedPageNumberPagination)
def imports_list(request, code: str):
    project = _project(_user(request), code, write=False)
    return ImportJob.objects.filter(project=project).order_by("-created_at", "-pk")


@router.get("/projects/{code}/imports/{int:import_id}", response=ImportDetailOut, summary="一次导入及其被拒绝的行")
def import_detail(request, code: str, import_id: Id):
    project = _project(_user(request), code, write=False)
    job = ImportJob.objects.filter(project=project, pk=import_id).first()
    if job is None:
        raise Http404
    return job


# /imports/17 is the detail route's path, so a POST there never reaches `push` below: answer it as
# `push` would answer an unknown kind (404), not with the 405 of a path that only reads.
@router.post("/projects/{code}/imports/{int:import_id}", include_in_schema=False)
def push_to_a_number(request, code: str, import_id: int):
    raise Http404


# And the reverse: a GET of /imports/abc is no import's number, so it reached the push's path and
# answered a 405 the spec does not name (schemathesis: GET …/imports/null,null). No such import: 404.
@router.get("/projects/{code}/imports/{kind}", include_in_schema=False)
def read_a_kind(request, code: str, kind: str):
    raise Http404


# After the detail route: /imports/{kind} would otherwise also match /imports/17 (and answer 405).
@router.post("/projects/{code}/imports/{kind}", response={200: dict, 422: dict}, summary="报送工资数据(JSON数组,全部或全不)")
def push(request, response: HttpResponse, code: str, kind: str, rows: list[dict[str, Any]]):
    if kind not in ImportJob.Kind.values:
        raise Http404
    return _push(request, response, code, kind, rows)


def _short_path(kind: str):
    def endpoint(request, response: HttpResponse, code: str, rows: list[dict[str, Any]]):
        return _push(request, response, code, kind, rows)

    endpoint.__name__ = f"push_{kind}"
    router.post(f"/projects/{{code}}/{kind}", response={200: dict, 422: dict}, summary=f"报送{ImportJob.Kind(kind).label}")(endpoint)


for _kind in SHORT_PATHS:
    _short_path(_kind)
