"""Warnings per project-month from the open findings, and the case they open past the rule.

A project-month's warning is the highest level among its open findings (enterprise: the general
contractor). Past `CaseOpeningRule` (that level or higher, or the shortfall total, or the number of
workers affected) it opens a case in the closed loop, channel "reconciliation", once: the
complaint's external id is `recon-<project code>-<YYYYMM>`, and `complaint_register` returns the
first registration for an external id it has seen.

Who reports it: the wage arrears office (根治欠薪办) whose territory covers the project, with its
office phone; else `settings.PAYROLL_RECONCILIATION_PHONE`. With neither, no case is opened and the
run records why (a complaint needs a contact phone, and we do not invent one).
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Q, Sum, Value, When
from django.utils import timezone

from wagewatch.core.models import Organisation
from wagewatch.core.protected import validate_phone
from wagewatch.payroll.models import (
    LEVEL_RANK,
    CaseOpeningRule,
    Finding,
    FindingKind,
    PayrollWarning,
    WarningLevel,
)
from wagewatch.registry.models import Project

from .extract import next_month

log = logging.getLogger(__name__)
RANK_LEVEL = {rank: level for level, rank in LEVEL_RANK.items()}
CHUNK = 5000


def _rank_expr():
    return Max(Case(*(When(level=level, then=Value(rank)) for level, rank in LEVEL_RANK.items()), default=Value(0), output_field=IntegerField()))


def warnings_refresh(
    *, actor, month: date, project_ids: list[int], as_of: date | None = None, opens_provisional: bool = False
) -> list[str]:
    """Recompute the warnings of these projects for the month, tell the units of automatic cases
    whose warning cleared, and open the cases due (from settled months only, unless
    `opens_provisional`: the office ran the month on purpose). Returns notes about cases that
    could not be opened."""
    now = timezone.now()
    rule = CaseOpeningRule.objects.order_by("pk").first()
    with_case_before = _with_case_meeting(month, project_ids, rule)
    aggregates = {}
    for i in range(0, len(project_ids), CHUNK):
        part = project_ids[i : i + CHUNK]
        rows = (
            Finding.objects.filter(month=month, status=Finding.Status.OPEN, project_id__in=part)
            .values("project_id")
            .annotate(
                rank=_rank_expr(),
                n=Count("id"),
                shortfall=Sum("amount", filter=Q(kind=FindingKind.SHORTFALL)),
                workers=Count("project_worker_id", distinct=True),
                project_workers=Max("workers_affected", filter=Q(project_worker__isnull=True)),
            )
        )
        for row in rows:
            aggregates[row["project_id"]] = row
    enterprises = {}
    for i in range(0, len(project_ids), CHUNK):
        enterprises.update(Project.objects.filter(pk__in=project_ids[i : i + CHUNK]).values_list("pk", "general_contractor_id"))
    warnings = [
        PayrollWarning(
            project_id=pid,
            enterprise_id=enterprises.get(pid),
            month=month,
            level=RANK_LEVEL[a["rank"]],
            findings_count=a["n"],
            shortfall_total=a["shortfall"] or Decimal("0"),
            workers_affected=max(a["workers"] or 0, a["project_workers"] or 0),
            active=True,
            updated_at=now,
        )
        for pid, a in aggregates.items()
        if a["rank"]
    ]
    with transaction.atomic():
        PayrollWarning.objects.bulk_create(
            warnings, batch_size=1000, update_conflicts=True, unique_fields=["project", "month"],
            update_fields=["enterprise", "level", "findings_count", "shortfall_total", "workers_affected", "active", "updated_at"],
        )
        quiet = [pid for pid in project_ids if pid not in aggregates]
        for i in range(0, len(quiet), CHUNK):
            PayrollWarning.objects.filter(month=month, project_id__in=quiet[i : i + CHUNK], active=True).update(
                active=False, findings_count=0, shortfall_total=Decimal("0"), workers_affected=0, updated_at=now
            )
    warnings_cleared_notify(month=month, warning_ids=with_case_before - _with_case_meeting(month, project_ids, rule))
    return cases_open_due(
        actor=actor, month=month, project_ids=[w.project_id for w in warnings], as_of=as_of, opens_provisional=opens_provisional
    )


def _with_case_meeting(month: date, project_ids: list[int], rule: CaseOpeningRule | None) -> set[int]:
    """Ids of the month's warnings of these projects that carry a case and still pass the rule."""
    if rule is None:
        return set()
    out = set()
    for i in range(0, len(project_ids), CHUNK):
        for w in PayrollWarning.objects.filter(month=month, case__isnull=False, active=True, project_id__in=project_ids[i : i + CHUNK]):
            if case_rule_met(w, rule):
                out.add(w.pk)
    return out


