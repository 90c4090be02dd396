"""Admin views of the calendar and time limits: read-only, because every change goes through a
service that records its history event (the calendar and time-limit pages)."""

from django.contrib import admin

from .admin_base import ReadOnlyAdmin
from .models import CalendarDay, CalendarYear, TimeLimit


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "source", "loaded_at", "loaded_by", "holiday_count", "makeup_count"]
    list_filter = ["source"]


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "is_working_day", "holiday_name", "is_makeup_working_day", "makeup_for", "source"]
    list_filter = ["year", "is_working_day", "is_makeup_working_day", "source"]
    search_fields = ["holiday_name"]
    date_hierarchy = "date"


@admin.register(TimeLimit)
class TimeLimitAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "amount", "unit", "includes_start_day", "updated_at"]
