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
    # A locator, not wait_for_function: the page's Content Security Policy forbids evaluating strings.
    page.locator("#workers", has_text=id_number(66)).wait_for()


# A table column squeezed so that a name, a trade or a status wraps one character a line, or a table
# whose last columns hide behind a scroll bar: what the office saw on its 1366 px screens.
LAYOUT_PROBE = """() => {
  const narrow = [], clipped = [];
  for (const cell of document.querySelectorAll('table.list td, table.list th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const text = node.textContent.trim();
      if (text.length < 2) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
      if (lines >= 2 && text.length / lines < 3) narrow.push(text);
    }
  }
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    if (wrap.scrollWidth > wrap.clientWidth + 2) clipped.push(wrap.scrollWidth + ' > ' + wrap.clientWidth);
  }
  return {narrow, clipped};
}"""


def test_payroll_pages_fit_an_office_screen_of_1366_pixels(world, live_server, browser):
    housing = world.projects["housing_b"]
    for serial, (name, trade) in enumerate([("孙伟伟", "混凝土工"), ("欧阳建国", "架子工"), ("李四", "钢筋工")], start=1):
        enter(world, housing, serial, name=name, trade=trade)
    # 1366 px less the vertical scroll bar of a long page.
    page = browser.new_page(viewport={"width": 1349, "height": 860})
    sign_in(page, live_server.url, "office_staff")
    page.wait_for_url(f"{live_server.url}/")
    for path in ("/payroll/projects/", f"/payroll/projects/{housing.pk}/?month=2026-03"):
        page.goto(f"{live_server.url}{path}")
        found = page.evaluate(LAYOUT_PROBE)
        assert found == {"narrow": [], "clipped": []}, (path, found)
    page.goto(f"{live_server.url}/payroll/projects/")
    page.screenshot(path=SHOTS / "payroll-list-1366.png", full_page=True)
