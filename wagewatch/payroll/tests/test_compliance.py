"""The "8个100%" computed from the data, the five systems checklist, and the small-project
upload obligation with its weekly chase."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from wagewatch.history.models import Event
from wagewatch.notify.models import Notification
from wagewatch.payroll import compliance
from wagewatch.payroll.models import Finding, FindingKind, LabourCostInstalment
from wagewatch.payroll.services import roster
from wagewatch.payroll.tasks_obligations import TITLE, records_uploads_chase

from .roster_factories import MONTH, disburse, enter, pay, punch


def _rates(project, month=MONTH):
    return {r.key: r for r in compliance.rates_for(project, month)}


def test_a_fully_compliant_month_is_all_100(world):
    housing, manager = world.projects["housing_b"], world.users["labour_manager"]
    workers = [enter(world, housing, n) for n in range(1, 4)]
    for pw in workers:
        punch(pw, date(2026, 3, 2))
    pay(housing, MONTH, [(pw, "6000") for pw in workers])
    for n, pw in enumerate(workers):
        disburse(housing, pw, "6000", ref=f"R{n}")
    roster.wage_account_open(actor=manager, project=housing, bank_name="农行", account_number="6228480000001234", opened_on=date(2026, 1, 2))
    roster.guarantee_deposit_add(actor=manager, project=housing, amount="500000", bank_name="建行", deposited_on=date(2026, 1, 3))
    roster.site_record_update(actor=manager, project=housing, work_injury_policy_number="GS-1", rights_board_posted_on=date(2026, 1, 4))
    LabourCostInstalment.objects.create(project=housing, paid_on=date(2026, 3, 1), amount=Decimal("20000"), reference="L1")
    rates = compliance.rates_for(housing, MONTH)
    assert [r.percent for r in rates] == [Decimal("100.0")] * 8, [(r.key, r.percent) for r in rates]
    assert all(item.ok for item in compliance.checklist(housing, MONTH, rates))
    # The bulk path (list pages) gives the same figures.
    bulk = compliance.project_rates([housing, world.projects["road_a"]], MONTH)[housing.pk]
    assert [(r.numerator, r.denominator) for r in bulk] == [(r.numerator, r.denominator) for r in rates]


def test_a_worker_without_contract_lowers_the_contract_rate_and_is_listed(world):
    housing = world.projects["housing_b"]
    enter(world, housing, 1)
    enter(world, housing, 2, contract=None, name="无合同")
    enter(world, housing, 3, contract=date(2026, 4, 2), name="四月才签")  # signed after the month
    enter(world, housing, 4, entry=date(2026, 4, 1), contract=None, name="四月进场")  # not on the roster in March
    rate = _rates(housing)["contracts"]
    assert (rate.numerator, rate.denominator, rate.percent) == (1, 3, Decimal("33.3"))
    assert sorted(w["name"] for w in rate.behind) == ["四月才签", "无合同"]
    assert rate.level == "red" and not rate.ok
    assert _rates(housing, date(2026, 4, 1))["contracts"].numerator == 2


def test_attendance_rate_counts_only_the_month_in_shanghai_time(world):
    housing = world.projects["housing_b"]
    a, b, c = (enter(world, housing, n) for n in (1, 2, 3))
    punch(a, date(2026, 3, 31), hour=23)  # 23:00 Shanghai on 31 March: March
    punch(b, date(2026, 4, 1), hour=0)  # 00:00 on 1 April: April
    exited = enter(world, housing, 4)
    roster.project_worker_exit(actor=world.users["labour_manager"], project_worker=exited, exit_date=date(2026, 2, 20))
    rate = _rates(housing)["attendance"]
    assert (rate.numerator, rate.denominator) == (1, 3)
    assert sorted(w["name"] for w in rate.behind) == [b.worker.name, c.worker.name]


def test_bank_payroll_counts_only_money_to_the_workers_own_card(world):
    housing = world.projects["housing_b"]
    a, b, c = (enter(world, housing, n) for n in (1, 2, 3))
    pay(housing, MONTH, [(a, "5000"), (b, "4000"), (c, "1000")])
    disburse(housing, a, "5000", ref="R1")
    disburse(housing, "6222000011112222", "4000", ref="R2", name="班组长")  # b's wage to the foreman's card
    disburse(housing, c, "600", ref="R3")  # c partly paid
    disburse(housing, a, "999", ref="R4", month=date(2026, 2, 1))  # another month's wage
    rate = _rates(housing)["bank_payroll"]
    assert (rate.numerator, rate.denominator) == (Decimal("5600"), Decimal("10000"))
    assert rate.percent == Decimal("56.0")
    assert {(w["name"], w["matched"]) for w in rate.behind} == {(b.worker.name, Decimal("0")), (c.worker.name, Decimal("600"))}


def test_paid_in_full_from_open_findings(world):
    housing = world.projects["housing_b"]
    a, b = enter(world, housing, 1), enter(world, housing, 2)
    now = timezone.now()
    for kind, status in ((FindingKind.SHORTFALL, Finding.Status.OPEN), (FindingKind.LATE_PAYMENT, Finding.Status.RESOLVED)):
        Finding.objects.create(
            project=housing, month=MONTH, kind=kind, level="orange", subject=f"pw:{a.pk if kind == 'shortfall' else b.pk}",
            project_worker=a if kind == FindingKind.SHORTFALL else b, amount=Decimal("300"), first_found_at=now, last_found_at=now, status=status,
        )
    rate = _rates(housing)["paid_in_full"]
    assert (rate.numerator, rate.denominator) == (1, 2)
    assert [(f["name"], f["kind"]) for f in rate.behind] == [(a.worker.name, "少发工资")]


def test_project_records_deposit_account_and_empty_months(world):
    housing, manager = world.projects["housing_b"], world.users["labour_manager"]
    rates = _rates(housing)
    assert rates["contracts"].percent is None and rates["bank_payroll"].percent is None  # nothing to measure
    assert rates["deposit"].percent == Decimal("0.0") and rates["wage_account"].percent == Decimal("0.0")
    deposit = roster.guarantee_deposit_add(actor=manager, project=housing, amount="1", bank_name="建行", deposited_on=date(2026, 1, 3))
    roster.guarantee_deposit_release(actor=manager, deposit=deposit, released_on=date(2026, 3, 10))
    assert _rates(housing)["deposit"].percent == Decimal("0.0")  # released before the end of March
    assert _rates(housing, date(2026, 2, 1))["deposit"].percent == Decimal("100.0")
    roster.wage_account_open(actor=manager, project=housing, bank_name="农行", account_number="6228480000001234", opened_on=date(2026, 4, 2))
    assert _rates(housing)["wage_account"].percent == Decimal("0.0")  # opened after March
    checklist = {c.key: c for c in compliance.checklist(housing, MONTH, compliance.rates_for(housing, MONTH))}
    assert not checklist["instalments"].ok and "未见人工费拨付" in checklist["instalments"].note


def _small_completed(world, days_ago: int):
    road = world.projects["road_a"]
    road.under_full_supervision = False
    road.save(update_fields=["under_full_supervision"])
    roster.site_record_update(actor=world.users["office_staff"], project=road, completed_on=timezone.localdate() - timedelta(days=days_ago))
    return road


def test_upload_obligation(world):
    road = _small_completed(world, 10)
    site = road.site_record
    obligation = compliance.upload_obligation(road, site)
    assert obligation.applies and not obligation.overdue
    assert obligation.due_at.date() == site.completed_on + timedelta(days=30)
    site.completed_on -= timedelta(days=30)
    assert compliance.upload_obligation(road, site).overdue
    site.records_uploaded_on = site.completed_on + timedelta(days=31)
    assert compliance.upload_obligation(road, site).late
    assert not compliance.upload_obligation(world.projects["housing_b"], site).applies  # under full supervision


def test_chase_notifies_contractor_and_authority_once_a_week(world):
    road = _small_completed(world, 45)
    road.general_contractor = world.enterprises["contractor_a"]
    road.save(update_fields=["general_contractor"])
    _small_completed(world, 5)  # not due yet: the same project, so only check it is the overdue one
    roster.site_record_update(actor=world.users["office_staff"], project=road, completed_on=timezone.localdate() - timedelta(days=45))
    assert records_uploads_chase() == [road.pk]
    sent = Notification.objects.filter(title=TITLE)
    assert {n.recipient_organisation_id for n in sent} == {world.organisations["contractor_a"].pk, world.organisations["transport"].pk}
    assert "已逾期" in sent.first().body
    assert records_uploads_chase() == []  # the same day: nothing more
    assert records_uploads_chase(now=timezone.now() + timedelta(days=3)) == []
    assert records_uploads_chase(now=timezone.now() + timedelta(days=8)) == [road.pk]
    assert Notification.objects.filter(title=TITLE).count() == 4
    assert Event.objects.filter(action="site_record.upload_chased").count() == 2
    roster.site_record_update(actor=world.users["labour_manager"], project=road, records_uploaded_on=timezone.localdate())
    assert records_uploads_chase(now=timezone.now() + timedelta(days=20)) == []
