"""The case lists: the ledger's filters, pagination and export, a unit's inbox, the office's
overdue board; scoping on every one of them, and a fixed number of queries per page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from wagewatch.cases.models import Case, CaseDeadline, CaseState
from wagewatch.cases.views_lists import overdue_for
from wagewatch.intake.models import Channel
from wagewatch.testing.cases import dispatch, register, walk_to

LIST = reverse("cases:list")
EXPORT = reverse("cases:export")
INBOX = reverse("cases:inbox")
BOARD = reverse("cases:overdue_board")


@pytest.fixture
def cases(world):
    """Five cases of different reach (see the scoping matrix) plus a closed and a hotline one."""
    housing, road = world.projects["housing_b"], world.projects["road_a"]
    factory_b = world.enterprises["factory_b"]
    made = {
        "factory_a": dispatch(world, register(world, complainant_phone="13700000001").case),
        "factory_b": dispatch(world, register(world, complainant_phone="13700000002", employer_name=factory_b.name, employer_credit_code=factory_b.credit_code).case),
        "housing_b": dispatch(world, register(world, complainant_phone="13700000003", project_id=housing.pk, employer_name="西城花园劳务班组", employer_credit_code="").case),
        "road_a": dispatch(world, register(world, complainant_phone="13700000004", project_id=road.pk, employer_name="东城大道路桥班组", employer_credit_code="").case),
        "registered_a": register(
            world, complainant_phone="13700000005", complainant_id_number="11010519491231002X", employer_name="东花小吃店",
            employer_credit_code="", territory_id=world.territories["grid_a"].pk, amount_owed=Decimal("1200000"),
        ).case,
        "hotline_b": register(
            world, channel=Channel.HOTLINE_12345, complainant_phone="13700000006", employer_name="西城快递站", employer_credit_code="",
            territory_id=world.territories["community_b"].pk,
        ).case,
    }
    made["closed_a"] = walk_to(
        world, register(world, complainant_phone="13700000007", employer_name="东城洗车行", employer_credit_code="", territory_id=world.territories["street_a"].pk).case,
        CaseState.CLOSED,
    )
    return made


def make_overdue(case: Case, *, hours: float = 5) -> Case:
    """Move a case's open deadlines into the past (as if time had run on)."""
    due = timezone.now() - timedelta(hours=hours)
    CaseDeadline.objects.filter(case=case, status=CaseDeadline.Status.OPEN).update(due_at=due)
    first = CaseDeadline.objects.filter(case=case, status=CaseDeadline.Status.OPEN).order_by("due_at", "kind").first()
    Case.objects.filter(pk=case.pk).update(next_due_at=due, next_due_kind=first.kind)
    case.refresh_from_db()
    return case


def numbers_on(response) -> set[str]:
    return {c.number for c in response.context["page"].object_list}


def login(client, world, key):
    client.force_login(world.users[key])
    return client


# ---------------------------------------------------------------- the ledger


def test_ledger_filters(client, world, cases):
    login(client, world, "office_staff")
    n = {k: c.number for k, c in cases.items()}
    assert numbers_on(client.get(LIST)) == set(n.values())
    assert numbers_on(client.get(LIST, {"state": "open"})) == set(n.values()) - {n["closed_a"]}
    assert numbers_on(client.get(LIST, {"state": "registered"})) == {n["registered_a"], n["hotline_b"]}
    assert numbers_on(client.get(LIST, {"state": "closed"})) == {n["closed_a"]}
    assert numbers_on(client.get(LIST, {"unit": world.organisations["street_a"].pk})) == {n["factory_a"], n["closed_a"]}
    assert numbers_on(client.get(LIST, {"unit": world.organisations["housing"].pk})) == {n["housing_b"]}
    assert numbers_on(client.get(LIST, {"territory": world.territories["street_b"].pk})) == {n["factory_b"], n["housing_b"], n["hotline_b"]}
    assert numbers_on(client.get(LIST, {"territory": world.territories["community_a"].pk})) == {n["factory_a"], n["registered_a"]}
    assert numbers_on(client.get(LIST, {"channel": Channel.HOTLINE_12345})) == {n["hotline_b"]}
    assert numbers_on(client.get(LIST, {"major": "on"})) == {n["registered_a"]}
    assert numbers_on(client.get(LIST, {"q": n["factory_b"].lower()})) == {n["factory_b"]}
    assert numbers_on(client.get(LIST, {"q": "路桥"})) == {n["road_a"]}
    assert numbers_on(client.get(LIST, {"q": "西城花园"})) == {n["housing_b"]}
    assert numbers_on(client.get(LIST, {"state": "open", "territory": world.territories["street_a"].pk, "q": "东"})) == {
        n["factory_a"], n["road_a"], n["registered_a"]
    }


