"""Writes for the working-day calendar and the time-limit table.

An administrator loads a year's official arrangement as text, one line each:

    2027-01-01~2027-01-03 元旦        a holiday range (or one date) with its name
    调休 2027-02-07                    a make-up working day (调休上班), optionally followed by the holiday
    # ...                              a comment; blank lines are skipped

Every line is checked first; one wrong line and nothing is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from wagewatch.history.services import event_append

from .calendar import WEEKDAY_NAMES_ZH, invalidate_cache, office_periods_parse
from .models import CalendarDay, CalendarSource, CalendarYear, OfficeHours, Role, TimeLimit
from .signals import calendar_year_loaded

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_NAME_LENGTH = 40
MAX_HOLIDAY_RANGE_DAYS = 31
CALENDAR_LOADER_ROLES = {Role.ADMINISTRATOR}
CALENDAR_VIEWER_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
TIME_LIMIT_EDITOR_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}

_DATE = r"(\S+?)"
_HOLIDAY_LINE = re.compile(rf"^{_DATE}(?:\s*(?:~|～|至)\s*{_DATE})?\s+(\S.*)$")
_MAKEUP_LINE = re.compile(rf"^调休(?:上班)?\s*[::]?\s*{_DATE}(?:\s+(\S.*))?$")
_DATE_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_DATE_IN_TEXT = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
FORMAT_HINT = "每行应为“2027-01-01~2027-01-03 元旦”(放假区间和节日名称)或“调休 2027-02-07”(调休上班日)"


@dataclass
class YearArrangement:
    """A parsed year: holiday dates with names, make-up working days with the holiday they serve."""

    year: int
    holidays: dict[date, str] = field(default_factory=dict)
    makeup: dict[date, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DayChange:
    date: date
    weekday: str
    before: str
    after: str


def _label(working: bool, name: str, makeup: bool) -> str:
    if makeup:
        return "调休上班"
    if not working and name:
        return f"放假:{name}"
    return "工作日" if working else "周末"


def calendar_text_parse(*, year, text: str) -> YearArrangement:
    """Parse and check an arrangement; ValidationError lists every wrong line, by number."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": ["年度应为四位数字,如 2027"]}) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError({"year": [f"年度应在{MIN_YEAR}至{MAX_YEAR}之间"]})
    arrangement = YearArrangement(year=year)
    seen: dict[date, int] = {}
    errors: list[str] = []

    def parse_date(raw: str, number: int) -> date | None:
        if not _DATE_SHAPE.match(raw):
            errors.append(f"第{number}行:“{raw}”不是日期,日期格式为 YYYY-MM-DD")
            return None
        try:
            y, m, d = (int(p) for p in raw.split("-"))
            value = date(y, m, d)
        except ValueError:
            errors.append(f"第{number}行:日期“{raw}”不存在")
            return None
        if value.year != year:
            errors.append(f"第{number}行:日期 {value.isoformat()} 不在{year}年内")
            return None
        return value

    def claim(d: date, number: int) -> bool:
        if d in seen:
            errors.append(f"第{number}行:{d.isoformat()} 已在第{seen[d]}行中出现,同一天只能出现一次")
            return False
        seen[d] = number
        return True

    for number, raw_line in enumerate((text or "").splitlines(), start=1):
        line = raw_line.strip().replace("\u3000", " ")
        if not line or line.startswith("#"):
            continue
        makeup = _MAKEUP_LINE.match(line)
        if makeup:
            d = parse_date(makeup.group(1), number)
            name = (makeup.group(2) or "").strip()
            if d is None:
                continue
            if len(name) > MAX_NAME_LENGTH:
                errors.append(f"第{number}行:节日名称不能超过{MAX_NAME_LENGTH}个字")
                continue
            if d.weekday() < 5:
                errors.append(f"第{number}行:{d.isoformat()} 是{WEEKDAY_NAMES_ZH[d.weekday()]},本来就是工作日;调休上班日应为周六或周日")
                continue
            if claim(d, number):
                arrangement.makeup[d] = name
            continue
        holiday = _HOLIDAY_LINE.match(line)
        if not holiday or line.startswith("调休"):
            errors.append(f"第{number}行:格式无法识别。{FORMAT_HINT}")
            continue
        first = parse_date(holiday.group(1), number)
        last = parse_date(holiday.group(2), number) if holiday.group(2) else first
        name = holiday.group(3).strip()
        if first is None or last is None:
            continue
        if name[0] in "~～至" or _DATE_IN_TEXT.search(name):
            errors.append(f"第{number}行:缺少节日名称或格式有误。{FORMAT_HINT}")
            continue
        if last < first:
            errors.append(f"第{number}行:结束日期 {last.isoformat()} 早于开始日期 {first.isoformat()}")
            continue
        if (last - first).days + 1 > MAX_HOLIDAY_RANGE_DAYS:
            errors.append(f"第{number}行:放假区间超过{MAX_HOLIDAY_RANGE_DAYS}天,请检查日期")
            continue
        if len(name) > MAX_NAME_LENGTH:
            errors.append(f"第{number}行:节日名称不能超过{MAX_NAME_LENGTH}个字")
            continue
        d = first
        while d <= last:
            if claim(d, number):
                arrangement.holidays[d] = name
            d += timedelta(days=1)
    if not errors and not arrangement.holidays:
        errors.append(f"请至少填写一行放假安排。{FORMAT_HINT}")
    if errors:
        raise ValidationError(errors)
    return arrangement


