"""Editing the reconciliation's thresholds: the finding rules and the case-opening rule. Each change
is one history event with the values before and after; the next run uses them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from wagewatch.history.services import event_append
from wagewatch.payroll.models import CaseOpeningRule, FindingKind, FindingRule, WarningLevel

_UNSET = object()


def _decimal(value, field: str, label: str, errors: dict, *, minimum: Decimal = Decimal("0")) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(f"{label}应为数字")
        return None
    if number < minimum or number >= Decimal("1e10"):
        errors.setdefault(field, []).append(f"{label}应在{minimum}至9,999,999,999之间")
        return None
    return number


def _values(obj, fields) -> dict:
    return {f: (str(getattr(obj, f)) if isinstance(getattr(obj, f), Decimal) else getattr(obj, f)) for f in fields}


def finding_rule_update(*, actor, kind: str, enabled=_UNSET, level=_UNSET, threshold=_UNSET, threshold_secondary=_UNSET) -> FindingRule:
    if kind not in FindingKind.values:
        raise ValidationError({"kind": ["没有这种核对规则"]})
    errors: dict[str, list[str]] = {}
    changes = {}
    if enabled is not _UNSET:
        changes["enabled"] = bool(enabled)
    if level is not _UNSET:
        if level not in WarningLevel.values:
            errors.setdefault("level", []).append("预警等级应为 yellow(黄色)、orange(橙色)或 red(红色)")
        changes["level"] = level
    if threshold is not _UNSET:
        changes["threshold"] = _decimal(threshold, "threshold", "阈值", errors)
    if threshold_secondary is not _UNSET:
        changes["threshold_secondary"] = _decimal(threshold_secondary, "threshold_secondary", "第二阈值", errors)
    if errors:
        raise ValidationError(errors)
    fields = ["enabled", "level", "threshold", "threshold_secondary"]
    with transaction.atomic():
        rule = FindingRule.objects.select_for_update().get(kind=kind)
        before = _values(rule, fields)
        for key, value in changes.items():
            setattr(rule, key, value)
        rule.save()
        event_append(actor=actor, action="payroll.finding_rule_update", obj=rule, payload={"kind": kind, "before": before, "after": _values(rule, fields)})
    return rule


def _days(value, field: str, label: str, errors: dict) -> int | None:
    try:
        n = int(str(value).strip())
        if not 0 <= n <= 90:
            raise ValueError
        return n
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(f"{label}应为0至90的整数")
        return None


def case_opening_rule_update(
    *, actor, min_level=_UNSET, min_shortfall_total=_UNSET, min_workers_affected=_UNSET, grace_days=_UNSET, incomplete_wait_days=_UNSET
) -> CaseOpeningRule:
    """Edit the case-opening rule, and when a month is settled enough to open a case: the grace
    after the pay day and how many days more a month with data missing waits."""
    errors: dict[str, list[str]] = {}
    changes = {}
    if min_level is not _UNSET:
        if min_level not in WarningLevel.values:
            errors.setdefault("min_level", []).append("预警等级应为 yellow、orange 或 red")
        changes["min_level"] = min_level
    if min_shortfall_total is not _UNSET:
        changes["min_shortfall_total"] = _decimal(min_shortfall_total, "min_shortfall_total", "少发工资合计", errors) or Decimal("0")
    if min_workers_affected is not _UNSET:
        try:
            changes["min_workers_affected"] = int(min_workers_affected)
            if changes["min_workers_affected"] < 0:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault("min_workers_affected", []).append("涉及工人数应为0以上的整数(0表示不按人数立案)")
    if grace_days is not _UNSET:
        changes["grace_days"] = _days(grace_days, "grace_days", "发薪日后宽限天数", errors)
    if incomplete_wait_days is not _UNSET:
        changes["incomplete_wait_days"] = _days(incomplete_wait_days, "incomplete_wait_days", "数据未齐时再等天数", errors)
    if errors:
        raise ValidationError(errors)
    fields = ["min_level", "min_shortfall_total", "min_workers_affected", "grace_days", "incomplete_wait_days"]
    with transaction.atomic():
        rule = CaseOpeningRule.objects.select_for_update().order_by("pk").first() or CaseOpeningRule.objects.create()
        before = _values(rule, fields)
        for key, value in changes.items():
            setattr(rule, key, value)
        rule.save()
        event_append(actor=actor, action="payroll.case_opening_rule_update", obj=rule, payload={"before": before, "after": _values(rule, fields)})
    return rule