def test_overdue_filter_and_red_deadline(client, world, cases):
    make_overdue(cases["factory_b"], hours=30)
    # A closed case is never overdue, even with a stale deadline column.
    Case.objects.filter(pk=cases["closed_a"].pk).update(next_due_at=timezone.now() - timedelta(hours=30), next_due_kind="close")
    login(client, world, "office_staff")
    response = client.get(LIST, {"overdue": "on"})
    assert numbers_on(response) == {cases["factory_b"].number}
    page = response.content.decode()
    assert 'class="due overdue"' in page and "超期" in page
    page = client.get(LIST).content.decode()
    assert page.count('class="due overdue"') == 1


def test_provisional_deadline_is_marked(client, world, cases):
    case = cases["factory_a"]
    CaseDeadline.objects.filter(case=case, status=CaseDeadline.Status.OPEN, due_at=case.next_due_at).update(provisional=True)
    login(client, world, "office_staff")
    page = client.get(LIST, {"q": case.number}).content.decode()
    assert "暂定" in page
    assert "暂定" not in client.get(LIST, {"q": cases["factory_b"].number}).content.decode()


def test_major_badge_and_columns(client, world, cases):
    login(client, world, "office_staff")
    page = client.get(LIST, {"q": cases["registered_a"].number}).content.decode()
    assert "重大" in page and "1,200,000.00" in page and "东花小吃店" in page and "已登记" in page
    page = client.get(LIST, {"q": cases["housing_b"].number}).content.decode()
    assert "示范区住房和城乡建设局" in page and "西城花园二期" in page


def test_unit_ledger_never_shows_another_units_case(client, world, cases):
    n = {k: c.number for k, c in cases.items()}
    login(client, world, "street_a_handler")
    assert numbers_on(client.get(LIST)) == {n["factory_a"], n["road_a"], n["closed_a"]}
    # Filters cannot widen the scope.
    assert numbers_on(client.get(LIST, {"unit": world.organisations["street_b"].pk})) == set()
    assert numbers_on(client.get(LIST, {"q": n["factory_b"]})) == set()
    assert numbers_on(client.get(LIST, {"territory": world.territories["street_b"].pk})) == set()
    login(client, world, "street_b_handler")
    assert numbers_on(client.get(LIST)) == {n["factory_b"], n["housing_b"]}


def test_pagination_by_page_number(client, world):
    for i in range(55):
        register(world, complainant_phone=f"1360000{i:04d}", employer_name=f"第{i}号作坊", employer_credit_code="", territory_id=world.territories["street_a"].pk)
    login(client, world, "office_staff")
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 50 and first.context["page"].paginator.num_pages == 2
    assert "page=2" in first.content.decode()
    second = client.get(LIST, {"page": 2, "territory": world.territories["street_a"].pk})
    assert len(second.context["page"].object_list) == 5
    assert f"territory={world.territories['street_a'].pk}&amp;page=1" in second.content.decode()
    assert numbers_on(first).isdisjoint(numbers_on(second))


def test_list_pages_run_a_fixed_number_of_queries(client, world, cases, django_assert_max_num_queries):
    for i in range(30):
        result = register(world, complainant_phone=f"1350000{i:04d}", employer_name=f"第{i}号工地", employer_credit_code="", territory_id=world.territories["grid_a"].pk)
        case = dispatch(world, result.case)
        if i % 3 == 0:
            make_overdue(case, hours=i + 1)
    login(client, world, "office_staff")
    # session, user, organisation, territory, unit and territory menus, count, rows, provisional
    # deadlines, the notification badge, the session touch (3): the same for 7 rows or 37.
    with django_assert_max_num_queries(13):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 37
    with django_assert_max_num_queries(10):
        response = client.get(BOARD)
    assert response.context["totals"]["cases"] == 10
    login(client, world, "street_a_handler")
    with django_assert_max_num_queries(12):
        response = client.get(INBOX)
    assert len(response.context["page"].object_list) == 32


