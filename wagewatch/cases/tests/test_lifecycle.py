"""Every allowed and forbidden transition of the case lifecycle, against the one table
(`cases.lifecycle.TRANSITIONS`) and against an explicit copy of it here: changing the table
without changing this file breaks a test, on purpose."""

import itertools
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wagewatch.cases import services as cs
from wagewatch.cases.lifecycle import TRANSITIONS, actions_from, check_actor, transition_for
from wagewatch.cases.models import CaseState as S
from wagewatch.history.models import Event
from wagewatch.testing.cases import closure_evidence, dispatch, register, unit_user, walk_to

OFFICE, UNIT, SYSTEM, WORKER = "office", "unit", "system", "worker"
ACTOR_KINDS = (OFFICE, UNIT, SYSTEM, WORKER)

# action: (states it may start from, state it ends in, who may do it)
EXPECTED = {
    "dispatch": ({S.REGISTERED, S.RETURNED, S.REOPENED}, S.DISPATCHED, {OFFICE, SYSTEM}),
    "accept": ({S.DISPATCHED}, S.ACCEPTED, {UNIT}),
    "return": ({S.DISPATCHED, S.ACCEPTED}, S.RETURNED, {UNIT}),
    "verify": ({S.ACCEPTED}, S.VERIFYING, {UNIT}),
    "handle": ({S.VERIFYING, S.REOPENED}, S.HANDLING, {UNIT}),
    "resolve": ({S.VERIFYING, S.HANDLING}, S.RESOLVED, {UNIT}),
    "callback": ({S.RESOLVED}, S.CALLED_BACK, {OFFICE}),
    "reopen": ({S.RESOLVED, S.CALLED_BACK, S.CLOSED}, S.REOPENED, {OFFICE, WORKER}),
    "close": ({S.CALLED_BACK}, S.CLOSED, {OFFICE}),
    "close_no_arrears": ({S.DISPATCHED, S.ACCEPTED, S.VERIFYING, S.HANDLING, S.REOPENED}, S.CLOSED, {UNIT, OFFICE}),
    "merge": ({S.REGISTERED, S.DISPATCHED, S.ACCEPTED, S.VERIFYING, S.HANDLING, S.RETURNED, S.REOPENED}, S.MERGED, {OFFICE}),
}

ALL_STATES = list(S)
PAIRS = list(itertools.product(sorted(set(TRANSITIONS) | set(EXPECTED)), ALL_STATES))
ALLOWED = [(a, s) for a, s in PAIRS if s in EXPECTED.get(a, (set(),))[0]]


def _id(pair):
    return f"{pair[0]}-from-{pair[1]}"


# ---------------------------------------------------------------- the table itself


def test_the_table_is_the_expected_table():
    assert set(TRANSITIONS) == set(EXPECTED)
    for action, (sources, target, actors) in EXPECTED.items():
        t = TRANSITIONS[action]
        assert t.action == action
        assert set(t.sources) == sources, action
        assert t.target == target, action
        assert set(t.actors) == actors, action


@pytest.mark.parametrize("pair", PAIRS, ids=[_id(p) for p in PAIRS])
def test_transition_for_every_action_from_every_state(pair):
    action, state = pair
    sources, target, _ = EXPECTED[action]
    in_table = state in TRANSITIONS[action].sources
    assert in_table == (state in sources)
    if state in sources:
        assert transition_for(action, state).target == target
    else:
        with pytest.raises(ValidationError) as err:
            transition_for(action, state)
        # The person is told, in Chinese, what state the case is in and what is needed.
        assert S(state).label in err.value.messages[0]
        assert TRANSITIONS[action].label in err.value.messages[0]


@pytest.mark.parametrize("state", ALL_STATES)
def test_actions_from_each_state(state):
    expected = [a for a, (sources, _, _) in EXPECTED.items() if state in sources]
    assert [t.action for t in actions_from(state)] == [a for a in TRANSITIONS if a in expected]


def test_end_states():
    assert actions_from(S.MERGED) == []
    assert [t.action for t in actions_from(S.CLOSED)] == ["reopen"]


def test_unknown_action_is_refused_in_chinese():
    with pytest.raises(ValidationError, match="未知的办理动作"):
        transition_for("teleport", S.REGISTERED)


