"""Import pages and API pushes: who may use them, the page flow (upload, progress, result,
rejected rows as xlsx), API all-or-nothing with 422 and Idempotency-Key."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from wagewatch.core.auth import api_token_create
from wagewatch.core.models import IdempotencyKey
from wagewatch.payroll.models import Attendance, BankDisbursement, ImportJob
from wagewatch.payroll.services.imports import import_job_process

from .test_imports import ATTENDANCE_HEADER, attendance_rows, csv_bytes, id_number, roster  # noqa: F401

Kind = ImportJob.Kind


def imports_url(world, key="housing_b"):
    return reverse("payroll:imports", kwargs={"project_id": world.projects[key].pk})


@pytest.mark.parametrize(
    "user,status",
    [("labour_manager", 200), ("office_staff", 200), ("admin", 200), ("grid_a_worker", 404), ("street_a_handler", 404), ("housing_handler", 403), ("inspector", 403)],
)
def test_who_may_open_the_import_page(client, world, user, status):
    client.force_login(world.users[user])
    assert client.get(imports_url(world)).status_code == status


def test_labour_manager_of_another_contractor_gets_404(client, world):
    # road_a is not built by contractor A: its labour manager does not see it at all.
    client.force_login(world.users["labour_manager"])
    assert client.get(imports_url(world, "road_a")).status_code == 404
    api = client.post("/api/v1/payroll/projects/P-A-002/attendance", data=[], content_type="application/json")
    assert api.status_code == 404


def test_upload_progress_result_and_rejected_download(client, world, roster, django_capture_on_commit_callbacks):  # noqa: F811
    client.force_login(world.users["labour_manager"])
    bad = attendance_rows() + [[id_number(99), "", "2026-11-05 08:00:00", "进", "", ""]]
    upload = SimpleUploadedFile("考勤11月.csv", csv_bytes(bad), content_type="text/csv")
    from unittest import mock

    with mock.patch("wagewatch.payroll.tasks_imports.import_process.delay") as delay, django_capture_on_commit_callbacks(execute=True):
        response = client.post(imports_url(world), {"kind": Kind.ATTENDANCE, "file": upload})
    job = ImportJob.objects.get(kind=Kind.ATTENDANCE)
    delay.assert_called_once_with(job.pk)
    assert response.status_code == 302 and response["Location"].endswith(f"/imports/{job.pk}/")
    page = client.get(response["Location"])
    assert "等待处理" in page.content.decode() and "every 1s" in page.content.decode()
    import_job_process(job.pk)
    progress = client.get(reverse("payroll:import_progress", args=[world.projects["housing_b"].pk, job.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"
    page = client.get(response["Location"]).content.decode()
    assert "未导入" in page and "不在本项目花名册,请先导入花名册" in page and "第 14 行" in page
    assert Attendance.objects.count() == 0
    xlsx = client.get(reverse("payroll:import_rejected", args=[world.projects["housing_b"].pk, job.pk]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "错误原因" and rows[0][1:] == tuple(ATTENDANCE_HEADER)
    assert rows[13][0].startswith("身份证号") and rows[1][0] in ("", None)
    # Fix the file in place (drop the stranger's row) and upload it again, reason column and all.
    fixed = [list(r) for r in rows[:13]]
    body = "\n".join(",".join("" if c is None else str(c) for c in r) for r in fixed).encode()
    with mock.patch("wagewatch.payroll.tasks_imports.import_process.delay"), django_capture_on_commit_callbacks(execute=True):
        client.post(imports_url(world), {"kind": Kind.ATTENDANCE, "file": SimpleUploadedFile("fixed.csv", body)})
    second = ImportJob.objects.order_by("-pk").first()
    import_job_process(second.pk)
    second.refresh_from_db()
    assert (second.status, second.rows_created) == ("done", 12)
    page = client.get(reverse("payroll:import_detail", args=[world.projects["housing_b"].pk, second.pk])).content.decode()
    assert "已全部导入" in page
    from wagewatch.payroll.services.imports import upload_path

    assert not upload_path(job).exists() and not upload_path(second).exists()  # no personal data left behind
    listing = client.get(imports_url(world)).content.decode()
    assert "fixed.csv" in listing and "考勤11月.csv" in listing


def test_template_download(client, world):
    client.force_login(world.users["labour_manager"])
    response = client.get(reverse("payroll:import_template", args=["payroll"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert next(sheet.iter_rows(values_only=True))[:3] == ("身份证号", "姓名", "月份")


def _push(client, path, rows, **headers):
    return client.post(f"/api/v1/payroll/projects/P-B-001/{path}", data=rows, content_type="application/json", headers=headers)


def test_api_push_all_or_nothing_with_422(client, world, roster):  # noqa: F811
    client.force_login(world.users["labour_manager"])
    rows = [
        {"id_number": id_number(1), "time": "2026-11-10 07:58:00", "direction": "进"},
        {"id_number": id_number(99), "time": "2026-11-10 07:58:00", "direction": "进"},
        {"id_number": id_number(2), "time": "yesterday", "direction": "sideways"},
    ]
    response = _push(client, "attendance", rows)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["import_id"]
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields["rows.1.id_number"] == "不在本项目花名册,请先导入花名册"
    assert "rows.2.time" in fields and "rows.2.direction" in fields
    assert Attendance.objects.count() == 0


def test_api_push_with_token_and_idempotency_key(client, world, roster):  # noqa: F811
    token = api_token_create(user=world.users["tax_feed"], name="bank")
    auth = {"Authorization": f"Bearer {token}"}
    rows = [
        {"reference": "B-1", "paid_at": "2026-12-01T10:00:00+08:00", "payee_name": "张三", "payee_account": "6222020200000000001", "amount": 7700, "month": "2026-11"},
    ]
    first = _push(client, "disbursements", rows, **auth, **{"Idempotency-Key": "bank-20261210-1"})
    assert first.status_code == 200 and first.json()["rows_created"] == 1
    again = _push(client, "disbursements", rows, **auth, **{"Idempotency-Key": "bank-20261210-1"})
    assert again.status_code == 200 and again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert ImportJob.objects.filter(kind=Kind.DISBURSEMENTS).count() == 1
    other = _push(client, "disbursements", [{**rows[0], "amount": 1}], **auth, **{"Idempotency-Key": "bank-20261210-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_conflict"
    assert BankDisbursement.objects.get().amount == 7700 and IdempotencyKey.objects.count() == 1
    # Without a key a resend changes nothing either.
    plain = _push(client, "disbursements", rows, **auth)
    assert plain.status_code == 200 and plain.json()["rows_created"] == 0 and plain.json()["rows_unchanged"] == 1
    listing = client.get("/api/v1/payroll/projects/P-B-001/imports", headers=auth)
    assert listing.status_code == 404  # a feed pushes; it does not read the project's imports


def test_api_push_refused_for_roles_that_may_not_edit(client, world):
    client.force_login(world.users["housing_handler"])
    assert _push(client, "attendance", []).status_code == 403
    client.force_login(world.users["grid_a_worker"])
    assert _push(client, "attendance", []).status_code == 404


def test_api_lists_imports_for_the_labour_manager(client, world, roster):  # noqa: F811
    client.force_login(world.users["labour_manager"])
    response = client.get("/api/v1/payroll/projects/P-B-001/imports")
    assert response.status_code == 200
    items = response.json()["items"]
    assert {i["kind"] for i in items} == {"teams", "workers"}
    detail = client.get(f"/api/v1/payroll/projects/P-B-001/imports/{items[0]['id']}")
    assert detail.status_code == 200 and detail.json()["rejected"] == []


def test_api_push_of_any_kind_under_imports(client, world):
    client.force_login(world.users["labour_manager"])
    teams = client.post("/api/v1/payroll/projects/P-B-001/imports/teams", data=[{"name": "钢筋班"}], content_type="application/json")
    assert teams.status_code == 200 and teams.json()["rows_created"] == 1
    workers = client.post(
        "/api/v1/payroll/projects/P-B-001/imports/workers",
        data=[{"id_number": id_number(1), "name": "张三", "entry_date": "2026-03-01", "agreed_rate": 350, "team": "钢筋班"}],
        content_type="application/json",
    )
    assert workers.status_code == 200 and workers.json()["rows_created"] == 1
    detail = client.get(f"/api/v1/payroll/projects/P-B-001/imports/{workers.json()['id']}")
    assert detail.status_code == 200 and detail.json()["kind"] == "workers"
    assert client.post("/api/v1/payroll/projects/P-B-001/imports/salaries", data=[], content_type="application/json").status_code == 404