# ---------------------------------------------------------------- export


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    return list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))


def test_export_has_the_filtered_scoped_rows_and_no_personal_numbers(client, world, cases):
    login(client, world, "office_staff")
    rows = sheet_rows(client.get(EXPORT, {"state": "open", "territory": world.territories["street_b"].pk}))
    header = rows[0]
    assert header[:5] == ("案件编号", "收到时间", "登记时间", "来源渠道", "状态") and "牵头责任单位" in header and "是否超期" in header
    assert {r[0] for r in rows[1:]} == {cases["factory_b"].number, cases["housing_b"].number, cases["hotline_b"].number}
    hotline = next(r for r in rows[1:] if r[0] == cases["hotline_b"].number)
    assert hotline[3] == "12345热线" and hotline[4] == "已登记"
    everything = " ".join(str(v) for r in sheet_rows(client.get(EXPORT)) for v in r)
    assert "1370000000" not in everything and "11010519491231002X" not in everything and "1949" not in everything
    assert "东花小吃店" in everything and "1200000" in everything


def test_export_of_a_unit_holds_only_its_cases(client, world, cases):
    login(client, world, "street_b_handler")
    rows = sheet_rows(client.get(EXPORT))
    assert {r[0] for r in rows[1:]} == {cases["factory_b"].number, cases["housing_b"].number}


def test_export_marks_overdue(client, world, cases):
    make_overdue(cases["housing_b"], hours=2)
    login(client, world, "office_staff")
    rows = sheet_rows(client.get(EXPORT, {"overdue": "on"}))
    index = rows[0].index("是否超期")
    assert [(r[0], r[index]) for r in rows[1:]] == [(cases["housing_b"].number, "是")]


# ---------------------------------------------------------------- inbox


def test_inbox_lists_the_units_open_cases_with_its_part(client, world, cases):
    login(client, world, "street_b_handler")
    response = client.get(INBOX)
    assert numbers_on(response) == {cases["factory_b"].number, cases["housing_b"].number}
    rows = {c.number: [label for label, _ in c.parts] for c in response.context["page"].object_list}
    assert rows == {cases["factory_b"].number: ["牵头"], cases["housing_b"].number: ["协办"]}
    login(client, world, "labour_manager")
    response = client.get(INBOX)
    assert {c.number: [label for label, _ in c.parts] for c in response.context["page"].object_list} == {cases["housing_b"].number: ["告知"]}
    login(client, world, "transport_handler")
    assert [label for label, _ in client.get(INBOX).context["page"].object_list[0].parts] == ["抄送"]


def test_inbox_never_shows_another_units_case_nor_closed_ones(client, world, cases):
    login(client, world, "street_a_handler")
    response = client.get(INBOX)
    assert numbers_on(response) == {cases["factory_a"].number, cases["road_a"].number}  # not closed_a, not registered_a
    page = response.content.decode()
    assert cases["factory_b"].number not in page and cases["housing_b"].number not in page
    for key in ("police_officer", "clerk"):
        login(client, world, key)
        assert numbers_on(client.get(INBOX)) == set()


def test_inbox_puts_the_most_urgent_first_and_highlights_overdue(client, world, cases):
    make_overdue(cases["road_a"], hours=3)
    login(client, world, "street_a_handler")
    response = client.get(INBOX)
    assert [c.number for c in response.context["page"].object_list] == [cases["road_a"].number, cases["factory_a"].number]
    assert response.context["counts"]["overdue"] == 1 and response.context["counts"]["total"] == 2
    page = response.content.decode()
    assert '<tr class="overdue">' in page and page.index(cases["road_a"].number) < page.index(cases["factory_a"].number)


# ---------------------------------------------------------------- overdue board


@pytest.mark.parametrize("user_key", ["clerk", "inspector", "street_a_handler", "street_a_leader", "grid_a_worker"])
def test_overdue_board_is_for_the_office(client, world, user_key):
    login(client, world, user_key)
    response = client.get(BOARD)
    assert response.status_code == 403 and "超期督办只对清欠办" in response.content.decode()


