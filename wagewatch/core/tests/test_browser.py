"""The spine as a person uses it, in Debian's headless Chromium (never a downloaded browser).

Screenshots land in var/screenshots/ for a human to look at."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from wagewatch.registry import services as registry_services
from wagewatch.testing.browser import needs_chromium
from wagewatch.testing.world import PASSWORD

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def sign_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_wrong_password_then_sign_in_to_scoped_home(world, live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    sign_in(page, live_server.url, "street_b_handler", "wrong-password")
    assert "用户名或密码错误" in page.content()
    sign_in(page, live_server.url, "street_b_handler")
    page.wait_for_url(f"{live_server.url}/")
    text = page.inner_text("main")
    assert "西城花园二期" in text  # its street's project
    assert "东城大道改造" not in text  # another street's project
    page.screenshot(path=SHOTS / "home-street-b.png", full_page=True)


def test_office_finds_enterprise_reveals_id_and_exports(world, live_server, browser):
    registry_services.enterprise_update(
        actor=world.users["admin"],
        enterprise=world.enterprises["factory_a"],
        legal_representative="张建国",
        legal_representative_id_number="11010519491231002X",
    )
    page = browser.new_page(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    sign_in(page, live_server.url, "office_leader")
    page.goto(f"{live_server.url}/registry/enterprises/")
    page.fill("input[name=q]", "服装")
    page.click("form.filters button.primary")
    page.click("text=东花服装厂")
    detail = page.inner_text("main")
    assert "110***********002X" in detail and "11010519491231002X" not in detail
    assert "办理轨迹" in detail
    page.click("button:has-text('查看')")
    page.wait_for_selector("text=11010519491231002X")
    page.screenshot(path=SHOTS / "enterprise-detail.png", full_page=True)
    # The reveal is on the timeline after a reload.
    page.reload()
    assert "查看" in page.inner_text("section.card:has-text('办理轨迹')")

    page.goto(f"{live_server.url}/registry/enterprises/?q=服装")
    with page.expect_download() as download:
        page.click("text=导出Excel")
    sheet = load_workbook(BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "企业名称" and [r[0] for r in rows[1:]] == ["东花服装厂"]


def test_phone_sized_pages_fit(world, live_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, live_server.url, "grid_a_worker")
    page.wait_for_url(f"{live_server.url}/")
    page.screenshot(path=SHOTS / "home-phone.png", full_page=True)
    page.goto(f"{live_server.url}/registry/enterprises/")
    # Nothing wider than the screen except scrollable tables.
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    assert "东花服装厂" in page.inner_text("main")
    page.screenshot(path=SHOTS / "enterprises-phone.png", full_page=True)
