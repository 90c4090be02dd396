"""The closed loop as staff click through it, in Debian's headless Chromium (never a downloaded
browser): a clerk registers a complaint at the window and dispatches it, the street signs, verifies, uploads the payment
record and resolves; the office calls back and closes.

Screenshots land in /tmp/shots_staff/ (or $STAFF_SHOTS) for a human to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from wagewatch.cases.models import Case, CaseState
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel
from wagewatch.intake.services import complaint_register
from wagewatch.testing.browser import needs_chromium
from wagewatch.testing.cases import PNG_BYTES, complaint_input
from wagewatch.testing.world import PASSWORD

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]
SHOTS = Path(os.environ.get("STAFF_SHOTS") or "/tmp/shots_staff")


def sign_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def act(page, action: str, fields: dict | None = None, *, radios: dict | None = None, files: dict | None = None):
    """Open an action of the panel, fill it in and submit it."""
    box = page.locator(f"details#action-{action}")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for name, value in (fields or {}).items():
        target = box.locator(f"[name='{action}-{name}']")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(str(value))
        else:
            target.fill(str(value))
    for name, value in (radios or {}).items():
        box.locator(f"input[name='{action}-{name}'][value='{value}']").check()
    for name, path in (files or {}).items():
        box.locator(f"input[name='{action}-{name}']").set_input_files(str(path))
    box.locator("button[type=submit]").click()
    page.wait_for_load_state("load")


def state_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).state


def test_clerk_dispatches_unit_resolves_office_closes(world, live_server, browser, tmp_path):
    base = live_server.url
    factory = world.enterprises["factory_a"]

    # --- the clerk: registers at the window, sees the routing proposal and dispatches
    clerk = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(clerk, base, "clerk")
    clerk.goto(f"{base}/intake/register/")
    for name, value in {
        "complainant_name": "张建国",
        "complainant_phone": "13900001234",
        "complainant_id_number": "11010519491231002X",
        "amount_owed": "18000",
        "worker_count": "3",
        "period_start": "2026-08-01",
        "period_end": "2026-10-31",
        "employer_name": factory.name,
        "employer_credit_code": factory.credit_code,
        "subcontracting_chain": "东花服装厂→车间主任李某",
        "description": "2026年8月至10月工资共18000元未发,老板称资金紧张",
    }.items():
        clerk.fill(f"[name={name}]", value)
    clerk.screenshot(path=SHOTS / "00-clerk-register-form.png", full_page=True)
    clerk.click("button[name=step][value=check]")
    clerk.wait_for_url(re.compile(r".*/cases/\d+/$"))
    case = Case.objects.get(pk=int(clerk.url.rstrip("/").rsplit("/", 1)[1]))
    complaint = case.complaints.get()
    url = f"{base}/cases/{case.pk}/"
    assert case.number in clerk.inner_text(".messages")

    main = clerk.inner_text("main")
    assert case.number in main and "已登记" in main and "东花服装厂" in main
    assert "11010519491231002X" not in main and "110***********002X" in main
    # Reveal the ID number (recorded) through htmx.
    clerk.locator("#complainants button:has-text('查看')").nth(1).click()
    clerk.wait_for_selector("text=11010519491231002X")
    clerk.locator("details#action-dispatch summary").click()
    plan = clerk.inner_text("details#action-dispatch")
    assert "分派建议" in plan and "东城街道办事处" in plan
    clerk.screenshot(path=SHOTS / "01-clerk-registered.png", full_page=True)
    act(clerk, "dispatch", {"responsible_leader": "王副主任", "measures": "当日联系企业负责人,三日内核实工资表"})
    assert "已转办东城街道办事处牵头办理" in clerk.inner_text("main")
    assert clerk.inner_text("#case-state") == "已转办"
    clerk.screenshot(path=SHOTS / "02-clerk-dispatched.png", full_page=True)
    assert state_of(case) == CaseState.DISPATCHED

    # --- the street: signs, verifies, confirms facts, uploads the payment record, resolves
    unit = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(unit, base, "street_a_handler")
    unit.goto(url)
    assert "东城街道办事处" in unit.inner_text("#assignments")
    act(unit, "accept", {"responsible_person": "陈干事"})
    assert unit.inner_text("#case-state") == "已签收"
    act(unit, "verify", {"note": "明日到厂核对考勤和工资表"})
    act(unit, "handle", {"amount_verified": "18000", "workers_verified": "3", "note": "考勤与工资表一致"}, radios={"facts_clear": "1"})
    assert unit.inner_text("#case-state") == "处置中"
    # Resolving before the payment record is uploaded is refused, the input kept.
    act(unit, "resolve", {"amount_paid": "18000", "workers_paid": "3", "summary": "企业已通过银行代发补发工资"})
    assert "请先上传支付凭证等结案材料" in unit.inner_text("details#action-resolve")
    assert unit.input_value("[name='resolve-summary']") == "企业已通过银行代发补发工资"
    unit.screenshot(path=SHOTS / "03-unit-resolve-refused.png", full_page=True)
    payment = tmp_path / "银行代发流水.png"
    payment.write_bytes(PNG_BYTES)
    act(unit, "evidence", {"purpose": "closure", "description": "银行代发流水"}, files={"file": payment})
    assert "已上传结案凭证" in unit.inner_text("main")
    assert "银行代发流水" in unit.inner_text("#evidence")
    href = unit.get_attribute("#evidence a[href*='/evidence/']", "href")
    assert href.startswith(f"/cases/{case.pk}/evidence/")
    act(unit, "resolve", {"amount_paid": "18000", "workers_paid": "3", "summary": "企业已通过银行代发补发工资"})
    assert unit.inner_text("#case-state") == "已解决待回访"
    unit.screenshot(path=SHOTS / "04-unit-resolved.png", full_page=True)

    # --- the office: callback, then close
    office = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(office, base, "office_staff")
    office.goto(url)
    act(office, "callback", {"note": "张建国确认已收到全部工资"}, radios={"resolved": "1", "paid_in_full": "1", "lawful": "1", "satisfied": "1"})
    assert office.inner_text("#case-state") == "已回访"
    act(office, "close", {"note": "按时办结"})
    assert office.inner_text("#case-state") == "已结案"
    text = office.inner_text("main")
    assert "结清企业3个月跟踪" in text and "张建国确认已收到全部工资" in text
    office.screenshot(path=SHOTS / "05-office-closed.png", full_page=True)

    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.amount_paid == 18000 and case.workers_paid == 3
    actions = list(Event.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by("seq").values_list("action", flat=True))
    for step in ("case.dispatch", "case.accept", "case.verify", "case.handle", "case.evidence_added", "case.resolve", "case.callback", "case.close"):
        assert step in actions
    assert Event.objects.filter(action="personal_data.revealed", object_id=str(complaint.pk)).exists()

    # The PDFs open from the page.
    response = office.request.get(f"{base}/cases/{case.pk}/dispatch-order.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"


def test_case_page_fits_a_phone(world, live_server, browser):
    case = complaint_register(actor=world.users["clerk"], channel=Channel.WINDOW, data=complaint_input(world)).case
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, live_server.url, "office_staff")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    # The actions come first on a narrow screen, and nothing is wider than the screen.
    assert page.locator("#actions").bounding_box()["y"] < page.locator("#facts").bounding_box()["y"]
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    page.screenshot(path=SHOTS / "06-phone-detail.png", full_page=True)
