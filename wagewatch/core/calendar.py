"""Working-day arithmetic on the official calendar, and deadlines from the time-limit table.

Counting rule (standard Chinese practice, 民法典 第二百零一条): a period counted in days starts
the day after the start date. `add_working_days(d, 3)` is the third working day after `d`, whatever
`d` itself is; `add_working_days(d, 0)` is `d`. A time limit can opt in to counting the start day
as day 1 (`TimeLimit.includes_start_day`, used by the first-contact rule: "1 calendar day" = by the
end of the day of receipt).

Years that nobody has loaded are counted Monday–Friday and every answer that touched such a year
says `provisional=True`; it is recomputed when an administrator loads the year (the
`calendar_year_loaded` signal).

The calendar is held in a per-process snapshot keyed by the count and latest `loaded_at` of the
loaded years, so a load in any process is seen by every other process at its next call (one small
aggregate query per call). Callers that compute many dates at once can take one snapshot with
`working_calendar()` and call its methods.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Q
from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
# Guard against runaway loops from bad input: ten years of working days.
MAX_WORKING_DAYS = 3660

# chinesecalendar's English holiday names → the names people read.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
WEEKDAY_NAMES_ZH = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]

REASON_HOLIDAY = "法定节假日:{name}"
REASON_MAKEUP = "调休上班"
REASON_WEEKEND = "周末"
REASON_WORKDAY = "工作日"


@dataclass(frozen=True)
class DayInfo:
    """Whether one date is a working day, and why."""

    date: date
    is_working_day: bool
    reason: str
    holiday_name: str = ""
    is_makeup_working_day: bool = False
    provisional: bool = False
    makeup_for: str = ""

    @property
    def is_holiday(self) -> bool:
        return bool(self.holiday_name) and not self.is_working_day

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5


@dataclass(frozen=True)
class WorkingDayResult:
    date: date
    provisional: bool


@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # aware, Asia/Shanghai
    provisional: bool


@dataclass(frozen=True)
class WorkingCalendar:
    """An immutable snapshot of the calendar table: the loaded years and the dates that differ
    from a plain Monday–Friday week or carry a name."""

    version: tuple
    loaded_years: frozenset[int]
    special: dict[date, tuple[bool, str, bool, str]] = field(default_factory=dict)

    def is_loaded(self, year: int) -> bool:
        return year in self.loaded_years

    def is_working(self, d: date) -> bool:
        found = self.special.get(d)
        if found is not None:
            return found[0]
        return d.weekday() < 5

    def day(self, d: date) -> DayInfo:
        provisional = d.year not in self.loaded_years
        found = None if provisional else self.special.get(d)
        if found is not None:
            working, name, makeup, makeup_for = found
            if makeup:
                reason = REASON_MAKEUP
            elif not working and name:
                reason = REASON_HOLIDAY.format(name=name)
            else:
                reason = REASON_WORKDAY if working else REASON_WEEKEND
            return DayInfo(d, working, reason, "" if working else name, makeup, False, makeup_for)
        working = d.weekday() < 5
        return DayInfo(d, working, REASON_WORKDAY if working else REASON_WEEKEND, provisional=provisional)

    def add_working_days(self, start: date, days: int) -> WorkingDayResult:
        """The `days`-th working day after `start` (the start day never counts)."""
        if days < 0:
            raise ValueError("天数不能为负数")
        if days > MAX_WORKING_DAYS:
            raise ValueError(f"天数不能超过{MAX_WORKING_DAYS}")
        current = start
        counted = 0
        provisional = False
        while counted < days:
            if current == date.max:
                raise ValueError(f"从{start.isoformat()}起加{days}个工作日超出了日历能表示的范围(9999年12月31日)")
            current += timedelta(days=1)
            if current.year not in self.loaded_years:
                provisional = True
            if self.is_working(current):
                counted += 1
        return WorkingDayResult(current, provisional)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after `a` up to and including `b` (negative when b is before a), so that
        `add_working_days(a, n).date == b` for a working day b."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        current = a
        while current < b:
            current += timedelta(days=1)
            if self.is_working(current):
                count += 1
        return count


_lock = threading.Lock()
_snapshot: WorkingCalendar | None = None


def _version() -> tuple:
    from .models import CalendarYear

    found = CalendarYear.objects.aggregate(n=Count("id"), latest=Max("loaded_at"))
    return (found["n"], found["latest"])


def _build(version: tuple) -> WorkingCalendar:
    from .models import CalendarDay, CalendarYear

    weekend = [1, 7]  # Django's week_day: 1 = Sunday, 7 = Saturday
    differs = (
        Q(holiday_name__gt="")
        | Q(is_makeup_working_day=True)
        | (Q(is_working_day=False) & ~Q(date__week_day__in=weekend))
        | (Q(is_working_day=True) & Q(date__week_day__in=weekend))
    )
    rows = CalendarDay.objects.filter(differs).values_list(
        "date", "is_working_day", "holiday_name", "is_makeup_working_day", "makeup_for"
    )
    special = {d: (working, name, makeup, makeup_for) for d, working, name, makeup, makeup_for in rows}
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return WorkingCalendar(version=version, loaded_years=years, special=special)


def working_calendar() -> WorkingCalendar:
    """The current calendar snapshot, rebuilt when any process has loaded a year since."""
    global _snapshot
    version = _version()
    current = _snapshot
    if current is not None and current.version == version:
        return current
    with _lock:
        if _snapshot is None or _snapshot.version != version:
            _snapshot = _build(version)
        return _snapshot


def invalidate_cache() -> None:
    global _snapshot
    with _lock:
        _snapshot = None


def is_working_day(d: date) -> DayInfo:
    return working_calendar().day(d)


def add_working_days(start: date, days: int) -> WorkingDayResult:
    """The `days`-th working day after `start`; the count starts the day after `start`, and
    0 days returns `start`. Provisional when it crossed a year that is not loaded."""
    return working_calendar().add_working_days(start, days)


def working_days_between(a: date, b: date) -> int:
    return working_calendar().working_days_between(a, b)


def time_limit(key: str):
    """The TimeLimit with this key; KeyError with a Chinese message when there is none."""
    from .models import TimeLimit

    try:
        return TimeLimit.objects.get(key=key)
    except TimeLimit.DoesNotExist:
        raise KeyError(f"未配置办理时限“{key}”") from None


def deadline_for(key_or_limit, start: datetime, *, calendar: WorkingCalendar | None = None) -> Deadline:
    """When something started at `start` is due under a time limit (a TimeLimit or its key).

    minutes / hours: added to the timestamp. calendar days: 23:59:59 Shanghai time of the day N
    days after the start date. working days: 23:59:59 of the Nth working day after the start
    date, provisional if it crossed a year that is not loaded. With `includes_start_day` the
    start date is day 1 (when it is a working day, for working days).
    """
    from .models import TimeLimit

    limit = key_or_limit if isinstance(key_or_limit, TimeLimit) else time_limit(key_or_limit)
    if timezone.is_naive(start):
        raise ValueError("起算时间必须带时区")
    start = start.astimezone(SHANGHAI)
    unit, amount = limit.unit, limit.amount
    if unit == TimeLimit.Unit.MINUTES:
        return Deadline(start + timedelta(minutes=amount), False)
    if unit == TimeLimit.Unit.HOURS:
        return Deadline(start + timedelta(hours=amount), False)
    if unit == TimeLimit.Unit.WORKING_HOURS:
        return add_working_minutes(start, amount * 60, calendar=calendar)
    start_day = start.date()
    if unit == TimeLimit.Unit.CALENDAR_DAYS:
        days = max(amount - 1, 0) if limit.includes_start_day else amount
        return Deadline(_end_of_day(start_day + timedelta(days=days)), False)
    if unit == TimeLimit.Unit.WORKING_DAYS:
        cal = calendar or working_calendar()
        days = amount
        provisional = False
        if limit.includes_start_day and amount > 0:
            provisional = not cal.is_loaded(start_day.year)
            if cal.is_working(start_day):
                days = amount - 1
        result = cal.add_working_days(start_day, days)
        return Deadline(_end_of_day(result.date), result.provisional or provisional)
    raise ValueError(f"未知的时限单位“{unit}”")


DEFAULT_OFFICE_HOURS = "08:30-12:00,13:30-17:30"
_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-~–至]\s*(\d{1,2}):(\d{2})\s*$")


def office_periods_parse(text: str) -> list[tuple[time, time]]:
    """"08:30-12:00,13:30-17:30" → [(08:30, 12:00), (13:30, 17:30)]; ValueError in Chinese saying
    what to fix (a period must end after it starts, periods in order without overlapping)."""
    periods: list[tuple[time, time]] = []
    parts = [p for p in re.split(r"[,,;;\s]+(?=\d)", (text or "").strip()) if p.strip()]
    if not parts:
        raise ValueError("请填写办公时间,如 08:30-12:00,13:30-17:30")
    for part in parts:
        found = _PERIOD.match(part)
        if not found:
            raise ValueError(f"“{part}”不是时段:请写成 08:30-12:00 的样子,多个时段用逗号分开")
        h1, m1, h2, m2 = (int(x) for x in found.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"“{part}”中的时刻不存在")
        begin, end = time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))
        if end <= begin:
            raise ValueError(f"“{part}”的结束时刻应晚于开始时刻")
        if periods and begin < periods[-1][1]:
            raise ValueError(f"“{part}”与前一个时段重叠或顺序颠倒:请按时间先后填写")
        periods.append((begin, end))
    return periods


def office_periods() -> list[tuple[time, time]]:
    from .models import OfficeHours

    row = OfficeHours.objects.filter(pk=1).first()
    try:
        return office_periods_parse(row.periods if row else DEFAULT_OFFICE_HOURS)
    except ValueError:
        return office_periods_parse(DEFAULT_OFFICE_HOURS)


def add_working_minutes(
    start: datetime, minutes: int, *, calendar: WorkingCalendar | None = None, periods: list[tuple[time, time]] | None = None
) -> Deadline:
    """`minutes` of office time after `start`, counted only inside the office hours of working
    days (the calendar's, 调休 included). Provisional when it crossed a year nobody has loaded."""
    cal = calendar or working_calendar()
    periods = periods or office_periods()
    start = start.astimezone(SHANGHAI)
    remaining = timedelta(minutes=minutes)
    day = start.date()
    provisional = False
    for _ in range(minutes // 60 + 3700):  # at most ~10 years of days; amounts are bounded
        if not cal.is_loaded(day.year):
            provisional = True
        if cal.is_working(day):
            for begin, end in periods:
                open_at = max(start, datetime.combine(day, begin, tzinfo=SHANGHAI))
                close_at = datetime.combine(day, end, tzinfo=SHANGHAI)
                if open_at >= close_at:
                    continue
                if remaining <= close_at - open_at:
                    return Deadline(open_at + remaining, provisional)
                remaining -= close_at - open_at
        day += timedelta(days=1)
    raise ValueError("工作小时时限过长,无法计算")


def _end_of_day(d: date) -> datetime:
    return datetime.combine(d, END_OF_DAY, tzinfo=SHANGHAI)


def package_year_arrangement(year: int) -> tuple[dict[date, str], dict[date, str]]:
    """(holidays, make-up working days) of one year from chinesecalendar, with Chinese names."""
    import chinese_calendar

    holidays = {d: HOLIDAY_NAMES_ZH.get(n, n) for d, n in chinese_calendar.holidays.items() if d.year == year}
    makeup = {d: HOLIDAY_NAMES_ZH.get(n, n) for d, n in chinese_calendar.workdays.items() if d.year == year}
    return holidays, makeup
