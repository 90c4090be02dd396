"""Who sees which core object, for every user of the test world, through pages and the API.

The expectations are one table: kind → user → the keys (in `world.<attr>`) that user sees.
Another app adds its kinds by adding a `Kind` to KINDS and a column to EXPECTED; the tests
below run every (user, kind) pair through the detail page, the detail endpoint, the list page
and the list endpoint, and compare the visible set with the table. Kinds the world does not
hold (cases) are built on first use by `objects_of`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import Resolver404, resolve, reverse

WORLD_USERS = [
    "clerk",
    "office_staff",
    "office_leader",
    "inspector",
    "street_a_handler",
    "street_a_leader",
    "street_b_handler",
    "housing_handler",
    "transport_handler",
    "soe_handler",
    "police_officer",
    "grid_a_worker",
    "labour_manager",
    "tax_feed",
    "admin",
]


@dataclass(frozen=True)
class Kind:
    world_attr: str  # the dict on World holding the objects
    detail_page: str  # URL name taking the pk
    list_page: str  # URL name; the response context has `page` (a Paginator page)
    api_detail: str  # path with {id} (or {number})
    api_list: str  # paginated endpoint answering {"items": [...], "count": n}
    api_key: str = "id"  # the attribute an API item is known by (cases: their number)


KINDS = {
    "territory": Kind("territories", "core:territory_detail", "core:territory_list", "/api/v1/territories/{id}", "/api/v1/territories"),
    "organisation": Kind(
        "organisations", "core:organisation_detail", "core:organisation_list", "/api/v1/organisations/{id}", "/api/v1/organisations"
    ),
    "user": Kind("users", "core:user_detail", "core:user_list", "/api/v1/users/{id}", "/api/v1/users"),
    "enterprise": Kind(
        "enterprises", "registry:enterprise_detail", "registry:enterprise_list", "/api/v1/enterprises/{id}", "/api/v1/enterprises"
    ),
    "project": Kind("projects", "registry:project_detail", "registry:project_list", "/api/v1/projects/{id}", "/api/v1/projects"),
    "case": Kind("cases", "cases:detail", "cases:list", "/api/v1/cases/{number}", "/api/v1/cases", api_key="number"),
    # A project's payroll (roster, rates, findings): the project's scope; a labour manager only
    # the projects his enterprise builds, never another contractor's.
    "payroll_project": Kind(
        "projects", "payroll:project", "payroll:project_list", "/api/v1/payroll/projects/{id}", "/api/v1/payroll/projects"
    ),
}


def build_cases(world) -> dict:
    """One case of each kind of reach (the world itself has none): through the services."""
    from wagewatch.testing.cases import dispatch, register

    housing, road = world.projects["housing_b"], world.projects["road_a"]
    return {
        # lead: street A; territory: grid A
        "factory_a": dispatch(world, register(world).case),
        # lead: street B; territory: grid B
        "factory_b": dispatch(
            world, register(world, employer_name=world.enterprises["factory_b"].name, employer_credit_code=world.enterprises["factory_b"].credit_code).case
        ),
        # lead: housing bureau; street B assists; contractor A's headquarters notified; territory: community B
        "housing_b": dispatch(world, register(world, project_id=housing.pk, employer_name="西城花园劳务班组", employer_credit_code="").case),
        # lead: the state-owned owner; street A assists; transport bureau copied; territory: street A
        "road_a": dispatch(world, register(world, project_id=road.pk, employer_name="东城大道路桥班组", employer_credit_code="").case),
        # not dispatched yet, in grid A: no unit has a part in it
        "registered_a": register(world, employer_name="东花小吃店", employer_credit_code="", territory_id=world.territories["grid_a"].pk).case,
    }


def objects_of(world, kind: str) -> dict:
    attr = KINDS[kind].world_attr
    if not hasattr(world, attr) and kind == "case":
        world.cases = build_cases(world)
    return getattr(world, attr)


def api_mounted(spec: Kind) -> bool:
    try:
        resolve(spec.api_list)
    except Resolver404:
        return False
    return True

ALL = "__all__"
T_DISTRICT = ALL
T_STREET_A = {"street_a", "community_a", "grid_a"}
T_STREET_B = {"street_b", "community_b", "grid_b"}
O_STREET_A = {"street_a", "contractor_a"}
DISTRICT_WIDE = {
    "clerk",
    "office_staff",
    "office_leader",
    "inspector",
    "housing_handler",
    "transport_handler",
    "soe_handler",
    "police_officer",
    "admin",
}

EXPECTED: dict[str, dict[str, set[str] | str]] = {
    "territory": {
        **{u: T_DISTRICT for u in DISTRICT_WIDE},
        "street_a_handler": T_STREET_A,
        "street_a_leader": T_STREET_A,
        "street_b_handler": T_STREET_B,
        "grid_a_worker": {"grid_a"},
        "labour_manager": T_STREET_A,  # not territorial: the subtree of its organisation's street
        "tax_feed": set(),
    },
    "organisation": {
        **{u: ALL for u in DISTRICT_WIDE},
        "street_a_handler": O_STREET_A,
        "street_a_leader": O_STREET_A,
        "street_b_handler": {"street_b"},
        "grid_a_worker": {"street_a"},  # its grid holds no organisation; its own is added
        "labour_manager": O_STREET_A,
        "tax_feed": {"tax_feed"},  # its own organisation only
    },
    "user": {
        **{u: {u} for u in WORLD_USERS},
        "office_staff": ALL,
        "office_leader": ALL,
        "admin": ALL,
        "street_a_leader": {"street_a_handler", "street_a_leader", "grid_a_worker"},
    },
    # Enterprises: in the territory subtree, or party to a project the user's organisation
    # supervises or owns, or the user's own contractor and the parties to its projects.
    "enterprise": {
        **{u: ALL for u in ("clerk", "office_staff", "office_leader", "inspector", "admin")},
        "street_a_handler": {"contractor_a", "factory_a"},
        "street_a_leader": {"contractor_a", "factory_a"},
        "street_b_handler": {"factory_b", "owner_b"},
        "housing_handler": {"contractor_a", "owner_b"},  # parties to housing_b, which it supervises
        "transport_handler": set(),  # road_a has no enterprise party
        "soe_handler": set(),
        "police_officer": set(),
        "grid_a_worker": {"factory_a"},
        "labour_manager": {"contractor_a", "owner_b"},
        "tax_feed": set(),
    },
    # Projects: in the territory subtree, or supervised/owned by the user's organisation,
    # or built by the user's contractor.
    "project": {
        **{u: ALL for u in ("clerk", "office_staff", "office_leader", "inspector", "admin")},
        "street_a_handler": {"road_a"},
        "street_a_leader": {"road_a"},
        "street_b_handler": {"housing_b"},
        "housing_handler": {"housing_b"},
        "transport_handler": {"road_a"},
        "soe_handler": {"road_a"},
        "police_officer": set(),
        "grid_a_worker": set(),
        "labour_manager": {"housing_b"},
        "tax_feed": set(),
    },
    # Cases: the office, clerks, inspectors and administrators see the district; grid workers
    # their grid; every other organisation only the cases it has an active part in (lead,
    # assisting, copy, notified), so a unit never sees another unit's case.
    "case": {
        **{u: ALL for u in ("clerk", "office_staff", "office_leader", "inspector", "admin")},
        "street_a_handler": {"factory_a", "road_a"},
        "street_a_leader": {"factory_a", "road_a"},
        "street_b_handler": {"factory_b", "housing_b"},
        "housing_handler": {"housing_b"},
        "transport_handler": {"road_a"},
        "soe_handler": {"road_a"},
        "police_officer": set(),
        "grid_a_worker": {"factory_a", "registered_a"},
        "labour_manager": {"housing_b"},
        "tax_feed": set(),
    },
}
# A project's payroll is seen exactly by those who see the project.
EXPECTED["payroll_project"] = dict(EXPECTED["project"])


def expected_keys(world, kind: str, user_key: str) -> set[str]:
    expected = EXPECTED[kind][user_key]
    return set(objects_of(world, kind)) if expected == ALL else set(expected)


def test_table_covers_every_world_user_and_object(world):
    for kind, table in EXPECTED.items():
        assert set(table) == set(WORLD_USERS) == set(world.users), kind
        objects = set(objects_of(world, kind))
        for user_key, keys in table.items():
            assert keys == ALL or keys <= objects, (kind, user_key)


PAIRS = [(u, k) for u in WORLD_USERS for k in KINDS]


def sign_in(client, world, user_key) -> bool:
    """Sign the client in as the user; False for the interface-only data provider, which has no
    page session (its pages redirect to the login) and reaches the API with its token."""
    from wagewatch.core.auth import api_token_create
    from wagewatch.core.models import Role

    user = world.users[user_key]
    if user.role == Role.DATA_PROVIDER:
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_token_create(user=user)}"
        return False
    client.force_login(user)
    return True


@pytest.mark.parametrize(("user_key", "kind"), PAIRS)
def test_detail_page_and_endpoint(world, client, user_key, kind):
    pages_open = sign_in(client, world, user_key)
    spec = KINDS[kind]
    seen_page, seen_api = set(), set()
    objects = objects_of(world, kind)
    for key, obj in objects.items():
        page = client.get(reverse(spec.detail_page, args=[obj.pk]))
        assert page.status_code in ((200, 404) if pages_open else (302,)), (key, page.status_code)
        if page.status_code == 200:
            seen_page.add(key)
    expected = expected_keys(world, kind, user_key)
    assert seen_page == (expected if pages_open else set())
    if not api_mounted(spec):
        pytest.skip(f"{spec.api_list} 尚未挂载:只核对了页面")
    for key, obj in objects.items():
        api = client.get(spec.api_detail.format(id=obj.pk, number=getattr(obj, "number", "")))
        assert api.status_code in (200, 404), (key, api.status_code)
        if api.status_code == 200:
            assert api.json()[spec.api_key] == getattr(obj, "pk" if spec.api_key == "id" else spec.api_key)
            seen_api.add(key)
        else:
            assert api.json()["code"] == "not_found"
    assert seen_api == expected


@pytest.mark.parametrize(("user_key", "kind"), PAIRS)
def test_list_page_and_endpoint(world, client, user_key, kind):
    pages_open = sign_in(client, world, user_key)
    spec = KINDS[kind]
    objects = objects_of(world, kind)
    by_pk = {obj.pk: key for key, obj in objects.items()}
    expected = expected_keys(world, kind, user_key)

    page = client.get(reverse(spec.list_page))
    if pages_open:
        assert page.status_code == 200
        assert {by_pk[o.pk] for o in page.context["page"].object_list} == expected
    else:
        assert page.status_code == 302

    if not api_mounted(spec):
        pytest.skip(f"{spec.api_list} 尚未挂载:只核对了页面")
    by_key = {(obj.pk if spec.api_key == "id" else getattr(obj, spec.api_key)): key for key, obj in objects.items()}
    body = client.get(spec.api_list, {"page_size": 500}).json()
    assert body["count"] == len(expected)
    assert {by_key[item[spec.api_key]] for item in body["items"]} == expected


def test_unknown_ids_answer_404_like_foreign_ones(world, client):
    client.force_login(world.users["street_b_handler"])
    for spec in KINDS.values():
        assert client.get(reverse(spec.detail_page, args=[999999])).status_code == 404
        if api_mounted(spec):
            assert client.get(spec.api_detail.format(id=999999, number="AJ999999999999")).status_code == 404


def test_anonymous_sees_nothing(world, client):
    for kind, spec in KINDS.items():
        obj = next(iter(objects_of(world, kind).values()))
        page = client.get(reverse(spec.detail_page, args=[obj.pk]))
        assert page.status_code == 302 and page["Location"].startswith("/login/")
        page = client.get(reverse(spec.list_page))
        assert page.status_code == 302 and page["Location"].startswith("/login/")
        if api_mounted(spec):
            assert client.get(spec.api_detail.format(id=obj.pk, number=getattr(obj, "number", ""))).status_code == 401
