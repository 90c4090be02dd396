"""A disabled or locked account stops at once: its API tokens and its page sessions. The data
provider (an interface-only account) never gets a page session."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wagewatch.core.auth import api_token_create
from wagewatch.core.models import User
from wagewatch.testing.world import PASSWORD


@pytest.fixture
def token(world):
    return {"Authorization": f"Bearer {api_token_create(user=world.users['tax_feed'])}"}


def test_token_works_until_its_user_is_disabled(world, client, token):
    assert client.get("/api/v1/me", headers=token).status_code == 200
    User.objects.filter(pk=world.users["tax_feed"].pk).update(is_active=False)
    response = client.get("/api/v1/me", headers=token)
    assert response.status_code == 401 and response.json()["code"]


def test_token_of_a_locked_user_stops_at_once_and_works_when_the_lock_ends(world, client, token):
    """Before: only is_active was checked; an administrator's lock left the tokens working."""
    user = world.users["tax_feed"]
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(hours=1))
    assert client.get("/api/v1/me", headers=token).status_code == 401
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me", headers=token).status_code == 200


def test_data_provider_cannot_sign_in_to_the_pages(world, client):
    """Before: the data provider signed in with its password and got the home page."""
    response = client.post(reverse("core:login"), {"username": "tax_feed", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "数据接口用户只能通过接口令牌调用接口" in response.content.decode()


def test_wrong_password_of_the_data_provider_says_only_the_usual(world, client):
    response = client.post(reverse("core:login"), {"username": "tax_feed", "password": "wrong"})
    assert "数据接口" not in response.content.decode() and "用户名或密码错误" in response.content.decode()


def test_an_existing_session_of_the_data_provider_is_ended(world, client):
    client.force_login(world.users["tax_feed"])
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/me").status_code == 401  # nor through the API's session auth


def test_a_session_ends_when_an_administrator_locks_the_account(world, client):
    user = world.users["clerk"]
    client.force_login(user)
    assert client.get(reverse("core:home")).status_code == 200
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(hours=1))
    response = client.get(reverse("core:home"), follow=True)
    assert "已被系统管理员锁定" in response.content.decode() and "_auth_user_id" not in client.session


def test_a_session_ends_when_the_account_is_disabled(world, client):
    user = world.users["clerk"]
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))
