from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from wagewatch.history.models import Event
from wagewatch.registry import services
from wagewatch.registry.models import Enterprise, Project, ProjectParticipant
from wagewatch.testing.world import valid_credit_code

from .factories import id_number, make_enterprise, make_project, wrong_check_digit, xlsx_bytes


@pytest.fixture
def office(client, world):
    client.force_login(world.users["office_staff"])
    return client


def test_enterprise_list_filters_badge_and_pagination(office, world):
    services.enterprise_create(actor=None, name="无码小店", territory=world.territories["grid_b"])
    page = office.get(reverse("registry:enterprise_list")).content.decode()
    assert "缺少信用代码" in page and "东花服装厂" in page
    page = office.get(reverse("registry:enterprise_list"), {"missing": "1"}).content.decode()
    assert "无码小店" in page and "东花服装厂" not in page
    page = office.get(reverse("registry:enterprise_list"), {"territory": world.territories["street_b"].pk}).content.decode()
    assert "西花电子" in page and "东花服装厂" not in page
    page = office.get(reverse("registry:enterprise_list"), {"q": "东城建工(集团)"}).content.decode()
    assert "东城建工集团有限公司" in page and "西花电子" not in page
    page = office.get(reverse("registry:enterprise_list"), {"industry": "manufacturing", "size": ""}).content.decode()
    assert "西花电子" in page and "西城置业" not in page


def test_lists_have_no_n_plus_one(office, world, django_assert_max_num_queries):
    for n in range(30):
        e = make_enterprise(world, n=300 + n, territory="grid_a" if n % 2 else "grid_b")
        make_project(world, code=f"Q-{n:03d}", owner=e, general_contractor=world.enterprises["contractor_a"])
    # 11: the page's own queries plus the unread-messages badge in the header.
    with django_assert_max_num_queries(11):
        response = office.get(reverse("registry:enterprise_list"))
    assert response.content.decode().count("测试企业") >= 30
    with django_assert_max_num_queries(11):
        response = office.get(reverse("registry:project_list"))
    assert response.content.decode().count("Q-0") >= 30
    with django_assert_max_num_queries(12):
        office.get("/api/v1/projects?page_size=100")
    with django_assert_max_num_queries(12):
        office.get("/api/v1/enterprises?page_size=100")


