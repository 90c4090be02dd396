"""Import pages of a project: /payroll/projects/<project_id>/imports/.

GET: the form (kind, file), the columns of every kind with template downloads, earlier imports.
POST: stores the file, queues its processing (Celery, after commit) and goes to the import's
page, which polls its progress with htmx until it is done and then shows the counts or every
rejected row with its reason; the rejected file comes back as .xlsx with a reason column, to be
fixed and uploaded again whole. Who: a user who sees the project (else 404) and may edit its
payroll (else 403).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from wagewatch.core.export import attachment, new_workbook, workbook_bytes
from wagewatch.core.files import SealedFileError, sealed_read
from wagewatch.core.forms import Form
from wagewatch.registry.selectors import project_get

from .imports.columns import COLUMNS
from .imports.reading import FileProblem, read_upload
from .models import ImportJob
from .services.imports import MAX_UPLOAD_BYTES, import_job_create, may_edit_payroll, upload_path

FULL_FILE_ROWS = 100_000  # above this the rejected-rows download lists the rejected rows only


class ImportForm(Form):
    kind = forms.ChoiceField(label="数据类型", choices=ImportJob.Kind.choices)
    file = forms.FileField(label="文件(.xlsx 或 .csv)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"文件超过{MAX_UPLOAD_BYTES // (1024 * 1024)}MB,请拆分后分批导入")
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("只支持 .xlsx 和 .csv 文件(旧版 .xls 请在Excel中另存为 .xlsx)")
        return upload


def _project_for_edit(request, project_id):
    project = project_get(user=request.user, pk=project_id)
    if not may_edit_payroll(request.user, project):
        raise PermissionDenied("只有本项目总包单位的劳资专管员、清欠办和系统管理员可以导入工资数据")
    return project


def _job(project, job_id) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("created_by"), project=project, pk=job_id)


@login_required
@require_http_methods(["GET", "POST"])
def imports(request, project_id):
    project = _project_for_edit(request, project_id)
    form = ImportForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind") or ImportJob.Kind.ATTENDANCE})
    if request.method == "POST" and form.is_valid():
        job = import_job_create(actor=request.user, project=project, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"])
        return redirect("payroll:import_detail", project_id=project.pk, job_id=job.pk)
    kinds = [(value, label, COLUMNS[value]) for value, label in ImportJob.Kind.choices]
    recent = ImportJob.objects.filter(project=project).select_related("created_by").order_by("-created_at", "-pk")[:20]
    return render(
        request,
        "payroll/imports/imports.html",
        {"project": project, "form": form, "kinds": kinds, "recent": recent},
        status=422 if form.errors else 200,
    )


def _detail_context(project, job):
    percent = 100 if job.status in (ImportJob.Status.DONE, ImportJob.Status.REJECTED, ImportJob.Status.FAILED) else (
        int(90 * job.rows_done / job.rows_total) if job.rows_total else 5
    )
    return {"project": project, "job": job, "percent": percent, "finished": job.finished_at is not None or job.status == ImportJob.Status.FAILED}


@login_required
@require_GET
def import_detail(request, project_id, job_id):
    project = _project_for_edit(request, project_id)
    job = _job(project, job_id)
    context = _detail_context(project, job)
    context["rejected"] = job.rejected[:1000]
    context["can_download_file"] = upload_path(job).exists() and job.created_by_id == request.user.pk
    return render(request, "payroll/imports/detail.html", context)


@login_required
@require_GET
def import_progress(request, project_id, job_id):
    """The progress bar (htmx polls it every second); once the job is finished the page reloads."""
    project = _project_for_edit(request, project_id)
    job = _job(project, job_id)
    context = _detail_context(project, job)
    response = render(request, "payroll/imports/progress.html", context)
    if context["finished"] and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def import_rejected(request, project_id, job_id):
    """The rejected rows as .xlsx. For the person who uploaded the file (and while it is kept):
    the whole file with a first column 错误原因, to fix in place and upload again (that column is
    ignored on import). Otherwise the list of rejected cells, values masked."""
    from openpyxl.styles import Font, PatternFill

    project = _project_for_edit(request, project_id)
    job = _job(project, job_id)
    if job.status != ImportJob.Status.REJECTED:
        raise Http404("该导入没有被拒绝的行")
    reasons: dict[int, list[str]] = {}
    for r in job.rejected:
        reasons.setdefault(r["row"], []).append(f"{r['column']}:{r['reason']}" if r.get("column") else r["reason"])
    book = new_workbook()
    sheet = book.active
    red = PatternFill("solid", fgColor="FFF2CC")
    path = upload_path(job)
    frame = None
    if path.exists() and job.created_by_id == request.user.pk and job.rows_total <= FULL_FILE_ROWS:
        try:
            frame = read_upload(sealed_read(path), job.file_name)
        except (FileProblem, SealedFileError, OSError):
            frame = None
    if frame is not None:
        sheet.title = "改正后重新上传"
        sheet.append(["错误原因", *[c.split("\u0000")[0] for c in frame.columns if c != "错误原因"]])
        keep = [c for c in frame.columns if c != "错误原因"]
        for index, row in enumerate(frame.select(keep).iter_rows(), start=2):
            why = reasons.get(index)
            sheet.append(["；".join(why) if why else "", *[("" if v is None else v) for v in row]])
            if why:
                for cell in sheet[sheet.max_row]:
                    cell.fill = red
        for cell in sheet["A"]:
            cell.number_format = "@"
        for col in sheet.iter_cols(min_col=2, max_col=sheet.max_column):
            for cell in col:
                cell.number_format = "@"  # text: ID and card numbers stay whole
    else:
        sheet.title = "被拒绝的行"
        sheet.append(["行号", "列", "内容", "原因"])
        for r in job.rejected:
            sheet.append([r["row"], r.get("column", ""), r.get("value", ""), r["reason"]])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    name = f"{job.get_kind_display()}-第{job.pk}次导入-错误行.xlsx".replace("(", "").replace(")", "")
    return attachment(workbook_bytes(book), name)


@login_required
@require_GET
def import_template(request, kind):
    """An empty .xlsx with the column headers of `kind` and one example row."""
    from openpyxl.styles import Font

    if kind not in COLUMNS:
        raise Http404
    columns = COLUMNS[kind]
    book = new_workbook()
    sheet = book.active
    sheet.title = ImportJob.Kind(kind).label[:31]
    sheet.append([c.header for c in columns])
    sheet.append([c.example for c in columns])
    for i, c in enumerate(columns, start=1):
        sheet.cell(row=1, column=i).font = Font(bold=True, color="C00000" if c.required else "000000")
        for row in (2, *range(3, 200)):
            sheet.cell(row=row, column=i).number_format = "@"
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(12, len(c.header) * 2 + 4)
    return attachment(workbook_bytes(book), ImportJob.Kind(kind).label + "导入模板.xlsx")


def imports_url(project) -> str:
    return reverse("payroll:imports", kwargs={"project_id": project.pk})
