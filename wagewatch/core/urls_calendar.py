from django.urls import path

from . import calendar_views

urlpatterns = [
    path("calendar/", calendar_views.calendar_view, name="calendar"),
    path("calendar/load/", calendar_views.calendar_year_load_view, name="calendar_year_load"),
    path("time-limits/", calendar_views.time_limit_list_view, name="time_limits"),
    path("time-limits/office-hours/", calendar_views.office_hours_edit_view, name="office_hours_edit"),
    path("time-limits/<slug:key>/edit/", calendar_views.time_limit_edit_view, name="time_limit_edit"),
]
