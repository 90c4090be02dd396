"""A worker files a complaint on a cheap phone (360×740, touch) in Debian's headless Chromium,
gets a case number, and tracks the case from another phone with an SMS code.

The live server runs in this process, so the SMS MemoryBackend's outbox is where the codes are
read. Screenshots land in /tmp/shots_worker/ for a human to look at."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from wagewatch.cases.models import CaseState
from wagewatch.core.models import Organisation
from wagewatch.intake import views_worker
from wagewatch.intake.models import Complaint, Evidence
from wagewatch.notify import clock
from wagewatch.notify.testing import last_sms_code, memory_sms
from wagewatch.testing.browser import needs_chromium
from wagewatch.testing.cases import PNG_BYTES

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]
SHOTS = Path("/tmp/shots_worker")
PHONE = "13812345678"
PHONE_SIZE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def sms():
    with memory_sms() as outbox:
        yield outbox


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def tap_and_load(page, selector: str) -> None:
    """Tap a button or link and wait for the page it loads (a plain form post, no scripts)."""
    with page.expect_navigation():
        page.tap(selector)


def fits(page, name: str) -> None:
    """Nothing wider than the 360px screen; then a full-page screenshot."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360, f"{name}: page is {width}px wide"
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def test_worker_files_on_a_phone_and_tracks_the_case(world, live_server, browser, sms, media, tmp_path, monkeypatch):
    Organisation.objects.update(leader_name="王主任", phone="010-88886666")
    base = live_server.url
    photo = tmp_path / "工资条.png"
    photo.write_bytes(PNG_BYTES)

    context = browser.new_context(**PHONE_SIZE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/w/")
    assert "我要投诉欠薪" in page.inner_text("main")
    fits(page, "01-start")

    tap_and_load(page, "text=我要投诉欠薪")
    page.wait_for_url(f"{base}/w/complain/")
    fits(page, "02-form-empty")
    page.fill("#id_complainant_name", "李四")
    page.fill("#id_complainant_phone", PHONE)
    page.fill("#id_employer_name", "东花服装厂")
    page.fill("#id_subcontracting_chain", "王班长")
    page.fill("#id_amount_owed", "18000")
    page.fill("#id_worker_count", "3")
    page.fill("#id_period_start", "2026-08")
    page.select_option("#id_territory_id", str(world.territories["community_a"].pk))
    page.fill("#id_project_name", "东花服装厂二车间")
    page.fill("#id_description", "干了三个月,老板一直说下个月发,到现在一分钱没给。")
    page.check("#id_legal_aid_requested")
    page.set_input_files("#id_files", str(photo))
    fits(page, "03-form-filled")
    tap_and_load(page, "button:has-text('获取验证码')")
    page.wait_for_url(f"{base}/w/complain/confirm/")
    text = page.inner_text("main")
    assert "138****5678" in text and PHONE not in text and PHONE not in page.url
    code = last_sms_code(PHONE)
    assert code
    # A wrong code first: refused in Chinese, nothing registered.
    page.fill("#id_code", "000000" if code != "000000" else "111111")
    tap_and_load(page, "button:has-text('提交投诉')")
    assert "验证码不正确或已失效" in page.inner_text("main")
    assert not Complaint.objects.exists()
    fits(page, "04-code-wrong")
    page.fill("#id_code", code)
    tap_and_load(page, "button:has-text('提交投诉')")
    page.wait_for_url(f"{base}/w/complain/done/")
    complaint = Complaint.objects.get()
    case = complaint.case
    number = page.inner_text("#case-number").strip()
    assert number == case.number and case.state == CaseState.DISPATCHED
    text = page.inner_text("main")
    assert "请记住案件编号,凭编号和手机号查询进度" in text and case.next_deadline_text() in text
    assert Evidence.objects.filter(case=case, uploaded_by_worker=True).count() == 1
    fits(page, "05-done")
    context.close()

    # Two minutes later, on another phone: number + phone + SMS code.
    moved = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(clock, "now", lambda: moved)
    context = browser.new_context(**PHONE_SIZE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/w/")
    tap_and_load(page, "text=查询办理进度")
    page.wait_for_url(f"{base}/w/track/")
    page.fill("#id_number", number.lower())
    page.fill("#id_phone", PHONE)
    fits(page, "06-track")
    tap_and_load(page, "button:has-text('获取验证码')")
    page.wait_for_url(f"{base}/w/track/confirm/")
    fits(page, "07-track-code")
    page.fill("#id_code", last_sms_code(PHONE))
    tap_and_load(page, "button:has-text('查看进度')")
    page.wait_for_url(f"{base}/w/case/{number}/")
    text = page.inner_text("main")
    assert "已交给办理单位" in text and "已交给东城街道办事处办理" in text and "您补充了证据材料" in text
    assert "010-88886666" in text
    fits(page, "08-case")

    # Switching the number in the address bar shows nothing of another case.
    page.goto(f"{base}/w/case/AJ2099010100001/")
    assert "请先验证手机号" in page.inner_text("main")
    context.close()


def test_resolved_case_is_rated_on_a_phone(world, live_server, browser, sms, media):
    """The rating form and the closed-loop timeline at 360px."""
    from wagewatch.testing.cases import register, walk_to

    Organisation.objects.update(leader_name="王主任", phone="010-88886666")
    result = register(world, complainant_phone=PHONE, complainant_name="张三")
    case = walk_to(world, result.case, CaseState.RESOLVED)
    base = live_server.url
    context = browser.new_context(**PHONE_SIZE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/w/track/")
    page.fill("#id_number", case.number)
    page.fill("#id_phone", PHONE)
    tap_and_load(page, "button:has-text('获取验证码')")
    page.wait_for_url(f"{base}/w/track/confirm/")
    page.fill("#id_code", last_sms_code(PHONE))
    tap_and_load(page, "button:has-text('查看进度')")
    page.wait_for_url(f"{base}/w/case/{case.number}/")
    assert "已处理,等待回访" in page.inner_text("main")
    fits(page, "09-case-resolved")
    page.tap("label:has-text('满意') >> nth=1")
    page.fill("#id_comment", "钱已经拿到了,谢谢")
    tap_and_load(page, "button:has-text('提交评价')")
    page.wait_for_url(f"{base}/w/case/{case.number}/")
    case.refresh_from_db()
    assert case.worker_rating == 4
    assert "谢谢您的评价" in page.inner_text("main")
    fits(page, "10-case-rated")
    context.close()
    assert views_worker.RATEABLE_STATES  # the states in which the form shows
