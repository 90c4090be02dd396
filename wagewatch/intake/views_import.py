"""Batch import of clues from the hotline, 110, petitions and the national platform (page at
/intake/import/; the same import is POST /api/v1/complaints/batch).

GET shows the form, the columns and the last imports; `?template=1` downloads the .xlsx
template; `?batch=<id>` shows the stored report of an earlier import. POST imports a file and
shows its report: rows registered, rows registered before, rows sent back with line numbers.
"""

from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from wagewatch.core.export import XLSX
from wagewatch.core.forms import Form

from . import importers
from .models import ImportBatch

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class BatchImportForm(Form):
    channel = forms.ChoiceField(label="线索渠道", choices=[(c.value, c.label) for c in importers.BATCH_CHANNELS])
    file = forms.FileField(label="文件(.xlsx 或 .csv)")
    dispatch = forms.BooleanField(label="登记后按分派规则转办", required=False, initial=True)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"文件超过{MAX_UPLOAD_BYTES // (1024 * 1024)}MB,请拆分后分批导入")
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def batch_import(request):
    if not importers.may_import(request.user):
        raise PermissionDenied("只有专窗受理员、清欠办和系统管理员可以批量导入线索")
    if request.method == "GET" and request.GET.get("template"):
        response = HttpResponse(importers.template_workbook(), content_type=XLSX)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('投诉线索导入模板.xlsx')}"
        return response
    if request.method == "GET" and request.GET.get("batch"):
        batch = ImportBatch.objects.filter(pk=request.GET["batch"]).select_related("imported_by").first() if request.GET["batch"].isdigit() else None
        if batch is None:
            raise Http404("未找到该导入记录")
        return render(request, "intake/import_result.html", {"report": batch.report, "batch": batch, "max_new_rows": importers.MAX_NEW_ROWS})
    form = BatchImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = importers.complaints_import(
            actor=request.user,
            channel=form.cleaned_data["channel"],
            data=upload.read(),
            filename=upload.name,
            dispatch=form.cleaned_data["dispatch"],
        )
        batch = ImportBatch.objects.select_related("imported_by").get(pk=report.batch_id)
        return render(request, "intake/import_result.html", {"report": batch.report, "batch": batch, "max_new_rows": importers.MAX_NEW_ROWS}, status=422 if report.file_errors else 200)
    return render(
        request,
        "intake/import.html",
        {
            "form": form,
            "columns": importers.COLUMNS,
            "max_rows": importers.MAX_ROWS,
            "recent": ImportBatch.objects.select_related("imported_by").order_by("-imported_at", "-pk")[:10],
        },
        status=422 if form.errors else 200,
    )
