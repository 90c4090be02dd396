"""Scoped reads of the payroll data of construction projects.

Who sees a project's payroll: whoever sees the project (`registry.selectors.project_scope_q`):
the office, inspectors and clerks of the district, the streets of its territory, its industry
authority and state-owned owner, and the general contractor's labour manager (劳资专管员) for the
projects his enterprise builds. Everything else answers 404.

Who writes the roster, wage account, deposit and site record: the project's labour manager (only
for projects his enterprise builds as general contractor), the office staff and leaders, and
administrators. Everyone else reads.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from wagewatch.core.calendar import SHANGHAI
from wagewatch.core.models import Role
from wagewatch.core.scoping import get_in_scope_or_404
from wagewatch.registry.models import Project
from wagewatch.registry.selectors import project_scope_q

from .models import (
    LEVEL_RANK,
    Finding,
    GuaranteeDeposit,
    PayrollWarning,
    ProjectWorker,
    SiteRecord,
    Team,
    WageAccount,
)

WRITER_OFFICE_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
PROJECT_RELATED = ("territory", "owner", "owner_organisation", "general_contractor", "industry_authority")


# ---------------------------------------------------------------- months


def month_start(value: date) -> date:
    return value.replace(day=1)


def month_next(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(month: date) -> date:
    return month_next(month) - timedelta(days=1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month as an aware [start, end) range in Shanghai time."""
    return (
        datetime.combine(month, time(0), tzinfo=SHANGHAI),
        datetime.combine(month_next(month), time(0), tzinfo=SHANGHAI),
    )


def month_parse(text: str | None) -> date | None:
    """'2026-03' (or '2026-03-01') → date(2026, 3, 1); anything else → None."""
    if not text:
        return None
    try:
        parts = [int(p) for p in str(text).split("-")[:2]]
        return date(parts[0], parts[1], 1)
    except (ValueError, IndexError):
        return None


def month_default() -> date:
    """The month a page shows by default: last month (the one being paid now)."""
    today = timezone.now().astimezone(SHANGHAI).date()
    return month_start(month_start(today) - timedelta(days=1))


# ---------------------------------------------------------------- permissions


