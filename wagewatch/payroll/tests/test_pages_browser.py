"""The project supervision pages in Debian's headless Chromium: the labour manager enters a
worker on a phone-width screen, sees the rates move, and reveals a masked ID number.
Screenshots land in var/screenshots/."""

from __future__ import annotations

from datetime import date

import pytest

from wagewatch.core.tests.test_browser import SHOTS, sign_in
from wagewatch.testing.browser import needs_chromium

from .roster_factories import enter, id_number, punch

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


def test_labour_manager_keeps_the_roster_on_a_phone(world, live_server, browser):
    housing = world.projects["housing_b"]
    first = enter(world, housing, 1)
    punch(first, date(2026, 3, 2))
    page = browser.new_page(viewport={"width": 390, "height": 844})
    sign_in(page, live_server.url, "labour_manager")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/payroll/projects/{housing.pk}/?month=2026-03")
    assert "8个100%" in page.inner_text("main")
    assert page.inner_text("[data-rate=contracts] .num") == "100.0%"

    page.click("text=进场登记")
    page.fill("input[name=name]", "赵六")
    page.fill("input[name=id_number]", id_number(66)[:-1] + ("0" if id_number(66)[-1] != "0" else "1"))
    page.fill("input[name=entry_date]", "2026-03-01")
    page.fill("input[name=agreed_rate]", "360")
    page.click("button.primary")
    assert "身份证号码不正确" in page.inner_text("main")
    page.fill("input[name=id_number]", id_number(66))
    page.click("button.primary")
    page.wait_for_url(f"{live_server.url}/payroll/projects/{housing.pk}/#workers")
    page.goto(f"{live_server.url}/payroll/projects/{housing.pk}/?month=2026-03")
    assert page.inner_text("[data-rate=contracts] .num") == "50.0%"  # 赵六 has no contract
    page.click("[data-rate=contracts] summary")  # the workers behind the figure
    assert "赵六" in page.inner_text("[data-rate=contracts]")
    page.screenshot(path=SHOTS / "payroll-project-phone.png", full_page=True)

    row = page.locator("#workers tr", has_text="赵六")
    assert id_number(66) not in row.inner_text()
    row.locator("button", has_text="查看").first.click()
    page.wait_for_function(f"document.querySelector('#workers').innerText.includes('{id_number(66)}')")
