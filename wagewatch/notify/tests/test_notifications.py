import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from wagewatch.notify.models import Notification
from wagewatch.notify.selectors import notification_unread_count, notifications_for
from wagewatch.notify.services import notification_create, notification_mark_read, notifications_mark_all_read
from wagewatch.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(world):
    o, u = world.organisations, world.users
    return {
        "street_a_org": notification_create(organisation=o["street_a"], title="新转办案件", kind="dispatch", case_number="AJ1", link="/cases/1/"),
        "street_a_handler": notification_create(user=u["street_a_handler"], title="案件即将到期", kind="reminder"),
        "street_b_org": notification_create(organisation=o["street_b"], title="西城逾期案件", kind="overdue"),
        "office_org": notification_create(organisation=o["office"], title="升级处理", kind="escalation"),
    }


def titles(qs):
    return {n.title for n in qs}


def test_a_user_sees_what_is_addressed_to_them_or_their_organisation_only(world, inbox):
    u = world.users
    assert titles(notifications_for(u["street_a_handler"])) == {"新转办案件", "案件即将到期"}
    assert titles(notifications_for(u["street_a_leader"])) == {"新转办案件"}
    assert titles(notifications_for(u["street_b_handler"])) == {"西城逾期案件"}
    # The office's remit covers the whole district, yet it never reads a street's inbox.
    assert titles(notifications_for(u["office_leader"])) == {"升级处理"}
    assert titles(notifications_for(u["admin"])) == {"升级处理"}
    assert titles(notifications_for(u["tax_feed"])) == set()


def test_inactive_and_anonymous_users_see_nothing(world, inbox):
    from django.contrib.auth.models import AnonymousUser

    handler = world.users["street_a_handler"]
    handler.is_active = False
    assert notifications_for(handler).count() == 0
    assert notifications_for(AnonymousUser()).count() == 0


def test_unread_first_then_newest(world, inbox, frozen):
    handler = world.users["street_a_handler"]
    frozen.advance(minutes=1)
    newest = notification_create(user=handler, title="最新")
    notification_mark_read(actor=handler, notification=newest)
    assert [n.title for n in notifications_for(handler)] == ["案件即将到期", "新转办案件", "最新"]
    assert notification_unread_count(handler) == 2


def test_mark_read_only_by_an_addressee(world, inbox):
    u = world.users
    with pytest.raises(PermissionDenied):
        notification_mark_read(actor=u["street_b_handler"], notification=inbox["street_a_org"])
    inbox["street_a_org"].refresh_from_db()
    assert inbox["street_a_org"].read_at is None
    notification_mark_read(actor=u["street_a_leader"], notification=inbox["street_a_org"])
    inbox["street_a_org"].refresh_from_db()
    assert inbox["street_a_org"].read_at is not None
    # An organisation's notification read by one colleague is read for the unit.
    assert notification_unread_count(u["street_a_handler"]) == 1


def test_mark_all_read_touches_only_the_users_own_notifications(world, inbox):
    u = world.users
    assert notifications_mark_all_read(actor=u["street_a_handler"]) == 2
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    assert notification_unread_count(u["street_b_handler"]) == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"title": "无接收人"}, "recipient", "请指定接收人或接收单位"),
        ({"title": "  ", "user": "me"}, "title", "请填写通知标题"),
        ({"title": "外链", "user": "me", "link": "https://evil.example/"}, "link", "链接应为本站以“/”开头的路径"),
        ({"title": "外链", "user": "me", "link": "//evil.example/"}, "link", "链接应为本站以“/”开头的路径"),
        ({"title": "脚本", "user": "me", "link": "javascript:alert(1)"}, "link", "链接应为本站以“/”开头的路径"),
        ({"title": "类型", "user": "me", "kind": "spam"}, "kind", "通知类型不正确"),
    ],
)
def test_create_refuses_bad_input_in_chinese(world, kwargs, field, message):
    if kwargs.get("user") == "me":
        kwargs["user"] = world.users["clerk"]
    with pytest.raises(ValidationError) as info:
        notification_create(**kwargs)
    assert info.value.message_dict[field] == [message]
    assert Notification.objects.count() == 0


def test_the_database_refuses_a_notification_without_recipient(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(title="孤儿")


def test_create_joins_the_callers_transaction(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        notification_create(user=world.users["clerk"], title="回滚")
        raise RuntimeError
    assert Notification.objects.count() == 0


# ------------------------------------------------------------------------------ the page


def login(client, world, key):
    assert client.login(username=world.users[key].username, password=PASSWORD)


def test_page_lists_the_users_notifications_unread_first(client, world, inbox):
    login(client, world, "street_a_handler")
    response = client.get("/notify/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "工作通知" in html and "新转办案件" in html and "案件即将到期" in html
    assert "西城逾期案件" not in html and "升级处理" not in html
    assert html.count("标为已读") == 3  # two rows and "全部标为已读"
    assert 'href="/cases/1/"' in html


def test_page_needs_a_login(client, world, inbox):
    response = client.get("/notify/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_mark_read_by_post(client, world, inbox):
    login(client, world, "street_a_handler")
    target = inbox["street_a_handler"]
    assert client.get(reverse("notify:read", args=[target.pk])).status_code == 405
    response = client.post(reverse("notify:read", args=[target.pk]))
    assert response.status_code == 302 and response["Location"] == "/notify/"
    target.refresh_from_db()
    assert target.read_at is not None


def test_mark_read_by_htmx_answers_the_row(client, world, inbox):
    login(client, world, "street_a_handler")
    target = inbox["street_a_org"]
    response = client.post(reverse("notify:read", args=[target.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{target.pk}"' in html and "已读" in html and "标为已读" not in html


def test_another_units_notification_is_404_and_stays_unread(client, world, inbox):
    login(client, world, "street_b_handler")
    target = inbox["street_a_org"]
    response = client.post(reverse("notify:read", args=[target.pk]))
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.read_at is None


def test_mark_all_read_by_post_and_no_open_redirect(client, world, inbox):
    login(client, world, "street_a_handler")
    response = client.post(reverse("notify:read_all"), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/notify/"
    assert notification_unread_count(world.users["street_a_handler"]) == 0
    assert notification_unread_count(world.users["street_b_handler"]) == 1


def test_the_list_page_runs_a_fixed_number_of_queries(client, world, inbox, django_assert_max_num_queries):
    for n in range(30):
        notification_create(organisation=world.organisations["street_a"], title=f"批量{n}")
    login(client, world, "street_a_handler")
    with django_assert_max_num_queries(12):
        assert client.get("/notify/").status_code == 200


def test_badge_shows_the_unread_count(world, inbox):
    template = Template("{% load notify_tags %}{% notify_badge %}")
    request = RequestFactory().get("/")
    request.user = world.users["street_a_handler"]
    html = template.render(Context({"request": request}))
    assert 'href="/notify/"' in html and ">2<" in html
    notifications_mark_all_read(actor=world.users["street_a_handler"])
    html = template.render(Context({"request": request}))
    assert 'href="/notify/"' in html and "badge red" not in html


def test_badge_is_empty_for_anonymous_users():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert Template("{% load notify_tags %}{% notify_badge %}").render(Context({"request": request})).strip() == ""