@pytest.mark.parametrize(
    "action,kind", list(itertools.product(sorted(EXPECTED), ACTOR_KINDS)), ids=lambda v: str(v)
)
def test_actor_kinds_of_every_transition(action, kind):
    t = TRANSITIONS[action]
    if kind in EXPECTED[action][2]:
        check_actor(t, kind)
    else:
        with pytest.raises(PermissionDenied, match=re.escape(t.label)):
            check_actor(t, kind)


# ---------------------------------------------------------------- through the services


def case_in(world, state):
    """A case of the world in `state`, reached through the services."""
    case = register(world).case
    if state == S.RETURNED:
        case = walk_to(world, case, S.DISPATCHED)
        return cs.case_return(actor=unit_user(world, case), case=case, reason="不属于本单位管辖范围")
    if state == S.REOPENED:
        case = walk_to(world, case, S.RESOLVED)
        return cs.case_reopen(actor=world.users["office_staff"], case=case, reason="劳动者反映仍有工资未付")
    if state == S.MERGED:
        into = register(world).case
        return cs.case_merge(actor=world.users["office_staff"], case=case, into=into, reason="同一用人单位同一批工人")
    return walk_to(world, case, state)


def perform(world, case, action, *, allowed: bool):
    """Call the service behind `action` with an actor that may do it."""
    office = world.users["office_staff"]
    unit = unit_user(world, case) if case.lead_organisation_id else world.users["street_a_handler"]
    if action == "dispatch":
        return dispatch(world, case)
    if action == "accept":
        return cs.case_accept(actor=unit, case=case)
    if action == "return":
        return cs.case_return(actor=unit, case=case, reason="不属于本单位管辖范围")
    if action == "verify":
        return cs.case_verification_start(actor=unit, case=case)
    if action == "handle":
        return cs.case_facts_confirm(actor=unit, case=case, amount_verified="18000", workers_verified=3, facts_clear=True)
    if action == "resolve":
        if allowed:
            closure_evidence(case, unit)
        return cs.case_resolve(actor=unit, case=case, amount_paid="18000", workers_paid=3, summary="已足额支付")
    if action == "callback":
        cs.case_callback_record(actor=office, case=case, resolved=True, paid_in_full=True, lawful=True, satisfied=True)
        case.refresh_from_db()
        return case
    if action == "reopen":
        return cs.case_reopen(actor=office, case=case, reason="回访反映仍有欠薪")
    if action == "close":
        return cs.case_close(actor=office, case=case)
    if action == "merge":
        return cs.case_merge(actor=office, case=case, into=register(world).case, reason="同一用人单位")
    if action == "close_no_arrears":
        if allowed:
            automatic_case_cleared(world, case)
        return cs.case_close_no_arrears(actor=unit, case=case, note="重新核对后考勤、工资表与银行代发一致")
    raise AssertionError(f"no service for {action}")


def automatic_case_cleared(world, case):
    """Make `case` an automatic case of the reconciliation whose warning has cleared."""
    from datetime import date

    from wagewatch.intake.models import Channel
    from wagewatch.payroll.models import PayrollWarning

    case.complaints.update(channel=Channel.RECONCILIATION)
    PayrollWarning.objects.create(project=world.projects["housing_b"], month=date(2026, 9, 1), level="red", case=case, active=False)


def events_of(case, action=None):
    qs = Event.objects.filter(object_type="cases.case", object_id=str(case.pk))
    return qs.filter(action=action) if action else qs


@pytest.mark.parametrize("pair", ALLOWED, ids=[_id(p) for p in ALLOWED])
def test_every_allowed_transition_through_its_service(world, pair):
    action, state = pair
    case = case_in(world, state)
    assert case.state == state
    perform(world, case, action, allowed=True)
    case.refresh_from_db()
    assert case.state == EXPECTED[action][1]
    event = events_of(case, f"case.{action}").order_by("-seq").first()
    assert event is not None
    assert event.payload_data["from"] == state and event.payload_data["to"] == EXPECTED[action][1]


