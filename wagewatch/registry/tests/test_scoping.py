"""Who sees which enterprise and project, through the selectors, the pages and the API alike."""

import pytest
from django.urls import reverse

from wagewatch.registry import selectors, services
from wagewatch.registry.models import ProjectParticipant

ALL_PROJECTS = {"housing_b", "road_a"}
ALL_ENTERPRISES = {"contractor_a", "factory_a", "factory_b", "owner_b"}

EXPECTED = {
    # user: (projects, enterprises)
    "street_b_handler": ({"housing_b"}, {"factory_b", "owner_b"}),
    "street_a_handler": ({"road_a"}, {"contractor_a", "factory_a"}),
    "grid_a_worker": (set(), {"factory_a"}),
    "housing_handler": ({"housing_b"}, {"owner_b", "contractor_a"}),
    "transport_handler": ({"road_a"}, set()),
    "soe_handler": ({"road_a"}, set()),
    "labour_manager": (ALL_PROJECTS, {"contractor_a", "owner_b"}),
    "tax_feed": (set(), set()),
    "police_officer": (set(), set()),
    "office_staff": (ALL_PROJECTS, ALL_ENTERPRISES),
    "clerk": (ALL_PROJECTS, ALL_ENTERPRISES),
    "admin": (ALL_PROJECTS, ALL_ENTERPRISES),
}


@pytest.fixture
def world_with_chain(world):
    # factory_b works under contractor_a on housing_b: the housing bureau then sees it too.
    services.project_participant_add(
        actor=None,
        project=world.projects["housing_b"],
        enterprise=world.enterprises["factory_b"],
        role=ProjectParticipant.Role.LABOUR_SUBCONTRACTOR,
    )
    # contractor_a also builds road_a, so its labour manager sees both projects.
    services.project_update(actor=None, project=world.projects["road_a"], general_contractor=world.enterprises["contractor_a"])
    return world


def _keys(objects, found):
    return {k for k, o in objects.items() if o.pk in found}


def _expected(user_key):
    projects, enterprises = EXPECTED[user_key]
    if user_key in ("housing_handler", "labour_manager"):
        enterprises = enterprises | {"factory_b"}
    if user_key == "transport_handler" or user_key == "soe_handler":
        enterprises = enterprises | {"contractor_a"}
    return projects, enterprises


@pytest.mark.parametrize("user_key", sorted(EXPECTED))
def test_selectors(world_with_chain, user_key):
    w = world_with_chain
    user = w.users[user_key]
    projects, enterprises = _expected(user_key)
    assert _keys(w.projects, set(selectors.project_list(user=user).values_list("pk", flat=True))) == projects
    assert _keys(w.enterprises, set(selectors.enterprise_list(user=user).values_list("pk", flat=True))) == enterprises


@pytest.mark.parametrize("user_key", ["street_b_handler", "housing_handler", "labour_manager", "office_staff"])
def test_pages_and_api(client, world_with_chain, user_key):
    w = world_with_chain
    client.force_login(w.users[user_key])
    projects, enterprises = _expected(user_key)
    for key, project in w.projects.items():
        expected = 200 if key in projects else 404
        assert client.get(reverse("registry:project_detail", args=[project.pk])).status_code == expected, key
        response = client.get(f"/api/v1/projects/{project.pk}")
        assert response.status_code == expected, key
        if expected == 404:
            assert response.json()["code"] == "not_found"
    for key, enterprise in w.enterprises.items():
        expected = 200 if key in enterprises else 404
        assert client.get(reverse("registry:enterprise_detail", args=[enterprise.pk])).status_code == expected, key
        assert client.get(f"/api/v1/enterprises/{enterprise.pk}").status_code == expected, key
    listed = client.get("/api/v1/projects").json()
    assert {p["code"] for p in listed["items"]} == {w.projects[k].code for k in projects}
    page = client.get(reverse("registry:enterprise_list")).content.decode()
    for key, enterprise in w.enterprises.items():
        assert (enterprise.name in page) == (key in enterprises), key


def test_read_only_roles_cannot_write(client, world):
    client.force_login(world.users["housing_handler"])
    assert client.get(reverse("registry:enterprise_create")).status_code == 403
    assert client.get(reverse("registry:project_edit", args=[world.projects["housing_b"].pk])).status_code == 403
    # Out of scope answers 404 even for an edit.
    assert client.get(reverse("registry:project_edit", args=[world.projects["road_a"].pk])).status_code == 404
    assert client.get(reverse("registry:import")).status_code == 403
    assert client.get(reverse("registry:thresholds")).status_code == 403
    response = client.patch(
        f"/api/v1/projects/{world.projects['housing_b'].pk}", data={"name": "改名"}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_clerk_may_edit_enterprises_but_not_projects(client, world):
    client.force_login(world.users["clerk"])
    assert client.get(reverse("registry:enterprise_create")).status_code == 200
    assert client.get(reverse("registry:enterprise_edit", args=[world.enterprises["factory_a"].pk])).status_code == 200
    assert client.get(reverse("registry:project_create")).status_code == 403
    assert client.get(reverse("registry:import_template", args=["projects"])).status_code == 403
    assert client.get(reverse("registry:import_template", args=["enterprises"])).status_code == 200
