"""GET /api/v1/calendar/{date} and /api/v1/calendar/add-working-days."""

import pytest

from wagewatch.core.auth import api_token_create


@pytest.fixture
def api(world, client):
    client.force_login(world.users["street_a_handler"])
    return client


def test_day_shape_for_a_holiday(api):
    response = api.get("/api/v1/calendar/2026-10-01")
    assert response.status_code == 200
    assert response.json() == {
        "date": "2026-10-01",
        "is_working_day": False,
        "reason": "法定节假日:国庆节",
        "holiday_name": "国庆节",
        "is_makeup_working_day": False,
        "provisional": False,
    }


def test_day_shape_for_a_makeup_day_and_an_unloaded_year(api):
    makeup = api.get("/api/v1/calendar/2026-10-10").json()
    assert makeup["is_working_day"] and makeup["is_makeup_working_day"] and makeup["reason"] == "调休上班"
    weekend = api.get("/api/v1/calendar/2026-10-11").json()
    assert weekend["reason"] == "周末" and not weekend["is_working_day"]
    future = api.get("/api/v1/calendar/2027-01-01").json()
    assert future["provisional"] and future["reason"] == "工作日"


def test_add_working_days(api):
    response = api.get("/api/v1/calendar/add-working-days", {"start": "2026-09-30", "days": 3})
    assert response.status_code == 200
    assert response.json() == {"date": "2026-10-10", "provisional": False}
    crossing = api.get("/api/v1/calendar/add-working-days", {"start": "2026-12-31", "days": 1}).json()
    assert crossing == {"date": "2027-01-01", "provisional": True}
    zero = api.get("/api/v1/calendar/add-working-days", {"start": "2026-10-03", "days": 0}).json()
    assert zero == {"date": "2026-10-03", "provisional": False}


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"start": "2026-09-31", "days": 1}, "start", "日期格式应为 YYYY-MM-DD"),
        ({"start": "昨天", "days": 1}, "start", "日期格式应为 YYYY-MM-DD"),
        ({"start": "2026-09-30", "days": -1}, "days", "天数不能为负数"),
        ({"start": "2026-09-30", "days": "三"}, "days", "应为整数"),
        ({"start": "2026-09-30", "days": 100000}, "days", "天数不能超过3660"),
        ({"days": 1}, "start", "必填"),
    ],
)
def test_bad_input_answers_422_in_the_common_shape(api, params, field, message):
    response = api.get("/api/v1/calendar/add-working-days", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {"field": field, "message": message} in body["errors"]


def test_bad_date_in_the_path(api):
    response = api.get("/api/v1/calendar/2026-02-30")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "date", "message": "日期格式应为 YYYY-MM-DD"}]


def test_bearer_token_may_read(world, client):
    token = api_token_create(user=world.users["tax_feed"])
    response = client.get("/api/v1/calendar/2024-02-12", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["holiday_name"] == "春节"


def test_anonymous_is_refused(client, db):
    response = client.get("/api/v1/calendar/2026-10-01")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
