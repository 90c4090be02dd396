"""The time-limit table: seeded defaults, deadline_for for every unit, editing (service, page, API)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from wagewatch.core.calendar import deadline_for
from wagewatch.core.calendar_services import calendar_year_load, time_limit_update
from wagewatch.core.models import TimeLimit
from wagewatch.history.models import Event

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

DEFAULTS = {
    "respond": (1, "working_hours"),
    "verify": (8, "working_hours"),
    "close": (7, "working_days"),
    "first_contact": (1, "calendar_days"),
    "advance_payment_trigger": (5, "working_days"),
    "property_preservation": (3, "working_days"),
    "incident_report": (10, "minutes"),
    "major_incident_report": (5, "minutes"),
    "incident_initial_judgement": (20, "minutes"),
    "incident_unit_notification": (20, "minutes"),
    "incident_written_report": (1, "working_days"),
    "settled_enterprise_follow_up": (90, "calendar_days"),
    "small_project_records_upload": (30, "calendar_days"),
    "response_target": (12, "hours"),
    "import_file_retention": (30, "calendar_days"),  # payroll: how long kept import files stay
}


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_shipped_defaults():
    assert {t.key: (t.amount, t.unit) for t in TimeLimit.objects.all()} == DEFAULTS
    assert all(t.name for t in TimeLimit.objects.all())
    assert TimeLimit.objects.get(key="first_contact").includes_start_day


def test_minutes_and_hours_add_to_the_timestamp():
    start = sh(2026, 10, 1, 10, 0)  # a holiday: irrelevant for minutes and hours
    assert deadline_for("incident_report", start).due_at == sh(2026, 10, 1, 10, 10)
    assert deadline_for("response_target", start).due_at == sh(2026, 10, 1, 22, 0)


@pytest.mark.parametrize(
    "start, respond, verify",
    [
        # Wednesday 10:00 in office hours: one hour later; 8 working hours = 2 + 4 today, 2 tomorrow.
        (sh(2026, 11, 25, 10, 0), sh(2026, 11, 25, 11, 0), sh(2026, 11, 26, 10, 30)),
        # 20:52 in the evening (what a worker was told: "今天21:52前"): from 08:30 the next morning.
        (sh(2026, 11, 25, 20, 52), sh(2026, 11, 26, 9, 30), sh(2026, 11, 27, 9, 0)),
        # 11:30: half an hour before lunch, the other half after it.
        (sh(2026, 11, 25, 11, 30), sh(2026, 11, 25, 14, 0), sh(2026, 11, 26, 12, 0)),
        # Friday 17:00: half an hour on Friday, the rest on Monday.
        (sh(2026, 11, 27, 17, 0), sh(2026, 11, 30, 9, 0), sh(2026, 11, 30, 17, 30)),
        # The National Day holiday, 1-7 October 2026: nothing counts until Thursday the 8th.
        (sh(2026, 9, 30, 17, 0), sh(2026, 10, 8, 9, 0), sh(2026, 10, 8, 17, 30)),
    ],
)
def test_respond_and_verify_count_office_hours_of_working_days(start, respond, verify):
    assert deadline_for("respond", start).due_at == respond
    assert deadline_for("verify", start).due_at == verify


def test_office_hours_are_the_offices_to_set(world, client):
    from wagewatch.core.calendar_services import office_hours_update

    with pytest.raises(ValidationError) as exc:
        office_hours_update(actor=world.users["office_staff"], periods="12:00-08:30")
    assert "结束时刻应晚于开始时刻" in exc.value.message_dict["periods"][0]
    with pytest.raises(PermissionDenied):
        office_hours_update(actor=world.users["clerk"], periods="09:00-17:00")
    client.force_login(world.users["office_staff"])
    page = client.post(reverse("core:office_hours_edit"), {"periods": "09:00-12:00, 13:00-17:00, 13:30-14:00"})
    assert page.status_code == 422 and "重叠" in page.content.decode()
    assert client.post(reverse("core:office_hours_edit"), {"periods": "09:00-12:00,13:00-17:00"}).status_code == 302
    assert deadline_for("respond", sh(2026, 11, 25, 8, 40)).due_at == sh(2026, 11, 25, 10, 0)
    event = Event.objects.get(action="office_hours.updated")
    assert '"old":"08:30-12:00,13:30-17:30"' in event.payload and '"new":"09:00-12:00,13:00-17:00"' in event.payload
    assert "09:00-12:00,13:00-17:00" in client.get(reverse("core:time_limits")).content.decode()


def test_calendar_days_end_at_the_end_of_the_day_n_days_later():
    due = deadline_for("small_project_records_upload", sh(2026, 3, 1, 10, 0))
    assert due.due_at == sh(2026, 3, 31, 23, 59, 59)
    assert not due.provisional


def test_first_contact_is_the_same_day_in_shanghai_time():
    assert deadline_for("first_contact", sh(2026, 3, 1, 22, 30)).due_at == sh(2026, 3, 1, 23, 59, 59)
    # 17:00 UTC is already the next day in Shanghai.
    late = deadline_for("first_contact", datetime(2026, 3, 1, 17, 0, tzinfo=UTC))
    assert late.due_at == sh(2026, 3, 2, 23, 59, 59)


def test_working_days_follow_the_official_calendar():
    due = deadline_for("close", sh(2026, 9, 30, 9, 0))
    # 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13, 10-14, 10-15
    assert due.due_at == sh(2026, 10, 15, 23, 59, 59)
    assert not due.provisional


def test_working_days_into_an_unloaded_year_are_provisional_until_it_is_loaded(world):
    due = deadline_for("close", sh(2026, 12, 28, 9, 0))
    assert due.due_at == sh(2027, 1, 6, 23, 59, 59)
    assert due.provisional
    calendar_year_load(actor=world.users["admin"], year=2027, text="2027-01-01~2027-01-03 元旦")
    again = deadline_for("close", sh(2026, 12, 28, 9, 0))
    assert again.due_at == sh(2027, 1, 7, 23, 59, 59)
    assert not again.provisional


def test_working_days_counting_the_start_day():
    limit = TimeLimit(key="t", name="测试", amount=1, unit=TimeLimit.Unit.WORKING_DAYS, includes_start_day=True)
    assert deadline_for(limit, sh(2026, 10, 9, 9, 0)).due_at == sh(2026, 10, 9, 23, 59, 59)
    assert deadline_for(limit, sh(2026, 10, 2, 9, 0)).due_at == sh(2026, 10, 8, 23, 59, 59)


def test_naive_start_and_unknown_key_are_refused():
    with pytest.raises(ValueError, match="时区"):
        deadline_for("respond", datetime(2026, 3, 1, 10, 0))
    with pytest.raises(KeyError):
        deadline_for("no_such_limit", sh(2026, 3, 1, 10, 0))


# --- editing ---


def test_office_staff_updates_a_limit_and_history_keeps_old_and_new(world):
    limit = TimeLimit.objects.get(key="close")
    time_limit_update(actor=world.users["office_staff"], limit=limit, amount=15, unit="calendar_days")
    limit.refresh_from_db()
    assert (limit.amount, limit.unit) == (15, "calendar_days")
    event = Event.objects.get(action="time_limit.updated")
    assert event.actor_id == world.users["office_staff"].pk
    assert '"old":{' in event.payload and '"amount":7' in event.payload and '"amount":15' in event.payload
    assert deadline_for("close", sh(2026, 9, 30, 9, 0)).due_at == sh(2026, 10, 15, 23, 59, 59)


@pytest.mark.parametrize(
    "amount, unit, field",
    [(0, "hours", "amount"), (-3, "hours", "amount"), (2, "weeks", "unit"), ("abc", "hours", "amount"), (10**6, "working_days", "amount"),
     (10**6, "working_hours", "amount")],
)
def test_invalid_updates_change_nothing(world, amount, unit, field):
    limit = TimeLimit.objects.get(key="respond")
    with pytest.raises(ValidationError) as exc:
        time_limit_update(actor=world.users["admin"], limit=limit, amount=amount, unit=unit)
    assert field in exc.value.message_dict
    limit.refresh_from_db()
    assert (limit.amount, limit.unit) == (1, "working_hours")
    assert not Event.objects.filter(action="time_limit.updated").exists()


@pytest.mark.parametrize("username", ["street_a_leader", "inspector", "clerk"])
def test_other_roles_may_not_update(world, username):
    with pytest.raises(PermissionDenied):
        time_limit_update(actor=world.users[username], limit=TimeLimit.objects.get(key="respond"), amount=2, unit="hours")


@pytest.mark.parametrize("username", ["office_staff", "office_leader", "admin"])
def test_editors_use_the_page(world, client, username):
    client.force_login(world.users[username])
    listing = client.get(reverse("core:time_limits"))
    assert listing.status_code == 200
    assert reverse("core:time_limit_edit", args=["verify"]) in listing.content.decode()
    url = reverse("core:time_limit_edit", args=["verify"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"amount": 48, "unit": "hours", "description": "核实"})
    assert response.status_code == 302
    limit = TimeLimit.objects.get(key="verify")
    assert (limit.amount, limit.description) == (48, "核实")


def test_page_shows_chinese_errors_and_saves_nothing(world, client):
    client.force_login(world.users["office_leader"])
    response = client.post(reverse("core:time_limit_edit", args=["verify"]), {"amount": 0, "unit": "fortnights"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "时限数值应不小于1" in html
    assert "单位应为分钟、小时、工作小时、自然日或工作日" in html
    assert TimeLimit.objects.get(key="verify").amount == 8


def test_other_roles_read_but_do_not_edit(world, client):
    client.force_login(world.users["street_a_handler"])
    listing = client.get(reverse("core:time_limits"))
    assert listing.status_code == 200
    assert "结案时限" in listing.content.decode()
    assert "/edit/" not in listing.content.decode()
    url = reverse("core:time_limit_edit", args=["verify"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"amount": 1, "unit": "hours"}).status_code == 403
    assert TimeLimit.objects.get(key="verify").amount == 8


def test_data_provider_and_unknown_key(world, client):
    client.force_login(world.users["tax_feed"])
    assert client.get(reverse("core:time_limits")).status_code == 302  # no page session for the data provider
    client.force_login(world.users["admin"])
    assert client.get(reverse("core:time_limit_edit", args=["nope"])).status_code == 404


def test_api_lists_time_limits(world, client):
    client.force_login(world.users["grid_a_worker"])
    response = client.get("/api/v1/time-limits")
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()}
    assert set(rows) == set(DEFAULTS)
    assert rows["close"] == {
        "key": "close",
        "name": "结案时限",
        "amount": 7,
        "unit": "working_days",
        "unit_label": "工作日",
        "includes_start_day": False,
        "description": "当天立案、7日结案(按工作日计)",
    }
