"""Idle sessions end after SESSION_IDLE_MINUTES."""

import time

from django.urls import reverse

from wagewatch.core.middleware import SessionIdleTimeoutMiddleware

KEY = SessionIdleTimeoutMiddleware.KEY


def set_last_seen(client, seconds_ago):
    session = client.session
    session[KEY] = int(time.time()) - seconds_ago
    session.save()


def test_active_session_stays_signed_in(world, client, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(world.users["clerk"])
    set_last_seen(client, 29 * 60)
    assert client.get(reverse("core:home")).status_code == 200
    assert client.session[KEY] >= int(time.time()) - 5  # the clock was reset


def test_idle_session_is_signed_out_and_sent_to_login_with_next(world, client, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(world.users["clerk"])
    set_last_seen(client, 31 * 60)
    response = client.get(reverse("core:territory_list") + "?q=东")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert "%3Fq%3D" in response["Location"]  # the query string survives, encoded
    assert "_auth_user_id" not in client.session
    follow = client.get(response["Location"])
    assert "30分钟未操作" in follow.content.decode()


def test_idle_session_on_the_api_answers_401(world, client, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(world.users["clerk"])
    set_last_seen(client, 31 * 60)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_htmx_request_gets_a_client_redirect(world, client, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(world.users["clerk"])
    set_last_seen(client, 31 * 60)
    response = client.get(reverse("core:home"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/login/")


def test_sign_in_starts_the_clock(world, client):
    from wagewatch.testing.world import PASSWORD

    client.post(reverse("core:login"), {"username": "clerk", "password": PASSWORD})
    assert client.session[KEY] >= int(time.time()) - 5


def test_bearer_token_calls_get_no_session(world, client):
    from wagewatch.core.auth import api_token_create

    token = api_token_create(user=world.users["clerk"])
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