def test_enterprise_export_has_the_filtered_scoped_rows(client, world):
    client.force_login(world.users["street_b_handler"])
    response = client.get(reverse("registry:enterprise_list"), {"industry": "manufacturing", "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("企业名称", "统一社会信用代码")
    assert [r[0] for r in rows[1:]] == ["西花电子有限公司"]  # factory_a is out of scope, owner_b filtered
    assert rows[1][1] == valid_credit_code(3) and rows[1][2] == "否"


def test_project_export(office, world):
    response = office.get(reverse("registry:project_list"), {"q": "P-B", "export": "xlsx"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "P-B-001" and rows[1][6] == "东城建工集团有限公司"


def test_enterprise_create_and_edit_through_forms(office, world):
    response = office.post(
        reverse("registry:enterprise_create"),
        {"name": "新登记公司", "credit_code": wrong_check_digit(valid_credit_code(400)), "territory": world.territories["street_a"].pk, "industry": "other"},
    )
    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode() and "校验位" in response.content.decode()
    assert not Enterprise.objects.filter(name="新登记公司").exists()
    response = office.post(
        reverse("registry:enterprise_create"),
        {
            "name": "新登记公司",
            "credit_code": valid_credit_code(400),
            "territory": world.territories["street_a"].pk,
            "industry": "other",
            "contact_phone": "13800003333",
        },
    )
    enterprise = Enterprise.objects.get(name="新登记公司")
    assert response.status_code == 302
    edit_page = office.get(reverse("registry:enterprise_edit", args=[enterprise.pk])).content.decode()
    assert "13800003333" not in edit_page and "138****3333" in edit_page
    office.post(
        reverse("registry:enterprise_edit", args=[enterprise.pk]),
        {"name": "新登记公司", "credit_code": valid_credit_code(400), "territory": world.territories["street_a"].pk, "industry": "services"},
    )
    enterprise.refresh_from_db()
    assert enterprise.industry == "services" and enterprise.contact_phone == "13800003333"  # blank kept the phone


def test_enterprise_detail_masks_and_reveal_is_recorded(client, world):
    enterprise = services.enterprise_update(
        actor=None, enterprise=world.enterprises["factory_a"], legal_representative_id_number=id_number(5), contact_phone="13800004444"
    )
    client.force_login(world.users["office_leader"])
    page = client.get(reverse("registry:enterprise_detail", args=[enterprise.pk])).content.decode()
    assert id_number(5) not in page and "13800004444" not in page and "138****4444" in page
    assert "查看" in page and "办理轨迹" in page
    url = reverse("registry:enterprise_reveal", args=[enterprise.pk, "legal_representative_id_number"])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and id_number(5) in response.content.decode()
    event = Event.objects.filter(action="personal_data.revealed").get()
    assert event.actor_id == world.users["office_leader"].pk and id_number(5) not in event.payload
    # Office staff may see phones but not ID numbers.
    client.force_login(world.users["office_staff"])
    assert client.post(url).status_code == 403
    assert client.post(reverse("registry:enterprise_reveal", args=[enterprise.pk, "contact_phone"])).status_code == 200
    assert client.post(reverse("registry:enterprise_reveal", args=[enterprise.pk, "name"])).status_code == 404
    # Out of scope is 404 before any permission question.
    client.force_login(world.users["street_b_handler"])
    assert client.post(reverse("registry:enterprise_reveal", args=[enterprise.pk, "contact_phone"])).status_code == 404
    assert Event.objects.filter(action="personal_data.revealed").count() == 2


def test_project_detail_shows_chain_and_supervision_reason(office, world):
    project = world.projects["housing_b"]
    services.project_update(actor=None, project=project, planned_start=date(2026, 1, 1), planned_end=date(2026, 4, 30))
    sub = services.project_participant_add(
        actor=None, project=project, enterprise=world.enterprises["factory_b"], role=ProjectParticipant.Role.LABOUR_SUBCONTRACTOR
    )
    team = make_enterprise(world, n=500, name="张三班组", territory="street_b")
    services.project_participant_add(actor=None, project=project, enterprise=team, role=ProjectParticipant.Role.TEAM, parent=sub)
    page = office.get(reverse("registry:project_detail", args=[project.pk])).content.decode()
    assert page.index("东城建工集团有限公司") < page.index("西花电子有限公司") < page.index("张三班组")
    assert "depth-2" in page  # the team sits one level below the subcontractor
    assert "不纳入平台全面监管" in page and "不足6个月" in page


def test_participant_added_through_the_page(office, world):
    project = world.projects["housing_b"]
    response = office.post(
        reverse("registry:project_participant_add", args=[project.pk]),
        {"enterprise": valid_credit_code(3), "role": "labour_subcontractor", "contract_value": "300000"},
    )
    assert response.status_code == 302
    assert project.participants.get().enterprise == world.enterprises["factory_b"]


def test_project_create_form_validation(office, world):
    data = {
        "name": "新项目",
        "code": "P-B-001",
        "territory": world.territories["street_b"].pk,
        "general_contractor": "不存在的公司",
        "investment_type": "social",
        "contract_value": "-3",
        "planned_start": "2026-05-01",
        "planned_end": "2026-04-01",
        "industry": "construction",
        "status": "under_construction",
    }
    page = office.post(reverse("registry:project_create"), data).content.decode()
    assert "不存在的公司" in page and "尚未登记" in page
    data["general_contractor"] = "东城建工集团有限公司"
    page = office.post(reverse("registry:project_create"), data).content.decode()
    assert "已被项目“西城花园二期”使用" in page and "不能为负数" in page and "不能早于计划开工日期" in page
    data.update(code="P-B-009", contract_value="4000000", planned_end="2026-11-01")
    response = office.post(reverse("registry:project_create"), data)
    assert response.status_code == 302
    project = Project.objects.get(code="P-B-009")
    assert project.general_contractor == world.enterprises["contractor_a"] and project.under_full_supervision


def test_thresholds_page_recomputes(client, world):
    make_project(world, code="T-1", value=Decimal("3000000"))
    client.force_login(world.users["office_leader"])
    assert client.get(reverse("registry:thresholds")).status_code == 200
    response = client.post(reverse("registry:thresholds"), {"min_contract_value": "2000000", "min_duration_months": "6"}, follow=True)
    # T-1 comes in; the two world projects are above both thresholds and stay supervised.
    assert "1个项目的监管状态随之改变" in response.content.decode()
    assert Project.objects.get(code="T-1").under_full_supervision


def test_import_page_result_and_template(office, world):
    page = office.get(reverse("registry:import")).content.decode()
    assert "下载模板" in page and "统一社会信用代码" in page
    template = office.get(reverse("registry:import_template", args=["projects"]))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    bad = xlsx_bytes([["企业名称", "所属辖区"], ["甲", "火星"], ["乙", "110105001"], ["丙", ""]])
    response = office.post(
        reverse("registry:import"), {"kind": "enterprises", "file": SimpleUploadedFile("e.xlsx", bad)}
    )
    page = response.content.decode()
    assert response.status_code == 422 and "没有保存任何数据" in page and "第 2 行" in page and "第 4 行" in page
    good = xlsx_bytes([["企业名称", "所属辖区"], ["乙", "110105001"]])
    page = office.post(reverse("registry:import"), {"kind": "enterprises", "file": SimpleUploadedFile("e.xlsx", good)}).content.decode()
    assert "已导入" in page and Enterprise.objects.filter(name="乙").exists()


@pytest.mark.parametrize("model", ["enterprise", "project", "projectparticipant", "supervisionthreshold"])
def test_admin_lists_are_readable_and_hide_personal_data(client, world, model):
    services.enterprise_update(actor=None, enterprise=world.enterprises["factory_a"], contact_phone="13800008888")
    client.force_login(world.users["admin"])
    response = client.get(reverse(f"admin:registry_{model}_changelist"))
    assert response.status_code == 200
    if model == "enterprise":
        detail = client.get(reverse("admin:registry_enterprise_change", args=[world.enterprises["factory_a"].pk]))
        assert detail.status_code == 200 and "13800008888" not in detail.content.decode()