def test_overdue_board_groups_by_unit_with_leader_and_time_overdue(client, world, cases):
    make_overdue(cases["factory_a"], hours=50)
    make_overdue(cases["housing_b"], hours=3)
    make_overdue(cases["registered_a"], hours=1)
    Case.objects.filter(pk=cases["factory_a"].pk).update(listed_supervision=True)
    login(client, world, "office_leader")
    response = client.get(BOARD)
    assert response.status_code == 200
    summary = {s["unit_name"]: s for s in response.context["summary"]}
    assert set(summary) == {"东城街道办事处", "示范区住房和城乡建设局", "未转办(清欠办)"}
    street_a = summary["东城街道办事处"]
    assert (street_a["case_count"], street_a["deadline_count"], street_a["listed"]) == (1, 2, 1)
    assert summary["未转办(清欠办)"]["listed"] == 1  # a major case is listed for supervision by itself
    assert street_a["leaders"] == ["street_a_leader"] and street_a["longest"].startswith("2天")
    assert response.context["totals"] == {"deadlines": 6, "cases": 3, "units": 3, "listed": 2}
    page = response.content.decode()
    assert "挂牌督办" in page and "street_a_leader" in page and "2天2小时" in page
    assert cases["factory_b"].number not in page  # not overdue
    # By unit: rows grouped, one header per unit.
    assert page.count('<tr class="group">') == 3
    # Longest overdue first, across units.
    rows = client.get(BOARD, {"sort": "overdue"}).context["rows"]
    assert rows[0].case_id == cases["factory_a"].pk and rows[-1].case_id == cases["registered_a"].pk
    # One unit only.
    only = client.get(BOARD, {"unit": world.organisations["housing"].pk}).context["page"].object_list
    assert {d.case_id for d in only} == {cases["housing_b"].pk}
    undispatched = client.get(BOARD, {"unit": "none"}).context["page"].object_list
    assert {d.case_id for d in undispatched} == {cases["registered_a"].pk}


def test_overdue_board_ignores_met_deadlines_and_closed_cases(client, world, cases):
    make_overdue(cases["factory_b"], hours=4)
    CaseDeadline.objects.filter(case=cases["factory_b"]).update(status=CaseDeadline.Status.MET)
    login(client, world, "office_staff")
    assert client.get(BOARD).context["totals"]["deadlines"] == 0
    assert "目前没有超期未办的事项" in client.get(BOARD).content.decode()


def test_overdue_for_reads_like_an_office_writes():
    assert overdue_for(timedelta(minutes=12, seconds=40)) == "12分钟"
    assert overdue_for(timedelta(hours=5)) == "5小时"
    assert overdue_for(timedelta(hours=5, minutes=20)) == "5小时20分"
    assert overdue_for(timedelta(days=3, hours=4, minutes=59)) == "3天4小时"
    assert overdue_for(timedelta(days=2)) == "2天"
    assert overdue_for(timedelta(seconds=-5)) == "0分钟"


def test_anonymous_is_sent_to_sign_in(client):
    for url in (LIST, EXPORT, INBOX, BOARD):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_ledger_past_the_count_cap_says_so_on_the_page_and_in_the_api(client, world, cases, monkeypatch):
    """A million-case ledger is not counted row by row: past the cap it shows "N+" (here the cap
    is lowered to 3 so that seven cases pass it)."""
    monkeypatch.setattr("wagewatch.core.pagination.COUNT_CAP", 3)
    monkeypatch.setattr("wagewatch.cases.views_lists.PAGE_SIZE", 2)
    login(client, world, "office_staff")
    page = client.get(LIST)
    text = page.content.decode()
    assert "共 3+ 件" in text and "请用筛选缩小范围" in text
    assert len(numbers_on(page)) == 2 and page.context["page"].paginator.num_pages == 2
    api = client.get("/api/v1/cases").json()
    assert api["count"] == 3 and api["count_capped"] is True and len(api["items"]) == 7
    # Under the cap the figure is exact.
    exact = client.get(LIST, {"state": "registered"}).content.decode()
    assert "共 2 件" in exact and "请用筛选缩小范围" not in exact
    api = client.get("/api/v1/cases", {"state": "registered"}).json()
    assert api["count"] == 2 and api["count_capped"] is False
