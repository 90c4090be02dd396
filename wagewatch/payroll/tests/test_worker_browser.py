"""A worker looks at his monthly pay on a cheap phone (360×740, touch) in Debian's headless
Chromium: phone + last 6 of the ID + SMS code, his months, confirms one month, disputes the
other, and opens the case the dispute became.

The live server runs in this process, so the SMS MemoryBackend's outbox is where the codes are
read. Screenshots land in /tmp/shots_worker_pay/ for a human to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from wagewatch.core.models import Organisation
from wagewatch.intake.models import Channel, Complaint
from wagewatch.notify.testing import last_sms_code, memory_sms
from wagewatch.payroll.models import PayMonthConfirmation
from wagewatch.testing.browser import needs_chromium

from .test_worker_pay import PHONE_A, build_pay_world

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]
SHOTS = Path("/tmp/shots_worker_pay")
PHONE_SIZE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def sms():
    with memory_sms() as outbox:
        yield outbox


def tap_and_load(page, selector: str) -> None:
    with page.expect_navigation():
        page.tap(selector)


def fits(page, name: str) -> None:
    """Nothing wider than the 360px screen; then a full-page screenshot."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360, f"{name}: page is {width}px wide"
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def test_worker_checks_confirms_and_disputes_on_a_phone(world, live_server, browser, sms):
    Organisation.objects.update(leader_name="王主任", phone="010-88886666")
    pay = build_pay_world(world)
    base = live_server.url
    context = browser.new_context(**PHONE_SIZE, locale="zh-CN")
    page = context.new_page()

    page.goto(f"{base}/w/pay/")
    assert "查看我的工资记录" in page.inner_text("main")
    page.fill("#id_phone", PHONE_A)
    page.fill("#id_id_tail", pay.ids["a"][-6:].lower())
    fits(page, "01-start")
    tap_and_load(page, "button:has-text('获取验证码')")
    page.wait_for_url(f"{base}/w/pay/confirm/")
    assert "139****0001" in page.inner_text("main") and PHONE_A not in page.url
    fits(page, "02-code")
    page.fill("#id_code", last_sms_code(PHONE_A))
    tap_and_load(page, "button:has-text('查看我的工资')")
    page.wait_for_url(f"{base}/w/pay/mine/")
    text = page.inner_text("main")
    assert "西城花园二期" in text and "待您确认" in text and "赵六" not in text and "李四" not in text
    fits(page, "03-mine")

    # The later month: paid in full; he confirms it.
    later = pay.later_month
    tap_and_load(page, f"a[href='/w/pay/{pay.a.pk}/{later.year}/{later.month}/']")
    fits(page, "04-month-ok")
    tap_and_load(page, "button:has-text('确认无误')")
    assert "已确认" in page.inner_text("main")
    fits(page, "05-confirmed")

    # The month with 300 short: the finding in plain words, then a dispute.
    month = pay.month
    page.goto(f"{base}/w/pay/{pay.a.pk}/{month.year}/{month.month}/")
    text = page.inner_text("main")
    assert "工资少发了" in text and "**** **** **** 1111" in text
    fits(page, "06-month-short")
    assert page.input_value("#id_amount") == "300.00"
    page.fill("#id_note", "有300块发到了班长卡上")
    tap_and_load(page, "button:has-text('提出异议')")
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.WORKER_PHONE and complaint.amount_owed == 300
    number = complaint.case.number
    assert page.inner_text("#case-number").strip() == number
    assert "已经提出异议" in page.inner_text("main")
    fits(page, "07-disputed")
    assert {c.answer for c in PayMonthConfirmation.objects.all()} == {"confirmed", "disputed"}

    tap_and_load(page, "text=查看办理进度")
    page.wait_for_url(f"{base}/w/case/{number}/")
    assert number in page.inner_text("main")
    fits(page, "08-case")
    context.close()