@pytest.mark.parametrize("state", ALL_STATES)
def test_every_forbidden_transition_through_its_service(world, state):
    case = case_in(world, state)
    before = events_of(case).count()
    forbidden = [a for a in EXPECTED if state not in EXPECTED[a][0]]
    assert forbidden, state
    for action in forbidden:
        with pytest.raises(ValidationError):
            perform(world, case, action, allowed=False)
        case.refresh_from_db()
        assert case.state == state, action
    assert events_of(case).count() == before


# ---------------------------------------------------------------- who may act


def test_a_unit_that_is_not_the_lead_cannot_accept(world):
    case = dispatch(world, register(world).case)
    assert case.lead_organisation == world.organisations["street_a"]
    for key in ("street_b_handler", "housing_handler", "inspector", "police_officer"):
        with pytest.raises(PermissionDenied):
            cs.case_accept(actor=world.users[key], case=case)
    case.refresh_from_db()
    assert case.state == S.DISPATCHED
    cs.case_accept(actor=world.users["street_a_handler"], case=case)


def test_an_assisting_unit_cannot_accept_or_return(world):
    project = world.projects["housing_b"]
    case = dispatch(world, register(world, project_id=project.pk, employer_name="西城花园劳务班组", employer_credit_code="").case)
    assert case.lead_organisation == world.organisations["housing"]
    assert case.assignments.filter(organisation=world.organisations["street_b"], role="assisting", active=True).exists()
    with pytest.raises(PermissionDenied):
        cs.case_accept(actor=world.users["street_b_handler"], case=case)
    with pytest.raises(PermissionDenied):
        cs.case_return(actor=world.users["street_b_handler"], case=case, reason="应由住建部门办理")
    assert cs.case_accept(actor=world.users["housing_handler"], case=case).state == S.ACCEPTED


def test_office_cannot_do_the_units_work(world):
    case = dispatch(world, register(world).case)
    for key in ("clerk", "office_staff", "office_leader"):
        with pytest.raises(PermissionDenied):
            cs.case_accept(actor=world.users[key], case=case)


def test_a_unit_cannot_dispatch(world):
    case = register(world).case
    with pytest.raises(PermissionDenied):
        cs.case_dispatch(actor=world.users["street_a_handler"], case=case, responsible_leader="李主任")
    case.refresh_from_db()
    assert case.state == S.REGISTERED and not case.assignments.exists()


def test_a_clerk_cannot_resolve(world):
    case = walk_to(world, register(world).case, S.HANDLING)
    closure_evidence(case, unit_user(world, case))
    with pytest.raises(PermissionDenied):
        cs.case_resolve(actor=world.users["clerk"], case=case, amount_paid="18000", workers_paid=3, summary="已支付")
    case.refresh_from_db()
    assert case.state == S.HANDLING and case.amount_paid is None


def test_workers_cannot_close_and_units_cannot_close(world):
    case = walk_to(world, register(world).case, S.CALLED_BACK)
    for actor in ("劳动者:139****0001", world.users["street_a_handler"], world.users["street_a_leader"]):
        with pytest.raises(PermissionDenied):
            cs.case_close(actor=actor, case=case)
    case.refresh_from_db()
    assert case.state == S.CALLED_BACK


def test_a_worker_can_reopen_a_resolved_case(world):
    case = walk_to(world, register(world).case, S.RESOLVED)
    case = cs.case_reopen(actor="劳动者:139****0001", case=case, reason="工资只付了一半")
    assert case.state == S.REOPENED
    assert events_of(case, "case.reopen").get().actor_label == "劳动者:139****0001"


def test_a_unit_cannot_reopen_or_call_back(world):
    case = walk_to(world, register(world).case, S.RESOLVED)
    unit = unit_user(world, case)
    with pytest.raises(PermissionDenied):
        cs.case_reopen(actor=unit, case=case, reason="还有工资未付")
    with pytest.raises(PermissionDenied):
        cs.case_callback_record(actor=unit, case=case, resolved=True, paid_in_full=True, lawful=True, satisfied=True)


def test_the_system_may_dispatch(world):
    case = cs.case_dispatch(actor=None, case=register(world).case, responsible_leader="李主任")
    assert case.state == S.DISPATCHED
    assert events_of(case, "case.dispatch").get().actor_label == "系统"
