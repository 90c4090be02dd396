"""Merging cases, the major-case list and national-platform clue answers."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wagewatch.cases import services as cs
from wagewatch.cases.models import Case, CaseAssignment, CaseState, ClueOutcome
from wagewatch.intake.models import Channel, Complaint
from wagewatch.testing.cases import dispatch, register


def test_merge_moves_complaints_and_ends_source(world):
    a = dispatch(world, register(world, complainant_phone="13900005555").case)
    b = register(world, complainant_phone="13900006666").case
    cs.case_merge(actor=world.users["office_staff"], case=b, into=a, reason="同一工地同一老板")
    b.refresh_from_db()
    a.refresh_from_db()
    assert b.state == CaseState.MERGED and b.merged_into_id == a.pk
    assert Complaint.objects.filter(case=a).count() == 2
    assert not b.deadlines.filter(status="open").exists()
    assert a.worker_count == 6


def test_merge_into_closed_case_refused(world):
    a = register(world, complainant_phone="13900007777").case
    Case.objects.filter(pk=a.pk).update(state=CaseState.CLOSED)
    b = register(world, complainant_phone="13900008888").case
    with pytest.raises(ValidationError):
        cs.case_merge(actor=world.users["office_staff"], case=b, into=a)


def test_unit_cannot_merge(world):
    a = dispatch(world, register(world, complainant_phone="13900009999").case)
    b = dispatch(world, register(world, complainant_phone="13900001010").case)
    with pytest.raises(PermissionDenied):
        cs.case_merge(actor=world.users["street_a_handler"], case=b, into=a)


def test_major_set_needs_leader_and_office(world):
    case = register(world).case
    with pytest.raises(PermissionDenied):
        cs.case_major_set(actor=world.users["street_a_handler"], case=case, is_major=True, leader=world.users["office_leader"])
    with pytest.raises(ValidationError):
        cs.case_major_set(actor=world.users["office_staff"], case=case, is_major=True, leader=None)
    case = cs.case_major_set(actor=world.users["office_staff"], case=case, is_major=True, leader=world.users["office_leader"], reason="涉及群体性隐患")
    assert case.is_major and case.major_leader == world.users["office_leader"] and case.listed_supervision


def test_clue_answer_only_for_national_platform_clues(world):
    outcome = ClueOutcome.objects.get(code="in_progress")
    window_case = register(world).case
    with pytest.raises(ValidationError):
        cs.case_clue_answer(actor=world.users["office_staff"], case=window_case, outcome=outcome)
    clue_case = register(world, channel=Channel.NATIONAL_PLATFORM, complainant_phone="13900001212").case
    clue_case = cs.case_clue_answer(actor=world.users["office_staff"], case=clue_case, outcome=outcome)
    assert clue_case.clue_reply_text == outcome.reply_text and clue_case.clue_answered_at


def test_return_then_redispatch_to_another_unit(world):
    case = dispatch(world, register(world).case)
    case = cs.case_return(actor=world.users["street_a_handler"], case=case, reason="该厂实际位于西城街道辖区")
    assert case.state == CaseState.RETURNED and case.lead_organisation is None
    assert not CaseAssignment.objects.filter(case=case, organisation=world.organisations["street_a"], active=True).exists()
    case = dispatch(world, case, lead=world.organisations["street_b"])
    assert case.state == CaseState.DISPATCHED and case.lead_organisation == world.organisations["street_b"]
    with pytest.raises(PermissionDenied):
        cs.case_accept(actor=world.users["street_a_handler"], case=case)
    case = cs.case_accept(actor=world.users["street_b_handler"], case=case)
    assert case.state == CaseState.ACCEPTED
