"""Core API: /me, territories, organisations, users; scoped, paginated, phones masked."""

import pytest

from wagewatch.core.auth import api_token_create
from wagewatch.core.models import User


@pytest.fixture
def bearer(world):
    def headers(user_key):
        return {"Authorization": f"Bearer {api_token_create(user=world.users[user_key])}"}

    return headers


def test_me_with_a_session(world, client):
    client.force_login(world.users["street_a_leader"])
    body = client.get("/api/v1/me").json()
    assert body["username"] == "street_a_leader"
    assert body["role"] == "unit_leader" and body["role_label"] == "责任单位负责人"
    assert body["organisation"] == {"id": world.organisations["street_a"].pk, "name": "东城街道办事处"}
    assert body["effective_territory"]["name"] == "东城街道"
    assert body["may_see_users"] is True and body["may_unlock"] is False


def test_me_with_a_bearer_token(world, client, bearer):
    body = client.get("/api/v1/me", headers=bearer("tax_feed")).json()
    assert body["username"] == "tax_feed" and body["may_see_users"] is False


def test_phone_is_masked_everywhere(world, client, bearer):
    User.objects.filter(pk=world.users["clerk"].pk).update(phone="13912345678")
    auth = bearer("office_leader")
    listed = client.get("/api/v1/users", {"q": "clerk"}, headers=auth).json()["items"]
    assert [u["phone"] for u in listed] == ["139****5678"]
    detail = client.get(f"/api/v1/users/{world.users['clerk'].pk}", headers=auth)
    assert detail.json()["phone"] == "139****5678"
    me = client.get("/api/v1/me", headers=bearer("clerk"))
    assert "13912345678" not in me.content.decode()


def test_lists_are_paginated(world, client, bearer):
    auth = bearer("admin")
    body = client.get("/api/v1/users", {"page_size": 4}, headers=auth).json()
    assert body["count"] == 15 and len(body["items"]) == 4
    last = client.get("/api/v1/users", {"page_size": 4, "page": 4}, headers=auth).json()
    assert len(last["items"]) == 3
    names = [u["username"] for u in body["items"]]
    assert names == sorted(names)


def test_list_filters(world, client, bearer):
    auth = bearer("office_staff")
    grids = client.get("/api/v1/territories", {"level": "grid"}, headers=auth).json()
    assert {t["code"] for t in grids["items"]} == {"110105001001G01", "110105002001G01"}
    street_a = world.territories["street_a"].pk
    orgs = client.get("/api/v1/organisations", {"territory_id": street_a}, headers=auth).json()
    assert {o["name"] for o in orgs["items"]} == {"东城街道办事处", "东城建工集团有限公司"}
    bureaus = client.get("/api/v1/organisations", {"kind": "industry_bureau"}, headers=auth).json()
    assert bureaus["count"] == 2 and bureaus["items"][0]["kind_label"] == "行业主管部门"
    users = client.get("/api/v1/users", {"organisation_id": world.organisations["street_a"].pk}, headers=auth).json()
    assert {u["username"] for u in users["items"]} == {"street_a_handler", "street_a_leader", "grid_a_worker"}


def test_filter_by_a_foreign_id_is_404(world, client, bearer):
    auth = bearer("street_a_handler")
    response = client.get("/api/v1/organisations", {"territory_id": world.territories["street_b"].pk}, headers=auth)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到该记录,或您无权查看", "errors": []}


def test_foreign_detail_is_404_with_a_token(world, client, bearer):
    auth = bearer("street_b_handler")
    assert client.get(f"/api/v1/territories/{world.territories['street_a'].pk}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/organisations/{world.organisations['street_a'].pk}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/users/{world.users['street_a_handler'].pk}", headers=auth).status_code == 404
    assert client.get(f"/api/v1/territories/{world.territories['street_b'].pk}", headers=auth).status_code == 200


def test_data_provider_reads_no_territory(world, client, bearer):
    body = client.get("/api/v1/territories", headers=bearer("tax_feed")).json()
    assert body == {"items": [], "count": 0}


def test_bad_parameter_answers_in_chinese(world, client, bearer):
    response = client.get("/api/v1/users", {"page": "x"}, headers=bearer("admin"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "应为整数"


def test_revoked_token_is_refused(world, client):
    from django.utils import timezone

    from wagewatch.core.models import ApiToken

    token = api_token_create(user=world.users["admin"])
    ApiToken.objects.update(revoked_at=timezone.now())
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_errors_come_in_one_shape_with_chinese_as_characters(world, client):
    client.force_login(world.users["office_staff"])
    response = client.get("/api/v1/calendar/2026-13-01")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert "日期格式" in response.content.decode("utf-8")  # not \\u escapes
    body = response.json()
    assert set(body) == {"code", "message", "errors"} and body["errors"][0]["field"] == "date"
