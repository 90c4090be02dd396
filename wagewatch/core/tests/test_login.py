"""Sign-in with lockout: lock after LOGIN_MAX_FAILURES, lift after LOGIN_LOCKOUT_MINUTES or by
an administrator / office leader, every lock and unlock in the history."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wagewatch.core.models import User
from wagewatch.history.models import Event
from wagewatch.testing.world import PASSWORD


def login(client, username, password):
    return client.post(reverse("core:login"), {"username": username, "password": password})


def events(user, action):
    return Event.objects.filter(object_type="core.user", object_id=str(user.pk), action=action)


@pytest.fixture
def lockout_settings(settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    return settings


def test_correct_password_signs_in_and_resets_failures(world, client, lockout_settings):
    user = world.users["clerk"]
    login(client, "clerk", "wrong")
    assert User.objects.get(pk=user.pk).failed_logins == 1
    response = login(client, "clerk", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert User.objects.get(pk=user.pk).failed_logins == 0


def test_wrong_password_shows_chinese_error(world, client, lockout_settings):
    response = login(client, "clerk", "wrong")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_locks_after_max_failures_and_refuses_the_right_password(world, client, lockout_settings):
    user = world.users["clerk"]
    for _ in range(2):
        login(client, "clerk", "wrong")
    assert not events(user, "user.locked").exists()
    response = login(client, "clerk", "wrong")
    assert "已被锁定" in response.content.decode()
    user.refresh_from_db()
    assert user.locked_until > timezone.now() + timedelta(minutes=14)
    assert events(user, "user.locked").count() == 1

    response = login(client, "clerk", PASSWORD)
    assert response.status_code == 200
    assert "已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert events(user, "user.locked").count() == 1  # attempts while locked do not re-lock


def test_lock_expires_after_lockout_minutes_and_the_expiry_is_recorded(world, client, lockout_settings):
    user = world.users["clerk"]
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    response = login(client, "clerk", PASSWORD)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.locked_until is None
    unlocked = events(user, "user.unlocked").get()
    assert unlocked.actor_id is None and '"reason":"expired"' in unlocked.payload


def test_unknown_username_counts_nothing_and_says_the_same(world, client, lockout_settings):
    response = login(client, "nobody", "wrong")
    assert "用户名或密码错误" in response.content.decode()


@pytest.mark.parametrize("actor_key", ["office_leader", "admin"])
def test_office_leader_and_admin_unlock_from_the_user_page(world, client, actor_key):
    target = world.users["street_a_handler"]
    User.objects.filter(pk=target.pk).update(locked_until=timezone.now() + timedelta(minutes=10), failed_logins=0)
    client.force_login(world.users[actor_key])
    page = client.get(reverse("core:user_detail", args=[target.pk]))
    assert "立即解锁" in page.content.decode()
    response = client.post(reverse("core:user_unlock", args=[target.pk]))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.locked_until is None
    event = events(target, "user.unlocked").get()
    assert event.actor_id == world.users[actor_key].pk and '"reason":"manual"' in event.payload


@pytest.mark.parametrize("actor_key", ["office_staff", "street_a_leader"])
def test_others_who_see_the_user_may_not_unlock(world, client, actor_key):
    target = world.users["street_a_handler"]
    until = timezone.now() + timedelta(minutes=10)
    User.objects.filter(pk=target.pk).update(locked_until=until)
    client.force_login(world.users[actor_key])
    page = client.get(reverse("core:user_detail", args=[target.pk]))
    assert page.status_code == 200 and "立即解锁" not in page.content.decode()
    assert client.post(reverse("core:user_unlock", args=[target.pk])).status_code == 403
    target.refresh_from_db()
    assert target.locked_until == until
    assert not events(target, "user.unlocked").exists()


def test_unlock_of_a_user_outside_scope_is_404(world, client):
    # An office leader of street A's office would not see street B; here: a unit leader cannot
    # see another unit's users at all, so the page and the action are both 404.
    client.force_login(world.users["street_a_leader"])
    target = world.users["street_b_handler"]
    assert client.post(reverse("core:user_unlock", args=[target.pk])).status_code == 404


def test_unlock_needs_post(world, client):
    client.force_login(world.users["admin"])
    assert client.get(reverse("core:user_unlock", args=[world.users["clerk"].pk])).status_code == 405


def test_login_page_states_the_configured_limits(client, db, settings):
    settings.LOGIN_MAX_FAILURES = 7
    settings.LOGIN_LOCKOUT_MINUTES = 20
    settings.SESSION_IDLE_MINUTES = 45
    text = client.get(reverse("core:login")).content.decode()
    assert "7 次" in text and "20 分钟" in text and "45 分钟" in text
