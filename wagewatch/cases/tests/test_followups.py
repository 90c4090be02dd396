"""Follow-ups of closed cases: the 3-month follow-up of a settled enterprise (made by case_close),
sampled re-checks (回头看), and a problem found on one reopening the case."""

import random
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wagewatch.cases.followups import follow_up_complete, review_sample, review_sample_previous_month
from wagewatch.cases.models import Case, CaseState, FollowUp
from wagewatch.cases.services import case_reopen
from wagewatch.core.calendar import SHANGHAI
from wagewatch.history.models import Event
from wagewatch.notify.models import Notification
from wagewatch.testing.cases import register, walk_to


def events(case, action):
    return Event.objects.filter(object_type="cases.case", object_id=str(case.pk), action=action).order_by("seq")


@pytest.fixture
def closed(world):
    return walk_to(world, register(world).case, CaseState.CLOSED)


def review_of(case, world):
    return FollowUp.objects.create(
        case=case, kind=FollowUp.Kind.REVIEW, organisation=world.organisations["office"], due_at=timezone.now() + timedelta(days=30)
    )


def test_closing_sets_up_the_three_month_follow_up_of_the_settled_enterprise(world, closed):
    follow_up = closed.follow_ups.get()
    assert follow_up.kind == FollowUp.Kind.SETTLED_ENTERPRISE
    assert follow_up.enterprise == world.enterprises["factory_a"]
    assert follow_up.organisation == world.organisations["street_a"]
    assert follow_up.result == FollowUp.Result.PENDING
    days = (follow_up.due_at - closed.closed_at).days
    assert 89 <= days <= 90


def test_the_unit_confirms_the_settled_enterprise_has_no_new_problem(world, closed):
    follow_up = closed.follow_ups.get()
    handler = world.users["street_a_handler"]
    follow_up = follow_up_complete(actor=handler, follow_up=follow_up, result="confirmed", note="回访企业,工资按月发放")
    assert follow_up.result == FollowUp.Result.CONFIRMED and follow_up.done_by == handler and follow_up.done_at
    closed.refresh_from_db()
    assert closed.state == CaseState.CLOSED
    payload = events(closed, "case.follow_up_completed").get().payload_data
    assert payload["result"] == "confirmed" and payload["reopened"] is False
    with pytest.raises(ValidationError, match="已于"):
        follow_up_complete(actor=handler, follow_up=follow_up, result="confirmed", note="")


def test_only_the_office_or_the_following_unit_completes(world, closed):
    follow_up = closed.follow_ups.get()
    for actor in (world.users["street_b_handler"], world.users["inspector"], "劳动者:139****0001", None):
        with pytest.raises(PermissionDenied):
            follow_up_complete(actor=actor, follow_up=follow_up, result="confirmed", note="")
    follow_up.refresh_from_db()
    assert follow_up.result == FollowUp.Result.PENDING


def test_a_problem_needs_a_description(world, closed):
    with pytest.raises(ValidationError) as err:
        follow_up_complete(actor=world.users["office_staff"], follow_up=review_of(closed, world), result="problem", note="")
    assert "note" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        follow_up_complete(actor=world.users["office_staff"], follow_up=review_of(closed, world), result="maybe", note="")
    assert "result" in err.value.message_dict


def test_a_problem_found_on_review_reopens_the_case(world, closed):
    follow_up = review_of(closed, world)
    follow_up_complete(actor=world.users["office_staff"], follow_up=follow_up, result="problem", note="电话回访3名工人,仍有2人未收到工资")
    closed.refresh_from_db()
    assert closed.state == CaseState.REOPENED and closed.reopen_count == 1
    assert closed.deadlines.filter(kind="close", status="open").exists()
    assert events(closed, "case.follow_up_completed").get().payload_data["reopened"] is True
    reopen = events(closed, "case.reopen").get()
    assert "仍有2人未收到工资" in reopen.payload_data["reason"]
    follow_up.refresh_from_db()
    assert follow_up.result == FollowUp.Result.PROBLEM


