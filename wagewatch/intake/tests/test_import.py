"""Batch import of clues: GBK/UTF-8 CSV and xlsx, rows kept with their channel id and received
time, rejected rows with line numbers and Chinese reasons, re-import registering only what is
missing, the page, the template and POST /api/v1/complaints/batch."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from wagewatch.cases.models import Case, CaseState
from wagewatch.history.models import Event
from wagewatch.intake import importers
from wagewatch.intake.models import Channel, Complaint, ImportBatch
from wagewatch.testing.cases import register

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADERS = ["渠道编号", "收到时间", "投诉人姓名", "投诉人电话", "身份证号", "涉及人数", "欠薪金额", "欠薪期间起", "欠薪期间止",
           "用人单位", "统一社会信用代码", "项目名称", "项目编号", "工地地址", "所属街道(辖区编码或名称)", "行业", "分包链条", "投诉内容"]


def row(world, external_id, phone, *, when="2026-11-20 09:30", employer=None, code="", territory="东城街道", project="", amount="18000", **extra):
    values = {
        "渠道编号": external_id, "收到时间": when, "投诉人姓名": "张三", "投诉人电话": phone, "身份证号": "", "涉及人数": "3",
        "欠薪金额": amount, "欠薪期间起": "2026-08-01", "欠薪期间止": "2026-10-31", "用人单位": employer or world.enterprises["factory_a"].name,
        "统一社会信用代码": code, "项目名称": "", "项目编号": project, "工地地址": "", "所属街道(辖区编码或名称)": territory, "行业": "",
        "分包链条": "", "投诉内容": "工资未发",
    }
    values.update(extra)
    return [values[h] for h in HEADERS]


def csv_bytes(rows, encoding="gbk", bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADERS, *rows])
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(world, data, *, channel=Channel.HOTLINE_12345, filename="clues.csv", dispatch=False, user="clerk"):
    return importers.complaints_import(actor=world.users[user], channel=channel, data=data, filename=filename, dispatch=dispatch)


def three_good_rows(world):
    return [
        row(world, "12345-0001", "13900000101"),
        row(world, "12345-0002", "13900000102", employer="西城某包工头", territory="110105002"),
        row(world, "12345-0003", "13900000103", employer=world.enterprises["factory_b"].name, code=world.enterprises["factory_b"].credit_code, territory=""),
    ]


def test_gbk_csv_registers_every_row_with_its_channel_id_and_received_time(world):
    report = run(world, csv_bytes(three_good_rows(world), "gbk"))
    assert report.ok and report.created_count == 3 and report.summary == "新登记 3,并入已有案件 0,已登记过 0,退回 0"
    complaint = Complaint.objects.get(channel=Channel.HOTLINE_12345, external_id="12345-0001")
    assert complaint.received_at == datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)
    assert complaint.case.received_at == complaint.received_at
    assert complaint.registered_by == world.users["clerk"] and complaint.case.state == CaseState.REGISTERED
    assert Complaint.objects.get(external_id="12345-0002").territory == world.territories["street_b"]
    # Territory left blank: taken from the employer on file.
    assert Complaint.objects.get(external_id="12345-0003").territory == world.enterprises["factory_b"].territory
    batch = ImportBatch.objects.get()
    assert (batch.channel, batch.row_count, batch.created_count, batch.rejected_count) == (Channel.HOTLINE_12345, 3, 3, 0)
    assert batch.report["summary"] == report.summary and len(batch.report["registered"]) == 3
    assert set(batch.complaint_set.values_list("external_id", flat=True)) == {"12345-0001", "12345-0002", "12345-0003"}
    event = Event.objects.get(action="import_batch.recorded")
    assert event.payload_data["created"] == 3 and event.actor_id == world.users["clerk"].pk


def test_utf8_with_bom_reads_the_same(world):
    report = run(world, csv_bytes(three_good_rows(world), "utf-8", bom=True))
    assert report.created_count == 3


def test_xlsx_with_date_cells_and_numeric_phones(world):
    when = datetime(2026, 11, 21, 14, 5)
    rows = [row(world, "110-778", 13900000201, when=when, amount=5200)]
    rows[0][HEADERS.index("涉及人数")] = 2
    report = run(world, xlsx_bytes(rows), channel=Channel.POLICE_110, filename="110.xlsx")
    assert report.ok and report.created_count == 1, report.to_dict()
    complaint = Complaint.objects.get(channel=Channel.POLICE_110, external_id="110-778")
    assert complaint.received_at == when.replace(tzinfo=SHANGHAI)
    assert complaint.complainant_phone == "13900000201" and complaint.amount_owed == 5200 and complaint.worker_count == 2


def test_bad_rows_are_sent_back_with_line_numbers_and_nothing_is_registered(world):
    future = (timezone.now() + timedelta(days=2)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    rows = [
        row(world, "A-1", "13900000301"),  # line 2: fine
        row(world, "", "13900000302"),  # line 3: no channel id
        row(world, "A-3", "1390000"),  # line 4: phone
        row(world, "A-4", "13900000304", when="2026-11-20"),  # line 5: no time of day
        row(world, "A-5", "13900000305", project="P-NONE", territory="北城街道"),  # line 6: unknown project and territory
        row(world, "A-6", "13900000306", when=future),  # line 7: received in the future
        row(world, "A-1", "13900000307"),  # line 8: same id as line 2
        row(world, "A-8", "13900000308", amount="很多", 行业="航天"),  # line 9
        row(world, "A-9", "13900000309", employer="某老板", territory=""),  # line 10: no territory to be found
    ]
    report = run(world, csv_bytes(rows))
    assert report.created_count == 0 and report.rejected_count == 8 and report.undone == 1
    assert "本次未登记任何线索" in report.summary
    problems = {p.row: " ".join(p.reasons) for p in report.rejected}
    assert set(problems) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "渠道编号必填" in problems[3]
    assert "投诉人电话" in problems[4] and "手机号" in problems[4]
    assert "收到时间" in problems[5] and "时刻" in problems[5]
    assert "P-NONE" in problems[6] and "北城街道" in problems[6]
    assert "收到时间" in problems[7] and "晚于" in problems[7]
    assert "与第2行重复" in problems[8]
    assert "欠薪金额" in problems[9] and "行业" in problems[9]
    assert "所属街道" in problems[10]
    assert Complaint.objects.count() == 0 and Case.objects.count() == 0
    assert ImportBatch.objects.get().report["rejected"][0] == {"row": 3, "external_id": "", "reasons": problems[3].split(" ")}


def test_a_file_with_a_bad_row_registers_nothing_and_the_corrected_file_registers_all(world):
    rows = three_good_rows(world) + [row(world, "12345-0004", "139000")]
    first = run(world, csv_bytes(rows))
    assert (first.created_count, first.unchanged_count, first.rejected_count) == (0, 0, 1)
    assert (Complaint.objects.count(), Case.objects.count()) == (0, 0)
    rows[3] = row(world, "12345-0004", "13900000404")
    corrected = run(world, csv_bytes(rows))
    assert (corrected.created_count, corrected.unchanged_count, corrected.rejected_count) == (4, 0, 0)
    counts = (Complaint.objects.count(), Case.objects.count())
    again = run(world, csv_bytes(rows))
    assert (again.created_count, again.linked_count, again.unchanged_count, again.rejected_count) == (0, 0, 4, 0)
    assert again.summary == "新登记 0,并入已有案件 0,已登记过 4,退回 0"
    assert (Complaint.objects.count(), Case.objects.count()) == counts
    rows.append(row(world, "12345-0005", "13900000405"))
    more = run(world, csv_bytes(rows))
    assert (more.created_count, more.unchanged_count, more.rejected_count) == (1, 4, 0)
    assert [r.row for r in more.registered] == [6]
    assert ImportBatch.objects.count() == 4
    assert list(ImportBatch.objects.order_by("pk").values_list("created_count", "unchanged_count", "rejected_count")) == [
        (0, 0, 1), (4, 0, 0), (0, 4, 0), (1, 4, 0)
    ]


def test_a_repeat_of_an_open_case_is_linked(world):
    open_case = register(world, complainant_phone="13900000501").case
    report = run(world, csv_bytes([row(world, "P-77", "13900000501")]), channel=Channel.PETITION)
    assert (report.created_count, report.linked_count) == (0, 1)
    assert report.registered[0].case_number == open_case.number
    assert Complaint.objects.get(external_id="P-77").relation == Complaint.Relation.REPEAT


def test_national_platform_ids_are_kept_exactly(world):
    long_id = "20261120000000123456"  # 20 digits: a spreadsheet number would lose the tail
    report = run(world, csv_bytes([row(world, long_id, "13900000601"), row(world, "0001234", "13900000602")]), channel=Channel.NATIONAL_PLATFORM)
    assert report.created_count == 2
    assert set(Complaint.objects.filter(channel=Channel.NATIONAL_PLATFORM).values_list("external_id", flat=True)) == {long_id, "0001234"}
    rows = [row(world, float(long_id), "13900000603"), row(world, 2026112000001, "13900000604")]
    report = run(world, xlsx_bytes(rows), channel=Channel.NATIONAL_PLATFORM, filename="gj.xlsx")
    assert report.rejected_count == 1 and report.rejected[0].row == 2 and "文本" in report.rejected[0].reasons[0]
    # All or nothing: the good row of a file with a bad one is not registered either.
    assert not Complaint.objects.filter(channel=Channel.NATIONAL_PLATFORM, external_id="2026112000001").exists()
    # The same id on another channel is a different clue.
    assert run(world, csv_bytes([row(world, long_id, "13900000605")])).created_count == 1


def test_dispatch_after_import_by_the_rules(world):
    for org in world.organisations.values():
        org.leader_name = "王主任"
        org.save(update_fields=["leader_name"])
    report = run(world, csv_bytes(three_good_rows(world)), dispatch=True)
    assert report.created_count == 3 and all(r.dispatch_note == "" for r in report.registered)
    assert set(Case.objects.values_list("state", flat=True)) == {CaseState.DISPATCHED}


def test_dispatch_that_fails_keeps_the_row_registered_with_a_note(world):
    # An employer unknown to the registry at district level: no rule and no street names a unit.
    unroutable = row(world, "12345-0009", "13900000109", employer="区级某无名老板", territory="110105")
    report = run(world, csv_bytes([unroutable]), dispatch=True)
    assert report.created_count == 1 and "未自动转办" in report.registered[0].dispatch_note
    assert Case.objects.get().state == CaseState.REGISTERED


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (xlsx_bytes([["x"]], headers=["编号", "姓名"]), "a.xlsx", "缺少必填列"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "a.xls", ".xls"),
        (("渠道编号,收到时间,投诉人姓名,投诉人电话,欠薪金额,用人单位\n").encode(), "a.csv", "没有数据行"),
        (b"", "a.csv", "文件是空的"),
    ],
)
def test_file_problems_register_nothing_but_are_recorded(world, data, filename, message):
    report = run(world, data, filename=filename)
    assert report.file_errors and message in " ".join(report.file_errors)
    assert not Complaint.objects.exists()
    assert ImportBatch.objects.get().report["file_errors"] == report.file_errors


def test_only_batch_channels(world):
    report = run(world, csv_bytes(three_good_rows(world)), channel=Channel.WINDOW)
    assert report.file_errors and not Complaint.objects.exists()


def test_the_template_has_the_headers_and_imports_as_it_is(world):
    data = importers.template_workbook()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[1]] == [c.header for c in importers.COLUMNS]
    report = run(world, data, filename="模板.xlsx")
    assert report.ok and report.created_count == 1, report.to_dict()
    complaint = Complaint.objects.get()
    assert complaint.external_id == "12345-20261120-0001" and complaint.employer == world.enterprises["factory_a"]


# ---------------------------------------------------------------- page and API


def test_page_import_and_report(client, world):
    client.force_login(world.users["clerk"])
    response = client.get("/intake/import/")
    assert response.status_code == 200 and "渠道编号" in response.content.decode()
    response = client.get("/intake/import/?template=1")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    upload = SimpleUploadedFile("hotline.csv", csv_bytes(three_good_rows(world) + [row(world, "12345-0009", "1")]))
    response = client.post("/intake/import/", {"channel": "hotline_12345", "file": upload, "dispatch": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "本次未登记任何线索" in page and "第 5 行" in page and "投诉人电话" in page
    batch = ImportBatch.objects.get()
    assert Complaint.objects.count() == 0
    assert "第 5 行" in client.get(f"/intake/import/?batch={batch.pk}").content.decode()
    assert "查看报告" in client.get("/intake/import/").content.decode()
    assert client.get("/intake/import/?batch=999999").status_code == 404


def test_page_is_for_the_window_and_the_office(client, world):
    for key in ("street_a_handler", "grid_a_worker", "inspector"):
        client.force_login(world.users[key])
        assert client.get("/intake/import/").status_code == 403
        assert client.get("/intake/import/?template=1").status_code == 403


def test_api_batch(client, world):
    client.force_login(world.users["office_staff"])
    response = client.post(
        "/api/v1/complaints/batch",
        {"file": SimpleUploadedFile("gj.csv", csv_bytes(three_good_rows(world))), "channel": "national_platform", "dispatch": "false"},
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["created"], data["unchanged"], data["rejected_count"]) == (3, 0, 0) and data["batch_id"]
    assert data["registered"][0]["case_number"].startswith("AJ") and "case_id" not in data["registered"][0]
    again = client.post("/api/v1/complaints/batch", {"file": SimpleUploadedFile("gj.csv", csv_bytes(three_good_rows(world))), "channel": "national_platform"})
    assert again.json()["summary"] == "新登记 0,并入已有案件 0,已登记过 3,退回 0"
    response = client.post("/api/v1/complaints/batch", {"file": SimpleUploadedFile("x.csv", b""), "channel": "national_platform"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "file"
    response = client.post("/api/v1/complaints/batch", {"file": SimpleUploadedFile("x.csv", b"a"), "channel": "window"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "channel"
    client.force_login(world.users["street_a_handler"])
    response = client.post("/api/v1/complaints/batch", {"file": SimpleUploadedFile("gj.csv", csv_bytes(three_good_rows(world))), "channel": "national_platform"})
    assert response.status_code == 403


def test_a_big_file_is_registered_over_several_runs_of_the_same_file(world, monkeypatch):
    monkeypatch.setattr(importers, "MAX_NEW_ROWS", 2)
    rows = [row(world, f"B-{i}", f"1390000070{i}", employer=f"某老板{i}") for i in range(5)]
    first = run(world, csv_bytes(rows))
    assert (first.created_count, len(first.deferred)) == (2, 3) and not first.ok
    assert "另有 3 行" in first.summary and "再次导入同一文件" in first.summary
    assert [r for r, _ in first.deferred] == [4, 5, 6]
    second = run(world, csv_bytes(rows))
    assert (second.created_count, second.unchanged_count, len(second.deferred)) == (2, 2, 1)
    third = run(world, csv_bytes(rows))
    assert (third.created_count, third.unchanged_count, len(third.deferred)) == (1, 4, 0) and third.ok
    assert Complaint.objects.count() == 5


def test_a_row_the_database_cannot_store_rejects_the_file_after_earlier_rows_and_writes_nothing(client, world, monkeypatch):
    """Row 1 registered, then row 2 fails in the database (a NUL on PostgreSQL): the answer is a
    422 naming row 3 (line numbers count the header), and row 1 is not left registered."""
    from django.db import DataError

    from wagewatch.intake import importers

    real = importers.complaint_register
    calls = []

    def register(**kwargs):
        calls.append(kwargs["external_id"])
        if len(calls) == 2:
            raise DataError("A string literal cannot contain NUL (0x00) characters.")
        return real(**kwargs)

    monkeypatch.setattr(importers, "complaint_register", register)
    client.force_login(world.users["office_staff"])
    response = client.post(
        "/api/v1/complaints/batch",
        {"file": SimpleUploadedFile("gj.csv", csv_bytes(three_good_rows(world))), "channel": "national_platform", "dispatch": "false"},
    )
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid" and body["errors"][0]["field"] == "第3行"
    assert body["report"]["created"] == 0 and "本次未登记任何线索" in body["message"]
    assert len(calls) == 3
    assert Complaint.objects.count() == 0 and Case.objects.count() == 0
