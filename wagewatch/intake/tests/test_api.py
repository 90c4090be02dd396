"""POST/GET /api/v1/complaints: registration from every channel, who may register what, external
ids, validation in Chinese, masking and scoping."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wagewatch.cases.models import Case
from wagewatch.core.auth import api_token_create
from wagewatch.history.models import Event
from wagewatch.intake.models import Complaint
from wagewatch.testing.cases import next_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def body(world, **overrides) -> dict:
    data = {
        "channel": "window",
        "complainant_name": "张三",
        "complainant_phone": next_phone(),
        "employer_name": world.enterprises["factory_a"].name,
        "employer_credit_code": world.enterprises["factory_a"].credit_code,
        "worker_count": 3,
        "amount_owed": "18000",
        "period_start": "2026-08-01",
        "period_end": "2026-10-31",
        "description": "三个月工资未发",
    }
    data.update(overrides)
    return data


def received(hours_ago: int = 2) -> str:
    return (timezone.now() - timedelta(hours=hours_ago)).astimezone(SHANGHAI).isoformat()


def post(client, data, **headers):
    return client.post("/api/v1/complaints", data, content_type="application/json", headers=headers)


@pytest.fixture
def clerk(client, world):
    client.force_login(world.users["clerk"])
    return client


def bearer(world, key: str) -> dict:
    return {"Authorization": f"Bearer {api_token_create(user=world.users[key])}"}


def with_leaders(world):
    for org in world.organisations.values():
        org.leader_name = f"{org.name[:2]}主任"
        org.save(update_fields=["leader_name"])


def test_window_complaint_opens_a_case_and_answers_the_numbers(clerk, world):
    response = post(clerk, body(world, dispatch=False))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["complaint_number"].startswith("TS") and data["case_number"].startswith("AJ")
    assert data["case_created"] is True and data["relation"] == "origin" and data["case_state"] == "registered"
    assert data["case_state_label"] == "已登记" and data["lead_unit"] == "" and data["duplicates"] == []
    case = Case.objects.get(number=data["case_number"])
    assert case.complaints.get().number == data["complaint_number"]
    assert case.employer == world.enterprises["factory_a"] and case.registered_by == world.users["clerk"]


def test_dispatch_by_default_by_the_routing_rules(clerk, world):
    with_leaders(world)
    data = post(clerk, body(world)).json()
    assert data["case_state"] == "dispatched" and data["lead_unit"] == "东城街道办事处"
    assert data["dispatch_note"] == "" and "前" in data["next_due"]
    case = Case.objects.get(number=data["case_number"])
    assert case.assignments.get(role="lead").dispatched_by == world.users["clerk"]


def test_a_case_that_cannot_be_dispatched_stays_registered_with_the_reason(clerk, world):
    # No routing rule names a unit and no street government holds the district itself: the
    # registration is kept, dispatch is left to the office.
    data = body(world, employer_name="区级某无名老板", employer_credit_code="", territory_code="110105", industry="other")
    response = post(clerk, data)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["case_state"] == "registered" and "人工指定" in answer["dispatch_note"]


def test_unit_without_a_leader_on_file_is_dispatched_with_the_leader_pending(clerk, world):
    answer = post(clerk, body(world)).json()
    assert answer["case_state"] == "dispatched"
    from wagewatch.cases.models import CaseAssignment

    order = CaseAssignment.objects.get(case__number=answer["case_number"], role="lead")
    assert order.responsible_leader == "待责任单位签收时明确"


def test_project_code_and_territory_code_are_resolved(clerk, world):
    with_leaders(world)
    project = world.projects["housing_b"]
    data = post(
        clerk, body(world, employer_name="西城花园劳务班组", employer_credit_code="", project_code=project.code, territory_code="110105002")
    ).json()
    case = Case.objects.get(number=data["case_number"])
    assert case.project == project and case.territory == world.territories["street_b"]
    assert data["lead_unit"] == "示范区住房和城乡建设局"


def test_validation_errors_name_every_field_in_chinese_and_write_nothing(clerk, world):
    before = (Case.objects.count(), Complaint.objects.count(), Event.objects.count())
    response = post(
        clerk,
        body(
            world,
            complainant_phone="12345",
            amount_owed=None,
            employer_credit_code="91110105MA00000000",
            received_at="昨天下午",
            territory_code="999",
            project_code="NOPE",
            workers=[{"name": "", "phone": "139"}],
        ),
    )
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "invalid"
    errors = {e["field"]: e["message"] for e in payload["errors"]}
    assert set(errors) >= {
        "complainant_phone", "amount_owed", "employer_credit_code", "received_at", "territory_code", "project_code",
        "workers.0.name", "workers.0.phone",
    }
    assert "手机号" in errors["complainant_phone"] and "欠薪金额" in errors["amount_owed"]
    assert "收到时间" in errors["received_at"] and "NOPE" in errors["project_code"] and "第1位劳动者" in errors["workers.0.name"]
    assert (Case.objects.count(), Complaint.objects.count(), Event.objects.count()) == before


def test_schema_errors_are_chinese_too(clerk, world):
    response = post(clerk, body(world, worker_count="很多"))
    assert response.status_code == 422 and response.json()["errors"][0] == {"field": "worker_count", "message": "应为整数"}
    response = post(clerk, body(world, channel="fax"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "channel"


def test_naive_received_time_is_beijing_time(clerk, world):
    data = post(clerk, body(world, received_at="2026-11-20 09:30", dispatch=False)).json()
    complaint = Complaint.objects.get(number=data["complaint_number"])
    assert complaint.received_at == timezone.datetime(2026, 11, 20, 1, 30, tzinfo=ZoneInfo("UTC"))
    data = post(clerk, body(world, received_at="2026-11-20T09:30:00Z", dispatch=False)).json()
    assert Complaint.objects.get(number=data["complaint_number"]).received_at.hour == 9


def test_a_received_time_in_the_future_is_refused(clerk, world):
    future = (timezone.now() + timedelta(days=1)).isoformat()
    response = post(clerk, body(world, received_at=future))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "received_at"


def test_external_channels_need_their_id_and_received_time(clerk, world):
    response = post(clerk, body(world, channel="hotline_12345"))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"external_id", "received_at"}


def test_a_clue_sent_again_answers_200_with_the_first_registration(clerk, world):
    data = body(world, channel="hotline_12345", external_id="12345-20261120-0007", received_at=received(), dispatch=False)
    first = post(clerk, data)
    assert first.status_code == 201
    again = post(clerk, {**data, "complainant_name": "改了名字"})
    assert again.status_code == 200
    assert again.json()["complaint_number"] == first.json()["complaint_number"]
    assert again.json()["case_number"] == first.json()["case_number"]
    assert Complaint.objects.filter(external_id="12345-20261120-0007").count() == 1
    assert Complaint.objects.get(external_id="12345-20261120-0007").complainant_name == "张三"
    # The same id on another channel is another clue.
    other = post(clerk, {**data, "channel": "police_110"})
    assert other.status_code == 201


def test_a_repeat_complaint_is_linked_not_registered_again(clerk, world):
    phone = next_phone()
    first = post(clerk, body(world, complainant_phone=phone, dispatch=False)).json()
    again = post(clerk, body(world, complainant_phone=phone, channel="labour_inspection"))
    assert again.status_code == 201
    data = again.json()
    assert data["case_created"] is False and data["relation"] == "repeat" and data["case_number"] == first["case_number"]
    assert Case.objects.count() == 1


def test_duplicates_are_listed_for_staff_with_reasons(clerk, world):
    first = post(clerk, body(world, dispatch=False)).json()
    data = post(clerk, body(world, dispatch=False)).json()  # another worker of the same employer
    assert data["case_created"] is True
    assert data["duplicates"][0]["case_number"] == first["case_number"]
    assert any("同一用人单位" in r for r in data["duplicates"][0]["reasons"])


def test_data_provider_pushes_external_clues_only_and_learns_nothing_of_other_cases(client, world):
    with_leaders(world)
    staff = post(client, body(world, dispatch=False), **bearer(world, "clerk")).json()
    feed = bearer(world, "tax_feed")
    response = post(client, body(world, channel="national_platform", external_id="GJ2026112000001", received_at=received()), **feed)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["duplicates"] == [] and data["case_number"] != staff["case_number"]
    # Dispatched by the routing rules as the system, not as the feed.
    assert data["case_state"] == "dispatched"
    event = Event.objects.get(action="case.dispatch", object_id=str(Case.objects.get(number=data["case_number"]).pk))
    assert event.actor_label == "系统"
    response = post(client, body(world, channel="window"), **feed)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    # A feed cannot read cases back.
    assert client.get(f"/api/v1/complaints/{data['complaint_number']}", headers=feed).status_code == 404


def test_grid_worker_reports_only_through_the_grid_channel(client, world):
    client.force_login(world.users["grid_a_worker"])
    assert post(client, body(world, channel="grid_worker", dispatch=False)).status_code == 201
    response = post(client, body(world, channel="window"))
    assert response.status_code == 403 and "网格员" in response.json()["message"]


@pytest.mark.parametrize("user", ["street_a_handler", "housing_handler", "labour_manager", "police_officer"])
def test_other_roles_may_not_register(client, world, user):
    client.force_login(world.users[user])
    response = post(client, body(world))
    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_unauthenticated_requests_are_refused(client, world):
    response = post(client, body(world))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_workers_are_stored_and_shown_masked(clerk, world):
    data = post(
        clerk,
        body(
            world,
            complainant_phone="13912345678",
            complainant_id_number="11010519491231002X",
            description="老板电话13800001111不接",
            workers=[{"name": "王五", "phone": "13900004444", "amount_owed": "6000"}],
            dispatch=False,
        ),
    ).json()
    response = clerk.get(f"/api/v1/complaints/{data['complaint_number']}")
    assert response.status_code == 200
    detail = response.json()
    assert detail["complainant_phone"] == "139****5678" and detail["complainant_id_number"] == "110***********002X"
    assert detail["workers"] == [{"name": "王五", "phone": "139****4444", "id_number": "", "amount_owed": "6000.00"}]
    assert detail["description"] == "老板电话138****1111不接"
    assert detail["case_number"] == data["case_number"] and detail["territory"]["code"] == "110105001001G01"
    assert "13912345678" not in response.content.decode() and "13800001111" not in response.content.decode()


def test_complaint_is_read_through_the_case_scope(client, world):
    with_leaders(world)
    client.force_login(world.users["clerk"])
    data = post(client, body(world)).json()  # factory A → street A
    number = data["complaint_number"]
    client.force_login(world.users["street_a_handler"])
    assert client.get(f"/api/v1/complaints/{number}").status_code == 200
    for other in ("street_b_handler", "housing_handler", "labour_manager"):
        client.force_login(world.users[other])
        response = client.get(f"/api/v1/complaints/{number}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    client.force_login(world.users["clerk"])
    assert client.get("/api/v1/complaints/TS2099010100001").status_code == 404
