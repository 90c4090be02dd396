"""Roster services: who may write, Chinese validation that saves nothing, one worker per ID
number across projects, history events without personal data in clear."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wagewatch.history.models import Event
from wagewatch.payroll.models import GuaranteeDeposit, PayrollSheet, ProjectWorker, SiteRecord, Team, WageAccount, Worker
from wagewatch.payroll.services import roster

from .roster_factories import MONTH, card, enter, id_number


def test_enter_creates_the_worker_once_and_records_an_event(world):
    housing, road = world.projects["housing_b"], world.projects["road_a"]
    pw = enter(world, housing, 1)
    assert pw.worker.id_number == id_number(1) and pw.contract_signed
    # The same person on another project (entered by the office): the same Worker record.
    other = enter(world, road, 1, actor=world.users["office_staff"], name="工人1(改名)")
    assert other.worker_id == pw.worker_id and Worker.objects.count() == 1
    assert Worker.objects.get().name == "工人1(改名)"
    event = Event.objects.get(action="project_worker.entered", object_id=str(pw.pk))
    assert id_number(1) not in event.payload and card(1) not in event.payload
    assert "project_worker.entered" in Event.objects.filter(object_id=str(other.pk)).values_list("action", flat=True)


def test_enter_again_updates_and_re_entry_clears_the_exit(world):
    housing = world.projects["housing_b"]
    pw = enter(world, housing, 2)
    roster.project_worker_exit(actor=world.users["labour_manager"], project_worker=pw, exit_date=date(2026, 2, 1), settled_on=date(2026, 2, 3))
    again = enter(world, housing, 2, entry=date(2026, 3, 1), rate="400")
    assert again.pk == pw.pk and again.exit_date is None and again.settled_on is None and again.agreed_rate == Decimal("400")
    assert ProjectWorker.objects.count() == 1


def test_enter_reports_every_problem_in_chinese_and_saves_nothing(world):
    housing = world.projects["housing_b"]
    with pytest.raises(ValidationError) as exc:
        roster.project_worker_enter(
            actor=world.users["labour_manager"], project=housing, name="", id_number="110105198001010001",
            entry_date="2026-13-01", agreed_rate="abc", wage_basis="hourly", phone="123", bank_card="12",
        )
    errors = exc.value.message_dict
    assert set(errors) >= {"name", "id_number", "entry_date", "agreed_rate", "wage_basis", "phone", "bank_card"}
    assert "姓名必填" in errors["name"][0] and "身份证" in errors["id_number"][0] and "YYYY-MM-DD" in errors["entry_date"][0]
    assert not Worker.objects.exists() and not Event.objects.filter(action__startswith="project_worker").exists()


def test_team_of_another_project_refused(world):
    road_team = roster.team_create(actor=world.users["office_staff"], project=world.projects["road_a"], name="路桥班")
    with pytest.raises(ValidationError) as exc:
        enter(world, world.projects["housing_b"], 3, team=road_team)
    assert "本项目的班组" in exc.value.message_dict["team"][0]


def test_only_the_projects_labour_manager_office_and_admin_write(world):
    housing, road = world.projects["housing_b"], world.projects["road_a"]
    with pytest.raises(PermissionDenied):
        enter(world, road, 4)  # labour manager of contractor A: road_a is not his
    for key in ("housing_handler", "street_b_handler", "inspector", "clerk"):
        with pytest.raises(PermissionDenied):
            roster.team_create(actor=world.users[key], project=housing, name=f"班组{key}")
    for key in ("labour_manager", "office_staff", "office_leader", "admin"):
        roster.team_create(actor=world.users[key], project=housing, name=f"班组{key}")
    assert Team.objects.count() == 4


def test_team_duplicate_name_and_masked_event(world):
    housing = world.projects["housing_b"]
    team = roster.team_create(actor=world.users["labour_manager"], project=housing, name="木工班", leader_id_number=id_number(9))
    assert team.leader_id_number == id_number(9)
    assert id_number(9) not in Event.objects.get(action="team.created").payload
    with pytest.raises(ValidationError) as exc:
        roster.team_create(actor=world.users["labour_manager"], project=housing, name="木工班")
    assert "已有名为“木工班”的班组" in exc.value.message_dict["name"][0]


def test_exit_checks_dates(world):
    pw = enter(world, world.projects["housing_b"], 5, entry=date(2026, 3, 1))
    manager = world.users["labour_manager"]
    with pytest.raises(ValidationError) as exc:
        roster.project_worker_exit(actor=manager, project_worker=pw, exit_date=date(2026, 2, 1), settlement_confirmed_on=date(2026, 3, 5))
    assert set(exc.value.message_dict) == {"exit_date", "settlement_confirmed_on"}
    roster.project_worker_exit(
        actor=manager, project_worker=pw, exit_date=date(2026, 3, 31), settled_on=date(2026, 4, 2), settlement_confirmed_on=date(2026, 4, 3)
    )
    pw.refresh_from_db()
    assert pw.settlement_confirmed_on == date(2026, 4, 3)
    assert Event.objects.filter(action="project_worker.exited", object_id=str(pw.pk)).count() == 1


def test_wage_account_deposit_and_site_record(world):
    housing, manager = world.projects["housing_b"], world.users["labour_manager"]
    with pytest.raises(ValidationError) as exc:
        roster.wage_account_open(actor=manager, project=housing, bank_name="", account_number="12ab", opened_on=None, pay_day=31)
    assert set(exc.value.message_dict) == {"bank_name", "account_number", "opened_on", "pay_day"}
    roster.wage_account_open(actor=manager, project=housing, bank_name="农行", account_number="6228480000001234", opened_on=date(2026, 1, 2))
    account = roster.wage_account_open(actor=manager, project=housing, bank_name="农行东城支行", account_number="6228480000001234", opened_on=date(2026, 1, 2), pay_day=10)
    assert WageAccount.objects.count() == 1 and account.pay_day == 10
    actions = list(Event.objects.filter(object_type__contains="wageaccount").values_list("action", flat=True))
    assert actions == ["wage_account.opened", "wage_account.updated"]
    assert "6228480000001234" not in str(list(Event.objects.filter(action__startswith="wage_account").values_list("payload", flat=True)))

    deposit = roster.guarantee_deposit_add(actor=manager, project=housing, amount="1000000", bank_name="建行", deposited_on=date(2026, 1, 3))
    with pytest.raises(ValidationError):
        roster.guarantee_deposit_add(actor=manager, project=housing, amount="0", bank_name="建行", deposited_on=date(2026, 1, 3), form="gold")
    roster.guarantee_deposit_release(actor=manager, deposit=deposit, released_on=date(2027, 8, 1))
    with pytest.raises(ValidationError) as exc:
        roster.guarantee_deposit_release(actor=manager, deposit=deposit, released_on=date(2027, 9, 1))
    assert "已于2027-08-01返还" in exc.value.message_dict["released_on"][0]
    assert GuaranteeDeposit.objects.get().released_on == date(2027, 8, 1)

    with pytest.raises(ValidationError) as exc:
        roster.site_record_update(actor=manager, project=housing, work_injury_insured_on=date(2026, 1, 1))
    assert "保单号" in exc.value.message_dict["work_injury_policy_number"][0]
    roster.site_record_update(actor=manager, project=housing, work_injury_policy_number="GS-9", work_injury_insured_on=date(2026, 1, 1))
    roster.site_record_update(actor=manager, project=housing, rights_board_posted_on=date(2026, 1, 5))
    site = SiteRecord.objects.get()
    assert site.work_injury_policy_number == "GS-9" and site.rights_board_posted_on == date(2026, 1, 5)
    with pytest.raises(ValidationError):
        roster.site_record_update(actor=manager, project=housing, name="x")


def test_payroll_sheet_from_a_page_is_all_or_nothing(world):
    housing, manager = world.projects["housing_b"], world.users["labour_manager"]
    a, b = enter(world, housing, 11), enter(world, housing, 12)
    road_pw = enter(world, world.projects["road_a"], 13, actor=world.users["office_staff"])
    lines = [roster.LineInput(a.pk, "3000", "3000", days="10"), roster.LineInput(road_pw.pk, "100", "100")]
    with pytest.raises(ValidationError) as exc:
        roster.payroll_sheet_submit(actor=manager, project=housing, month=MONTH, lines=lines)
    assert "不在本项目花名册" in str(exc.value)
    assert not PayrollSheet.objects.exists()
    sheet = roster.payroll_sheet_submit(
        actor=manager, project=housing, month=date(2026, 3, 15), lines=[roster.LineInput(a.pk, "3000", "3000", days="10"), roster.LineInput(b.pk, "2000", "1800")]
    )
    assert sheet.month == MONTH and sheet.lines.count() == 2
    sheet = roster.payroll_sheet_submit(actor=manager, project=housing, month=MONTH, lines=[roster.LineInput(a.pk, "3100", "3100")])
    assert PayrollSheet.objects.count() == 1 and sheet.lines.count() == 1
    assert Event.objects.filter(action="payroll_sheet.submitted").count() == 2