def may_write_project(user, project: Project) -> bool:
    """The project's labour manager (general contractor's organisation), office staff, administrators."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.role in WRITER_OFFICE_ROLES:
        return True
    if user.role == Role.PROJECT_LABOUR_MANAGER:
        org = user.organisation
        return bool(org is not None and org.enterprise_id and org.enterprise_id == project.general_contractor_id)
    return False


def writable_projects_q(user, prefix: str = "") -> Q:
    """`may_write_project` as a query (on `prefix` + project fields)."""
    if not (user and user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    if user.role in WRITER_OFFICE_ROLES:
        return Q()
    if user.role == Role.PROJECT_LABOUR_MANAGER:
        org = user.organisation
        if org is not None and org.enterprise_id:
            return Q(**{f"{prefix}general_contractor_id": org.enterprise_id})
    return Q(pk__in=[])


# One wording for one rule (the roster form, the API and the roster import).
NAME_CONFLICT_MESSAGE = (
    "姓名与平台按该身份证号登记的姓名不一致,而该工人还在其他单位的项目上登记:请核对身份证号和姓名;"
    "确属登记姓名有误的,请联系清欠办更正(一个人的身份信息只能由清欠办修改)"
)


def workers_employed_elsewhere(user, worker_ids, *, project) -> set[int]:
    """Of these workers, those with an employment on a project other than `project` that `user`
    may not write. Their identity (the name on the ID number) is another contractor's record
    too: this writer may not change it (the office can, for every project)."""
    ids = [pk for pk in worker_ids if pk]
    if not ids:
        return set()
    writable = writable_projects_q(user)
    found: set[int] = set()
    for i in range(0, len(ids), 5000):
        found.update(
            ProjectWorker.objects.filter(worker_id__in=ids[i : i + 5000])
            .exclude(project_id=project.pk)
            .exclude(project__in=Project.objects.filter(writable))
            .values_list("worker_id", flat=True)
        )
    return found


# ---------------------------------------------------------------- projects


def _latest_warning(field: str):
    return Subquery(
        PayrollWarning.objects.filter(project=OuterRef("pk"), active=True).order_by("-month").values(field)[:1]
    )


def project_list(*, user, search: str = "", warning_level: str = "", under_full_supervision: bool | None = None) -> QuerySet:
    """Projects in scope, each annotated with its latest active warning (`warning_level`,
    `warning_month`, `warning_pk`). `warning_level="none"` keeps projects without one."""
    qs = (
        Project.objects.filter(project_scope_q(user))
        .select_related("territory", "general_contractor")
        .annotate(
            warning_level=_latest_warning("level"),
            warning_month=_latest_warning("month"),
            warning_case_id=_latest_warning("case_id"),
        )
    )
    if search:
        search = search.strip()
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if under_full_supervision is not None:
        qs = qs.filter(under_full_supervision=under_full_supervision)
    if warning_level == "none":
        qs = qs.filter(warning_level__isnull=True)
    elif warning_level:
        qs = qs.filter(warning_level=warning_level)
    # The worst first: red, orange, yellow, then projects without a warning.
    rank = Case(*(When(warning_level=level, then=Value(n)) for level, n in LEVEL_RANK.items()), default=Value(0))
    return qs.order_by(rank.desc(), "code", "pk")


def project_get(*, user, pk) -> Project:
    return get_in_scope_or_404(Project.objects.filter(project_scope_q(user)).select_related(*PROJECT_RELATED), pk=pk)


def project_for_write(*, user, pk) -> Project:
    """A project the user sees (else 404) and may write (else PermissionDenied)."""
    from django.core.exceptions import PermissionDenied

    project = project_get(user=user, pk=pk)
    if not may_write_project(user, project):
        raise PermissionDenied("只有本项目总承包单位的劳资专管员、清欠办和系统管理员可以维护项目用工信息")
    return project


# ---------------------------------------------------------------- roster and records


def roster(*, project: Project, active_in: date | None = None, search: str = "") -> QuerySet:
    """The project's workers (newest entries first), with worker and team in the same query."""
    qs = ProjectWorker.objects.filter(project=project).select_related("worker", "team")
    if active_in is not None:
        qs = qs.filter(entry_date__lte=month_end(active_in)).filter(Q(exit_date__isnull=True) | Q(exit_date__gte=active_in))
    if search:
        search = search.strip()
        qs = qs.filter(Q(worker__name__icontains=search) | Q(team__name__icontains=search) | Q(trade__icontains=search))
    return qs.order_by("-entry_date", "-pk")


def project_worker_get(*, project: Project, pk) -> ProjectWorker:
    return get_in_scope_or_404(ProjectWorker.objects.filter(project=project).select_related("worker", "team"), pk=pk)


def teams(*, project: Project) -> QuerySet:
    return Team.objects.filter(project=project).select_related("enterprise").order_by("name", "pk")


def team_get(*, project: Project, pk) -> Team:
    return get_in_scope_or_404(Team.objects.filter(project=project), pk=pk)


def deposits(*, project: Project) -> QuerySet:
    return GuaranteeDeposit.objects.filter(project=project).order_by("-deposited_on", "-pk")


def deposit_get(*, project: Project, pk) -> GuaranteeDeposit:
    return get_in_scope_or_404(GuaranteeDeposit.objects.filter(project=project), pk=pk)


def wage_account_of(project: Project) -> WageAccount | None:
    return WageAccount.objects.filter(project=project).first()


def site_record_of(project: Project) -> SiteRecord | None:
    return SiteRecord.objects.filter(project=project).first()


