"""Working-day arithmetic on the seeded official calendar (2004–2026 loaded, 2027 not)."""

from datetime import date

import pytest

from wagewatch.core.calendar import add_working_days, is_working_day, working_calendar, working_days_between
from wagewatch.core.models import CalendarDay, CalendarYear, TimeLimit

pytestmark = pytest.mark.django_db


def test_seed_covers_2004_to_2026_with_chinese_names():
    assert list(CalendarYear.objects.order_by("year").values_list("year", flat=True)) == list(range(2004, 2027))
    assert CalendarDay.objects.filter(year=2024).count() == 366
    assert CalendarDay.objects.get(date=date(2015, 9, 3)).holiday_name == "抗战胜利70周年纪念日"
    names = set(CalendarDay.objects.exclude(holiday_name="").values_list("holiday_name", flat=True))
    assert names == {"元旦", "春节", "清明节", "劳动节", "端午节", "国庆节", "中秋节", "抗战胜利70周年纪念日"}
    assert TimeLimit.objects.count() == 15  # core's 14 and payroll's import_file_retention


def test_national_day_2026_is_a_holiday():
    info = is_working_day(date(2026, 10, 1))
    assert not info.is_working_day
    assert info.reason == "法定节假日:国庆节"
    assert info.holiday_name == "国庆节"
    assert not info.provisional
    # A holiday that falls on a weekend still says which holiday it is.
    assert is_working_day(date(2026, 10, 3)).reason == "法定节假日:国庆节"


def test_2026_national_day_makeup_saturday_is_a_working_day():
    info = is_working_day(date(2026, 10, 10))
    assert info.is_working_day
    assert info.is_makeup_working_day
    assert info.reason == "调休上班"
    assert info.holiday_name == ""
    assert info.makeup_for == "国庆节"


def test_plain_weekend_and_weekday():
    assert is_working_day(date(2026, 10, 11)).reason == "周末"
    assert not is_working_day(date(2026, 10, 11)).is_working_day
    friday = is_working_day(date(2026, 10, 9))
    assert friday.is_working_day and friday.reason == "工作日"


def test_spring_festival_2024():
    assert is_working_day(date(2024, 2, 12)).reason == "法定节假日:春节"
    assert is_working_day(date(2024, 2, 9)).is_working_day  # 除夕 was a working Friday in 2024
    assert is_working_day(date(2024, 2, 4)).is_makeup_working_day
    assert is_working_day(date(2024, 2, 18)).is_makeup_working_day
    # Friday before the holiday + 1 working day lands on the make-up Sunday after it.
    assert add_working_days(date(2024, 2, 9), 1).date == date(2024, 2, 18)


def test_add_working_days_across_a_holiday():
    assert add_working_days(date(2026, 9, 30), 1).date == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 2).date == date(2026, 10, 9)


def test_add_working_days_across_a_makeup_weekend():
    assert add_working_days(date(2026, 10, 9), 1).date == date(2026, 10, 10)
    assert add_working_days(date(2026, 10, 9), 2).date == date(2026, 10, 12)


def test_add_working_days_from_a_holiday_starts_the_day_after():
    assert add_working_days(date(2026, 10, 3), 1).date == date(2026, 10, 8)


def test_add_zero_working_days_returns_the_start_day():
    result = add_working_days(date(2026, 10, 3), 0)
    assert result.date == date(2026, 10, 3)
    assert not result.provisional


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="负数"):
        add_working_days(date(2026, 10, 3), -1)


def test_into_an_unloaded_year_counts_monday_to_friday_and_is_provisional():
    inside = add_working_days(date(2026, 12, 30), 1)
    assert inside.date == date(2026, 12, 31) and not inside.provisional
    crossing = add_working_days(date(2026, 12, 31), 1)
    # 2027-01-01 would be 元旦, but nobody loaded 2027: counted as a plain Friday.
    assert crossing.date == date(2027, 1, 1)
    assert crossing.provisional
    weekend = add_working_days(date(2027, 1, 8), 1)
    assert weekend.date == date(2027, 1, 11) and weekend.provisional
    info = is_working_day(date(2027, 1, 1))
    assert info.is_working_day and info.provisional and info.reason == "工作日"


def test_working_days_between():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert working_days_between(date(2026, 10, 12), date(2026, 9, 30)) == -4
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 1)) == 0
    assert add_working_days(date(2026, 9, 30), 4).date == date(2026, 10, 12)


def test_snapshot_is_reused_until_a_year_is_loaded(django_assert_num_queries):
    first = working_calendar()
    with django_assert_num_queries(1):  # the version check only
        assert working_calendar() is first
