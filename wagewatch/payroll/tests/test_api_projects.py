"""Project supervision API: scoped reads with warning and rates, roster writes by the project's
labour manager only, masked personal data, Chinese errors in the common shape."""

from datetime import date
from decimal import Decimal

import pytest

from wagewatch.payroll.models import GuaranteeDeposit, ProjectWorker, Team, WageAccount

from .roster_factories import card, enter, id_number, punch

BASE = "/api/v1/payroll/projects"


@pytest.fixture
def manager(client, world):
    client.force_login(world.users["labour_manager"])
    return client


def test_project_list_and_detail_with_rates(manager, world):
    housing = world.projects["housing_b"]
    pw = enter(world, housing, 1)
    enter(world, housing, 2, contract=None)
    punch(pw, date(2026, 3, 9))
    body = manager.get(BASE, {"month": "2026-03"}).json()
    assert body["count"] == 1 and [p["id"] for p in body["items"]] == [housing.pk]
    rates = {r["key"]: r for r in body["items"][0]["rates"]}
    assert len(rates) == 8 and Decimal(rates["contracts"]["percent"]) == Decimal("50.0")
    detail = manager.get(f"{BASE}/{housing.pk}", {"month": "2026-03"}).json()
    contracts = next(r for r in detail["rates"] if r["key"] == "contracts")
    assert [b["name"] for b in contracts["behind"]] == ["工人2"]
    assert {c["key"] for c in detail["checklist"]} == {"contracts", "wage_account", "instalments", "bank_payroll", "attendance", "deposit"}
    assert manager.get(f"{BASE}/{housing.pk}", {"month": "March"}).status_code == 422


def test_labour_manager_gets_404_outside_his_projects(manager, world):
    road = world.projects["road_a"]
    for path in ("", "/workers", "/teams", "/deposits", "/site-record", "/wage-account"):
        response = manager.get(f"{BASE}/{road.pk}{path}")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    response = manager.post(
        f"{BASE}/{road.pk}/workers",
        {"name": "李四", "id_number": id_number(5), "entry_date": "2026-03-01", "agreed_rate": "300"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not ProjectWorker.objects.exists()


def test_roster_enter_exit_and_masking(manager, world):
    housing = world.projects["housing_b"]
    team = manager.post(f"{BASE}/{housing.pk}/teams", {"name": "瓦工班", "leader_name": "王五"}, content_type="application/json")
    assert team.status_code == 201
    payload = {
        "name": "李四", "id_number": id_number(5), "entry_date": "2026-03-01", "agreed_rate": "320",
        "team_id": team.json()["id"], "bank_card": card(5), "phone": "13900000005", "contract_signed_on": "2026-03-01",
    }
    response = manager.post(f"{BASE}/{housing.pk}/workers", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["team"] == "瓦工班" and row["id_number"] != id_number(5) and row["id_number"].endswith(id_number(5)[-4:])
    assert row["bank_card"] == "**** **** **** " + card(5)[-4:] and row["phone"] == "139****0005"
    # The same ID number again updates the entry, it does not add a second worker.
    again = manager.post(f"{BASE}/{housing.pk}/workers", {**payload, "agreed_rate": "330"}, content_type="application/json")
    assert again.status_code == 201 and ProjectWorker.objects.count() == 1
    assert ProjectWorker.objects.get().agreed_rate == Decimal("330")
    listed = manager.get(f"{BASE}/{housing.pk}/workers").json()
    assert listed["count"] == 1 and id_number(5) not in str(listed)
    exit_ = manager.post(f"{BASE}/{housing.pk}/workers/{row['id']}/exit", {"exit_date": "2026-02-01"}, content_type="application/json")
    assert exit_.status_code == 422 and "退场日期不能早于进场日期" in exit_.json()["message"]
    exit_ = manager.post(
        f"{BASE}/{housing.pk}/workers/{row['id']}/exit", {"exit_date": "2026-03-31", "settled_on": "2026-04-02"}, content_type="application/json"
    )
    assert exit_.status_code == 200 and exit_.json()["exit_date"] == "2026-03-31"


def test_bad_input_answers_chinese_field_errors(manager, world):
    housing = world.projects["housing_b"]
    response = manager.post(
        f"{BASE}/{housing.pk}/workers",
        {"name": "", "id_number": "123", "entry_date": "2026-03-01", "agreed_rate": "-5", "wage_basis": "hourly"},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "id_number", "agreed_rate", "wage_basis"} <= fields
    assert not ProjectWorker.objects.exists() and not Team.objects.exists()


def test_account_deposit_and_site_record(manager, world):
    housing = world.projects["housing_b"]
    url = f"{BASE}/{housing.pk}/wage-account"
    assert manager.get(url).status_code == 404
    put = manager.put(url, {"bank_name": "工商银行", "account_number": "6222020000009999", "opened_on": "2026-01-05"}, content_type="application/json")
    assert put.status_code == 200 and put.json()["account_number"].endswith("9999") and "6222020000009999" not in put.content.decode()
    assert WageAccount.objects.get(project=housing).pay_day == 15
    dep = manager.post(
        f"{BASE}/{housing.pk}/deposits", {"amount": "500000", "bank_name": "建设银行", "deposited_on": "2026-01-06"}, content_type="application/json"
    )
    assert dep.status_code == 201
    rel = manager.post(f"{BASE}/{housing.pk}/deposits/{dep.json()['id']}/release", {"released_on": "2027-07-01"}, content_type="application/json")
    assert rel.status_code == 200 and GuaranteeDeposit.objects.get().released_on == date(2027, 7, 1)
    patch = manager.patch(f"{BASE}/{housing.pk}/site-record", {"rights_board_posted_on": "2026-01-10"}, content_type="application/json")
    assert patch.status_code == 200 and patch.json()["rights_board_posted_on"] == "2026-01-10"


def test_readers_cannot_write(client, world):
    client.force_login(world.users["housing_handler"])
    housing = world.projects["housing_b"]
    assert client.get(f"{BASE}/{housing.pk}").status_code == 200
    response = client.post(f"{BASE}/{housing.pk}/teams", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_reveal_is_recorded_and_scoped(manager, client, world):
    from wagewatch.history.models import Event

    housing = world.projects["housing_b"]
    pw = enter(world, housing, 8)
    url = f"{BASE}/{housing.pk}/workers/{pw.pk}/reveal/bank_card"
    response = manager.post(url)
    assert response.status_code == 200 and response.json()["value"] == card(8)
    assert Event.objects.filter(action="personal_data.revealed", object_id=str(pw.worker_id)).count() == 1
    assert manager.post(f"{BASE}/{housing.pk}/workers/{pw.pk}/reveal/name").status_code == 404
    client.force_login(world.users["office_staff"])  # office staff may not see bank cards in full
    assert client.post(url).status_code == 403


def test_list_endpoints_use_a_fixed_number_of_queries(manager, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    housing = world.projects["housing_b"]

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert manager.get(url).status_code == 200
        return len(ctx.captured_queries)

    enter(world, housing, 1)
    manager.get(BASE)  # warm-up
    few = count(f"{BASE}?month=2026-03"), count(f"{BASE}/{housing.pk}/workers")
    for n in range(2, 12):
        enter(world, housing, n, contract=None if n % 2 else date(2026, 1, 1))
    assert (count(f"{BASE}?month=2026-03"), count(f"{BASE}/{housing.pk}/workers")) == few