def warning_cleared(warning: PayrollWarning, rule: CaseOpeningRule | None) -> bool:
    """An automatic case's warning has cleared: no open finding left, or no longer past the rule."""
    return not warning.active or rule is None or not case_rule_met(warning, rule)


def warnings_cleared_notify(*, month: date, warning_ids: set[int]) -> None:
    """Tell the lead unit of each automatic case whose warning just cleared (an in-app notice)
    that it may close the case as "核实无欠薪"; one history event per warning."""
    from wagewatch.cases.escalations import notify_about_case
    from wagewatch.history.services import event_append

    if not warning_ids:
        return
    for warning in PayrollWarning.objects.filter(pk__in=warning_ids).select_related("case__lead_organisation", "project"):
        case = warning.case
        with transaction.atomic():
            if case.is_open and case.lead_organisation_id:
                notify_about_case(
                    case=case,
                    organisation=case.lead_organisation,
                    kind="other",
                    title=f"工资核对预警已解除:{case.number}",
                    body=(
                        f"{warning.project.name}{month:%Y年%m月}的工资核对预警已解除(重新核对后{warning.findings_count}个问题,"
                        f"未达到自动立案标准)。经核实确无欠薪的,可在案件页面选择“核实无欠薪”结案,无需上传支付凭证。"
                    ),
                )
            event_append(
                actor="工资核对", action="payroll.warning_cleared", obj=case,
                payload={"project": warning.project.code, "month": f"{month:%Y-%m}", "findings": warning.findings_count,
                         "notified": case.lead_organisation.name if case.is_open and case.lead_organisation_id else ""},
            )


def case_no_arrears_check(case) -> list[str]:
    """Why `case` cannot be closed as "核实无欠薪" (empty: it can): it must be an automatic case of
    the reconciliation, hold no complaint from anyone else, and every warning that opened or
    joined it must have cleared."""
    from wagewatch.intake.models import Channel

    warnings = list(PayrollWarning.objects.filter(case=case).select_related("project"))
    if not warnings:
        return ["只有工资核对自动预警立案的案件可以按“核实无欠薪”结案"]
    reasons = []
    if case.complaints.exclude(channel=Channel.RECONCILIATION).exists():
        reasons.append("案件中有劳动者或其他渠道的投诉,须按支付情况办结")
    rule = CaseOpeningRule.objects.order_by("pk").first()
    for w in warnings:
        if not warning_cleared(w, rule):
            reasons.append(f"{w.project.name}{w.month:%Y年%m月}的工资核对预警仍为{w.get_level_display()}(达到自动立案标准),尚未解除")
    return reasons


def case_rule_met(warning: PayrollWarning, rule: CaseOpeningRule) -> bool:
    """Whether the warning passes the case-opening rule (level, shortfall total or workers)."""
    return (
        LEVEL_RANK[warning.level] >= LEVEL_RANK[rule.min_level]
        or (rule.min_shortfall_total and warning.shortfall_total >= rule.min_shortfall_total)
        or (rule.min_workers_affected and warning.workers_affected >= rule.min_workers_affected)
    )


def reporter_for(project: Project) -> tuple[str, str] | None:
    """The wage arrears office covering the project (nearest first) and its phone."""
    offices = Organisation.objects.filter(kind=Organisation.Kind.WAGE_ARREARS_OFFICE, is_active=True).select_related("territory")
    path = project.territory.path
    for office in sorted((o for o in offices if path.startswith(o.territory.path)), key=lambda o: -len(o.territory.path)):
        try:
            return office.name[:50], validate_phone(office.phone)
        except ValidationError:
            continue
    phone = getattr(settings, "PAYROLL_RECONCILIATION_PHONE", "")
    if phone:
        return "工资核对预警(系统)", phone
    return None


