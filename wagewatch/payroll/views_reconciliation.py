"""/payroll/reconciliation/: the office runs a month's reconciliation for every supervised project
(Celery, by project chunks), edits the finding rules and the case-opening rule, and sees the runs.
Thin: parse, call the services, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from . import selectors
from .models import CaseOpeningRule, FindingRule, ReconciliationRun, WarningLevel


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return ";".join(m for msgs in exc.message_dict.values() for m in msgs)
    return ";".join(exc.messages)


@login_required
def reconciliation_home(request):
    if request.user.role not in selectors.WRITER_OFFICE_ROLES:
        raise PermissionDenied("只有根治欠薪办可以管理工资核对")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "run":
                from .reconciliation.engine import supervised_project_ids
                from .tasks import reconcile_split

                month = selectors.month_parse(request.POST.get("month", ""))
                if month is None:
                    raise ValidationError({"month": ["请选择月份(YYYY-MM)"]})
                ids = supervised_project_ids()
                reconcile_split(month=month, project_ids=ids, actor=request.user, opens_provisional=True)
                messages.success(
                    request,
                    f"已发起{month:%Y年%m月}的工资核对:{len(ids)}个全面监管项目,由后台分批核对。"
                    "本次为清欠办主动核对:未到发薪日或数据未齐的月份,达到自动立案标准的也会立案",
                )
            elif action == "rule":
                from .reconciliation.rules import finding_rule_update

                kind = request.POST.get("kind", "")
                finding_rule_update(
                    actor=request.user, kind=kind, enabled=request.POST.get("enabled") == "on", level=request.POST.get("level", ""),
                    threshold=request.POST.get("threshold", ""), threshold_secondary=request.POST.get("threshold_secondary", ""),
                )
                messages.success(request, "核对规则已保存,下次核对起生效")
            elif action == "case_rule":
                from .reconciliation.rules import case_opening_rule_update

                case_opening_rule_update(
                    actor=request.user, min_level=request.POST.get("min_level", ""),
                    min_shortfall_total=request.POST.get("min_shortfall_total", ""),
                    min_workers_affected=request.POST.get("min_workers_affected", ""),
                    **{k: request.POST[k] for k in ("grace_days", "incomplete_wait_days") if k in request.POST},
                )
                messages.success(request, "自动立案规则已保存")
        except ValidationError as exc:
            messages.error(request, f"未保存:{_errors(exc)}")
        return redirect(reverse("payroll:reconciliation"))
    return render(request, "payroll/reconciliation.html", {
        "rules": FindingRule.objects.order_by("kind"),
        "case_rule": CaseOpeningRule.objects.order_by("pk").first() or CaseOpeningRule(),
        "levels": WarningLevel.choices,
        "runs": ReconciliationRun.objects.select_related("requested_by").order_by("-started_at")[:20],
        "month_default": selectors.month_default(),
    })
