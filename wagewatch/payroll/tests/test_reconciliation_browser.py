"""In Debian's headless Chromium: the office edits a threshold on the reconciliation page, and the
labour manager sees the findings of a reconciled month on his project page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from wagewatch.payroll import synthetic
from wagewatch.payroll.models import FindingRule
from wagewatch.payroll.reconciliation import reconcile
from wagewatch.testing.browser import needs_chromium
from wagewatch.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_office_edits_a_threshold_and_the_manager_sees_findings(world, live_server, browser):
    result = synthetic.build(
        month=date(2026, 9, 1), territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"],
        clean_projects=0, anomalies=["shortfall", "paid_to_other"],
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "office_staff")
    page.goto(f"{live_server.url}/payroll/reconciliation/")
    page.fill("input[aria-label='少发工资阈值']", "500")
    page.click("#rule-shortfall ~ * button, button[form='rule-shortfall']")
    assert "核对规则已保存" in page.inner_text("body")
    page.screenshot(path=SHOTS / "payroll-reconciliation-rules.png", full_page=True)
    assert FindingRule.objects.get(kind="shortfall").threshold == 500
    reconcile(actor=None, month=date(2026, 9, 1), project_ids=result.project_ids)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "labour_manager")
    page.goto(f"{live_server.url}/payroll/projects/{result.project_ids[1]}/?month=2026-09")
    text = page.inner_text("main")
    assert "工资未发到本人账户" in text and "少发工资" in text
    page.screenshot(path=SHOTS / "payroll-project-findings.png", full_page=True)
