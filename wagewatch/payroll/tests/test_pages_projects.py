"""Project supervision pages: who sees and who writes, masking and reveal, the rates and
findings on the page, the small-project obligation, and no N+1."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from wagewatch.history.models import Event
from wagewatch.payroll.models import (
    Finding,
    FindingKind,
    GuaranteeDeposit,
    PayrollWarning,
    ProjectWorker,
    SiteRecord,
    Team,
    WageAccount,
)
from wagewatch.payroll.services import roster

from .roster_factories import MONTH, card, disburse, enter, id_number, pay, punch


@pytest.fixture
def housing(world):
    return world.projects["housing_b"]


def _page(client, user, project, **params):
    client.force_login(user)
    return client.get(reverse("payroll:project", args=[project.pk]), {"month": "2026-03", **params})


def test_office_and_labour_manager_see_the_project_page(client, world, housing):
    pw = enter(world, housing, 1)
    punch(pw, date(2026, 3, 2))
    for key in ("office_staff", "labour_manager", "housing_handler", "street_b_handler", "inspector"):
        response = _page(client, world.users[key], housing)
        assert response.status_code == 200, key
        body = response.content.decode()
        assert "工人1" in body and "8个100%" in body and "劳动合同签订" in body


def test_labour_manager_cannot_see_or_write_a_project_not_his(client, world):
    road = world.projects["road_a"]
    client.force_login(world.users["labour_manager"])
    assert client.get(reverse("payroll:project", args=[road.pk])).status_code == 404
    for name in ("worker_enter", "team_create", "wage_account", "deposit_add", "site_record"):
        assert client.get(reverse(f"payroll:{name}", args=[road.pk])).status_code == 404, name
        assert client.post(reverse(f"payroll:{name}", args=[road.pk]), {"name": "x"}).status_code == 404, name
    assert not ProjectWorker.objects.filter(project=road).exists()
    listed = client.get(reverse("payroll:project_list")).context["page"].object_list
    assert [p.pk for p in listed] == [world.projects["housing_b"].pk]


def test_readers_in_scope_cannot_write(client, world, housing):
    client.force_login(world.users["housing_handler"])
    assert client.get(reverse("payroll:worker_enter", args=[housing.pk])).status_code == 403
    body = client.get(reverse("payroll:project", args=[housing.pk])).content.decode()
    assert "进场登记" not in body


def test_labour_manager_enters_a_worker_through_the_page(client, world, housing):
    client.force_login(world.users["labour_manager"])
    url = reverse("payroll:worker_enter", args=[housing.pk])
    bad = client.post(url, {"name": "张三", "id_number": "110105198001010000", "entry_date": "2026-03-01", "wage_basis": "daily", "agreed_rate": "350"})
    assert bad.status_code == 422
    assert "身份证号码不正确" in bad.content.decode()
    assert not ProjectWorker.objects.exists()
    ok = client.post(
        url,
        {"name": "张三", "id_number": id_number(7), "entry_date": "2026-03-01", "wage_basis": "daily", "agreed_rate": "350", "bank_card": card(7)},
    )
    assert ok.status_code == 302
    pw = ProjectWorker.objects.get()
    assert pw.worker.name == "张三" and pw.agreed_rate == Decimal("350")
    exit_url = reverse("payroll:worker_exit", args=[housing.pk, pw.pk])
    assert client.post(exit_url, {"exit_date": "2026-02-01"}).status_code == 422  # before entry
    assert client.post(exit_url, {"exit_date": "2026-03-20", "settled_on": "2026-03-25"}).status_code == 302
    pw.refresh_from_db()
    assert pw.exit_date == date(2026, 3, 20) and pw.settled_on == date(2026, 3, 25)


def test_other_forms_write_through_services(client, world, housing):
    client.force_login(world.users["labour_manager"])
    assert client.post(reverse("payroll:team_create", args=[housing.pk]), {"name": "木工班"}).status_code == 302
    assert Team.objects.filter(project=housing, name="木工班").exists()
    url = reverse("payroll:wage_account", args=[housing.pk])
    assert client.post(url, {"bank_name": "农业银行", "account_number": "6228480000001111", "opened_on": "2026-01-10", "pay_day": "15"}).status_code == 302
    assert WageAccount.objects.get(project=housing).account_number == "6228480000001111"
    url = reverse("payroll:deposit_add", args=[housing.pk])
    assert client.post(url, {"amount": "800000", "bank_name": "建设银行", "form": "cash", "deposited_on": "2026-01-15"}).status_code == 302
    deposit = GuaranteeDeposit.objects.get(project=housing)
    url = reverse("payroll:deposit_release", args=[housing.pk, deposit.pk])
    assert client.post(url, {"released_on": "2026-01-01"}).status_code == 422
    assert client.post(url, {"released_on": "2026-12-01"}).status_code == 302
    url = reverse("payroll:site_record", args=[housing.pk])
    assert client.post(url, {"work_injury_policy_number": "GS-001", "rights_board_posted_on": "2026-01-20"}).status_code == 302
    assert SiteRecord.objects.get(project=housing).work_injury_policy_number == "GS-001"
    body = client.get(reverse("payroll:project", args=[housing.pk]), {"month": "2026-03"}).content.decode()
    assert "农业银行" in body and "6228480000001111" not in body and "**** **** **** 1111" in body


def test_personal_data_masked_and_reveal_recorded(client, world, housing):
    pw = enter(world, housing, 3)
    body = _page(client, world.users["office_staff"], housing).content.decode()
    assert id_number(3) not in body and card(3) not in body and pw.phone not in body
    assert id_number(3)[:3] + "*" in body
    # Office staff may reveal phones but not ID numbers.
    url = reverse("payroll:worker_reveal", args=[housing.pk, pw.pk, "id_number"])
    assert client.post(url).status_code == 403
    client.force_login(world.users["labour_manager"])
    response = client.post(url)
    assert response.status_code == 200 and id_number(3) in response.content.decode()
    assert Event.objects.filter(action="personal_data.revealed", object_id=str(pw.worker.pk)).count() == 1
    client.force_login(world.users["labour_manager"])
    road_url = reverse("payroll:worker_reveal", args=[world.projects["road_a"].pk, pw.pk, "id_number"])
    assert client.post(road_url).status_code == 404


def test_rates_findings_and_warning_on_the_page(client, world, housing):
    a = enter(world, housing, 1)
    b = enter(world, housing, 2, contract=None)
    punch(a, date(2026, 3, 3))
    sheet = pay(housing, MONTH, [(a, "3000"), (b, "3000")])
    disburse(housing, a, "3000", ref="R1")
    paid_b = disburse(housing, b, "1800", ref="R-B-0001")
    now = timezone.now()
    Finding.objects.create(
        project=housing, month=MONTH, kind=FindingKind.SHORTFALL, level="orange", subject=f"pw:{b.pk}", project_worker=b,
        amount=Decimal("1200"), detail={"basis": "daily", "expected": "3000", "bank_paid": "1800", "shortfall": "1200"},
        evidence={"payroll_line_ids": [sheet.lines.get(project_worker=b).pk], "disbursement_ids": [paid_b.pk], "attendance_ids": []},
        first_found_at=now, last_found_at=now,
    )
    PayrollWarning.objects.create(project=housing, month=MONTH, level="orange", findings_count=1, shortfall_total=Decimal("1200"), workers_affected=1)
    body = _page(client, world.users["office_staff"], housing).content.decode()
    assert "少发工资" in body and "1,200.00" in body
    # The evidence: the figures in Chinese and the rows behind them, the account masked.
    assert "少发:1200" in body and "按日计薪" in body and "工资表明细" in body and "R-B-0001" in body
    assert card(2) not in body and "**** **** **** " + card(2)[-4:] in body
    assert "橙色预警" in body
    rates = {r.key: r for r in client.get(reverse("payroll:project", args=[housing.pk]), {"month": "2026-03"}).context["rates"]}
    assert (rates["contracts"].numerator, rates["contracts"].denominator) == (1, 2)
    assert [w["name"] for w in rates["contracts"].behind] == ["工人2"]
    assert (rates["attendance"].numerator, rates["attendance"].denominator) == (1, 2)
    assert rates["bank_payroll"].percent == Decimal("80.0")  # 3000 + 1800 of 6000
    assert rates["paid_in_full"].numerator == 1
    listed = client.get(reverse("payroll:project_list"), {"warning": "orange", "month": "2026-03"})
    assert [p.pk for p in listed.context["page"].object_list] == [housing.pk]
    assert "橙色" in listed.content.decode()
    listed = client.get(reverse("payroll:project_list"), {"warning": "none"})
    assert [p.pk for p in listed.context["page"].object_list] == [world.projects["road_a"].pk]


def test_small_project_obligation_shown(client, world):
    road = world.projects["road_a"]
    road.under_full_supervision = False
    road.save(update_fields=["under_full_supervision"])
    SiteRecord.objects.create(project=road, completed_on=timezone.localdate() - timedelta(days=40))
    body = _page(client, world.users["office_staff"], road).content.decode()
    assert "竣工后30日内上传" in body and "已逾期未上传" in body


def test_project_page_and_list_have_no_n_plus_one(client, world, housing):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.users["office_staff"])

    def count(url, params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, params).status_code == 200
        return len(ctx.captured_queries)

    team = roster.team_create(actor=world.users["labour_manager"], project=housing, name="钢筋班")
    now = timezone.now()

    def finding(pw, ref):
        line = pay(housing, MONTH, [(pw, "100")]).lines.get(project_worker=pw)
        Finding.objects.create(
            project=housing, month=MONTH, kind=FindingKind.SHORTFALL, level="orange", subject=f"pw:{pw.pk}", project_worker=pw,
            amount=Decimal("100"), detail={"shortfall": "100"}, first_found_at=now, last_found_at=now,
            evidence={"payroll_line_ids": [line.pk], "disbursement_ids": [disburse(housing, pw, "1", ref=ref).pk],
                      "attendance_ids": [punch(pw, date(2026, 3, 4)).pk], "project_worker_ids": [pw.pk]},
        )

    for n in range(3):
        pw = enter(world, housing, 100 + n, team=team)
        finding(pw, f"F{n}")
    detail = reverse("payroll:project", args=[housing.pk])
    count(detail, {"month": "2026-03"})  # warm-up: the session's first request loads more
    few_detail, few_list = count(detail, {"month": "2026-03"}), count(reverse("payroll:project_list"), {"month": "2026-03"})
    for n in range(12):
        pw = enter(world, housing, 200 + n, team=team, contract=None if n % 2 else date(2026, 1, 2))
        finding(pw, f"G{n}")
    assert count(detail, {"month": "2026-03"}) == few_detail
    assert count(reverse("payroll:project_list"), {"month": "2026-03"}) == few_list
    assert few_detail <= 30, few_detail  # the page's own ~25 (rates 7, months 3, evidence 4, ...) plus session, user, menu badge


def test_registry_pages_show_the_payroll_section_and_warnings(client, world, housing):
    PayrollWarning.objects.create(project=housing, enterprise=world.enterprises["contractor_a"], month=MONTH, level="red", findings_count=3)
    client.force_login(world.users["office_staff"])
    body = client.get(reverse("registry:project_detail", args=[housing.pk])).content.decode()
    assert reverse("payroll:project", args=[housing.pk]) in body and "红色预警" in body
    body = client.get(reverse("registry:enterprise_detail", args=[world.enterprises["contractor_a"].pk])).content.decode()
    assert "所涉项目的欠薪预警" in body and "西城花园二期" in body
    assert reverse("payroll:project_list") in body  # the menu entry
    # A street that does not see housing_b sees the contractor but not that project's warning.
    client.force_login(world.users["street_a_handler"])
    body = client.get(reverse("registry:enterprise_detail", args=[world.enterprises["contractor_a"].pk])).content.decode()
    assert "所涉项目的欠薪预警" in body and "西城花园二期" not in body


def test_admin_is_read_only_and_masked(client, world, housing):
    pw = enter(world, housing, 21)
    client.force_login(world.users["admin"])
    for model in ("worker", "projectworker", "team", "wageaccount", "bankdisbursement", "finding", "payrollwarning", "attendance", "findingrule"):
        response = client.get(reverse(f"admin:payroll_{model}_changelist"))
        assert response.status_code == 200, model
    body = client.get(reverse("admin:payroll_worker_change", args=[pw.worker_id])).content.decode()
    assert id_number(21) not in body and id_number(21)[-4:] in body
    assert client.get(reverse("admin:payroll_worker_add")).status_code == 403


def test_months_table_counts_worker_days(client, world, housing):
    a, b = enter(world, housing, 31), enter(world, housing, 32)
    punch(a, date(2026, 3, 2), hour=8)
    punch(a, date(2026, 3, 2), hour=18)
    punch(a, date(2026, 3, 3))
    punch(b, date(2026, 3, 31), hour=23)  # still March in Shanghai
    punch(b, date(2026, 2, 27))
    pay(housing, MONTH, [(a, "600"), (b, "300")])
    disburse(housing, a, "600", ref="M1")
    months = {m["month"]: m for m in _page(client, world.users["office_staff"], housing).context["months"]}
    march = months[MONTH]
    assert (march["workers"], march["worker_days"], march["punches"]) == (2, 3, 4)
    assert march["paid"] == Decimal("900") and march["bank"] == Decimal("600") and march["lines"] == 2
    assert months[date(2026, 2, 1)]["worker_days"] == 1


def test_payroll_sheet_typed_in_a_page(client, world, housing):
    from wagewatch.payroll.models import PayrollSheet

    a, b = enter(world, housing, 41), enter(world, housing, 42)
    enter(world, housing, 43, entry=date(2026, 4, 2))  # not on the March roster
    client.force_login(world.users["labour_manager"])
    url = reverse("payroll:payroll_sheet", args=[housing.pk, 2026, 3])
    page = client.get(url)
    assert page.status_code == 200 and len(page.context["rows"]) == 2
    bad = client.post(url, {f"due_{a.pk}": "3000", f"paid_{a.pk}": "三千", f"due_{b.pk}": "2000", f"paid_{b.pk}": "2000"})
    assert bad.status_code == 422 and "工人41" in bad.content.decode() and not PayrollSheet.objects.exists()
    assert "三千" in bad.content.decode()  # what was typed stays in the form
    ok = client.post(url, {f"due_{a.pk}": "3000", f"paid_{a.pk}": "2800", f"days_{a.pk}": "10", f"due_{b.pk}": "", f"paid_{b.pk}": ""})
    assert ok.status_code == 302
    sheet = PayrollSheet.objects.get(project=housing, month=MONTH)
    assert [(line.project_worker_id, line.amount_paid) for line in sheet.lines.all()] == [(a.pk, Decimal("2800"))]
    rows = {r["pw"].pk: r for r in client.get(url).context["rows"]}
    assert rows[a.pk]["paid"] == Decimal("2800") and rows[b.pk]["paid"] == ""
    client.force_login(world.users["housing_handler"])
    assert client.get(url).status_code == 403
    client.force_login(world.users["labour_manager"])
    assert client.get(reverse("payroll:payroll_sheet", args=[world.projects["road_a"].pk, 2026, 3])).status_code == 404
