"""The notifications page as a unit handler uses it, in Debian's headless Chromium.
Screenshots land in var/screenshots/ for a human to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from wagewatch.notify.models import Notification
from wagewatch.notify.services import notification_create
from wagewatch.testing.browser import needs_chromium
from wagewatch.testing.world import PASSWORD

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def test_handler_reads_and_marks_notifications(world, live_server, browser):
    street_a = world.organisations["street_a"]
    notification_create(
        organisation=street_a, title="新转办案件:东城大道改造欠薪", body="请于2026年11月24日前核实情况。",
        case_number="AJ2026112300012", kind="dispatch", link="/",
    )
    overdue = notification_create(
        user=world.users["street_a_handler"], title="案件 AJ2026112000003 已逾期", kind="overdue", case_number="AJ2026112000003"
    )
    notification_create(organisation=world.organisations["street_b"], title="西城的通知", kind="other")

    page = browser.new_page(viewport={"width": 1280, "height": 760})
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "street_a_handler")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/notify/")
    text = page.inner_text("main")
    assert "新转办案件:东城大道改造欠薪" in text and "已逾期" in text and "西城的通知" not in text
    page.screenshot(path=SHOTS / "notify-list.png", full_page=True)

    page.click(f"#notification-{overdue.pk} button:has-text('标为已读')")  # htmx swaps the row
    page.wait_for_selector(f"#notification-{overdue.pk}:not(.unread)")
    overdue.refresh_from_db()
    assert overdue.read_at is not None
    assert page.url == f"{live_server.url}/notify/"

    page.click("button:has-text('全部标为已读')")
    page.wait_for_selector("text=已将 1 条通知标为已读")
    assert Notification.objects.filter(read_at__isnull=True).count() == 1  # only street B's

    phone = browser.new_page(viewport={"width": 390, "height": 760})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live_server.url}/notify/")
    phone.screenshot(path=SHOTS / "notify-list-phone.png", full_page=True)