def cases_open_due(
    *, actor, month: date, project_ids: list[int], as_of: date | None = None, opens_provisional: bool = False
) -> list[str]:
    """Open a case for each warning past the rule whose month is settled (or any, when
    `opens_provisional`)."""
    from wagewatch.intake.models import Channel
    from wagewatch.intake.services import ComplaintInput, complaint_register

    from .settlement import month_states

    rule = CaseOpeningRule.objects.order_by("pk").first()
    if rule is None:
        return []
    notes = []
    candidates = []
    for i in range(0, len(project_ids), CHUNK):
        candidates += list(
            PayrollWarning.objects.filter(month=month, active=True, case__isnull=True, project_id__in=project_ids[i : i + CHUNK])
            .select_related("project__territory", "project__general_contractor")
        )
    month_end = next_month(month).toordinal() - 1
    candidates = [w for w in candidates if case_rule_met(w, rule)]
    states = month_states([w.project_id for w in candidates], month, as_of=as_of) if candidates else {}
    for warning in candidates:
        state = states[warning.project_id]
        if state.provisional and not opens_provisional:
            continue  # provisional findings never open a case by themselves
        project = warning.project
        reporter = reporter_for(project)
        if reporter is None:
            notes.append(f"{project.code}:未自动立案,辖区根治欠薪办未登记有效办公电话(或设置 PAYROLL_RECONCILIATION_PHONE)")
            continue
        findings = Finding.objects.filter(project=project, month=month, status=Finding.Status.OPEN)
        counts = findings.values("kind").annotate(n=Count("id"), total=Sum("amount")).order_by("kind")
        labels = dict(FindingKind.choices)
        summary = "、".join(f"{labels[c['kind']]}{c['n']}项" + (f"(合计{c['total']:,.2f}元)" if c["total"] else "") for c in counts)
        amount = warning.shortfall_total or findings.filter(kind__in=[FindingKind.ATTENDANCE_WITHOUT_WAGE]).aggregate(s=Sum("amount"))["s"] or Decimal("0")
        gc = project.general_contractor
        data = ComplaintInput(
            complainant_name=reporter[0],
            complainant_phone=reporter[1],
            employer_name=gc.name if gc else f"{project.name}施工总承包单位",
            employer_credit_code=(gc.credit_code or "") if gc else "",
            project_id=project.pk,
            worker_count=max(warning.workers_affected, 1),
            amount_owed=amount,
            period_start=month,
            period_end=date.fromordinal(month_end),
            description=(
                f"工资核对自动预警({warning.get_level_display()}):{project.name}({project.code}){month:%Y年%m月},"
                f"发现问题{warning.findings_count}项:{summary}。{_state_sentence(state)}详见项目工资核对页面。"
            ),
        )
        try:
            result = complaint_register(
                actor=None, channel=Channel.RECONCILIATION, data=data, external_id=f"recon-{project.code}-{month:%Y%m}", dispatch=True
            )
        except ValidationError as exc:
            notes.append(f"{project.code}:自动立案失败:{'; '.join(exc.messages)}")
            continue
        PayrollWarning.objects.filter(pk=warning.pk).update(case=result.case)
    return notes


def _state_sentence(state) -> str:
    from .settlement import SETTLED, SETTLED_INCOMPLETE

    if state.code == SETTLED:
        return ""
    if state.code == SETTLED_INCOMPLETE:
        return f"发薪日{state.pay_day:%Y-%m-%d}已过,仍缺{'、'.join(state.missing)}。"
    return f"本月尚为暂定({state.label}),由根治欠薪办主动核对立案。"


__all__ = [
    "warnings_refresh", "cases_open_due", "case_rule_met", "reporter_for", "warning_cleared", "case_no_arrears_check", "WarningLevel",
]
