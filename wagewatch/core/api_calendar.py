"""Working-day calendar and time limits over the API. Any signed-in user or token may read them."""

from datetime import date

from django.core.exceptions import ValidationError
from ninja import Router, Schema

from .calendar import MAX_WORKING_DAYS, add_working_days, is_working_day
from .models import TimeLimit

router = Router(tags=["工作日历与时限"])


class DayOut(Schema):
    date: date
    is_working_day: bool
    reason: str
    holiday_name: str
    is_makeup_working_day: bool
    provisional: bool


class WorkingDayOut(Schema):
    date: date
    provisional: bool


class TimeLimitOut(Schema):
    key: str
    name: str
    amount: int
    unit: str
    unit_label: str
    includes_start_day: bool
    description: str


# Declared before calendar/{date}: otherwise "add-working-days" would be read as a date.
@router.get("calendar/add-working-days", response=WorkingDayOut, summary="加若干个工作日")
def calendar_add_working_days(request, start: date, days: int):
    """The `days`-th working day after `start` (the start day does not count; 0 returns `start`).
    `provisional` is true when the count reached a year whose official calendar is not loaded."""
    if days < 0:
        raise ValidationError({"days": ["天数不能为负数"]})
    if days > MAX_WORKING_DAYS:
        raise ValidationError({"days": [f"天数不能超过{MAX_WORKING_DAYS}"]})
    try:
        result = add_working_days(start, days)
    except ValueError as exc:
        raise ValidationError({"days": [str(exc)]}) from None
    return {"date": result.date, "provisional": result.provisional}


@router.get("calendar/{date}", response=DayOut, summary="查询某天是否工作日")
def calendar_day(request, date: date):
    info = is_working_day(date)
    return {
        "date": info.date,
        "is_working_day": info.is_working_day,
        "reason": info.reason,
        "holiday_name": info.holiday_name,
        "is_makeup_working_day": info.is_makeup_working_day,
        "provisional": info.provisional,
    }


@router.get("time-limits", response=list[TimeLimitOut], summary="办理时限")
def time_limit_list(request):
    return [
        {
            "key": limit.key,
            "name": limit.name,
            "amount": limit.amount,
            "unit": limit.unit,
            "unit_label": limit.get_unit_display(),
            "includes_start_day": limit.includes_start_day,
            "description": limit.description,
        }
        for limit in TimeLimit.objects.order_by("key")
    ]