def test_a_unit_that_finds_a_problem_tells_the_office(world, closed):
    follow_up = closed.follow_ups.get()
    follow_up_complete(actor=world.users["street_a_handler"], follow_up=follow_up, result="problem", note="企业又拖欠两个月工资")
    closed.refresh_from_db()
    assert closed.state == CaseState.CLOSED  # reopening is the office's decision (transition table)
    assert events(closed, "case.follow_up_completed").get().payload_data["reopened"] is False
    note = Notification.objects.get(recipient_organisation=world.organisations["office"], case_number=closed.number)
    assert "发现问题" in note.title
    # The office reopens the case: the request is done, not left unread.
    assert note.read_at is None
    case_reopen(actor=world.users["office_staff"], case=closed, reason="回头看发现再次欠薪")
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_problem_on_a_case_already_reopened_does_not_reopen_again(world, closed):
    follow_up = review_of(closed, world)
    case_reopen(actor="劳动者:139****0001", case=closed, reason="工资只付了一半")
    follow_up_complete(actor=world.users["office_staff"], follow_up=follow_up, result="problem", note="与劳动者反映一致")
    closed.refresh_from_db()
    assert closed.state == CaseState.REOPENED and closed.reopen_count == 1
    assert "无需重新办理" in events(closed, "case.follow_up_completed").get().payload_data["outcome"]


# ---------------------------------------------------------------- sampling


def closed_cases(world, n, closed_at):
    """`n` cases marked closed at `closed_at` (sampling reads only the state and the closing time)."""
    cases = [register(world).case for _ in range(n)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(state=CaseState.CLOSED, closed_at=closed_at)
    return cases


def reviews():
    return FollowUp.objects.filter(kind=FollowUp.Kind.REVIEW)


def test_sample_is_ten_percent_at_least_one_and_only_once(world):
    recent = timezone.now() - timedelta(days=3)
    cases = closed_cases(world, 12, recent)
    old = closed_cases(world, 3, timezone.now() - timedelta(days=45))
    made = review_sample(rng=random.Random(7))
    assert len(made) == 2  # ceil(10% of 12)
    sampled = set(reviews().values_list("case_id", flat=True))
    assert sampled <= {c.pk for c in cases} and not sampled & {c.pk for c in old}
    row = reviews().first()
    assert row.organisation == world.organisations["office"] and row.result == "pending"
    assert row.due_at > timezone.now() + timedelta(days=29)
    assert Event.objects.filter(action="case.follow_up_created").count() == 2
    assert Notification.objects.filter(recipient_organisation=world.organisations["office"], title__contains="回头看").count() == 1
    # Again for the same period: the sample is complete, nothing more.
    assert review_sample(rng=random.Random(8)) == []
    assert reviews().count() == 2
    # Asking for 5: topped up to 5, not 5 more.
    assert len(review_sample(count=5)) == 3
    assert reviews().count() == 5


def test_one_closed_case_gives_a_sample_of_one_and_none_gives_none(world):
    assert review_sample() == []
    closed_cases(world, 1, timezone.now() - timedelta(hours=1))
    assert len(review_sample()) == 1


def test_open_cases_are_never_sampled(world):
    register(world)
    assert review_sample(fraction=1) == []


def test_who_may_sample_and_bad_figures(world):
    closed_cases(world, 2, timezone.now() - timedelta(days=1))
    for key in ("street_a_handler", "inspector", "clerk"):
        with pytest.raises(PermissionDenied):
            review_sample(actor=world.users[key])
    with pytest.raises(ValidationError) as err:
        review_sample(actor=world.users["office_leader"], fraction=1.5, count=0)
    assert set(err.value.message_dict) == {"fraction", "count"}
    assert len(review_sample(actor=world.users["office_leader"], fraction=1)) == 2


def test_monthly_job_samples_the_previous_calendar_month(world):
    in_november = closed_cases(world, 3, datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI))
    closed_cases(world, 3, datetime(2026, 10, 31, 23, 0, tzinfo=SHANGHAI))  # October, Shanghai time
    closed_cases(world, 3, datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI))  # this month
    made = review_sample_previous_month(now=datetime(2026, 12, 1, 2, 0, tzinfo=SHANGHAI))
    assert len(made) == 1
    assert made[0].case_id in {c.pk for c in in_november}
    assert review_sample_previous_month(now=datetime(2026, 12, 1, 3, 0, tzinfo=SHANGHAI)) == []
