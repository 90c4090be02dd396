import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wagewatch.core.auth import api_token_create
from wagewatch.history.models import Event
from wagewatch.registry.models import Enterprise, Project
from wagewatch.testing.world import valid_credit_code

from .factories import csv_bytes, id_number, wrong_check_digit


@pytest.fixture
def office(client, world):
    client.force_login(world.users["office_staff"])
    return client


def test_enterprise_create_get_patch(office, world):
    response = office.post(
        "/api/v1/enterprises",
        {
            "name": "接口企业有限公司",
            "territory_id": world.territories["street_a"].pk,
            "credit_code": valid_credit_code(600),
            "legal_representative_id_number": id_number(6),
            "contact_phone": "13800006666",
            "industry": "construction",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contact_phone"] == "138****6666" and id_number(6) not in str(body)
    assert body["industry_label"] == "房屋建筑" and body["territory"]["code"] == "110105001"
    pk = body["id"]
    response = office.patch(f"/api/v1/enterprises/{pk}", {"employee_count": 9}, content_type="application/json")
    assert response.status_code == 200 and response.json()["employee_count"] == 9
    assert office.get(f"/api/v1/enterprises/{pk}").json()["name"] == "接口企业有限公司"


def test_validation_errors_are_422_with_field_names(office, world):
    response = office.post(
        "/api/v1/enterprises",
        {"name": "坏企业", "territory_id": world.territories["street_a"].pk, "credit_code": wrong_check_digit(valid_credit_code(601))},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["errors"][0]["field"] == "credit_code"
    assert "统一社会信用代码" in body["errors"][0]["message"]
    response = office.post(
        "/api/v1/projects",
        {
            "name": "坏项目",
            "code": "P-A-002",
            "territory_id": world.territories["street_a"].pk,
            "contract_value": "-1",
            "planned_start": "2026-05-01",
            "planned_end": "2026-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"code", "contract_value", "planned_end"}
    response = office.post(
        "/api/v1/projects",
        {"name": "x", "code": "x", "territory_id": world.territories["street_a"].pk, "contract_value": 1, "owner_id": 999999},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "owner_id"


def test_project_create_patch_participants(office, world):
    response = office.post(
        "/api/v1/projects",
        {
            "name": "接口项目",
            "code": "API-1",
            "territory_id": world.territories["community_b"].pk,
            "owner_id": world.enterprises["owner_b"].pk,
            "general_contractor_id": world.enterprises["contractor_a"].pk,
            "industry_authority_id": world.organisations["housing"].pk,
            "contract_value": "4000000",
            "planned_start": "2026-01-01",
            "planned_end": "2026-07-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["under_full_supervision"] is True and body["supervision_reason"].startswith("纳入平台全面监管")
    pk = body["id"]
    sub = office.post(
        f"/api/v1/projects/{pk}/participants",
        {"enterprise_id": world.enterprises["factory_b"].pk, "role": "labour_subcontractor"},
        content_type="application/json",
    )
    assert sub.status_code == 201
    bad = office.post(
        f"/api/v1/projects/{pk}/participants",
        {"enterprise_id": world.enterprises["factory_a"].pk, "role": "team", "parent_id": 999999},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "parent_id"
    response = office.patch(f"/api/v1/projects/{pk}", {"planned_end": "2026-06-30"}, content_type="application/json")
    assert response.json()["under_full_supervision"] is False
    assert len(response.json()["participants"]) == 1


def test_reveal_via_api_with_token(client, world):
    from wagewatch.registry import services

    services.enterprise_update(actor=None, enterprise=world.enterprises["factory_a"], contact_phone="13800007777")
    token = api_token_create(user=world.users["inspector"])
    url = f"/api/v1/enterprises/{world.enterprises['factory_a'].pk}/reveal/contact_phone"
    response = client.post(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["value"] == "13800007777"
    assert Event.objects.filter(action="personal_data.revealed", actor_id=world.users["inspector"].pk).count() == 1
    denied = client.post(
        f"/api/v1/enterprises/{world.enterprises['factory_a'].pk}/reveal/legal_representative_id_number",
        HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=world.users['street_a_handler'])}",
    )
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"
    hidden = client.post(url, HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=world.users['tax_feed'])}")
    assert hidden.status_code == 404


def test_import_endpoints_return_the_report(office, world):
    header = ["企业名称", "统一社会信用代码", "所属辖区"]
    good = csv_bytes([header, ["接口导入企业", valid_credit_code(700), "110105002"]], "gbk")
    response = office.post("/api/v1/imports/enterprises", {"file": SimpleUploadedFile("e.csv", good)})
    assert response.status_code == 200
    assert response.json()["created"] == 1 and response.json()["saved"] is True
    bad = csv_bytes([header, ["甲", "123", "110105002"], ["乙", "", "月球"]])
    response = office.post("/api/v1/imports/enterprises", {"file": SimpleUploadedFile("e.csv", bad)})
    assert response.status_code == 422
    body = response.json()
    assert [r["row"] for r in body["report"]["rejected"]] == [2, 3]
    assert body["errors"][0]["field"] == "第2行"
    assert not Enterprise.objects.filter(name="甲").exists()
    projects = csv_bytes([["项目名称", "项目编号", "所属辖区", "合同价款(元)"], ["导入项目", "IMP-1", "110105001", "100"]])
    response = office.post("/api/v1/imports/projects", {"file": SimpleUploadedFile("p.csv", projects)})
    assert response.status_code == 200 and Project.objects.filter(code="IMP-1").exists()


def test_import_endpoint_forbidden_for_read_only_roles(client, world):
    client.force_login(world.users["street_a_handler"])
    response = client.post("/api/v1/imports/enterprises", {"file": SimpleUploadedFile("e.csv", b"a,b\n")})
    assert response.status_code == 403
