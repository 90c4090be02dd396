"""/api/v1/cases: the ledger with filters, one case, and transitions through the API. A unit never
gets another unit's case (404); forbidden actions are 403; actions the state does not allow 409."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wagewatch.cases.models import CaseState
from wagewatch.core.auth import api_token_create
from wagewatch.testing.cases import PNG_BYTES, register, unit_user, walk_to


@pytest.fixture
def leaders(world):
    for org in world.organisations.values():
        org.leader_name = f"{org.name[:2]}主任"
        org.save(update_fields=["leader_name"])
    return world


def act(client, case, **payload):
    return client.post(f"/api/v1/cases/{case.number}/transitions", payload, content_type="application/json")


def as_user(client, world, key):
    client.force_login(world.users[key] if isinstance(key, str) else key)
    return client


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["number"] for item in response.json()["items"]}


# ---------------------------------------------------------------- reading


def test_list_filters(client, leaders):
    world = leaders
    street_a = register(world, dispatch=True).case  # factory A → street A
    housing = register(world, employer_name="西城花园劳务班组", employer_credit_code="", project_id=world.projects["housing_b"].pk, dispatch=True).case
    old = register(world, employer_name="某老板", employer_credit_code="", territory_id=world.territories["street_b"].pk,
                   received_at=timezone.now() - timedelta(days=30), channel="hotline_12345", amount_owed="2000000").case
    as_user(client, world, "office_staff")
    assert numbers(client.get("/api/v1/cases")) == {street_a.number, housing.number, old.number}
    assert numbers(client.get("/api/v1/cases?state=registered")) == {old.number}
    assert numbers(client.get("/api/v1/cases?state=open")) == {street_a.number, housing.number, old.number}
    assert numbers(client.get("/api/v1/cases?territory=110105002")) == {housing.number, old.number}
    assert numbers(client.get("/api/v1/cases?territory=999")) == set()
    assert numbers(client.get("/api/v1/cases?channel=hotline_12345")) == {old.number}
    assert numbers(client.get("/api/v1/cases?overdue=true")) == {old.number}
    assert numbers(client.get("/api/v1/cases?major=true")) == {old.number}
    assert numbers(client.get(f"/api/v1/cases?unit={world.organisations['housing'].pk}")) == {housing.number}
    assert numbers(client.get("/api/v1/cases?q=西城花园")) == {housing.number}
    assert numbers(client.get(f"/api/v1/cases?q={street_a.number.lower()}")) == {street_a.number}
    page = client.get("/api/v1/cases?page_size=2&page=2").json()
    assert page["count"] == 3 and len(page["items"]) == 1
    item = next(i for i in client.get("/api/v1/cases").json()["items"] if i["number"] == old.number)
    assert item["overdue"] is True and item["is_major"] is True and item["state_label"] == "已登记"
    assert item["channel_label"] == "12345热线" and item["territory"]["code"] == "110105002"


def test_a_unit_sees_only_its_own_cases(client, leaders):
    world = leaders
    street_a = register(world, dispatch=True).case
    housing = register(world, employer_name="西城花园劳务班组", employer_credit_code="", project_id=world.projects["housing_b"].pk, dispatch=True).case
    as_user(client, world, "street_a_handler")
    assert numbers(client.get("/api/v1/cases")) == {street_a.number}
    response = client.get(f"/api/v1/cases/{housing.number}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert act(client, housing, action="accept").status_code == 404
    as_user(client, world, "street_b_handler")  # assisting on the housing case
    assert numbers(client.get("/api/v1/cases")) == {housing.number}
    assert client.get(f"/api/v1/cases/{street_a.number}").status_code == 404
    as_user(client, world, "labour_manager")  # the general contractor's headquarters is notified of its project's case
    assert numbers(client.get("/api/v1/cases")) == {housing.number}
    for key in ("transport_handler", "police_officer", "labour_manager"):
        as_user(client, world, key)
        assert street_a.number not in numbers(client.get("/api/v1/cases"))
        assert client.get(f"/api/v1/cases/{street_a.number}").status_code == 404
    token = api_token_create(user=world.users["tax_feed"])
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_detail_has_deadlines_assignments_complaints_events_and_my_actions(client, leaders):
    world = leaders
    case = register(world, complainant_phone="13912345678", description="老板13800001111失联", dispatch=True).case
    as_user(client, world, "street_a_handler")
    response = client.get(f"/api/v1/cases/{case.number}")
    assert response.status_code == 200
    data = response.json()
    text = response.content.decode()
    assert "13912345678" not in text and "13800001111" not in text
    assert data["complaints"][0]["complainant_phone"] == "139****5678"
    assert data["summary"] == "老板138****1111失联"
    assert {d["kind"] for d in data["deadlines"]} >= {"first_contact", "respond", "verify", "close"}
    lead = next(a for a in data["assignments"] if a["role"] == "lead")
    assert lead["organisation"] == "东城街道办事处" and lead["order_number"].startswith("ZB") and lead["responsible_leader"]
    assert [e["action"] for e in data["events"]][:2] == ["case.registered", "case.dispatch"]
    assert any(e["action_label"] == "转办(出具转办单)" for e in data["events"])
    assert {a["action"] for a in data["actions"]} == {"accept", "return"}
    as_user(client, world, "clerk")
    assert client.get(f"/api/v1/cases/{case.number}").json()["actions"] == []


# ---------------------------------------------------------------- transitions


def test_the_whole_loop_through_the_api(client, leaders):
    world = leaders
    case = register(world).case
    office = as_user(client, world, "clerk")
    response = act(office, case, action="dispatch", responsible_leader="王主任", measures="三日内约谈老板")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "dispatched" and response.json()["lead_unit"] == "东城街道办事处"
    case.refresh_from_db()
    unit = as_user(client, world, unit_user(world, case))
    assert act(unit, case, action="accept", responsible_person="赵六").json()["state"] == "accepted"
    assert act(unit, case, action="verify", note="已约谈").json()["state"] == "verifying"
    response = act(unit, case, action="handle", amount_verified="18000", workers_verified=3, facts_clear=True)
    assert response.json()["state"] == "handling" and response.json()["amount_verified"] == "18000.00"
    response = act(unit, case, action="resolve", amount_paid="18000", workers_paid=3, summary="已足额支付")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "evidence"
    upload = unit.post(
        f"/api/v1/cases/{case.number}/evidence",
        {"file": SimpleUploadedFile("pay.png", PNG_BYTES, content_type="image/png"), "purpose": "closure", "description": "代发流水"},
    )
    assert upload.status_code == 201 and upload.json()["content_type"] == "image/png"
    assert act(unit, case, action="resolve", amount_paid="18000", workers_paid=3, summary="已足额支付").json()["state"] == "resolved"
    office = as_user(client, world, "office_staff")
    response = act(office, case, action="callback", resolved=True, paid_in_full=True, lawful=True, satisfied=True)
    assert response.json()["state"] == "called_back"
    response = act(office, case, action="close", note="结案")
    assert response.status_code == 200 and response.json()["state"] == "closed" and response.json()["actions"] == [
        {"action": "reopen", "label": "重新办理"}
    ]


def test_callback_not_resolved_reopens(client, leaders):
    world = leaders
    case = walk_to(world, register(world).case, CaseState.RESOLVED)
    as_user(client, world, "office_staff")
    response = act(client, case, action="callback", resolved=False, paid_in_full=False, lawful=True, satisfied=False, note="只付了一半")
    assert response.status_code == 200 and response.json()["state"] == "reopened"
    response = act(client, case, action="callback", resolved=True, paid_in_full=True, lawful=True, satisfied=True)
    assert response.status_code == 409  # reopened: no callback now
    case = walk_to(world, register(world, complainant_phone="13900009999").case, CaseState.RESOLVED)
    response = act(client, case, action="callback", method="fax")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"resolved", "paid_in_full", "lawful", "satisfied", "method"}


def test_return_takes_the_case_out_of_the_units_sight(client, leaders):
    world = leaders
    case = register(world, dispatch=True).case
    unit = as_user(client, world, "street_a_handler")
    response = act(unit, case, action="return", reason="短")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"
    response = act(unit, case, action="return", reason="该厂已迁至西城街道,应由西城街道办理")
    assert response.status_code == 200 and response.json() == {
        "number": case.number, "state": "returned", "state_label": "已退回清欠办", "visible": False
    }
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 404
    as_user(client, world, "clerk")
    response = act(client, case, action="dispatch", lead_id=world.organisations["street_b"].pk)
    assert response.status_code == 200 and response.json()["lead_unit"] == "西城街道办事处"
    response = act(client, case, action="dispatch", lead_id=999999)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "lead_id"


@pytest.mark.parametrize(
    ("state", "user", "payload"),
    [
        (CaseState.DISPATCHED, "clerk", {"action": "accept"}),  # the office does not sign for the unit
        (CaseState.DISPATCHED, "inspector", {"action": "accept"}),  # an inspector who is not the lead
        (CaseState.RESOLVED, "street_a_handler", {"action": "callback", "resolved": True, "paid_in_full": True, "lawful": True, "satisfied": True}),
        (CaseState.CALLED_BACK, "street_a_leader", {"action": "close"}),
        (CaseState.REGISTERED, "grid_a_worker", {"action": "dispatch"}),
        (CaseState.RESOLVED, "street_a_handler", {"action": "reopen", "reason": "工人说没拿到钱"}),
    ],
)
def test_forbidden_transitions_are_403_and_change_nothing(client, leaders, state, user, payload):
    world = leaders
    case = walk_to(world, register(world).case, state)
    as_user(client, world, user)
    response = act(client, case, **payload)
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "forbidden" and "无权" in response.json()["message"]
    case.refresh_from_db()
    assert case.state == state


def test_the_assisting_unit_may_read_but_not_act(client, leaders):
    world = leaders
    case = register(world, employer_name="西城花园劳务班组", employer_credit_code="", project_id=world.projects["housing_b"].pk, dispatch=True).case
    as_user(client, world, "street_b_handler")
    assert client.get(f"/api/v1/cases/{case.number}").json()["actions"] == []
    assert act(client, case, action="accept").status_code == 403
    as_user(client, world, "housing_handler")
    assert act(client, case, action="accept").json()["state"] == "accepted"


@pytest.mark.parametrize(
    ("state", "user", "action"),
    [
        (CaseState.REGISTERED, "street_a_handler", "accept"),
        (CaseState.DISPATCHED, "clerk", "close"),
        (CaseState.ACCEPTED, "street_a_handler", "resolve"),
        (CaseState.CLOSED, "clerk", "dispatch"),
        (CaseState.HANDLING, "office_staff", "callback"),
    ],
)
def test_actions_the_state_does_not_allow_are_409(client, leaders, state, user, action):
    world = leaders
    case = register(world).case
    if state != CaseState.REGISTERED:
        case = walk_to(world, case, state)
    as_user(client, world, user)
    response = act(client, case, action=action, amount_paid="1", workers_paid=1, summary="x", resolved=True, paid_in_full=True, lawful=True, satisfied=True)
    if state == CaseState.REGISTERED and user == "street_a_handler":
        # Not dispatched yet: the unit has no part in the case and does not see it at all.
        assert response.status_code == 404
        return
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "state_conflict" and "案件当前状态为" in body["message"]
    case.refresh_from_db()
    assert case.state == state


def test_unknown_action_is_422(client, leaders):
    world = leaders
    case = register(world).case
    as_user(client, world, "clerk")
    response = act(client, case, action="merge")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "action" and "dispatch" in response.json()["errors"][0]["message"]


def test_evidence_upload_needs_a_part_in_the_case_and_a_real_image(client, leaders):
    world = leaders
    case = register(world, dispatch=True).case
    as_user(client, world, "grid_a_worker")  # sees the case in the grid, has no part in handling it
    response = client.post(f"/api/v1/cases/{case.number}/evidence", {"file": SimpleUploadedFile("a.png", PNG_BYTES), "purpose": "handling"})
    assert response.status_code == 403
    as_user(client, world, "street_a_handler")
    response = client.post(f"/api/v1/cases/{case.number}/evidence", {"file": SimpleUploadedFile("a.png", b"MZ\x90\x00 not an image"), "purpose": "handling"})
    assert response.status_code == 422 and "文件类型" in response.json()["message"]


def test_the_list_costs_the_same_queries_for_3_or_9_cases(client, leaders, django_assert_max_num_queries):
    world = leaders
    for _ in range(3):
        register(world, dispatch=True)
    as_user(client, world, "office_staff")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/cases").json()["count"] == 3
    for _ in range(6):
        register(world, dispatch=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/cases").json()["count"] == 9