def findings(*, project: Project, month: date | None = None) -> QuerySet:
    qs = Finding.objects.filter(project=project).select_related("project_worker__worker")
    if month is not None:
        qs = qs.filter(month=month)
    return qs.order_by("-month", "kind", "subject")


def warning_current(project: Project) -> PayrollWarning | None:
    """The latest active warning; `case_note` says why it has no case when the case-opening
    rule is met but no case could be opened (a complaint needs a contact phone)."""
    from .models import CaseOpeningRule
    from .reconciliation.warnings import case_rule_met, reporter_for

    warning = PayrollWarning.objects.filter(project=project, active=True).select_related("case").order_by("-month").first()
    if warning is None or warning.case_id:
        return warning
    from .reconciliation.settlement import month_state

    rule = CaseOpeningRule.objects.order_by("pk").first()
    state = month_state(project, warning.month)
    if rule is None or not case_rule_met(warning, rule):
        warning.case_note = "未达到自动立案标准"
    elif state.provisional:
        warning.case_note = f"本月核对结果为暂定({state.short}),暂不自动立案;月份结算后仍达到标准的将自动立案"
    elif reporter_for(project) is None:
        warning.case_note = "已达到自动立案标准,但辖区根治欠薪办未登记办公电话,未能自动立案:请在单位信息中登记电话(或设置 PAYROLL_RECONCILIATION_PHONE)后重新核对本月"
    else:
        warning.case_note = "已达到自动立案标准,尚未立案:见工资核对页面最近一次核对的说明"
    return warning


def warnings_for_enterprise(*, user, enterprise, limit: int = 50) -> QuerySet:
    """Active warnings of the projects in the user's scope that the enterprise is responsible for
    (named on the warning) or builds as general contractor."""
    visible = Project.objects.filter(project_scope_q(user)).values("pk")
    return (
        PayrollWarning.objects.filter(active=True, project__in=visible)
        .filter(Q(enterprise=enterprise) | Q(project__general_contractor=enterprise))
        .select_related("project", "case")
        .order_by("-month", "project__code")[:limit]
    )


# ---------------------------------------------------------------- a finding's evidence, as rows

EVIDENCE_ROWS_SHOWN = 50  # per list and finding on a page

DETAIL_LABELS = {
    "basis": "计薪方式",
    "rate": "约定工资标准",
    "days": "出勤天数",
    "roster_days": "在册天数",
    "quantity": "工程量",
    "owed": "按考勤/工程量应得",
    "amount_due": "工资表应发",
    "sheet_paid": "工资表实发",
    "bank_paid": "专户代发到本人",
    "paid_to_others": "付到他人账户",
    "pay_day": "发薪日",
    "expected": "应得",
    "shortfall": "少发",
    "last_paid_on": "最后付款日",
    "days_late": "迟发天数",
    "payee_names": "收款人",
    "payments": "付款笔数",
    "total": "合计",
    "workers": "工人数",
    "attending": "考勤人数",
    "expected_total": "应发合计",
    "paid_after_pay_day": "发薪日后付款笔数",
    "months": "月份",
    "lines": "工资表人数",
    "total_paid": "实发合计",
    "average_paid": "人均实发",
    "paid": "考勤人员中发薪人数",
    "paid_not_attending": "无考勤发薪人数(如补发)",
    "month_total": "当月合计",
    "year_total": "当年累计",
    "month_limit": "单月阈值",
    "year_limit": "年度阈值",
    "exit_date": "退场日期",
    "settled_on": "结算日期",
    "without_wage_record": "无工资记录人数",
    "ratio": "比例",
}
DETAIL_HIDDEN = {"project_worker_ids", "id_digest", "subject_label"}  # the subject has its own column


