"""A CSV with an unbalanced quote (or any bad cell) must not carry a person's ID, phone or bank
card number into what is kept: the job's error, its rejected-row report, the history, the page
and the API answer. Payroll workers import, and the registry and complaint importers."""

from __future__ import annotations

import json

from wagewatch.history.models import Event
from wagewatch.payroll.models import ImportJob
from wagewatch.payroll.services.imports import import_job_create, import_job_process, import_rows_push

from .test_imports import ROSTER, id_number

ID = id_number(1)
PHONE = "13812345678"
CARD = "6222021234567890123"
CLEAR = (ID, PHONE, CARD)


def _assert_no_clear_number(*texts):
    for text in texts:
        for number in CLEAR:
            assert number not in text, f"{number} in {text[:300]}"


def _all_events() -> str:
    return "\n".join(Event.objects.values_list("payload", flat=True))


def test_unbalanced_quote_in_workers_csv_leaves_no_number_in_job_report_or_history(world, client):
    header = ",".join(ROSTER[0])
    line = f'{ID},张三,"{PHONE},{CARD},工商银行,钢筋工,钢筋班,2026-03-01,按日计薪,350,2026-03-01'
    other = f"{id_number(2)},李四,13900000002,6222020200000000002,工商银行,木工,木工班,2026-03-01,按月计薪,9000,"
    data = f"{header}\n{line}\n{other}\n".encode()
    manager = world.users["labour_manager"]
    job = import_job_create(actor=manager, project=world.projects["housing_b"], kind=ImportJob.Kind.WORKERS, data=data, filename="roster.csv")
    job = import_job_process(job.pk)
    assert job.status == ImportJob.Status.REJECTED
    assert "第2行" in job.error and "引号" in job.error  # says where, in Chinese
    assert "张三" not in job.error  # and never what the row held
    job.refresh_from_db()
    _assert_no_clear_number(job.error, json.dumps(job.rejected, ensure_ascii=False), _all_events())
    client.force_login(manager)
    page = client.get(f"/payroll/projects/{job.project_id}/imports/{job.pk}/")
    if page.status_code == 404:  # the URL layout of the import pages
        from django.urls import reverse

        page = client.get(reverse("payroll:import_detail", kwargs={"project_id": job.project_id, "job_id": job.pk}))
    assert page.status_code == 200
    _assert_no_clear_number(page.content.decode())


def test_a_personal_number_in_a_non_personal_cell_is_masked_in_the_report(world):
    # Columns shifted: the phone landed in the wage column, the card and the ID in date columns.
    rows = [{"id_number": ID, "name": "张三", "bank_card": CARD, "agreed_rate": PHONE, "entry_date": CARD, "contract_signed_on": ID}]
    job = import_rows_push(actor=world.users["labour_manager"], project=world.projects["housing_b"], kind=ImportJob.Kind.WORKERS, rows=rows)
    assert job.status == ImportJob.Status.REJECTED, job.status
    assert len(job.rejected) == 2, job.rejected
    _assert_no_clear_number(json.dumps(job.rejected, ensure_ascii=False), job.error, _all_events())
    job.refresh_from_db()
    _assert_no_clear_number(json.dumps(job.rejected, ensure_ascii=False))


def test_registry_csv_with_unbalanced_quote_reports_no_clear_number(world):
    from wagewatch.registry.importers import enterprises_import

    header = "企业名称,统一社会信用代码,法定代表人,法定代表人身份证号,联系电话,地址,所属辖区,行业,规模,职工人数"
    data = f'{header}\n宏达劳务,"91110105MA01ABCD26,张三,{ID},{PHONE},卡{CARD},110105001,房屋建筑,小型,35\n西花食堂,,,,,,西城街道,餐饮,微型,\n'.encode()
    report = enterprises_import(actor=world.users["office_staff"], data=data, filename="企业.csv")
    assert not report.ok
    _assert_no_clear_number(json.dumps(report.to_dict(), ensure_ascii=False), "\n".join(r for p in report.rejected for r in p.reasons), _all_events())


def test_complaint_batch_with_unbalanced_quote_reports_no_clear_number(world):
    from wagewatch.intake import importers
    from wagewatch.intake.models import Channel, ImportBatch

    header = "渠道编号,收到时间,投诉人姓名,投诉人电话,身份证号,涉及人数,欠薪金额,欠薪期间起,欠薪期间止,用人单位,统一社会信用代码,项目名称,项目编号,工地地址,所属街道(辖区编码或名称),行业,分包链条,投诉内容"
    data = f'{header}\n12345-0001,"2026-11-20 09:30,张三,{PHONE},{ID},3,18000,2026-08-01,2026-10-31,某公司,,,,,东城街道,,,卡号{CARD}\n'.encode()
    report = importers.complaints_import(actor=world.users["clerk"], channel=Channel.HOTLINE_12345, data=data, filename="clues.csv", dispatch=False)
    assert not report.ok
    stored = ImportBatch.objects.get(pk=report.batch_id).report if report.batch_id else {}
    _assert_no_clear_number(json.dumps(report.to_dict(), ensure_ascii=False), json.dumps(stored, ensure_ascii=False), _all_events())
