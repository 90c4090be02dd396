"""Issue 9, "what a user hit": the unit a case is dispatched to is told and reads "待签收"; the
leader's "待您审批" notices end when the approval is decided; "待我审批" lists what awaits."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from wagewatch.cases import escalations as esc
from wagewatch.cases import services as cs
from wagewatch.cases.labels import state_label_for
from wagewatch.cases.models import CaseState, Escalation
from wagewatch.notify.models import Notification
from wagewatch.notify.selectors import notification_unread_count
from wagewatch.testing.cases import dispatch, register, walk_to
from wagewatch.testing.world import PASSWORD


def _client(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


# ---------------------------------------------------------------- dispatch tells the unit


def test_dispatch_tells_the_lead_unit_and_assisting_units(world):
    street_a, housing = world.organisations["street_a"], world.organisations["housing"]
    case = dispatch(world, register(world).case, assisting=[housing])
    assert case.lead_organisation == street_a
    lead_note = Notification.objects.get(recipient_organisation=street_a, case_number=case.number)
    assert lead_note.kind == Notification.Kind.DISPATCH and lead_note.read_at is None
    assert "待签收" in lead_note.title and lead_note.link == reverse("cases:detail", args=[case.pk])
    order = case.assignments.get(role="lead", active=True).order_number
    assert order in lead_note.body and "东花服装厂" in lead_note.body
    helper = Notification.objects.get(recipient_organisation=housing, case_number=case.number)
    assert "协办" in helper.title
    assert notification_unread_count(world.users["street_a_handler"]) == 1
    # Nobody else is told.
    assert not Notification.objects.filter(recipient_organisation=world.organisations["street_b"]).exists()


def test_dispatch_at_registration_tells_the_unit_too(world):
    case = register(world, dispatch=True).case
    assert case.state == CaseState.DISPATCHED
    assert Notification.objects.filter(recipient_organisation=case.lead_organisation, case_number=case.number, kind="dispatch").exists()


def test_signing_closes_the_units_notice_and_a_redispatch_closes_the_old_ones(world):
    case = dispatch(world, register(world).case)
    handler = world.users["street_a_handler"]
    cs.case_return(actor=handler, case=case, reason="应由西城街道办理")
    case.refresh_from_db()
    case = dispatch(world, case, lead=world.organisations["street_b"])
    old = Notification.objects.get(recipient_organisation=world.organisations["street_a"], case_number=case.number)
    assert old.read_at is not None  # the case is no longer theirs to sign
    new = Notification.objects.get(recipient_organisation=world.organisations["street_b"], case_number=case.number)
    assert new.read_at is None
    cs.case_accept(actor=world.users["street_b_handler"], case=case)
    new.refresh_from_db()
    assert new.read_at is not None


def test_the_units_home_counts_what_awaits_its_signature(world, client):
    dispatch(world, register(world).case)
    dispatch(world, register(world).case)
    c = _client(client, world.users["street_a_handler"])
    html = c.get(reverse("core:home")).content.decode()
    assert "待签收" in html and reverse("cases:inbox") in html
    stat = html.split("待签收")[0].rsplit('class="num">', 1)[1].split("<")[0]
    assert stat == "2"


def test_a_failed_dispatch_tells_nobody(world):
    case = walk_to(world, register(world).case, CaseState.ACCEPTED)
    before = Notification.objects.count()
    with pytest.raises(ValidationError):
        dispatch(world, case)
    assert Notification.objects.count() == before


# ---------------------------------------------------------------- the state in the viewer's words


def test_a_dispatched_case_reads_to_sign_for_the_unit_and_dispatched_for_the_office(world, client):
    case = dispatch(world, register(world).case, assisting=[world.organisations["housing"]])
    assert state_label_for(case, world.users["street_a_handler"]) == "待签收"
    assert state_label_for(case, world.users["street_a_leader"]) == "待签收"
    assert state_label_for(case, world.users["housing_handler"]) == "待牵头单位签收"
    for key in ("clerk", "office_staff", "office_leader", "admin"):
        assert state_label_for(case, world.users[key]) == "已转办"

    c = _client(client, world.users["street_a_handler"])
    for url in (reverse("cases:inbox"), reverse("cases:list")):
        html = c.get(url).content.decode()
        assert "待签收" in html and "已转办" not in html, url
    html = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="case-state">待签收<' in html  # the timeline may still say the event moved it to 已转办
    c.logout()
    c = _client(client, world.users["clerk"])
    html = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="case-state">已转办<' in html

    cs.case_accept(actor=world.users["street_a_handler"], case=case)
    case.refresh_from_db()
    assert state_label_for(case, world.users["street_a_handler"]) == "已签收"


def test_the_api_speaks_the_viewers_words(world, client):
    case = dispatch(world, register(world).case)
    client.force_login(world.users["street_a_handler"])
    assert client.get(f"/api/v1/cases/{case.number}").json()["state_label"] == "待签收"
    rows = client.get("/api/v1/cases").json()["items"]
    assert [r["state_label"] for r in rows if r["number"] == case.number] == ["待签收"]
    client.force_login(world.users["office_staff"])
    assert client.get(f"/api/v1/cases/{case.number}").json()["state_label"] == "已转办"


# ---------------------------------------------------------------- approvals


@pytest.fixture
def proposed(world):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    return esc.escalation_open(
        actor=world.users["street_a_handler"], case=case, kind=Escalation.Kind.ADVANCE_PAYMENT, reason="企业负责人失联", amount="18000", worker_count=3
    )


@pytest.mark.parametrize("approved", [True, False])
def test_deciding_an_approval_closes_every_leaders_notice(world, proposed, approved):
    from wagewatch.core.models import Role, User

    other = User.objects.create_user(
        username="leader2", password=PASSWORD, role=Role.OFFICE_LEADER, organisation=world.organisations["office"], full_name="副主任"
    )
    # A second leader asked later (same subject) is closed with the first.
    esc.notify_about_case(
        case=proposed.case, user=other, title="待您审批", subject=esc.approval_subject(proposed)
    )
    asked = Notification.objects.filter(title__contains="待您审批", case_number=proposed.case.number)
    assert asked.count() == 2 and asked.filter(read_at__isnull=True).count() == 2
    unrelated = Notification.objects.create(recipient_user=world.users["office_leader"], title="别的事")
    esc.escalation_approve(actor=world.users["office_leader"], escalation=proposed, approved=approved, note="同意垫付" if approved else "证据不足,不予批准")
    assert asked.filter(read_at__isnull=True).count() == 0
    unrelated.refresh_from_db()
    assert unrelated.read_at is None
    assert notification_unread_count(other) == 0


def test_a_refused_decision_leaves_the_notice_open(world, proposed):
    with pytest.raises(PermissionDenied):
        esc.escalation_approve(actor=world.users["office_staff"], escalation=proposed, approved=True)
    assert Notification.objects.filter(recipient_user=world.users["office_leader"], read_at__isnull=True, title__contains="待您审批").exists()


def test_awaiting_my_approval_page(world, proposed, client):
    url = reverse("cases:approvals")
    c = _client(client, world.users["office_leader"])
    html = c.get(url).content.decode()
    assert proposed.case.number in html and "18,000.00" in html
    assert f'href="{url}"' in html  # linked from the header
    home = c.get(reverse("core:home")).content.decode()
    assert "待我审批" in home and url in home
    esc.escalation_approve(actor=world.users["office_leader"], escalation=proposed, approved=True, note="同意")
    assert proposed.case.number not in c.get(url).content.decode()
    c.logout()
    # Anyone else: an empty list, never another's approvals.
    for key in ("office_staff", "street_a_handler", "clerk"):
        c = _client(client, world.users[key])
        assert proposed.case.number not in c.get(url).content.decode()
        c.logout()


def test_awaiting_my_approval_is_scoped(world, proposed):
    from wagewatch.cases.selectors import approvals_awaiting
    from wagewatch.core.models import Organisation, Role, Territory, User

    assert list(approvals_awaiting(world.users["office_leader"])) == [proposed]
    far = Territory.objects.create(code="120101", name="远区", level=Territory.Level.DISTRICT)
    office = Organisation.objects.create(name="远区清欠办", kind=Organisation.Kind.WAGE_ARREARS_OFFICE, territory=far)
    stranger = User.objects.create_user(username="far_leader", password=PASSWORD, role=Role.OFFICE_LEADER, organisation=office)
    assert list(approvals_awaiting(stranger)) == []