def finding_detail_pairs(detail) -> list[tuple[str, object]]:
    """A finding's figures as (Chinese label, value), known keys first, ids left out."""
    if not isinstance(detail, dict):
        return []
    out = []
    for key, value in detail.items():
        if key in DETAIL_HIDDEN or value in (None, "", []):
            continue
        if key == "basis":
            from .models import WageBasis

            value = dict(WageBasis.choices).get(value, value)
        elif isinstance(value, list):
            value = "、".join(str(v) for v in value)
        out.append((DETAIL_LABELS.get(key, key), value))
    return out


def finding_evidence_tables(findings: list) -> dict[int, list[dict]]:
    """The rows behind each finding (its evidence holds ids of payroll lines, disbursements,
    attendance and project workers), fetched for all the findings at once: four queries."""
    from wagewatch.core.protected import BANK_CARD, mask

    from .models import Attendance, BankDisbursement, PayrollLine

    wanted: dict[str, set[int]] = {"payroll_line_ids": set(), "disbursement_ids": set(), "attendance_ids": set(), "project_worker_ids": set()}
    for f in findings:
        evidence = f.evidence if isinstance(f.evidence, dict) else {}
        for key, ids in wanted.items():
            ids.update(int(i) for i in (evidence.get(key) or [])[:EVIDENCE_ROWS_SHOWN] if str(i).isdigit())
    lines = {
        line.pk: line
        for line in PayrollLine.objects.filter(pk__in=wanted["payroll_line_ids"]).select_related("sheet", "project_worker__worker")
    } if wanted["payroll_line_ids"] else {}
    payments = {b.pk: b for b in BankDisbursement.objects.filter(pk__in=wanted["disbursement_ids"])} if wanted["disbursement_ids"] else {}
    punches = {
        a.pk: a for a in Attendance.objects.filter(pk__in=wanted["attendance_ids"]).select_related("project_worker__worker")
    } if wanted["attendance_ids"] else {}
    workers = {
        pw.pk: pw for pw in ProjectWorker.objects.filter(pk__in=wanted["project_worker_ids"]).select_related("worker", "team")
    } if wanted["project_worker_ids"] else {}

    def table(name, columns, ids, source, row):
        ids = [int(i) for i in ids if str(i).isdigit()]
        rows = [row(source[i]) for i in ids[:EVIDENCE_ROWS_SHOWN] if i in source]
        return {"name": name, "columns": columns, "rows": rows, "more": max(len(ids) - EVIDENCE_ROWS_SHOWN, 0)} if ids else None

    out: dict[int, list[dict]] = {}
    for f in findings:
        evidence = f.evidence if isinstance(f.evidence, dict) else {}
        tables = [
            table("工资表明细", ["姓名", "月份", "出勤天数", "应发", "实发", "补发"], evidence.get("payroll_line_ids") or [], lines,
                  lambda x: [x.project_worker.worker.name, f"{x.sheet.month:%Y-%m}", x.days, x.amount_due, x.amount_paid, "是" if x.back_pay else ""]),
            table("专户代发流水", ["付款时间", "收款人", "收款账号", "金额", "银行流水号", "工资月份"], evidence.get("disbursement_ids") or [], payments,
                  lambda x: [timezone.localtime(x.paid_at).strftime("%Y-%m-%d %H:%M"), x.payee_name, mask(BANK_CARD, x.payee_account), x.amount, x.reference,
                             f"{x.month:%Y-%m}" if x.month else ""]),
            table("考勤记录", ["姓名", "时间", "方向", "设备", "位置"], evidence.get("attendance_ids") or [], punches,
                  lambda x: [x.project_worker.worker.name, timezone.localtime(x.at).strftime("%Y-%m-%d %H:%M"), x.get_direction_display(), x.terminal, x.location]),
            table("涉及工人", ["姓名", "班组", "进场", "退场"], evidence.get("project_worker_ids") or [], workers,
                  lambda x: [x.worker.name, x.team.name if x.team_id else "", x.entry_date, x.exit_date or ""]),
        ]
        out[f.pk] = [t for t in tables if t]
    return out
