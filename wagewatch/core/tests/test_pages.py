"""Home, list and detail pages: real counts for the user's scope, filters, pagination, export."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from wagewatch.core.export import XLSX
from wagewatch.core.models import Organisation, Territory, User
from wagewatch.registry.models import Enterprise


def stats(response) -> dict[str, int]:
    return {s["label"]: s["num"] for s in response.context["stats"]}


def sheet_rows(response) -> list[tuple]:
    assert response["Content-Type"] == XLSX
    ws = load_workbook(BytesIO(response.content)).active
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("office_staff", {"企业": 4, "建设项目": 2, "辖区": 7, "单位": 11, "用户": 15}),
        ("street_a_handler", {"待签收": 0, "企业": 2, "建设项目": 1, "辖区": 3, "单位": 2}),
        ("street_a_leader", {"待签收": 0, "企业": 2, "建设项目": 1, "辖区": 3, "单位": 2, "用户": 3}),
        ("housing_handler", {"待签收": 0, "企业": 2, "建设项目": 1, "辖区": 7, "单位": 11}),
        ("grid_a_worker", {"企业": 1, "建设项目": 0, "辖区": 1, "单位": 1}),
        ("labour_manager", {"企业": 2, "建设项目": 1, "辖区": 3, "单位": 2}),
    ],
)
def test_home_counts_follow_the_scope(world, client, who, expected):
    client.force_login(world.users[who])
    assert stats(client.get(reverse("core:home"))) == expected


def test_home_shows_missing_credit_codes_and_full_supervision(world, client):
    Enterprise.objects.create(
        name="无码小作坊", name_normalised="无码小作坊", territory=world.territories["grid_b"], credit_code_missing=True
    )
    client.force_login(world.users["office_leader"])
    text = client.get(reverse("core:home")).content.decode()
    assert "其中缺少信用代码 1 家" in text
    assert "其中纳入全面监管 2 个" in text


def test_home_for_office_uses_few_queries_and_lists_recent_events(world, client, django_assert_max_num_queries):
    client.force_login(world.users["office_staff"])
    client.get(reverse("core:home"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("core:home"))
    assert response.context["events"] is not None


def test_home_content_differs_by_role(world, client):
    client.force_login(world.users["clerk"])
    clerk = client.get(reverse("core:home"))
    assert "登记企业" in clerk.content.decode()
    assert clerk.context["events"] is None and clerk.context["projects"] is None

    client.force_login(world.users["transport_handler"])
    unit = client.get(reverse("core:home"))
    assert [p.code for p, _ in unit.context["projects"]] == ["P-A-002"]
    assert unit.context["events"] is None and "用户" not in stats(unit)

    client.force_login(world.users["tax_feed"])  # interface-only: its session ends (test_account_state)
    assert client.get(reverse("core:home")).status_code == 302


def test_territory_list_is_a_tree_and_filters(world, client):
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("core:territory_list"))
    depths = {t.code: depth for t, depth in response.context["rows"]}
    assert depths["110105"] == 0 and depths["110105001"] == 1 and depths["110105001001G01"] == 3
    response = client.get(reverse("core:territory_list"), {"level": "grid"})
    assert {t.code for t, _ in response.context["rows"]} == {"110105001001G01", "110105002001G01"}
    response = client.get(reverse("core:territory_list"), {"q": "东花"})
    assert {t.name for t, _ in response.context["rows"]} == {"东花社区", "东花第一网格"}


def test_territory_list_paginates(world, client):
    district = world.territories["district"]
    for i in range(60):
        Territory.objects.create(code=f"110105{900 + i}", name=f"测试街道{i}", level="street", parent=district)
    client.force_login(world.users["office_staff"])
    first = client.get(reverse("core:territory_list"))
    assert first.context["page"].paginator.count == 67 and len(first.context["rows"]) == 50
    second = client.get(reverse("core:territory_list"), {"page": 2})
    assert len(second.context["rows"]) == 17
    assert "下一页" in first.content.decode()


def test_territory_export_has_the_scoped_rows(world, client):
    client.force_login(world.users["street_b_handler"])
    rows = sheet_rows(client.get(reverse("core:territory_list"), {"export": "xlsx"}))
    assert rows[0][:3] == ("编码", "名称", "层级")
    assert {r[1] for r in rows[1:]} == {"西城街道", "西花社区", "西花第一网格"}


def test_territory_detail_counts_its_subtree(world, client):
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("core:territory_detail", args=[world.territories["street_b"].pk]))
    assert response.context["enterprises"]["total"] == 2  # factory_b (grid B), owner_b (street B)
    assert response.context["projects"] == {"total": 1, "full": 1}
    assert [c.name for c in response.context["children"]] == ["西花社区"]
    assert [o.name for o in response.context["organisations"]] == ["西城街道办事处"]


def test_territory_detail_counts_only_what_the_viewer_sees(world, client):
    # The housing bureau sees all territories, but only the enterprises of its projects.
    client.force_login(world.users["housing_handler"])
    response = client.get(reverse("core:territory_detail", args=[world.territories["street_a"].pk]))
    assert response.context["enterprises"]["total"] == 1  # contractor_a, general contractor of housing_b
    assert response.context["projects"]["total"] == 0


def test_organisation_list_filters_and_exports(world, client):
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("core:organisation_list"), {"kind": "industry_bureau"})
    assert {o.name for o in response.context["page"]} == {"示范区住房和城乡建设局", "示范区交通运输局"}
    response = client.get(reverse("core:organisation_list"), {"territory": world.territories["street_a"].pk})
    assert {o.name for o in response.context["page"]} == {"东城街道办事处", "东城建工集团有限公司"}
    rows = sheet_rows(client.get(reverse("core:organisation_list"), {"q": "交通", "export": "xlsx"}))
    assert [r[0] for r in rows[1:]] == ["示范区交通运输局"]
    assert rows[1][2] == "行业主管部门"


def test_organisation_filter_ignores_a_territory_outside_scope(world, client):
    client.force_login(world.users["street_a_handler"])
    response = client.get(reverse("core:organisation_list"), {"territory": world.territories["street_b"].pk})
    assert response.context["territory"] is None
    assert {o.name for o in response.context["page"]} == {"东城街道办事处", "东城建工集团有限公司"}


def test_organisation_detail_shows_projects_and_users_when_allowed(world, client):
    transport = world.organisations["transport"]
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("core:organisation_detail", args=[transport.pk]))
    assert [p.code for p, _ in response.context["projects"]] == ["P-A-002"]
    assert [u.username for u in response.context["users"]] == ["transport_handler"]
    assert "行业主管" in response.content.decode()

    client.force_login(world.users["transport_handler"])
    response = client.get(reverse("core:organisation_detail", args=[transport.pk]))
    assert response.context["users"] is None


def test_organisation_detail_shows_owner_projects(world, client):
    client.force_login(world.users["soe_handler"])
    response = client.get(reverse("core:organisation_detail", args=[world.organisations["soe_owner"].pk]))
    assert [p.code for p, _ in response.context["projects"]] == ["P-A-002"]
    assert "建设单位" in response.content.decode()


def test_user_list_filters_by_role_organisation_and_lock(world, client):
    User.objects.filter(pk=world.users["clerk"].pk).update(locked_until=timezone.now() + timedelta(minutes=5))
    client.force_login(world.users["office_leader"])
    url = reverse("core:user_list")
    assert {u.username for u, _ in client.get(url, {"role": "unit_handler"}).context["rows"]} == {
        "street_a_handler", "street_b_handler", "housing_handler", "transport_handler", "soe_handler", "police_officer",
    }
    street_a = world.organisations["street_a"].pk
    assert {u.username for u, _ in client.get(url, {"organisation": street_a}).context["rows"]} == {
        "street_a_handler", "street_a_leader", "grid_a_worker",
    }
    locked = client.get(url, {"locked": "1"})
    assert [(u.username, is_locked) for u, is_locked in locked.context["rows"]] == [("clerk", True)]
    assert "已锁定" in locked.content.decode()


def test_user_export_masks_phones(world, client):
    User.objects.filter(pk=world.users["clerk"].pk).update(phone="13812345678")
    client.force_login(world.users["office_staff"])
    rows = sheet_rows(client.get(reverse("core:user_list"), {"q": "clerk", "export": "xlsx"}))
    assert rows[1][0] == "clerk" and rows[1][5] == "138****5678"
    assert "13812345678" not in str(rows)


def test_user_detail_masks_phone_and_shows_lock(world, client):
    User.objects.filter(pk=world.users["clerk"].pk).update(phone="13812345678", locked_until=timezone.now() + timedelta(minutes=5))
    client.force_login(world.users["office_staff"])
    text = client.get(reverse("core:user_detail", args=[world.users["clerk"].pk])).content.decode()
    assert "138****5678" in text and "13812345678" not in text
    assert "已锁定" in text


def test_user_detail_shows_the_timeline(world, client):
    from wagewatch.core.services import user_unlock

    target = world.users["clerk"]
    user_unlock(actor=world.users["admin"], user=target)
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("core:user_detail", args=[target.pk]))
    assert [e.action for e in response.context["events"]] == ["user.unlocked"]
    assert "办理轨迹" in response.content.decode()


@pytest.mark.parametrize("name", ["core:territory_list", "core:organisation_list", "core:user_list"])
def test_list_pages_use_a_fixed_number_of_queries(world, client, django_assert_max_num_queries, name):
    district = world.territories["district"]
    for i in range(20):
        t = Territory.objects.create(code=f"110105{700 + i}", name=f"街道{i}", level="street", parent=district)
        o = Organisation.objects.create(name=f"测试单位{i}", kind="street_government", territory=t)
        User.objects.create(username=f"u{i}", role="unit_handler", organisation=o)
    client.force_login(world.users["admin"])
    client.get(reverse(name))
    with django_assert_max_num_queries(10):
        assert client.get(reverse(name)).status_code == 200


def test_navigation_marks_the_current_section(world, client):
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("core:territory_detail", args=[world.territories["district"].pk]))
    assert response.context["nav_active"] == reverse("core:territory_list")
    client.force_login(world.users["street_a_handler"])
    labels = [label for _, _, label in client.get(reverse("core:home")).context["nav_items"]]
    assert "用户" not in labels and "辖区" in labels
