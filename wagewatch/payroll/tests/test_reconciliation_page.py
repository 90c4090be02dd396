"""The office's reconciliation page: edit a threshold, the case-opening rule, start a month."""

from decimal import Decimal

from django.urls import reverse

from wagewatch.history.models import Event
from wagewatch.payroll.models import CaseOpeningRule, FindingRule, ReconciliationRun


def test_office_edits_rules_and_starts_a_month(client, world, monkeypatch):
    client.force_login(world.users["office_staff"])
    url = reverse("payroll:reconciliation")
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "少发工资" in text
    # Thresholds read as people write them, not as the four-decimal column holds them.
    assert 'value="1890"' in text and 'value="0.1"' in text and 'value="300000"' in text and "1890.0000" not in text
    response = client.post(url, {"action": "rule", "kind": "low_average_pay", "enabled": "on", "level": "orange", "threshold": "2000"}, follow=True)
    assert "已保存" in response.content.decode()
    rule = FindingRule.objects.get(kind="low_average_pay")
    assert rule.level == "orange" and rule.threshold == Decimal("2000") and rule.enabled
    response = client.post(url, {"action": "rule", "kind": "low_average_pay", "level": "red", "threshold": "两千"}, follow=True)
    assert "阈值应为数字" in response.content.decode()
    assert FindingRule.objects.get(kind="low_average_pay").threshold == Decimal("2000")  # nothing half-saved
    client.post(url, {"action": "case_rule", "min_level": "orange", "min_shortfall_total": "10000", "min_workers_affected": "5"})
    assert CaseOpeningRule.objects.get().min_level == "orange"
    assert Event.objects.filter(action__in=["payroll.finding_rule_update", "payroll.case_opening_rule_update"]).count() == 2
    sent = []
    monkeypatch.setattr("wagewatch.payroll.tasks.reconcile_month.delay", lambda *a: sent.append(a))
    response = client.post(url, {"action": "run", "month": "2026-09"}, follow=True)
    assert "已发起2026年09月的工资核对" in response.content.decode()
    assert ReconciliationRun.objects.filter(month="2026-09-01").count() == 1


def test_only_the_office(client, world):
    client.force_login(world.users["labour_manager"])
    assert client.get(reverse("payroll:reconciliation")).status_code == 403