def _year_rows(arrangement: YearArrangement, source: str) -> list[CalendarDay]:
    rows = []
    d = date(arrangement.year, 1, 1)
    while d.year == arrangement.year:
        if d in arrangement.holidays:
            rows.append(CalendarDay(date=d, year=d.year, is_working_day=False, holiday_name=arrangement.holidays[d], source=source))
        elif d in arrangement.makeup:
            rows.append(
                CalendarDay(
                    date=d, year=d.year, is_working_day=True, is_makeup_working_day=True,
                    makeup_for=arrangement.makeup[d], source=source,
                )
            )
        else:
            rows.append(CalendarDay(date=d, year=d.year, is_working_day=d.weekday() < 5, source=source))
        d += timedelta(days=1)
    return rows


def calendar_year_preview(*, arrangement: YearArrangement) -> list[DayChange]:
    """The dates whose status changes if this arrangement is loaded (against the current rows,
    or Monday–Friday when the year is not loaded)."""
    current = {
        row.date: _label(row.is_working_day, row.holiday_name, row.is_makeup_working_day)
        for row in CalendarDay.objects.filter(year=arrangement.year)
    }
    changes = []
    for row in _year_rows(arrangement, CalendarSource.ADMINISTRATOR):
        after = _label(row.is_working_day, row.holiday_name, row.is_makeup_working_day)
        before = current.get(row.date) or _label(row.date.weekday() < 5, "", False)
        if before != after:
            changes.append(DayChange(row.date, WEEKDAY_NAMES_ZH[row.date.weekday()], before, after))
    return changes


