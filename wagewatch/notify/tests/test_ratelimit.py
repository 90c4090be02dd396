from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from wagewatch.notify.models import RateLimitWindow
from wagewatch.notify.ratelimit import (
    client_ip,
    rate_limit,
    rate_limit_count,
    rate_limit_hit,
    rate_limit_windows_purge,
    rate_limited,
    wait_message,
    window_bounds,
)

pytestmark = pytest.mark.django_db


def test_windows_are_fixed_and_a_day_starts_at_beijing_midnight():
    moment = datetime(2026, 11, 23, 2, 0, 30, tzinfo=UTC)  # 10:00:30 in Beijing
    start, end = window_bounds(60, moment)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 11, 23, 2, 0, tzinfo=UTC) and end - start == 60
    start, end = window_bounds(86400, moment)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # 00:00 Beijing
    assert datetime.fromtimestamp(end, UTC) == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def test_hits_are_allowed_up_to_the_limit_within_a_window(frozen):
    results = [rate_limit_hit("k", limit=3, window_seconds=60) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert rate_limit_count("k", window_seconds=60) == 5
    assert RateLimitWindow.objects.count() == 1


def test_a_new_window_starts_a_new_count(frozen):
    assert rate_limit_hit("k", limit=1, window_seconds=60)
    assert not rate_limit_hit("k", limit=1, window_seconds=60)
    frozen.advance(seconds=29)  # 10:00:59, same window
    assert not rate_limit_hit("k", limit=1, window_seconds=60)
    frozen.advance(seconds=1)  # 10:01:00
    assert rate_limit_hit("k", limit=1, window_seconds=60)


def test_keys_and_window_lengths_count_apart(frozen):
    assert rate_limit_hit("a", limit=1, window_seconds=60)
    assert rate_limit_hit("b", limit=1, window_seconds=60)
    assert rate_limit_hit("a", limit=1, window_seconds=3600)  # same key, another window length
    assert not rate_limit_hit("a", limit=1, window_seconds=60)


def test_very_long_keys_are_hashed_to_fit(frozen):
    key = "x" * 500
    assert rate_limit_hit(key, limit=1, window_seconds=60)
    assert not rate_limit_hit(key, limit=1, window_seconds=60)
    assert len(RateLimitWindow.objects.get().key) <= 200


def test_hits_in_a_rolled_back_transaction_do_not_count(frozen):
    rate_limit_hit("k", limit=5, window_seconds=60)
    with pytest.raises(RuntimeError), transaction.atomic():
        rate_limit_hit("k", limit=5, window_seconds=60)
        raise RuntimeError
    assert rate_limit_count("k", window_seconds=60) == 1


def test_purge_deletes_only_windows_that_ended(frozen):
    rate_limit_hit("short", limit=1, window_seconds=60)
    rate_limit_hit("long", limit=1, window_seconds=86400)
    frozen.advance(minutes=2)
    assert rate_limit_windows_purge() == 1
    assert list(RateLimitWindow.objects.values_list("key", flat=True)) == ["long"]


def test_wait_message_rounds_up_to_whole_minutes():
    assert wait_message(1) == "操作过于频繁,请1分钟后再试"
    assert wait_message(61) == "操作过于频繁,请2分钟后再试"
    assert wait_message(3570) == "操作过于频繁,请60分钟后再试"


def test_rate_limited_answers_a_chinese_429_with_retry_after(frozen):
    factory = RequestFactory()
    request = factory.post("/w/track/", REMOTE_ADDR="10.0.0.1")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert rate_limited(request, "track", 2, 3600) is None
    assert rate_limited(request, "track", 2, 3600) is None
    response = rate_limited(request, "track", 2, 3600)
    assert response.status_code == 429
    assert "操作过于频繁,请60分钟后再试" in response.content.decode()
    assert response["Retry-After"] == str(3600 - 30)
    other = factory.post("/w/track/", REMOTE_ADDR="10.0.0.2")
    other.user = AnonymousUser()
    assert rate_limited(other, "track", 2, 3600) is None
    assert rate_limited(other, "other_scope", 2, 3600) is None
    # No clear address in the table.
    assert not RateLimitWindow.objects.filter(key__contains="10.0.0.1").exists()


def test_rate_limit_decorator_counts_posts_only(frozen):
    from django.contrib.auth.models import AnonymousUser

    @rate_limit("submit", 1, 60)
    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()

    def call(method):
        request = getattr(factory, method)("/x/", REMOTE_ADDR="10.0.0.3")
        request.user = AnonymousUser()
        return view(request).status_code

    assert [call("get"), call("post"), call("get"), call("post")] == [200, 200, 200, 429]


def test_client_ip_trusts_forwarded_for_only_behind_configured_proxies(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.9")
    settings.RATE_LIMIT_TRUSTED_PROXIES = 0
    assert client_ip(request) == "127.0.0.1"
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    assert client_ip(request) == "10.0.0.9"  # the address our proxy saw; 6.6.6.6 may be forged
    settings.RATE_LIMIT_TRUSTED_PROXIES = 2
    assert client_ip(request) == "6.6.6.6"
