"""Payroll imports through the services: every kind, every rejected row reported and nothing
written, resending changes nothing, a changed payroll amount is an update, GB18030 and XLSX."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from stdnum.cn import ric

from wagewatch.history.models import Event
from wagewatch.payroll.models import (
    Attendance,
    BankDisbursement,
    ImportJob,
    LabourCostInstalment,
    PayrollLine,
    PayrollSheet,
    ProjectWorker,
    Team,
    Worker,
    WorkQuantity,
)
from wagewatch.payroll.services.imports import import_job_create, import_job_process, import_rows_push

Kind = ImportJob.Kind


def id_number(n: int) -> str:
    base = f"11010519{80 + n // 365 % 20:02d}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")  # stdnum reads the first 17 of 18


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    return ("\n".join(",".join(str(c) for c in row) for row in rows) + "\n").encode(encoding)


def run_file(world, kind, data: bytes, filename="data.csv", user="labour_manager") -> ImportJob:
    job = import_job_create(actor=world.users[user], project=world.projects["housing_b"], kind=kind, data=data, filename=filename)
    return import_job_process(job.pk)


ROSTER = [
    ["身份证号", "姓名", "手机号", "工资卡号", "开户银行", "工种", "班组", "进场日期", "计薪方式", "工资标准", "劳动合同签订日期"],
    [id_number(1), "张三", "13900000001", "6222020200000000001", "工商银行", "钢筋工", "钢筋班", "2026-03-01", "按日计薪", "350", "2026-03-01"],
    [id_number(2), "李四", "13900000002", "6222020200000000002", "工商银行", "木工", "木工班", "2026-03-01", "按月计薪", "9000", ""],
    [id_number(3), "王五", "", "6222020200000000003", "", "瓦工", "", "2026/03/05", "计件", "12.5", ""],
]


@pytest.fixture
def roster(world):
    teams = run_file(world, Kind.TEAMS, csv_bytes([["班组名称", "班组长", "所属企业"], ["钢筋班", "赵六", "东城建工集团有限公司"], ["木工班", "钱七", ""]]))
    assert teams.status == ImportJob.Status.DONE, teams.rejected
    job = run_file(world, Kind.WORKERS, csv_bytes(ROSTER))
    assert job.status == ImportJob.Status.DONE, job.rejected
    return {i: ProjectWorker.objects.get(worker__id_number_digest=_digest(i)) for i in (1, 2, 3)}


def _digest(i):
    from wagewatch.core.protected import ID_NUMBER, lookup_digest

    return lookup_digest(ID_NUMBER, id_number(i))


def test_teams_and_roster_import_then_resend_changes_nothing(world, roster):
    assert Team.objects.filter(project=world.projects["housing_b"]).count() == 2
    assert Team.objects.get(name="钢筋班").enterprise == world.enterprises["contractor_a"]
    pw = roster[1]
    assert pw.worker.name == "张三" and pw.bank_card == "6222020200000000001" and pw.team.name == "钢筋班"
    assert pw.agreed_rate == Decimal("350") and pw.wage_basis == "daily" and pw.contract_signed_on == date(2026, 3, 1)
    assert roster[3].wage_basis == "piece" and roster[3].entry_date == date(2026, 3, 5)
    job = ImportJob.objects.filter(kind=Kind.WORKERS).get()
    assert (job.rows_created, job.rows_updated, job.rows_unchanged) == (3, 0, 0)
    again = run_file(world, Kind.WORKERS, csv_bytes(ROSTER))
    assert (again.status, again.rows_created, again.rows_updated, again.rows_unchanged) == ("done", 0, 0, 3)
    assert Worker.objects.count() == 3 and ProjectWorker.objects.count() == 3
    changed = [row[:] for row in ROSTER]
    changed[1][9] = "380"
    third = run_file(world, Kind.WORKERS, csv_bytes(changed))
    assert (third.rows_created, third.rows_updated, third.rows_unchanged) == (0, 1, 2)
    assert ProjectWorker.objects.get(pk=roster[1].pk).agreed_rate == Decimal("380")


ATTENDANCE_HEADER = ["身份证号", "姓名", "考勤时间", "方向(进/出)", "设备编号", "位置"]


def attendance_rows():
    rows = [ATTENDANCE_HEADER]
    for i in (1, 2):
        for day in (2, 3, 4):
            rows.append([id_number(i), "", f"2026-11-{day:02d} 07:5{i}:00", "进", "GATE-01", "1号门"])
            rows.append([id_number(i), "", f"2026-11-{day:02d} 18:0{i}:00", "出", "GATE-01", "1号门"])
    return rows


def test_attendance_imports_and_resend_creates_nothing(world, roster):
    before_events = Event.objects.filter(action="payroll.import").count()
    job = run_file(world, Kind.ATTENDANCE, csv_bytes(attendance_rows()))
    assert job.status == "done", job.rejected
    assert (job.rows_total, job.rows_created, job.rows_unchanged) == (12, 12, 0)
    first = Attendance.objects.filter(project_worker=roster[1]).order_by("at").first()
    assert first.at == datetime(2026, 11, 1, 23, 51, tzinfo=UTC)  # 07:51 Beijing time
    assert first.direction == Attendance.Direction.IN and first.terminal == "GATE-01" and first.project_id == world.projects["housing_b"].pk
    event = Event.objects.filter(action="payroll.import").order_by("-seq").first()
    assert Event.objects.filter(action="payroll.import").count() == before_events + 1
    assert event.payload_data["created"] == 12 and event.payload_data["file_sha256"] == job.file_sha256 and event.payload_data["months"] == ["2026-11-01"]
    again = run_file(world, Kind.ATTENDANCE, csv_bytes(attendance_rows()))
    assert (again.status, again.rows_created, again.rows_unchanged) == ("done", 0, 12)
    assert Attendance.objects.count() == 12


def test_every_rejected_row_is_reported_and_nothing_is_written(world, roster):
    stranger = id_number(99)
    rows = attendance_rows() + [
        [stranger, "", "2026-11-05 08:00:00", "进", "", ""],
        [id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1"), "", "2026-11-05 08:00:00", "进", "", ""],
        [id_number(2), "", "2026-11-31 08:00:00", "进", "", ""],
        [id_number(2), "", "2026-11-06 08:00:00", "上", "", ""],
        [id_number(2), "", "", "出", "", ""],
    ]
    job = run_file(world, Kind.ATTENDANCE, csv_bytes(rows))
    assert job.status == ImportJob.Status.REJECTED
    assert Attendance.objects.count() == 0
    by_row = {(r["row"], r["field"]): r for r in job.rejected}
    assert by_row[(14, "id_number")]["reason"] == "不在本项目花名册,请先导入花名册"
    assert "*" in by_row[(14, "id_number")]["value"] and stranger not in str(job.rejected)
    assert "校验码" in by_row[(15, "id_number")]["reason"]
    assert "格式不正确" in by_row[(16, "time")]["reason"]
    assert "进 或 出" in by_row[(17, "direction")]["reason"]
    assert "必填" in by_row[(18, "time")]["reason"]
    assert len(job.rejected) == 5 and "5行有错误" in job.error


def test_missing_column_rejects_the_file(world, roster):
    job = run_file(world, Kind.ATTENDANCE, csv_bytes([["身份证号", "考勤时间"], [id_number(1), "2026-11-02 08:00"]]))
    assert job.status == "rejected" and "方向" in job.error and Attendance.objects.count() == 0


def test_gb18030_csv_and_xlsx(world, roster):
    job = run_file(world, Kind.ATTENDANCE, csv_bytes(attendance_rows(), encoding="gb18030"))
    assert job.status == "done" and job.rows_created == 12
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "考勤时间", "方向", "设备编号"])
    sheet.append([id_number(3), datetime(2026, 11, 9, 8, 0), "进", "GATE-02"])
    sheet.append([id_number(3), datetime(2026, 11, 9, 17, 30), "出", "GATE-02"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = run_file(world, Kind.ATTENDANCE, buffer.getvalue(), filename="考勤.xlsx")
    assert job.status == "done", job.rejected
    assert job.rows_created == 2 and Attendance.objects.filter(project_worker=roster[3]).count() == 2


PAYROLL_HEADER = ["身份证号", "姓名", "月份", "出勤天数", "应发金额", "实发金额", "补发"]


def test_payroll_import_update_and_unchanged(world, roster):
    rows = [PAYROLL_HEADER, [id_number(1), "张三", "2026-11", "22", "7700", "7700", "否"], [id_number(2), "李四", "2026年11月", "21", "9000.00", "8000", ""]]
    job = run_file(world, Kind.PAYROLL, csv_bytes(rows))
    assert (job.status, job.rows_created) == ("done", 2), job.rejected
    sheet = PayrollSheet.objects.get(project=world.projects["housing_b"], month=date(2026, 11, 1))
    assert sheet.lines.count() == 2 and sheet.submitted_by == world.users["labour_manager"]
    assert run_file(world, Kind.PAYROLL, csv_bytes(rows)).rows_unchanged == 2
    rows[2][5] = "9000"
    job = run_file(world, Kind.PAYROLL, csv_bytes(rows))
    assert (job.rows_created, job.rows_updated, job.rows_unchanged) == (0, 1, 1)
    assert PayrollLine.objects.get(project_worker=roster[2]).amount_paid == Decimal("9000")
    event = Event.objects.filter(action="payroll.import").order_by("-seq").first()
    assert event.payload_data["updated"] == 1
    assert event.payload_data["changes"] == [{"project_worker": roster[2].pk, "month": "2026-11-01", "amount_paid": ["8000.00", "9000.00"]}]


def test_quantities_disbursements_and_instalments(world, roster):
    job = run_file(world, Kind.QUANTITIES, csv_bytes([["身份证号", "月份", "数量", "计量单位"], [id_number(3), "2026-11", "120.5", "平方米"]]))
    assert job.status == "done" and WorkQuantity.objects.get().quantity == Decimal("120.500")
    rows = [
        ["银行流水号", "付款时间", "收款人", "收款账号", "金额", "工资所属月份"],
        ["B1", "2026-12-01 10:00:00", "张三", "6222020200000000001", "7700", "2026-11"],
        ["B2", "2026-12-01 10:00:01", "李四", "6222 0202 0000 0000 002", "9000", ""],
    ]
    job = run_file(world, Kind.DISBURSEMENTS, csv_bytes(rows))
    assert (job.status, job.rows_created) == ("done", 2), job.rejected
    b2 = BankDisbursement.objects.get(reference="B2")
    assert b2.payee_account == "6222020200000000002" and b2.month == date(2026, 11, 1) and b2.amount == Decimal("9000")
    assert b2.payee_account_digest == ProjectWorker.objects.get(worker__name="李四").bank_card_digest
    assert run_file(world, Kind.DISBURSEMENTS, csv_bytes(rows)).rows_unchanged == 2
    rows[2][4] = "9500"
    job = run_file(world, Kind.DISBURSEMENTS, csv_bytes(rows))
    assert job.status == "rejected" and "金额" in job.rejected[0]["reason"] and BankDisbursement.objects.get(reference="B2").amount == Decimal("9000")
    job = run_file(world, Kind.INSTALMENTS, csv_bytes([["流水号", "拨付日期", "金额", "拨付单位"], ["R1", "2026-11-05", "300000", "西城置业有限公司"]]))
    assert job.status == "done" and LabourCostInstalment.objects.get().amount == Decimal("300000")


def test_payments_dated_in_the_future_or_before_2000_are_refused(world, roster):
    """A bank record or a labour-cost instalment is something that has happened: the README's example
    bank file, dated a week ahead, was accepted."""
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = timezone.localtime() + timedelta(days=1)
    rows = [
        ["银行流水号", "付款时间", "收款人", "收款账号", "金额", "工资所属月份"],
        ["F1", tomorrow.strftime("%Y-%m-%d %H:%M:%S"), "张三", "6222020200000000001", "7700", "2026-11"],
        ["F2", "1999-12-31 10:00:00", "张三", "6222020200000000001", "7700", "2026-11"],
    ]
    job = run_file(world, Kind.DISBURSEMENTS, csv_bytes(rows))
    assert job.status == "rejected" and not BankDisbursement.objects.exists()
    reasons = {r["row"]: r["reason"] for r in job.rejected}
    assert "晚于当前时间" in reasons[2] and "早于2000年" in reasons[3]
    job = run_file(world, Kind.INSTALMENTS, csv_bytes([["流水号", "拨付日期", "金额", "拨付单位"], ["R2", tomorrow.strftime("%Y-%m-%d"), "1", ""]]))
    assert job.status == "rejected" and "晚于今天" in job.rejected[0]["reason"] and not LabourCostInstalment.objects.exists()


def test_json_push_uses_english_keys(world, roster):
    rows = [
        {"id_number": id_number(1), "time": "2026-11-10T07:58:00+08:00", "direction": "in", "terminal": "G1"},
        {"id_number": id_number(1), "time": "2026-11-10 18:00:00", "direction": 2},
    ]
    job = import_rows_push(actor=world.users["tax_feed"], project=world.projects["housing_b"], kind=Kind.ATTENDANCE, rows=rows)
    assert (job.status, job.rows_created) == ("done", 2), job.rejected
    bad = import_rows_push(actor=world.users["tax_feed"], project=world.projects["housing_b"], kind=Kind.ATTENDANCE, rows=[{"id_number": "x", "time": "t", "direction": "in"}])
    assert bad.status == "rejected" and {r["row"] for r in bad.rejected} == {0}


def test_the_documented_example_files_import(world):
    """docs/examples/payroll/: every file imports in the documented order; the GB18030 and
    .xlsx copies of the attendance file add nothing; the JSON pushes import too."""
    import json
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "docs" / "examples" / "payroll"
    world_team_enterprise = {"teams.csv": ("信达建筑劳务分包有限公司", world.enterprises["contractor_a"].name)}  # the README's demo name
    order = [
        (Kind.TEAMS, "teams.csv", 2), (Kind.WORKERS, "workers.csv", 3), (Kind.ATTENDANCE, "attendance.csv", 30),
        (Kind.ATTENDANCE, "attendance-gb18030.csv", 0), (Kind.ATTENDANCE, "attendance.xlsx", 0), (Kind.QUANTITIES, "quantities.csv", 1),
        (Kind.PAYROLL, "payroll.csv", 3), (Kind.DISBURSEMENTS, "disbursements.csv", 3), (Kind.INSTALMENTS, "instalments.csv", 1),
    ]
    for kind, name, created in order:
        data = (folder / name).read_bytes()
        if name in world_team_enterprise:
            old, new = world_team_enterprise[name]
            data = data.replace(old.encode(), new.encode())
        job = run_file(world, kind, data, filename=name)
        assert (job.status, job.rows_created) == ("done", created), (name, job.error, job.rejected)
    for kind, name in ((Kind.ATTENDANCE, "attendance.json"), (Kind.DISBURSEMENTS, "disbursements.json")):
        rows = json.loads((folder / name).read_text())
        job = import_rows_push(actor=world.users["tax_feed"], project=world.projects["housing_b"], kind=kind, rows=rows)
        assert (job.status, job.rows_created) == ("done", len(rows)), (name, job.rejected)


def test_months_touched_are_queued_for_reconciliation(world, roster, monkeypatch):
    calls = []
    import wagewatch.payroll.reconciliation as reconciliation

    monkeypatch.setattr(reconciliation, "reconcile_later", lambda **kw: calls.append(kw))
    rows = attendance_rows() + [[id_number(1), "", "2026-10-31 23:30:00", "出", "", ""]]
    run_file(world, Kind.ATTENDANCE, csv_bytes(rows))
    assert calls == [{"project_id": world.projects["housing_b"].pk, "months": [date(2026, 10, 1), date(2026, 11, 1)]}]
    run_file(world, Kind.ATTENDANCE, csv_bytes(rows))  # nothing new: nothing to reconcile again
    assert len(calls) == 1
    rows = [["银行流水号", "付款时间", "收款人", "收款账号", "金额"], ["B9", "2026-12-01 00:30:00", "张三", "6222020200000000001", "100"]]
    run_file(world, Kind.DISBURSEMENTS, csv_bytes(rows))
    assert calls[-1]["months"] == [date(2026, 11, 1)]  # paid in December (Beijing time): November's wages


def test_unreadable_files_are_rejected_with_a_chinese_reason(world, roster):
    ragged = run_file(world, Kind.ATTENDANCE, "身份证号,考勤时间,方向\n1,2,3,4\n".encode())
    assert ragged.status == "rejected" and "列数" in ragged.error
    old_excel = run_file(world, Kind.ATTENDANCE, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, filename="考勤.xls")
    assert old_excel.status == "rejected" and ".xlsx" in old_excel.error
    assert Attendance.objects.count() == 0
