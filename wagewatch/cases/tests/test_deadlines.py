"""Case deadlines on the official working-day calendar: across holidays and 调休 make-up working
days, into a year nobody has loaded (provisional, then recomputed when it is loaded), and moved
when a calendar day changes.

The clock is frozen at the moment of receipt (registration refuses receipt times in the future),
so these tests say the same thing whatever day they run."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from wagewatch.cases.escalations import escalation_open
from wagewatch.cases.models import CaseDeadline, CaseState, DeadlineKind
from wagewatch.core.calendar import SHANGHAI, invalidate_cache, is_working_day, package_year_arrangement
from wagewatch.core.calendar_services import YearArrangement, calendar_year_load
from wagewatch.core.models import CalendarDay, CalendarYear
from wagewatch.history.models import Event
from wagewatch.testing.cases import dispatch, register, walk_to


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def end_of(y, m, d):
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        def set(self, moment):
            monkeypatch.setattr(timezone, "now", lambda: moment)
            return moment

    return Clock()


def deadline(case, kind, status=CaseDeadline.Status.OPEN):
    qs = case.deadlines.filter(kind=kind)
    return qs.get(status=status) if status else qs.get()


def iso(text):
    return datetime.fromisoformat(text)


def recomputed_events(case):
    return Event.objects.filter(object_type="cases.case", object_id=str(case.pk), action="case.deadline_recomputed")


def test_calendar_facts_used_below(db):
    # National Day 2026: 1–7 October off, Sunday 20 September and Saturday 10 October worked.
    assert not is_working_day(date(2026, 10, 7)).is_working_day
    assert is_working_day(date(2026, 10, 10)).is_makeup_working_day
    # Spring Festival 2026: 15–23 February off, Saturdays 14 and 28 February worked.
    assert not is_working_day(date(2026, 2, 23)).is_working_day
    assert is_working_day(date(2026, 2, 14)).is_working_day and is_working_day(date(2026, 2, 28)).is_working_day


def test_complaint_received_before_national_day(world, clock):
    received = clock.set(at(2026, 9, 30))  # Wednesday, the day before the holiday
    case = register(world, received_at=received).case
    close = deadline(case, DeadlineKind.CLOSE)
    # 8, 9, 10 (调休 Saturday), 12, 13, 14, 15 October: seven working days after the holiday.
    assert close.due_at == end_of(2026, 10, 15) and not close.provisional
    assert deadline(case, DeadlineKind.RESPOND, None).due_at == at(2026, 9, 30, 11)  # an office hour
    # 8 office hours: 6 on 30 September, then none until the holiday ends on 8 October.
    assert deadline(case, DeadlineKind.VERIFY).due_at == at(2026, 10, 8, 10, 30)
    case = dispatch(world, case)
    order = case.assignments.get(role="lead", active=True)
    assert order.due_at == end_of(2026, 10, 15) and not order.due_provisional


def test_complaint_received_on_a_holiday(world, clock):
    received = clock.set(at(2026, 10, 3))  # Saturday in the National Day week
    case = register(world, received_at=received).case
    assert deadline(case, DeadlineKind.CLOSE).due_at == end_of(2026, 10, 15)


def test_a_makeup_saturday_counts_as_a_working_day(world, clock):
    received = clock.set(at(2026, 10, 9))  # Friday before the 调休 Saturday
    case = register(world, received_at=received).case
    # 10 (Saturday worked), 12–16, 19: the seventh working day is Monday 19 October, not 20.
    assert deadline(case, DeadlineKind.CLOSE).due_at == end_of(2026, 10, 19)


def test_a_deadline_can_fall_on_a_makeup_saturday(world, clock):
    clock.set(at(2026, 9, 30))
    case = register(world, received_at=at(2026, 9, 30)).case
    escalation_open(
        actor=world.users["office_staff"], case=case, kind="property_preservation", reason="申请诉前财产保全,防止转移财产", court="示范区人民法院"
    )
    # Three working days after 30 September: 8, 9 and 10 October (Saturday worked).
    assert deadline(case, DeadlineKind.PROPERTY_PRESERVATION).due_at == end_of(2026, 10, 10)


def test_complaint_received_before_spring_festival(world, clock):
    received = clock.set(at(2026, 2, 13, 16))  # Friday; Saturday 14 February is worked
    case = register(world, received_at=received, period_start="2025-11-01", period_end="2026-01-31").case
    # 14 (Saturday worked), 24, 25, 26, 27, 28 (Saturday worked) February, 2 March.
    assert deadline(case, DeadlineKind.CLOSE).due_at == end_of(2026, 3, 2)
    case = walk_to(world, case, CaseState.HANDLING)  # facts and amount clear at once
    # The advance-payment clock: 14, 24, 25, 26, 27 February.
    trigger = deadline(case, DeadlineKind.ADVANCE_PAYMENT_TRIGGER)
    assert trigger.due_at == end_of(2026, 2, 27) and not trigger.provisional
    case.refresh_from_db()
    assert case.next_due_at == min(d.due_at for d in case.deadlines.filter(status="open"))


@pytest.fixture
def year_2027_unloaded(db):
    CalendarDay.objects.filter(year__gte=2027).delete()
    CalendarYear.objects.filter(year__gte=2027).delete()
    invalidate_cache()
    yield
    invalidate_cache()


def test_deadlines_into_an_unloaded_year_are_provisional_then_recomputed(world, clock, year_2027_unloaded):
    received = clock.set(at(2026, 12, 24))  # Thursday; 2027 is not published yet
    case = dispatch(world, register(world, received_at=received).case)
    close = deadline(case, DeadlineKind.CLOSE)
    # 25, 28, 29, 30, 31 December, then 1 January (Friday, counted as a working day for now), 4 January.
    assert close.due_at == end_of(2027, 1, 4) and close.provisional
    order = case.assignments.get(role="lead", active=True)
    assert order.due_provisional and order.due_at == close.due_at
    verify = deadline(case, DeadlineKind.VERIFY)
    assert not verify.provisional
    assert not recomputed_events(case).exists()

    clock.set(at(2026, 12, 25))
    calendar_year_load(actor=world.users["admin"], year=2027, text="2027-01-01~2027-01-03 元旦")

    close.refresh_from_db()
    assert close.due_at == end_of(2027, 1, 5) and not close.provisional
    order.refresh_from_db()
    assert order.due_at == end_of(2027, 1, 5) and not order.due_provisional
    case.refresh_from_db()
    assert case.next_due_at == min(d.due_at for d in case.deadlines.filter(status="open"))
    event = recomputed_events(case).get()
    assert event.payload_data["kind"] == "close"
    assert event.payload_data["was_provisional"] is True and event.payload_data["provisional"] is False
    assert iso(event.payload_data["old_due_at"]) == end_of(2027, 1, 4)
    assert iso(event.payload_data["new_due_at"]) == end_of(2027, 1, 5)
    assert event.actor_label == "系统"
    verify.refresh_from_db()
    assert verify.due_at == at(2026, 12, 25, 10, 30)  # 8 office hours from Thursday 10:00


def test_a_provisional_deadline_whose_date_does_not_move_still_stops_being_provisional(world, clock, year_2027_unloaded):
    received = clock.set(at(2026, 12, 24))
    case = register(world, received_at=received).case
    calendar_year_load(actor=world.users["admin"], year=2027, text="2027-02-06~2027-02-12 春节\n调休 2027-02-13")
    close = deadline(case, DeadlineKind.CLOSE)
    assert close.due_at == end_of(2027, 1, 4) and not close.provisional
    assert iso(recomputed_events(case).get().payload_data["old_due_at"]) == end_of(2027, 1, 4)


def test_a_changed_calendar_day_moves_the_open_deadlines_it_touches(world, clock):
    first = dispatch(world, register(world, received_at=clock.set(at(2026, 11, 20))).case)
    # 23, 24, 25, 26, 27, 30 November, 1 December.
    assert deadline(first, DeadlineKind.CLOSE).due_at == end_of(2026, 12, 1)
    later = register(world, received_at=clock.set(at(2026, 11, 26))).case
    later_due = deadline(later, DeadlineKind.CLOSE).due_at
    done = walk_to(world, register(world, received_at=clock.set(at(2026, 11, 20, 11))).case, CaseState.RESOLVED)
    done_close = deadline(done, DeadlineKind.CLOSE, CaseDeadline.Status.MET)

    # The administrator reloads 2026 with 25 November made a day off.
    holidays, makeup = package_year_arrangement(2026)
    holidays[date(2026, 11, 25)] = "临时调整"
    clock.set(at(2026, 11, 21))
    calendar_year_load(actor=world.users["admin"], year=2026, arrangement=YearArrangement(year=2026, holidays=holidays, makeup=makeup))

    moved = deadline(first, DeadlineKind.CLOSE)
    assert moved.due_at == end_of(2026, 12, 2)
    assert first.assignments.get(role="lead", active=True).due_at == end_of(2026, 12, 2)
    first.refresh_from_db()
    assert first.next_due_at == min(d.due_at for d in first.deadlines.filter(status="open"))
    event = recomputed_events(first).get()
    assert iso(event.payload_data["new_due_at"]) == end_of(2026, 12, 2)
    # Started after the changed day: not moved, nothing recorded.
    assert deadline(later, DeadlineKind.CLOSE).due_at == later_due
    assert not recomputed_events(later).exists()
    # A deadline already met stays as it was.
    done_close.refresh_from_db()
    assert done_close.due_at == end_of(2026, 12, 1)
    assert not recomputed_events(done).exists()
