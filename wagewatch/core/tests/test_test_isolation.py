"""The suite's own safety net: a transactional test that wipes the database must not break the
tests that run after it on the same worker (see pytest_runtest_teardown in wagewatch/conftest.py).
Both tests are transactional so that they run in file order, one after the other."""

import pytest
from django.core.management import call_command

from wagewatch.core.calendar_services import calendar_year_load
from wagewatch.core.models import CalendarDay
from wagewatch.testing.world import build_world


@pytest.mark.django_db(transaction=True)
def test_first_a_flush_that_resets_the_sequences():
    call_command("flush", interactive=False, verbosity=0)
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_then_the_seeded_calendar_is_back_and_new_rows_get_fresh_ids():
    assert CalendarDay.objects.filter(year=2026).count() == 365
    world = build_world()
    calendar_year_load(actor=world.users["admin"], year=2026, text="2026-01-01~2026-01-03 元旦")
    assert CalendarDay.objects.filter(year=2026).count() == 365
