"""Loading a year's official arrangement: service, page, validation, permissions, cache."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from wagewatch.core.calendar import add_working_days, is_working_day
from wagewatch.core.calendar_services import calendar_text_parse, calendar_year_load
from wagewatch.core.models import CalendarDay, CalendarSource, CalendarYear
from wagewatch.core.signals import calendar_year_loaded
from wagewatch.history.models import Event

ARRANGEMENT_2027 = """# 2027年放假安排(测试)
2027-01-01~2027-01-03 元旦

2027-02-06 ~ 2027-02-12 春节
调休 2027-01-09
调休上班 2027-02-20 春节
"""


def test_loading_2027_makes_it_official_and_invalidates_the_cache(world):
    before = add_working_days(date(2026, 12, 31), 1)  # builds and caches the snapshot
    assert before.date == date(2027, 1, 1) and before.provisional

    calendar_year_load(actor=world.users["admin"], year=2027, text=ARRANGEMENT_2027)

    after = add_working_days(date(2026, 12, 31), 1)
    assert after.date == date(2027, 1, 4)
    assert not after.provisional
    assert is_working_day(date(2027, 1, 1)).reason == "法定节假日:元旦"
    assert is_working_day(date(2027, 1, 9)).is_makeup_working_day
    assert is_working_day(date(2027, 2, 20)).makeup_for == "春节"
    assert is_working_day(date(2027, 2, 10)).holiday_name == "春节"
    year = CalendarYear.objects.get(year=2027)
    assert year.source == CalendarSource.ADMINISTRATOR
    assert year.loaded_by == world.users["admin"]
    assert (year.holiday_count, year.makeup_count) == (10, 2)
    assert CalendarDay.objects.filter(year=2027).count() == 365


def test_load_records_history_and_sends_the_signal(world):
    received = []

    def receiver(sender, year, actor, **kwargs):
        received.append((year, actor))
        # Receivers run inside the load's transaction and already see the new rows.
        received.append(is_working_day(date(2027, 1, 1)).provisional)

    calendar_year_loaded.connect(receiver)
    try:
        calendar_year_load(actor=world.users["admin"], year=2027, text=ARRANGEMENT_2027)
    finally:
        calendar_year_loaded.disconnect(receiver)
    assert received == [(2027, world.users["admin"]), False]
    event = Event.objects.get(action="calendar.year_loaded")
    assert event.object_type == "core.calendaryear"
    assert '"year":2027' in event.payload


def test_reloading_a_year_replaces_its_rows(world):
    calendar_year_load(actor=world.users["admin"], year=2026, text="2026-10-01~2026-10-03 国庆节")
    assert is_working_day(date(2026, 10, 5)).is_working_day  # no longer a holiday
    assert not is_working_day(date(2026, 10, 10)).is_working_day  # no longer a make-up day
    assert CalendarDay.objects.filter(year=2026).count() == 365
    assert CalendarDay.objects.filter(year=2026, holiday_name__gt="").count() == 3


def test_a_load_in_another_process_is_seen_through_the_version_key(world):
    assert is_working_day(date(2027, 1, 1)).provisional
    # Written behind this process's back (as another process would): no local invalidation.
    CalendarDay.objects.create(date=date(2027, 1, 1), year=2027, is_working_day=False, holiday_name="元旦", source="administrator")
    CalendarYear.objects.create(year=2027, source="administrator", loaded_at=timezone.now())
    info = is_working_day(date(2027, 1, 1))
    assert not info.provisional and info.holiday_name == "元旦"


@pytest.mark.parametrize(
    "line, message",
    [
        ("2027-02-30 春节", "第2行:日期“2027-02-30”不存在"),
        ("2028-01-01 元旦", "第2行:日期 2028-01-01 不在2027年内"),
        ("2027-01-05~2027-01-04 元旦", "第2行:结束日期 2027-01-04 早于开始日期 2027-01-05"),
        ("2027-05-01~2027-05-05", "第2行:格式无法识别"),
        ("2027-05-01 ~ 2027-05-05", "第2行:缺少节日名称或格式有误"),
        ("调休 2027-01-05", "第2行:2027-01-05 是星期二,本来就是工作日"),
        ("调休 明天", "第2行:“明天”不是日期"),
        ("2027-01-02 元旦", "第2行:2027-01-02 已在第1行中出现"),
        ("随便写点什么", "第2行:格式无法识别"),
        ("元旦 2027-01-01", "第2行:“元旦”不是日期"),
        ("2027-01-01~2027-03-01 春节", "第2行:放假区间超过31天"),
    ],
)
def test_each_wrong_line_is_named(line, message):
    with pytest.raises(ValidationError) as exc:
        calendar_text_parse(year=2027, text=f"2027-01-01~2027-01-03 元旦\n{line}")
    assert any(m.startswith(message) for m in exc.value.messages), exc.value.messages


def test_every_wrong_line_is_reported_and_nothing_is_saved(world):
    text = "2027-01-01~2027-01-03 元旦\n2027-13-01 春节\n调休 2027-01-09\n调休 2027-01-06\n"
    with pytest.raises(ValidationError) as exc:
        calendar_year_load(actor=world.users["admin"], year=2027, text=text)
    assert [m[:4] for m in exc.value.messages] == ["第2行:", "第4行:"]
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(year=2027).exists()
    assert not Event.objects.filter(action="calendar.year_loaded").exists()


def test_a_wrong_reload_leaves_the_loaded_year_untouched(world):
    with pytest.raises(ValidationError):
        calendar_year_load(actor=world.users["admin"], year=2026, text="2026-10-01~2026-10-03 国庆节\n2026-10-32 错误")
    assert is_working_day(date(2026, 10, 10)).is_makeup_working_day
    assert CalendarYear.objects.get(year=2026).source == CalendarSource.OFFICIAL_PACKAGE


def test_empty_arrangement_and_bad_year_are_refused():
    with pytest.raises(ValidationError, match="请至少填写一行放假安排"):
        calendar_text_parse(year=2027, text="# 只有注释\n\n")
    with pytest.raises(ValidationError, match="年度应在2000至2100之间"):
        calendar_text_parse(year=1999, text="1999-01-01 元旦")


def test_only_administrators_may_load(world):
    with pytest.raises(PermissionDenied):
        calendar_year_load(actor=world.users["office_leader"], year=2027, text=ARRANGEMENT_2027)
    assert not CalendarYear.objects.filter(year=2027).exists()


# --- pages ---


@pytest.mark.parametrize("username", ["office_staff", "office_leader", "admin"])
def test_office_roles_see_the_calendar_page(world, client, username):
    client.force_login(world.users[username])
    response = client.get(reverse("core:calendar"), {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert "国庆节" in html
    assert 'class="makeup"' in html or "makeup" in html
    assert ("导入/修改2026年放假安排" in html) == (username == "admin")


def test_calendar_page_warns_about_an_unloaded_year(world, client):
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("core:calendar"), {"year": 2027})
    assert "尚未导入" in response.content.decode()


@pytest.mark.parametrize("username", ["street_a_handler", "inspector", "clerk"])
def test_other_roles_may_not_see_the_calendar_page(world, client, username):
    client.force_login(world.users[username])
    assert client.get(reverse("core:calendar")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("core:calendar"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("username", ["office_staff", "office_leader", "street_a_handler"])
def test_only_administrators_open_the_load_page(world, client, username):
    client.force_login(world.users[username])
    assert client.get(reverse("core:calendar_year_load")).status_code == 403
    response = client.post(reverse("core:calendar_year_load"), {"year": 2027, "text": ARRANGEMENT_2027, "action": "confirm"})
    assert response.status_code == 403
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_admin_previews_then_confirms(world, client):
    client.force_login(world.users["admin"])
    url = reverse("core:calendar_year_load")
    assert client.get(url, {"year": 2027}).status_code == 200

    preview = client.post(url, {"year": 2027, "text": ARRANGEMENT_2027, "action": "preview"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "确认导入" in html and "放假:元旦" in html and "调休上班" in html
    assert not CalendarYear.objects.filter(year=2027).exists()  # a preview saves nothing

    confirmed = client.post(url, {"year": 2027, "text": ARRANGEMENT_2027, "action": "confirm"})
    assert confirmed.status_code == 302
    assert confirmed["Location"].endswith("?year=2027")
    assert not add_working_days(date(2026, 12, 31), 1).provisional


def test_admin_uploads_a_gbk_text_file(world, client):
    client.force_login(world.users["admin"])
    upload = SimpleUploadedFile("2027.txt", ARRANGEMENT_2027.encode("gb18030"), content_type="text/plain")
    response = client.post(reverse("core:calendar_year_load"), {"year": 2027, "upload": upload, "action": "confirm"})
    assert response.status_code == 302
    assert is_working_day(date(2027, 2, 8)).holiday_name == "春节"


def test_page_lists_every_wrong_line_and_saves_nothing(world, client):
    client.force_login(world.users["admin"])
    text = "2027-01-01~2027-01-03 元旦\n2027-02-30 春节\n调休 2027-01-05"
    response = client.post(reverse("core:calendar_year_load"), {"year": 2027, "text": text, "action": "confirm"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "第2行:日期“2027-02-30”不存在" in html
    assert "第3行:2027-01-05 是星期二" in html
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_load_page_prefills_a_loaded_year_in_the_load_format(world, client):
    client.force_login(world.users["admin"])
    html = client.get(reverse("core:calendar_year_load"), {"year": 2026}).content.decode()
    assert "2026-10-01~2026-10-07 国庆节" in html
    assert "调休 2026-10-10 国庆节" in html


def test_admin_calendar_registers_models():
    from django.contrib import admin

    import wagewatch.core.admin_calendar  # noqa: F401
    from wagewatch.core.models import TimeLimit

    assert admin.site.is_registered(CalendarYear)
    assert admin.site.is_registered(CalendarDay)
    assert admin.site.is_registered(TimeLimit)
