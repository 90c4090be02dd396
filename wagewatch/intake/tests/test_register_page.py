"""The staff registration page: who may use it, the form, duplicate suggestions and the
clerk's choice, Chinese errors that keep the input, the htmx lookups, and one registration
per form however often it is sent."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagewatch.cases.models import Case, CaseState
from wagewatch.core.models import Organisation
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel, Complaint
from wagewatch.testing.cases import register, walk_to

URL = reverse("intake:register")
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def clerk(client, world):
    client.force_login(world.users["clerk"])
    return client


def token_of(response) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', response.content.decode())
    assert match, "the page carries a form token"
    return match.group(1)


def fresh_token(client) -> str:
    return token_of(client.get(URL))


def form_data(world, token: str, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "form_token": token,
        "channel": Channel.WINDOW,
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "external_id": "",
        "complainant_name": "王小五",
        "complainant_phone": "13800138000",
        "complainant_id_number": ID_NUMBER,
        "worker_count": "2",
        "amount_owed": "12,000",
        "period_start": (today - timedelta(days=90)).isoformat(),
        "period_end": (today - timedelta(days=30)).isoformat(),
        "employer_name": world.enterprises["factory_b"].name,
        "employer_credit_code": world.enterprises["factory_b"].credit_code,
        "project": "",
        "project_name": "",
        "site_address": "西城区西花路8号",
        "territory": "",
        "industry": "",
        "subcontracting_chain": "班组长刘某",
        "description": "拖欠两个月工资",
        "workers-0-name": "赵六",
        "workers-0-phone": "13800138001",
        "workers-0-id_number": "",
        "workers-0-amount_owed": "6000",
        "workers-1-name": "",
        "workers-1-phone": "",
        "workers-1-id_number": "",
        "workers-1-amount_owed": "",
        "step": "check",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts():
    return Case.objects.count(), Complaint.objects.count(), Event.objects.count()


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- who and what


@pytest.mark.parametrize("user_key", ["clerk", "office_staff", "office_leader", "admin"])
def test_intake_roles_get_the_form(client, world, user_key):
    client.force_login(world.users[user_key])
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<option value="window" selected>专窗受理</option>' in page
    assert "登记后立即按规则转办" in page and "检查重复并登记" in page


@pytest.mark.parametrize(
    "user_key", ["inspector", "street_a_handler", "street_a_leader", "housing_handler", "grid_a_worker", "labour_manager"]
)
def test_other_roles_are_refused_in_chinese(client, world, user_key):
    client.force_login(world.users[user_key])
    before = counts()
    for response in (client.get(URL), client.post(URL, form_data(world, "t-1"))):
        assert response.status_code == 403
        assert "只有专窗受理员" in response.content.decode()
    assert counts() == before


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_form_defaults_received_now_and_offers_territories_in_scope(clerk, world):
    page = clerk.get(URL).content.decode()
    now = timezone.localtime()
    received = re.search(r'name="received_at" value="([^"]+)"', page).group(1)
    assert abs(timezone.make_aware(timezone.datetime.strptime(received, "%Y-%m-%dT%H:%M")) - now) < timedelta(minutes=2)
    assert "东花社区" in page and "西城街道" in page
    assert page.count('name="workers-') == 3 * 4  # three blank rows of four inputs


# ---------------------------------------------------------------- registering


def test_registers_everything_the_complaint_records_and_goes_to_the_case(clerk, world):
    project = world.projects["housing_b"]
    response = clerk.post(
        URL,
        form_data(
            world,
            fresh_token(clerk),
            employer_name="西城花园劳务班组",
            employer_credit_code="",
            project=str(project.pk),
            project_name="西城花园二期3号楼",
            territory=str(world.territories["community_b"].pk),
            industry="construction",
            legal_aid_requested="on",
        ),
    )
    complaint = Complaint.objects.select_related("case").get()
    case = complaint.case
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert (complaint.channel, complaint.relation, complaint.registered_by) == (Channel.WINDOW, "origin", world.users["clerk"])
    assert complaint.complainant_phone == "13800138000" and complaint.complainant_id_number == ID_NUMBER
    assert (complaint.worker_count, complaint.amount_owed) == (2, Decimal("12000.00"))
    assert complaint.project == project and complaint.project_name == "西城花园二期3号楼"
    assert complaint.territory == world.territories["community_b"] and complaint.industry == "construction"
    assert complaint.subcontracting_chain == "班组长刘某" and complaint.legal_aid_requested
    assert complaint.site_address == "西城区西花路8号" and complaint.period_end is not None
    assert [(w.name, w.phone, w.amount_owed) for w in complaint.workers.all()] == [("赵六", "13800138001", Decimal("6000.00"))]
    assert case.state == CaseState.REGISTERED
    text = " ".join(message_texts(response))
    assert case.number in text and complaint.number in text and "新立案件" in text
    assert reverse("cases:commitment_letter", args=[case.pk]) in text


def test_external_channel_keeps_its_id_and_received_time(clerk, world):
    received = timezone.localtime() - timedelta(days=1, hours=3)
    data = form_data(
        world, fresh_token(clerk), channel=Channel.HOTLINE_12345, external_id="12345-2026-0001", received_at=received.strftime("%Y-%m-%dT%H:%M")
    )
    clerk.post(URL, data)
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.HOTLINE_12345 and complaint.external_id == "12345-2026-0001"
    assert timezone.localtime(complaint.received_at).strftime("%Y-%m-%d %H:%M") == received.strftime("%Y-%m-%d %H:%M")
    # The same clue typed in again (a new form) finds the first registration.
    response = clerk.post(URL, form_data(world, fresh_token(clerk), channel=Channel.HOTLINE_12345, external_id="12345-2026-0001"))
    assert Complaint.objects.count() == 1
    assert response["Location"] == reverse("cases:detail", args=[complaint.case_id])
    assert "此前已登记" in " ".join(message_texts(response))


def test_dispatch_checkbox_dispatches_by_the_rules(clerk, world):
    # Street B is not on the platform (inactive): registered, not dispatched, and the clerk is told why.
    street_b = Organisation.objects.filter(pk=world.organisations["street_b"].pk)
    street_b.update(is_active=False)
    response = clerk.post(URL, form_data(world, fresh_token(clerk), dispatch="on"))
    undispatched = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[undispatched.pk])
    assert undispatched.state == CaseState.REGISTERED and undispatched.lead_organisation is None
    assert "未自动转办:无匹配规则且找不到属地街道" in " ".join(message_texts(response))
    street_b.update(is_active=True, leader_name="王主任")
    response = clerk.post(
        URL, form_data(world, fresh_token(clerk), dispatch="on", complainant_phone="13800138111", employer_name="西城小五金厂", employer_credit_code="",
                       territory=str(world.territories["grid_b"].pk), site_address="", step="register", decision="new",
                       **{"workers-0-phone": "13800138112"})
    )
    case = Case.objects.exclude(pk=undispatched.pk).get()
    assert case.state == CaseState.DISPATCHED and case.lead_organisation == world.organisations["street_b"]
    text = " ".join(message_texts(response))
    assert "已按分派规则转办至西城街道办事处" in text and reverse("cases:dispatch_order", args=[case.pk]) in text


# ---------------------------------------------------------------- errors


def test_errors_are_chinese_by_field_keep_the_input_and_save_nothing(clerk, world):
    before = counts()
    response = clerk.post(
        URL,
        form_data(
            world,
            fresh_token(clerk),
            complainant_phone="1380013",
            amount_owed="",
            employer_credit_code="91110105MA00000000",
            complainant_name="李四",
            description="这段文字要保留",
            **{"workers-1-name": "", "workers-1-phone": "12345", "workers-1-amount_owed": "abc"},
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert counts() == before
    assert "请按红色提示修改" in page
    assert "手机号" in page and "请填写欠薪金额" in page and "统一社会信用代码" in page and "不清楚可不填" in page
    assert "第2位劳动者:请填写姓名" in page and "第2位劳动者欠薪金额应为数字" in page
    assert 'value="李四"' in page and "这段文字要保留" in page and 'value="1380013"' in page
    assert 'name="workers-1-phone" value="12345"' in page
    # The same token still works once the input is fixed.
    token = token_of(response)
    response = clerk.post(URL, form_data(world, token))
    assert response.status_code == 302 and Complaint.objects.count() == 1


def test_future_received_time_is_refused(clerk, world):
    later = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = clerk.post(URL, form_data(world, fresh_token(clerk), received_at=later))
    assert response.status_code == 200 and "收到时间不能晚于当前时间" in response.content.decode()
    assert Complaint.objects.count() == 0


def test_missing_territory_is_asked_for_when_nothing_gives_it(clerk, world):
    response = clerk.post(URL, form_data(world, fresh_token(clerk), employer_name="无名包工队", employer_credit_code=""))
    page = response.content.decode()
    assert response.status_code == 200 and "请选择欠薪发生地所在的街道" in page
    assert Complaint.objects.count() == 0


# ---------------------------------------------------------------- duplicates and the clerk's choice


def test_open_case_of_the_same_employer_is_suggested_and_can_be_merged(clerk, world):
    existing = register(world, employer_name=world.enterprises["factory_b"].name, employer_credit_code=world.enterprises["factory_b"].credit_code).case
    before = counts()
    token = fresh_token(clerk)
    response = clerk.post(URL, form_data(world, token))
    page = response.content.decode()
    assert response.status_code == 200 and counts() == before  # nothing registered yet
    assert existing.number in page and "同一用人单位" in page and "确认登记" in page
    assert reverse("cases:detail", args=[existing.pk]) in page
    assert 'value="13800138000"' in page  # the input is still there

    response = clerk.post(URL, form_data(world, token, step="register", decision=str(existing.pk)))
    complaint = Complaint.objects.get(complainant_phone_digest__isnull=False, complainant_name="王小五")
    assert response["Location"] == reverse("cases:detail", args=[existing.pk])
    assert complaint.case_id == existing.pk and complaint.relation == Complaint.Relation.MERGED
    assert Case.objects.count() == before[0]
    existing.refresh_from_db()
    assert existing.amount_owed == Decimal("30000.00") and existing.worker_count == 5
    assert "并入案件" in " ".join(message_texts(response))


def test_clerk_may_register_a_new_case_despite_suggestions(clerk, world):
    register(world, employer_name=world.enterprises["factory_b"].name, employer_credit_code=world.enterprises["factory_b"].credit_code)
    token = fresh_token(clerk)
    clerk.post(URL, form_data(world, token))
    response = clerk.post(URL, form_data(world, token, step="register", decision="new"))
    assert response.status_code == 302
    assert Case.objects.count() == 2 and Complaint.objects.get(complainant_name="王小五").relation == "origin"


def test_a_choice_is_required_when_cases_are_suggested(clerk, world):
    register(world, employer_name=world.enterprises["factory_b"].name, employer_credit_code=world.enterprises["factory_b"].credit_code)
    before = counts()
    response = clerk.post(URL, form_data(world, fresh_token(clerk), step="register"))
    assert response.status_code == 200 and "请选择:新立案,或并入下列某一案件" in response.content.decode()
    assert counts() == before


def test_strong_repeat_is_announced_and_linked_by_the_service(clerk, world):
    existing = register(
        world,
        complainant_phone="13800138000",
        employer_name=world.enterprises["factory_b"].name,
        employer_credit_code=world.enterprises["factory_b"].credit_code,
    ).case
    token = fresh_token(clerk)
    page = clerk.post(URL, form_data(world, token)).content.decode()
    assert "重复投诉" in page and "自动关联" in page and "投诉人或劳动者" in page
    response = clerk.post(URL, form_data(world, token, step="register", decision="new"))
    complaint = Complaint.objects.get(complainant_name="王小五")
    assert complaint.case_id == existing.pk and complaint.relation == Complaint.Relation.REPEAT
    assert Case.objects.count() == 1
    assert "已自动关联到该案件" in " ".join(message_texts(response))


def test_merging_into_a_case_closed_meanwhile_is_refused(clerk, world):
    existing = register(world, employer_name=world.enterprises["factory_b"].name, employer_credit_code=world.enterprises["factory_b"].credit_code).case
    token = fresh_token(clerk)
    clerk.post(URL, form_data(world, token))
    walk_to(world, existing, CaseState.CLOSED)
    before = counts()
    response = clerk.post(URL, form_data(world, token, step="register", decision=str(existing.pk)))
    assert response.status_code == 200 and "不能并入" in response.content.decode()
    assert counts() == before


def test_merging_into_an_unknown_case_is_refused(clerk, world):
    response = clerk.post(URL, form_data(world, fresh_token(clerk), step="register", decision="999999"))
    assert response.status_code == 200 and "所选案件不存在" in response.content.decode()
    assert Complaint.objects.count() == 0


# ---------------------------------------------------------------- double submission


def test_sending_the_form_twice_registers_once(clerk, world):
    token = fresh_token(clerk)
    data = form_data(world, token)
    first = clerk.post(URL, data)
    second = clerk.post(URL, data)  # a double click / the browser resending the POST
    assert Complaint.objects.count() == 1 and Case.objects.count() == 1
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == reverse("cases:detail", args=[case.pk])
    assert "没有重复登记" in " ".join(message_texts(second)) and case.number in " ".join(message_texts(second))
    # Edited and sent again with the same (used) form: still the first registration only.
    third = clerk.post(URL, form_data(world, token, amount_owed="99999", step="register", decision="new"))
    assert third["Location"] == first["Location"] and Complaint.objects.count() == 1
    # A new form registers a new complaint (a repeat of the first, linked to its case).
    clerk.post(URL, form_data(world, fresh_token(clerk), step="register", decision="new"))
    assert Complaint.objects.count() == 2 and Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_copies_of_one_form_sent_at_the_same_moment_register_once(world):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a shared database file or PostgreSQL")
    browser_tabs = [Client(), Client()]
    for tab in browser_tabs:
        tab.force_login(world.users["clerk"])
    token = fresh_token(browser_tabs[0])
    data = form_data(world, token)
    start, answers, errors = threading.Barrier(2), [], []

    def send(tab):
        try:
            start.wait(timeout=10)
            answers.append(tab.post(URL, data))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(tab,)) for tab in browser_tabs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert Complaint.objects.count() == 1 and Case.objects.count() == 1
    case = Case.objects.get()
    assert [a.status_code for a in answers] == [302, 302]
    assert {a["Location"] for a in answers} == {reverse("cases:detail", args=[case.pk])}


def test_a_used_token_of_another_user_is_theirs_alone(client, world):
    client.force_login(world.users["clerk"])
    token = fresh_token(client)
    client.post(URL, form_data(world, token))
    client.force_login(world.users["office_staff"])
    response = client.post(URL, form_data(world, token, complainant_phone="13800138999", employer_name="西花电子", step="register", decision="new"))
    assert response.status_code == 302
    assert Complaint.objects.count() == 2


def test_missing_token_registers_nothing_and_issues_one(clerk, world):
    response = clerk.post(URL, form_data(world, token=""))
    assert response.status_code == 200 and "表单已失效" in response.content.decode()
    assert Complaint.objects.count() == 0
    assert token_of(response)


# ---------------------------------------------------------------- htmx lookups


def test_employer_lookup_shows_the_registry_match(clerk, world):
    factory = world.enterprises["factory_a"]
    page = clerk.get(URL, {"lookup": "employer", "employer_name": "", "employer_credit_code": factory.credit_code}, HTTP_HX_REQUEST="true")
    assert "登记库匹配" in page.content.decode() and factory.name in page.content.decode()
    page = clerk.get(URL, {"lookup": "employer", "employer_name": "东花服装厂有限公司", "employer_credit_code": ""}).content.decode()
    assert "登记库匹配" in page and factory.name in page  # found by the normalised name
    page = clerk.get(URL, {"lookup": "employer", "employer_name": "查无此厂", "employer_credit_code": "123"}).content.decode()
    assert "登记库中未找到" in page and "统一社会信用代码" in page
    page = clerk.get(URL, {"lookup": "employer", "employer_name": "东城", "employer_credit_code": ""}).content.decode()
    assert "名称相近的单位" in page and "东城建工集团有限公司" in page


def test_picking_a_similar_employer_fills_the_inputs(clerk, world):
    factory = world.enterprises["factory_a"]
    page = clerk.get(URL, {"lookup": "employer_pick", "pk": factory.pk}).content.decode()
    assert f'value="{factory.name}"' in page and f'value="{factory.credit_code}"' in page and 'id="employer-block"' in page


def test_project_search_lists_projects_in_scope(clerk, world):
    page = clerk.get(URL, {"lookup": "project", "project_q": "西城花园"}).content.decode()
    assert f'value="{world.projects["housing_b"].pk}"' in page and "东城大道" not in page
    page = clerk.get(URL, {"lookup": "project", "project_q": "没有这个项目"}).content.decode()
    assert "没有找到" in page


def test_add_worker_row_returns_the_row_and_the_next_button(clerk, world):
    page = clerk.get(URL, {"lookup": "worker_row", "index": "7"}).content.decode()
    assert 'name="workers-7-name"' in page and 'hx-swap-oob="true"' in page and '"index": "8"' in page
    assert clerk.get(URL, {"lookup": "worker_row", "index": "5000"}).status_code == 422


def test_lookups_are_refused_to_other_roles(client, world):
    client.force_login(world.users["street_b_handler"])
    assert client.get(URL, {"lookup": "employer", "employer_name": "东花"}).status_code == 403
