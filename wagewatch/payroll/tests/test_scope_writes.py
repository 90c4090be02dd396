"""Writes across scope (issue 9): a contractor's roster row for a worker who is also on another
contractor's project changes only its own employment. The other project's phone, wage card and
bank stay as they were, the person's name is not rewritten, and the /w/pay/ pages of the other
project cannot be opened with the phone the second contractor registered. Every write path:
the form's service, the API, the JSON push, the CSV import."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from wagewatch.core.calendar import SHANGHAI
from wagewatch.core.models import Organisation, Role, User
from wagewatch.core.protected import BANK_CARD, PHONE, mask
from wagewatch.notify.testing import last_sms_code, memory_sms
from wagewatch.payroll.models import (
    BankDisbursement,
    ImportJob,
    PayMonthConfirmation,
    PayrollLine,
    PayrollSheet,
    ProjectWorker,
    Worker,
)
from wagewatch.payroll.services import roster
from wagewatch.payroll.services.confirmations import pay_month
from wagewatch.payroll.services.imports import import_job_create, import_job_process, import_rows_push
from wagewatch.registry.models import Enterprise, Project
from wagewatch.registry.rules import normalise_name
from wagewatch.testing.world import valid_credit_code

from .roster_factories import id_number

X = id_number(501)  # the worker employed by both contractors
PHONE_A, CARD_A = "13911110001", "6222020211110001"  # what contractor A registered for him
PHONE_B, CARD_B = "13922220002", "6222020222220002"  # what contractor B types for the same ID number
MONTH = date(2026, 9, 1)


@pytest.fixture(autouse=True)
def outbox():
    with memory_sms() as messages:
        yield messages


@pytest.fixture
def two(world):
    """Contractor A (the world's) has X on housing_b with its phone and card, a month paid to that
    card; contractor B, with its own labour manager, builds another project."""
    e_b = Enterprise.objects.create(
        name="南城建设有限公司", name_normalised=normalise_name("南城建设有限公司"), credit_code=valid_credit_code(91),
        territory=world.territories["community_b"], industry=world.enterprises["contractor_a"].industry,
    )
    org_b = Organisation.objects.create(
        name="南城建设有限公司", kind=Organisation.Kind.GENERAL_CONTRACTOR, territory=world.territories["street_b"], enterprise=e_b
    )
    manager_b = User.objects.create_user(username="labour_manager_b", password="x-Pass-1234567", role=Role.PROJECT_LABOUR_MANAGER, organisation=org_b)
    project_b = Project.objects.create(
        name="南城小学扩建", code="P-B-091", general_contractor=e_b, contract_value=Decimal("9000000"),
        territory=world.territories["community_b"], planned_start=date(2026, 1, 1), planned_end=date(2027, 6, 30),
    )
    project_a = world.projects["housing_b"]
    pw_a = roster.project_worker_enter(
        actor=world.users["labour_manager"], project=project_a, name="张大山", id_number=X, entry_date="2026-08-01",
        agreed_rate="300", phone=PHONE_A, bank_card=CARD_A, bank_name="农业银行", trade="钢筋工",
    )
    sheet = PayrollSheet.objects.create(project=project_a, month=MONTH)
    PayrollLine.objects.create(sheet=sheet, project_worker=pw_a, days=3, amount_due=Decimal("900"), amount_paid=Decimal("900"))
    BankDisbursement.objects.create(
        project=project_a, paid_at=datetime.combine(date(2026, 10, 12), time(10), tzinfo=SHANGHAI), payee_name="张大山",
        payee_account=CARD_A, amount=Decimal("900"), reference="BK-X-1", month=MONTH,
    )
    return {"project_a": project_a, "project_b": project_b, "manager_b": manager_b, "pw_a": pw_a}


def assert_a_untouched(world, two):
    """Contractor A's employment of X reads as A registered it, by every reader."""
    assert Worker.objects.get().name == "张大山"
    # the bank's rows of project A are still matched with A's card
    assert pay_month(ProjectWorker.objects.get(pk=two["pw_a"].pk), MONTH).bank_paid == Decimal("900")
    from django.test import Client

    client = Client()
    client.force_login(world.users["labour_manager"])
    row = client.get(f"/api/v1/payroll/projects/{two['project_a'].pk}/workers").json()
    rows = row["items"] if isinstance(row, dict) else row
    (mine,) = rows
    assert (mine["phone"], mine["bank_card"], mine["bank_name"], mine["name"]) == (mask(PHONE, PHONE_A), mask(BANK_CARD, CARD_A), "农业银行", "张大山")


# ---------------------------------------------------------------- the form's service


def test_another_contractors_roster_entry_keeps_what_project_a_registered(world, two):
    pw_b = roster.project_worker_enter(
        actor=two["manager_b"], project=two["project_b"], name="张大山", id_number=X, entry_date="2026-10-01",
        agreed_rate="320", phone=PHONE_B, bank_card=CARD_B, bank_name="建设银行", trade="木工",
    )
    assert pw_b.project_id == two["project_b"].pk and pw_b.worker_id == two["pw_a"].worker_id  # one person
    assert_a_untouched(world, two)


def test_another_contractor_cannot_rename_the_person(world, two):
    with pytest.raises(ValidationError) as exc:
        roster.project_worker_enter(
            actor=two["manager_b"], project=two["project_b"], name="李鬼", id_number=X, entry_date="2026-10-01",
            agreed_rate="320", phone=PHONE_B, bank_card=CARD_B,
        )
    assert "清欠办" in exc.value.message_dict["name"][0]
    assert not ProjectWorker.objects.filter(project=two["project_b"]).exists()  # nothing half-written
    assert_a_untouched(world, two)


def test_the_office_corrects_a_name_and_a_contractor_alone_may_fix_its_own_typo(world, two):
    # Contractor B's own new worker: only on B's projects, so B corrects the name itself.
    other = id_number(502)
    roster.project_worker_enter(actor=two["manager_b"], project=two["project_b"], name="王小二", id_number=other, entry_date="2026-10-01", agreed_rate="300")
    roster.project_worker_enter(actor=two["manager_b"], project=two["project_b"], name="王晓二", id_number=other, entry_date="2026-10-01", agreed_rate="300")
    assert Worker.objects.get(project_workers__project=two["project_b"]).name == "王晓二"
    # X is also on B's project now; the office may correct his name (it may write both projects).
    roster.project_worker_enter(actor=two["manager_b"], project=two["project_b"], name="张大山", id_number=X, entry_date="2026-10-01", agreed_rate="300")
    roster.project_worker_enter(actor=world.users["office_staff"], project=two["project_b"], name="张大珊", id_number=X, entry_date="2026-10-01", agreed_rate="300")
    assert Worker.objects.get(pk=two["pw_a"].worker_id).name == "张大珊"


# ---------------------------------------------------------------- the API, the JSON push, the CSV import


def test_api_roster_post_of_another_contractor(client, world, two):
    client.force_login(two["manager_b"])
    url = f"/api/v1/payroll/projects/{two['project_b'].pk}/workers"
    body = {"name": "张大山", "id_number": X, "entry_date": "2026-10-01", "agreed_rate": "320", "phone": PHONE_B, "bank_card": CARD_B, "bank_name": "建设银行"}
    assert client.post(url, body, content_type="application/json").status_code == 201
    refused = client.post(url, {**body, "name": "李鬼"}, content_type="application/json")
    assert refused.status_code == 422 and "清欠办" in refused.content.decode()
    assert_a_untouched(world, two)


def roster_row(name="张大山", phone=PHONE_B, card=CARD_B):
    return {"id_number": X, "name": name, "phone": phone, "bank_card": card, "bank_name": "建设银行", "entry_date": "2026-10-01", "agreed_rate": "320"}


def test_json_push_of_another_contractor(world, two):
    job = import_rows_push(actor=two["manager_b"], project=two["project_b"], kind=ImportJob.Kind.WORKERS, rows=[roster_row()])
    assert job.status == ImportJob.Status.DONE, job.rejected
    assert_a_untouched(world, two)
    refused = import_rows_push(actor=two["manager_b"], project=two["project_b"], kind=ImportJob.Kind.WORKERS, rows=[roster_row(name="李鬼")])
    assert refused.status == ImportJob.Status.REJECTED
    assert [(r["field"], "清欠办" in r["reason"]) for r in refused.rejected] == [("name", True)]
    assert_a_untouched(world, two)


def test_a_data_provider_pushes_no_roster(client, world, two):
    # A feed token (gate device, bank) may push to any project, but only its own records: no
    # roster row (which would put its phone on the project's worker), no teams, no payroll sheet.
    with pytest.raises(PermissionDenied):
        import_rows_push(actor=world.users["tax_feed"], project=two["project_a"], kind=ImportJob.Kind.WORKERS, rows=[roster_row()])
    from wagewatch.core.auth import api_token_create

    token = api_token_create(user=world.users["tax_feed"], name="feed")
    for kind, rows in ((ImportJob.Kind.WORKERS, [roster_row()]), (ImportJob.Kind.PAYROLL, [{"id_number": X, "month": "2026-09", "amount_due": 1, "amount_paid": 1}])):
        response = client.post(
            f"/api/v1/payroll/projects/{two['project_a'].code}/imports/{kind}", rows, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 403, response.content.decode()
    assert_a_untouched(world, two)
    assert PayrollLine.objects.get().amount_paid == Decimal("900")
    # its own kinds still go through
    punch = [{"id_number": X, "time": "2026-09-03T07:58:00+08:00", "direction": "in"}]
    assert import_rows_push(actor=world.users["tax_feed"], project=two["project_a"], kind=ImportJob.Kind.ATTENDANCE, rows=punch).status == "done"


def test_csv_import_of_another_contractor(world, two):
    header = "身份证号,姓名,手机号,工资卡号,开户银行,进场日期,工资标准\n"
    data = (header + f"{X},张大山,{PHONE_B},{CARD_B},建设银行,2026-10-01,320\n").encode()
    job = import_job_process(import_job_create(actor=two["manager_b"], project=two["project_b"], kind=ImportJob.Kind.WORKERS, data=data, filename="r.csv").pk)
    assert job.status == ImportJob.Status.DONE, job.rejected
    assert_a_untouched(world, two)
    data = (header + f"{X},李鬼,{PHONE_B},{CARD_B},建设银行,2026-10-01,320\n").encode()
    job = import_job_process(import_job_create(actor=two["manager_b"], project=two["project_b"], kind=ImportJob.Kind.WORKERS, data=data, filename="r.csv").pk)
    assert job.status == ImportJob.Status.REJECTED and [r["row"] for r in job.rejected] == [2]
    assert_a_untouched(world, two)


# ---------------------------------------------------------------- /w/pay/: no hijack through the shared record


def _sign_in(client, capture, phone):
    with capture(execute=True):
        response = client.post(reverse("worker_pay:start"), {"phone": phone, "id_tail": X[-6:]})
    assert response.status_code == 302
    return client.post(reverse("worker_pay:confirm"), {"code": last_sms_code(phone)})


def test_the_other_contractors_phone_does_not_open_project_as_pay(client, world, two, django_capture_on_commit_callbacks):
    roster.project_worker_enter(
        actor=two["manager_b"], project=two["project_b"], name="张大山", id_number=X, entry_date="2026-10-01",
        agreed_rate="320", phone=PHONE_B, bank_card=CARD_B,
    )
    pw_a = two["pw_a"]
    a_month = reverse("worker_pay:month", args=[pw_a.pk, MONTH.year, MONTH.month])
    a_answer = reverse("worker_pay:answer", args=[pw_a.pk, MONTH.year, MONTH.month])
    # Whoever holds contractor B's phone (and knows the ID number B typed) sees B's project only.
    _sign_in(client, django_capture_on_commit_callbacks, PHONE_B)
    mine = client.get(reverse("worker_pay:mine"))
    assert mine.status_code == 200 and "南城小学扩建" in mine.content.decode() and "西城花园二期" not in mine.content.decode()
    assert client.get(a_month).status_code == 404
    assert client.post(a_answer, {"answer": "confirmed"}).status_code == 404
    assert not PayMonthConfirmation.objects.exists()
    # The worker, with the phone project A registered, still opens his month there.
    client.post(reverse("worker_pay:leave"))
    _sign_in(client, django_capture_on_commit_callbacks, PHONE_A)
    assert client.get(a_month).status_code == 200
