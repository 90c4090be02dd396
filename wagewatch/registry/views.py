"""Pages of the registry. Thin: parse the request, call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from wagewatch.core.export import XLSX, xlsx_response
from wagewatch.core.protected import ID_NUMBER, PHONE, mask, may_reveal
from wagewatch.core.redact import redact_text
from wagewatch.core.services import personal_data_reveal
from wagewatch.history.selectors import timeline_for

from . import importers, selectors, services
from .forms import (
    EnterpriseFilterForm,
    EnterpriseForm,
    ImportForm,
    ParticipantForm,
    ProjectFilterForm,
    ProjectForm,
    ThresholdForm,
    apply_service_errors,
)
from .models import Enterprise, Project

PAGE_SIZE = 50
PROTECTED_KINDS = {"legal_representative_id_number": ID_NUMBER, "contact_phone": PHONE}


def _page(request, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


# ---------------------------------------------------------------- enterprises


@login_required
def enterprise_list(request):
    form = EnterpriseFilterForm(request.GET or None, user=request.user)
    enterprises = selectors.enterprise_list(user=request.user, **form.selector_kwargs())
    if request.GET.get("export") == "xlsx":
        return xlsx_response(
            filename="企业名录",
            sheet="企业",
            headers=["企业名称", "统一社会信用代码", "缺少信用代码", "法定代表人", "辖区编码", "辖区名称", "行业", "规模", "职工人数", "地址"],
            rows=(
                [
                    e.name,
                    e.credit_code or "",
                    e.credit_code_missing,
                    e.legal_representative,
                    e.territory.code,
                    e.territory.name,
                    e.get_industry_display(),
                    e.get_size_display(),
                    e.employee_count,
                    redact_text(e.address),
                ]
                for e in enterprises.iterator(chunk_size=2000)
            ),
        )
    page, query = _page(request, enterprises)
    return render(
        request,
        "registry/enterprise_list.html",
        {"form": form, "page": page, "query": query, "may_edit": selectors.may_edit_enterprises(request.user)},
    )


def _enterprise_fields(user, enterprise: Enterprise) -> list[dict]:
    out = []
    for name, kind in PROTECTED_KINDS.items():
        value = getattr(enterprise, name)
        out.append(
            {
                "name": name,
                "label": Enterprise._meta.get_field(name).verbose_name,
                "masked": mask(kind, value),
                "may_reveal": bool(value) and may_reveal(user, kind),
            }
        )
    return out


@login_required
def enterprise_detail(request, pk):
    enterprise = selectors.enterprise_get(user=request.user, pk=pk)
    projects = selectors.project_list(user=request.user, enterprise=enterprise)[:200]
    return render(
        request,
        "registry/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "protected": _enterprise_fields(request.user, enterprise),
            "projects": projects,
            "events": timeline_for(enterprise),
            "may_edit": selectors.may_edit_enterprises(request.user),
        },
    )


@login_required
@require_POST
def enterprise_reveal(request, pk, field):
    enterprise = selectors.enterprise_get(user=request.user, pk=pk)
    if field not in PROTECTED_KINDS:
        raise Http404
    value = personal_data_reveal(actor=request.user, obj=enterprise, field_name=field)
    return HttpResponse(format_html('<span class="masked">{}</span>', value))


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_create(request):
    if not selectors.may_edit_enterprises(request.user):
        raise PermissionDenied("您的角色无权登记企业")
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已登记企业“{enterprise.name}”")
            return redirect("registry:enterprise_detail", pk=enterprise.pk)
    return render(request, "registry/form.html", {"form": form, "title": "登记企业", "cancel_href": reverse("registry:enterprise_list")})


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request, pk):
    enterprise = selectors.enterprise_get(user=request.user, pk=pk)
    if not selectors.may_edit_enterprises(request.user):
        raise PermissionDenied("您的角色无权修改企业信息")
    form = EnterpriseForm(request.POST or None, user=request.user, instance=enterprise)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(actor=request.user, enterprise=enterprise, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("registry:enterprise_detail", pk=enterprise.pk)
    return render(
        request,
        "registry/form.html",
        {"form": form, "title": f"修改企业 · {enterprise.name}", "cancel_href": reverse("registry:enterprise_detail", args=[enterprise.pk])},
    )


# ---------------------------------------------------------------- projects


@login_required
def project_list(request):
    form = ProjectFilterForm(request.GET or None, user=request.user)
    projects = selectors.project_list(user=request.user, **form.selector_kwargs())
    if request.GET.get("export") == "xlsx":
        return xlsx_response(
            filename="建设项目",
            sheet="建设项目",
            headers=[
                "项目编号",
                "项目名称",
                "辖区编码",
                "辖区名称",
                "建设单位",
                "国有建设单位(平台单位)",
                "施工总承包单位",
                "投资类型",
                "合同价款(元)",
                "计划开工日期",
                "计划竣工日期",
                "行业",
                "行业主管部门",
                "状态",
                "纳入全面监管",
            ],
            rows=(
                [
                    p.code,
                    p.name,
                    p.territory.code,
                    p.territory.name,
                    p.owner.name if p.owner else "",
                    p.owner_organisation.name if p.owner_organisation else "",
                    p.general_contractor.name if p.general_contractor else "",
                    p.get_investment_type_display(),
                    p.contract_value,
                    p.planned_start,
                    p.planned_end,
                    p.get_industry_display(),
                    p.industry_authority.name if p.industry_authority else "",
                    p.get_status_display(),
                    p.under_full_supervision,
                ]
                for p in projects.iterator(chunk_size=2000)
            ),
        )
    page, query = _page(request, projects)
    return render(
        request,
        "registry/project_list.html",
        {"form": form, "page": page, "query": query, "may_edit": selectors.may_edit_projects(request.user)},
    )


@login_required
def project_detail(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    chain = selectors.project_chain(project=project)
    party_ids = {e.pk for e in (project.owner, project.general_contractor) if e} | {p.enterprise_id for p, _ in chain}
    visible = set(selectors.enterprise_list(user=request.user).filter(pk__in=party_ids).values_list("pk", flat=True))
    may_edit = selectors.may_edit_projects(request.user)
    return render(
        request,
        "registry/project_detail.html",
        {
            "project": project,
            "chain": [(p, depth, (depth - 1) * 24, p.enterprise_id in visible) for p, depth in chain],
            "visible": visible,
            "verdict": services.project_supervision(project),
            "threshold": selectors.supervision_threshold_get(),
            "events": timeline_for(project),
            "may_edit": may_edit,
            "participant_form": ParticipantForm(user=request.user, project=project) if may_edit else None,
        },
    )


@login_required
@require_POST
def project_participant_add(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    if not selectors.may_edit_projects(request.user):
        raise PermissionDenied("您的角色无权修改项目")
    form = ParticipantForm(request.POST, user=request.user, project=project)
    if form.is_valid():
        try:
            services.project_participant_add(actor=request.user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, ";".join(exc.messages))
        else:
            messages.success(request, "已添加参建单位")
    else:
        messages.error(request, ";".join(str(m) for errors in form.errors.values() for m in errors))
    return redirect("registry:project_detail", pk=project.pk)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request):
    if not selectors.may_edit_projects(request.user):
        raise PermissionDenied("您的角色无权登记建设项目")
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已登记项目“{project.name}”")
            return redirect("registry:project_detail", pk=project.pk)
    return render(request, "registry/form.html", {"form": form, "title": "登记建设项目", "cancel_href": reverse("registry:project_list")})


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    if not selectors.may_edit_projects(request.user):
        raise PermissionDenied("您的角色无权修改建设项目")
    form = ProjectForm(request.POST or None, user=request.user, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(actor=request.user, project=project, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("registry:project_detail", pk=project.pk)
    return render(request, "registry/form.html", {"form": form, "title": f"修改项目 · {project.name}", "cancel_href": reverse("registry:project_detail", args=[project.pk])})


# ---------------------------------------------------------------- thresholds and imports


@login_required
@require_http_methods(["GET", "POST"])
def thresholds(request):
    if not selectors.may_edit_thresholds(request.user):
        raise PermissionDenied("只有清欠办和系统管理员可以修改全面监管标准")
    current = selectors.supervision_threshold_get()
    form = ThresholdForm(
        request.POST or None,
        initial={"min_contract_value": current.min_contract_value, "min_duration_months": current.min_duration_months},
    )
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.supervision_threshold_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已更新全面监管标准,{updated.projects_changed}个项目的监管状态随之改变")
            return redirect("registry:thresholds")
    return render(
        request,
        "registry/thresholds.html",
        {
            "form": form,
            "threshold": current,
            "supervised": Project.objects.filter(under_full_supervision=True).count(),
            "total": Project.objects.count(),
            "events": timeline_for(current),
        },
    )


def _may_import(user, kind: str) -> bool:
    return selectors.may_edit_enterprises(user) if kind == "enterprises" else selectors.may_edit_projects(user)


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    if not selectors.may_edit_enterprises(request.user):
        raise PermissionDenied("您的角色无权导入数据")
    form = ImportForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind", "enterprises")})
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        if not _may_import(request.user, kind):
            raise PermissionDenied("您的角色无权导入建设项目")
        upload = form.cleaned_data["file"]
        report = importers.run_import(kind=kind, actor=request.user, data=upload.read(), filename=upload.name)
        return render(request, "registry/import_result.html", {"report": report}, status=200 if report.ok else 422)
    return render(
        request,
        "registry/import.html",
        {
            "form": form,
            "kinds": [
                (kind, label, columns, _may_import(request.user, kind)) for kind, (label, columns) in importers.KINDS.items()
            ],
        },
    )


@login_required
def import_template(request, kind):
    if kind not in importers.KINDS:
        raise Http404
    if not _may_import(request.user, kind):
        raise PermissionDenied("您的角色无权导入数据")
    from urllib.parse import quote

    response = HttpResponse(importers.template_workbook(kind), content_type=XLSX)
    name = f"{importers.KINDS[kind][0]}导入模板.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
