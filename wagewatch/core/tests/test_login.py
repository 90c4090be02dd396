"""Sign-in: growing delays by name-and-address, by address and by name (core/login_throttle.py),
one answer for known and unknown names, nothing an outsider can lock; an administrator's explicit
lock and the interface-only role are told only to someone who knows the password."""

import logging
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wagewatch.core import login_throttle
from wagewatch.core.models import LoginThrottle, User
from wagewatch.history.models import Event
from wagewatch.testing.world import PASSWORD

ATTACKER = "203.0.113.9"
OFFICE = "10.1.2.3"
THROTTLED = "尝试过于频繁"


def login(client, username, password, address=OFFICE):
    return client.post(reverse("core:login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def answer(response) -> str:
    """The error the page shows (the form echoes the name, the CSRF token differs: not compared)."""
    found = re.search(r'<div class="errors" role="alert">(.*?)</div>', response.content.decode(), re.S)
    return found.group(1).strip() if found else ""


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def events(user, action):
    return Event.objects.filter(object_type="core.user", object_id=str(user.pk), action=action)


@pytest.fixture
def clock(monkeypatch):
    """Moves the throttle's clock: `clock.advance(seconds)`."""

    class Clock:
        moment = timezone.now()

        def advance(self, seconds):
            self.moment += timedelta(seconds=seconds)

    c = Clock()
    monkeypatch.setattr(login_throttle, "now", lambda: c.moment)
    return c


@pytest.fixture
def limits(settings):
    settings.LOGIN_THROTTLE_WINDOW_MINUTES = 15
    settings.LOGIN_FREE_FAILURES = 5
    settings.LOGIN_MAX_DELAY_SECONDS = 900
    settings.LOGIN_ADDRESS_MAX_NAMES = 10
    settings.LOGIN_ADDRESS_FREE_FAILURES = 30
    settings.LOGIN_ACCOUNT_FREE_FAILURES = 20
    settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS = 60
    return settings


def test_correct_password_signs_in_and_resets_failures(world, client, limits):
    user = world.users["clerk"]
    login(client, "clerk", "wrong")
    assert User.objects.get(pk=user.pk).failed_logins == 1
    response = login(client, "clerk", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert User.objects.get(pk=user.pk).failed_logins == 0


def test_wrong_password_shows_chinese_error(world, client, limits):
    response = login(client, "clerk", "wrong")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()


def test_known_and_unknown_names_get_the_same_answers_all_the_way(world, client, limits, clock):
    """Before: the 5th failure of a real account said "已被锁定", an unknown name never did."""
    known, unknown = [], []
    for _ in range(9):
        known.append(answer(login(client, "admin", "wrong", address="198.51.100.1")))
        unknown.append(answer(login(client, "no-such-user", "wrong", address="198.51.100.2")))
        clock.advance(1)
    assert known == unknown
    assert not any("锁定" in a for a in known)
    assert THROTTLED in known[-1] and "用户名或密码错误" in known[0]


def test_failures_from_one_address_never_lock_out_the_administrator_elsewhere(world, client, limits, clock):
    """Before: five wrong passwords from anywhere locked the administrator out for 15 minutes."""
    for _ in range(12):
        login(client, "admin", "wrong", address=ATTACKER)
        clock.advance(1)
    refused = login(client, "admin", PASSWORD, address=ATTACKER)
    assert THROTTLED in answer(refused) and not signed_in(client)  # the attacker's address waits, even with the password

    response = login(client, "admin", PASSWORD, address=OFFICE)
    assert response.status_code == 302 and signed_in(client)
    assert User.objects.get(pk=world.users["admin"].pk).locked_until is None


def test_delays_start_after_the_free_failures_and_grow(world, client, limits, clock):
    for _ in range(4):
        login(client, "clerk", "wrong")
    assert login_throttle.wait_seconds("clerk", OFFICE) == 0
    login(client, "clerk", "wrong")  # the 5th
    assert login_throttle.wait_seconds("clerk", OFFICE) == 2
    assert THROTTLED in answer(login(client, "clerk", PASSWORD))  # not even checked while waiting
    waits = []
    for _ in range(4):
        clock.advance(login_throttle.wait_seconds("clerk", OFFICE))
        login(client, "clerk", "wrong")
        waits.append(login_throttle.wait_seconds("clerk", OFFICE))
    assert waits == [4, 8, 16, 32]
    clock.advance(32)
    assert login(client, "clerk", PASSWORD).status_code == 302
    assert not LoginThrottle.objects.filter(key=login_throttle.keys_for("clerk", OFFICE).pair).exists()


def test_the_delay_is_capped_and_the_window_forgets(world, client, limits, clock):
    limits.LOGIN_MAX_DELAY_SECONDS = 60
    for _ in range(10):
        clock.advance(login_throttle.wait_seconds("clerk", OFFICE))
        login(client, "clerk", "wrong")
    assert login_throttle.wait_seconds("clerk", OFFICE) == 60
    clock.advance(16 * 60)
    login(client, "clerk", "wrong")  # a new window: the first failure again
    assert login_throttle.wait_seconds("clerk", OFFICE) == 0


def test_spraying_fifteen_names_from_one_address_is_limited(world, client, limits, clock):
    """Before: nothing limited one address trying one password on fifteen accounts."""
    names = [u for u in world.users if u != "admin"][:8] + [f"guess{i}" for i in range(7)]
    assert len(names) == 15
    answers = []
    for name in names:
        answers.append(answer(login(client, name, "Spring2026!", address=ATTACKER)))
        clock.advance(2)
    assert answers[:10] == ["<p>用户名或密码错误。</p>"] * 10
    assert all(THROTTLED in a for a in answers[10:])
    # Every name from that address waits now, even with its password; elsewhere nothing changed.
    assert THROTTLED in answer(login(client, "office_staff", PASSWORD, address=ATTACKER))
    assert login(client, "office_staff", PASSWORD, address=OFFICE).status_code == 302


def test_address_delay_grows_per_name_past_the_limit(world, client, limits, clock):
    for i in range(10):
        login(client, f"guess{i}", "x", address=ATTACKER)
    first = login_throttle.wait_seconds("guess99", ATTACKER)
    assert first == 60
    clock.advance(first)
    login(client, "guess10", "x", address=ATTACKER)
    assert login_throttle.wait_seconds("guess99", ATTACKER) == 120


def test_a_guess_spread_over_many_addresses_slows_the_account_by_at_most_the_cap(world, client, limits, clock):
    for i in range(30):
        login(client, "admin", "wrong", address=f"192.0.2.{i + 1}")
        clock.advance(1)
    wait = login_throttle.wait_seconds("admin", OFFICE)
    assert 0 < wait <= 60
    assert THROTTLED in answer(login(client, "admin", PASSWORD, address=OFFICE))
    clock.advance(wait)
    assert login(client, "admin", PASSWORD, address=OFFICE).status_code == 302


def test_throttling_is_recorded_without_the_password(world, client, limits, clock, caplog):
    caplog.set_level(logging.INFO, logger="wagewatch.security")
    for _ in range(6):
        login(client, "clerk", "Secret-Guess-123", address=ATTACKER)
        clock.advance(1)
    for i in range(10):
        login(client, f"Secret-Typed-In-Name-{i}", "Secret-Guess-123", address="198.51.100.7")
    event = events(world.users["clerk"], "user.login_throttled").get()  # one event when the limit starts
    assert '"limited_by":"one_address"' in event.payload and "Secret" not in event.payload
    assert "scope=pair" in caplog.text and ATTACKER in caplog.text and "account=clerk" in caplog.text
    assert "scope=address" in caplog.text
    assert "Secret" not in caplog.text  # neither the password nor a name that was never registered
    assert not LoginThrottle.objects.filter(key__contains="clerk").exists()  # keys hold digests


def test_administrator_lock_is_told_only_after_the_right_password(world, client, limits):
    """The only lock left is the one an administrator sets; a wrong password says nothing of it."""
    user = world.users["clerk"]
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(hours=2))
    assert answer(login(client, "clerk", "wrong")) == answer(login(client, "nobody", "wrong"))
    response = login(client, "clerk", PASSWORD)
    assert "已被系统管理员锁定" in answer(response) and not signed_in(client)


def test_administrator_lock_expiry_is_recorded(world, client, limits):
    user = world.users["clerk"]
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert login(client, "clerk", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.locked_until is None
    unlocked = events(user, "user.unlocked").get()
    assert unlocked.actor_id is None and '"reason":"expired"' in unlocked.payload


def test_disabled_account_says_the_same_as_a_wrong_password(world, client, limits):
    User.objects.filter(pk=world.users["clerk"].pk).update(is_active=False)
    assert answer(login(client, "clerk", PASSWORD)) == answer(login(client, "nobody", "wrong")) == "<p>用户名或密码错误。</p>"
    assert not signed_in(client)


def test_unlock_clears_the_throttle_of_the_account(world, client, limits, clock):
    from wagewatch.core.services import user_unlock

    for _ in range(6):
        login(client, "clerk", "wrong", address=ATTACKER)
    assert login_throttle.account_wait_seconds("clerk") > 0
    client.force_login(world.users["admin"])
    assert "登录需等待" in client.get(reverse("core:user_detail", args=[world.users["clerk"].pk])).content.decode()
    client.logout()
    user_unlock(actor=world.users["admin"], user=world.users["clerk"])
    assert login_throttle.account_wait_seconds("clerk") == 0
    assert login(client, "clerk", PASSWORD, address=ATTACKER).status_code == 302


def test_purge_removes_rows_whose_window_and_delay_ran_out(world, client, limits, clock):
    login(client, "clerk", "wrong")
    assert LoginThrottle.objects.exists()
    clock.advance(16 * 60)
    assert login_throttle.purge() == 3
    assert not LoginThrottle.objects.exists()


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
    settings.LOGIN_FREE_FAILURES = 7
    settings.SESSION_IDLE_MINUTES = 45
    text = client.get(reverse("core:login")).content.decode()
    assert "7 次" in text and "45 分钟" in text and "锁定" not in text
