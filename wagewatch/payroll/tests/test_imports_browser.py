"""The labour manager uploads a month of attendance in Chromium; a real Celery worker processes
it; the page's progress bar turns into the rejected rows; the downloaded file, fixed in place,
imports whole."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from wagewatch.payroll.models import Attendance, ImportJob
from wagewatch.payroll.services.imports import import_rows_push
from wagewatch.testing.browser import needs_chromium
from wagewatch.testing.world import PASSWORD

from .test_imports import ROSTER, attendance_rows, csv_bytes, id_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.jobs,
    needs_chromium,
]
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def test_labour_manager_uploads_sees_rejected_rows_fixes_and_imports(world, live_server, browser, celery_worker):
    project, manager = world.projects["housing_b"], world.users["labour_manager"]
    header, *people = ROSTER
    import_rows_push(actor=manager, project=project, kind="teams", rows=[{"name": "钢筋班"}, {"name": "木工班"}])
    roster = import_rows_push(actor=manager, project=project, kind="workers", rows=[dict(zip(header, p, strict=True)) for p in people])
    assert roster.status == "done", roster.rejected

    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "labour_manager")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/payroll/projects/{project.pk}/imports/")

    bad = attendance_rows() + [[id_number(99), "", "2026-11-05 08:00:00", "进", "", ""], [id_number(2), "", "2026-11-05 25:00", "进", "", ""]]
    page.select_option("select[name=kind]", "attendance")
    page.set_input_files("input[name=file]", files=[{"name": "考勤2026年11月.csv", "mimeType": "text/csv", "buffer": csv_bytes(bad, "gb18030")}])
    page.click("#import-form button")
    page.wait_for_selector("#rejected-rows", timeout=60_000)  # the worker finished; htmx reloaded the page
    text = page.inner_text("main")
    assert "未导入" in text and "第 14 行" in text and "不在本项目花名册,请先导入花名册" in text and "第 15 行" in text
    assert Attendance.objects.count() == 0
    page.screenshot(path=SHOTS / "payroll-import-rejected.png", full_page=True)

    with page.expect_download() as download:
        page.click("text=下载错误行")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    fixed = [r for r in rows if not (r[0] or "").startswith("身份证号")]  # drop the stranger's row
    for r in fixed:
        if r[3] == "2026-11-05 25:00":
            r[3] = "2026-11-05 08:00"
    buffer = io.BytesIO()
    from openpyxl import Workbook

    book = Workbook()
    for r in fixed:
        book.active.append(r)
    book.save(buffer)

    page.click("text=继续导入")
    page.set_input_files("input[name=file]", files=[{"name": "考勤2026年11月-改.xlsx", "mimeType": "application/octet-stream", "buffer": buffer.getvalue()}])
    page.click("#import-form button")
    page.wait_for_selector("#import-counts", timeout=60_000)
    assert "已全部导入" in page.inner_text("main")
    assert Attendance.objects.filter(project=project).count() == 13
    assert ImportJob.objects.filter(kind="attendance", status="done").get().rows_created == 13
    page.screenshot(path=SHOTS / "payroll-import-done.png", full_page=True)