def _lock_year(year: int) -> None:
    """Serialise loads of one year. SQLite's BEGIN IMMEDIATE already serialises writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0xCA1, year])


@transaction.atomic
def calendar_year_load(
    *, actor, year, text: str = "", arrangement: YearArrangement | None = None, source: str = CalendarSource.ADMINISTRATOR
) -> CalendarYear:
    """Replace one year's calendar with an arrangement (given as text or already parsed).

    Records `calendar.year_loaded` and sends `calendar_year_loaded(year=...)` in the same
    transaction. Only administrators load years (actor None = the system, e.g. a package upgrade).
    """
    if actor is not None and getattr(actor, "role", None) not in CALENDAR_LOADER_ROLES:
        raise PermissionDenied("只有系统管理员可以导入工作日历")
    if arrangement is None:
        arrangement = calendar_text_parse(year=year, text=text)
    year = arrangement.year
    _lock_year(year)
    CalendarDay.objects.filter(year=year).delete()
    CalendarDay.objects.bulk_create(_year_rows(arrangement, source), batch_size=500)
    calendar_year, created = CalendarYear.objects.update_or_create(
        year=year,
        defaults={
            "source": source,
            "loaded_at": timezone.now(),
            "loaded_by": actor,
            "holiday_count": len(arrangement.holidays),
            "makeup_count": len(arrangement.makeup),
        },
    )
    event_append(
        actor=actor,
        action="calendar.year_loaded",
        obj=calendar_year,
        payload={
            "year": year,
            "source": source,
            "replaced": not created,
            "holidays": sorted(f"{d.isoformat()} {n}" for d, n in arrangement.holidays.items()),
            "makeup_working_days": sorted(d.isoformat() for d in arrangement.makeup),
        },
    )
    invalidate_cache()
    # A rollback must not leave a snapshot of rows that never committed in this process.
    transaction.on_commit(invalidate_cache)
    calendar_year_loaded.send(sender=CalendarYear, year=year, actor=actor)
    return calendar_year


def calendar_year_load_from_package(*, actor, year: int) -> CalendarYear:
    """Load one year as chinesecalendar publishes it (after upgrading the package)."""
    from .calendar import package_year_arrangement

    holidays, makeup = package_year_arrangement(year)
    if not holidays:
        raise ValidationError({"year": [f"已安装的 chinesecalendar 没有{year}年的安排"]})
    arrangement = YearArrangement(year=year, holidays=holidays, makeup=makeup)
    return calendar_year_load(actor=actor, year=year, arrangement=arrangement, source=CalendarSource.OFFICIAL_PACKAGE)


MAX_AMOUNT = {
    TimeLimit.Unit.MINUTES: 525600,
    TimeLimit.Unit.HOURS: 8784,
    TimeLimit.Unit.WORKING_HOURS: 2000,  # about a working year of office hours
    TimeLimit.Unit.CALENDAR_DAYS: 3660,
    TimeLimit.Unit.WORKING_DAYS: 3660,
}


@transaction.atomic
def time_limit_update(
    *,
    actor,
    limit: TimeLimit,
    amount,
    unit: str,
    includes_start_day: bool | None = None,
    description: str | None = None,
) -> TimeLimit:
    """Change a time limit; records `time_limit.updated` with the old and new values."""
    if getattr(actor, "role", None) not in TIME_LIMIT_EDITOR_ROLES:
        raise PermissionDenied("只有清欠办工作人员、清欠办领导和系统管理员可以修改办理时限")
    errors: dict[str, list[str]] = {}
    if unit not in TimeLimit.Unit.values:
        errors["unit"] = ["单位应为分钟、小时、工作小时、自然日或工作日"]
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        errors["amount"] = ["时限数值应为整数"]
    else:
        if amount < 1:
            errors["amount"] = ["时限数值应不小于1"]
        elif unit in MAX_AMOUNT and amount > MAX_AMOUNT[unit]:
            errors["amount"] = [f"时限数值过大,按{TimeLimit.Unit(unit).label}计最多{MAX_AMOUNT[unit]}"]
    if errors:
        raise ValidationError(errors)
    limit = TimeLimit.objects.select_for_update().get(pk=limit.pk)
    fields = ["amount", "unit", "includes_start_day", "description"]
    old = {f: getattr(limit, f) for f in fields}
    limit.amount = amount
    limit.unit = unit
    if includes_start_day is not None:
        limit.includes_start_day = includes_start_day
    if description is not None:
        limit.description = description.strip()
    new = {f: getattr(limit, f) for f in fields}
    if new == old:
        return limit
    limit.full_clean()
    limit.save()
    changed = [f for f in fields if old[f] != new[f]]
    event_append(
        actor=actor,
        action="time_limit.updated",
        obj=limit,
        payload={"key": limit.key, "changed": changed, "old": old, "new": new},
    )
    return limit


def office_hours_text(periods) -> str:
    return ",".join(f"{begin:%H:%M}-{end:%H:%M}" for begin, end in periods)


@transaction.atomic
def office_hours_update(*, actor, periods: str) -> OfficeHours:
    """Set the office hours that working-hour time limits count (records `office_hours.updated`).
    Deadlines already running keep their due time; new ones use the new hours."""
    if getattr(actor, "role", None) not in TIME_LIMIT_EDITOR_ROLES:
        raise PermissionDenied("只有清欠办工作人员、清欠办领导和系统管理员可以修改办公时间")
    try:
        text = office_hours_text(office_periods_parse(periods))
    except ValueError as exc:
        raise ValidationError({"periods": [str(exc)]}) from None
    row, _ = OfficeHours.objects.select_for_update().get_or_create(pk=1)
    old = row.periods
    if old == text:
        return row
    row.periods = text
    row.save()
    event_append(actor=actor, action="office_hours.updated", obj=row, payload={"old": old, "new": text})
    return row
