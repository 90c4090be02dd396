"""Case lists: the ledger with filters and Excel export, each unit's inbox, the overdue board.

Thin views over `cases.selectors` (always scoped). Each page runs a fixed number of queries
whatever its length: the rows come with their territory and lead unit joined, and what a row
needs from other tables (provisional deadlines, the user's part in the case, unit leaders) is
fetched once for the whole page.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Min, Prefetch, Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from wagewatch.core import selectors as core_selectors
from wagewatch.core.export import xlsx_response
from wagewatch.core.forms import Form
from wagewatch.core.models import Organisation, Role, Territory, User
from wagewatch.core.pagination import CappedPaginator
from wagewatch.core.redact import redact_text
from wagewatch.intake.models import Channel

from . import selectors
from .labels import DISPATCHED_LABEL_FOR_LEAD
from .models import OPEN_STATES, Case, CaseAssignment, CaseDeadline, CaseState, DeadlineKind

PAGE_SIZE = 50
BOARD_PAGE_SIZE = 100
EXPORT_LIMIT = 100_000
BOARD_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
LEAD_KINDS = [
    Organisation.Kind.STREET_GOVERNMENT,
    Organisation.Kind.INDUSTRY_BUREAU,
    Organisation.Kind.STATE_OWNED_OWNER,
    Organisation.Kind.LABOUR_INSPECTION,
    Organisation.Kind.WAGE_ARREARS_OFFICE,
]

STATE_BADGE = {
    CaseState.REGISTERED: "yellow",
    CaseState.DISPATCHED: "blue",
    CaseState.ACCEPTED: "blue",
    CaseState.VERIFYING: "blue",
    CaseState.HANDLING: "blue",
    CaseState.RESOLVED: "green",
    CaseState.CALLED_BACK: "green",
    CaseState.CLOSED: "",
    CaseState.RETURNED: "orange",
    CaseState.REOPENED: "orange",
    CaseState.MERGED: "",
}
# A unit's part in a case, in a word.
PART_LABELS = {
    CaseAssignment.Role.LEAD: ("牵头", "blue"),
    CaseAssignment.Role.ASSISTING: ("协办", "green"),
    CaseAssignment.Role.COPY: ("抄送", ""),
    CaseAssignment.Role.NOTIFIED: ("告知", ""),
    CaseAssignment.Role.ESCALATION: ("移交办理", "orange"),
}
KIND_LABELS = dict(DeadlineKind.choices)
UNDISPATCHED = "none"


def _territory_label(t: Territory) -> str:
    return ("— " * max(t.path.count("/") - 2, 0)) + t.name


class OpenChoiceField(forms.ChoiceField):
    """A choice that also takes ids not offered in the menu (a link from another page, a unit
    that left the menu): filters only ever narrow the user's scoped cases, so any id is safe."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit() or super().valid_value(value)


class CaseFilterForm(Form):
    q = forms.CharField(
        label="查找",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "案件编号、投诉编号、投诉人姓名、电话、身份证号、单位或项目名称"}),
    )
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), ("open", "全部未结")] + CaseState.choices)
    unit = OpenChoiceField(label="牵头单位", required=False)
    territory = OpenChoiceField(label="辖区", required=False)
    channel = forms.ChoiceField(label="来源渠道", required=False, choices=[("", "全部")] + Channel.choices)
    overdue = forms.BooleanField(label="只看超期", required=False)
    major = forms.BooleanField(label="只看重大案件", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role not in selectors.TERRITORIAL_CASE_ROLES and user.organisation_id:
            # A unit's own words for the state it acts on (see labels.state_label_for).
            self.fields["state"].choices = [
                (value, DISPATCHED_LABEL_FOR_LEAD if value == CaseState.DISPATCHED else label) for value, label in self.fields["state"].choices
            ]
        units = core_selectors.organisation_list(user=user).filter(kind__in=LEAD_KINDS, is_active=True)
        if user.role not in selectors.TERRITORIAL_CASE_ROLES:
            # A unit sees few cases: offer the units leading them too (a road case led by the
            # state-owned owner that street A assists), which its organisation list may not hold.
            units = Organisation.objects.filter(
                Q(pk__in=units.values("pk"))
                | Q(pk__in=selectors.cases_visible(user).filter(lead_organisation__isnull=False).values("lead_organisation_id"))
            )
        self.fields["unit"].choices = [("", "全部")] + [(str(o.pk), o.short_name or o.name) for o in units.order_by("kind", "name")]
        territories = core_selectors.territory_list(user=user).exclude(level=Territory.Level.GRID).order_by("path")
        self.fields["territory"].choices = [("", "全部")] + [(str(t.pk), _territory_label(t)) for t in territories]
        self._territory_paths = {str(t.pk): t.path for t in territories}

    def selector_kwargs(self) -> dict:
        """The valid filters (a wrong value in one field drops only that filter)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        d = self.cleaned_data
        territory = d.get("territory") or ""
        path = self._territory_paths.get(territory, "")
        if territory and not path:
            # A territory outside the menu: its path narrows (to nothing when out of scope).
            path = Territory.objects.filter(pk=int(territory)).values_list("path", flat=True).first() or "-"
        return {
            "q": (d.get("q") or "").strip(),
            "state": d.get("state") or "",
            "unit": int(d["unit"]) if d.get("unit") else None,
            "territory_path": path,
            "channel": d.get("channel") or "",
            "overdue": bool(d.get("overdue")),
            "major": bool(d.get("major")),
        }


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _mark_deadlines(cases: list[Case], now) -> None:
    """Per row: overdue?, the next deadline's label, provisional? (one query for the page)."""
    ids = [c.pk for c in cases if c.next_due_at]
    provisional = set()
    if ids:
        provisional = set(
            CaseDeadline.objects.filter(case_id__in=ids, status=CaseDeadline.Status.OPEN, provisional=True).values_list("case_id", "due_at")
        )
    for c in cases:
        c.state_badge = STATE_BADGE.get(c.state, "")
        is_open = c.state in OPEN_STATES
        c.shows_deadline = bool(is_open and c.next_due_at)
        c.is_overdue = bool(c.shows_deadline and c.next_due_at < now)
        c.next_due_label = KIND_LABELS.get(c.next_due_kind, "")
        c.next_due_provisional = (c.pk, c.next_due_at) in provisional


def overdue_for(delta: timedelta) -> str:
    """How long past due, in the words an office uses: 3天4小时, 5小时20分, 12分钟."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分" if mins else f"{hours}小时"
    return f"{mins}分钟"


# ---------------------------------------------------------------- the ledger


@login_required
@require_GET
def case_list(request):
    form = CaseFilterForm(request.GET or None, user=request.user)
    cases = selectors.case_list(request.user, **form.selector_kwargs())
    page = CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _mark_deadlines(rows, timezone.now())
    return render(
        request,
        "cases/list.html",
        {"form": form, "page": page, "rows": rows, "query": _query_without_page(request), "may_register": _may_register(request.user)},
    )


def _may_register(user) -> bool:
    from wagewatch.intake.views import may_register

    return may_register(user)


EXPORT_HEADERS = [
    "案件编号",
    "收到时间",
    "登记时间",
    "来源渠道",
    "状态",
    "所属辖区",
    "行业",
    "用人单位",
    "统一社会信用代码",
    "项目名称",
    "工地/工作地点",
    "欠薪金额(元)",
    "涉及人数",
    "牵头责任单位",
    "转办时间",
    "最近期限",
    "期限事项",
    "是否超期",
    "重大案件",
    "挂牌督办",
    "已支付金额(元)",
    "已支付人数",
    "结案时间",
]


@login_required
@require_GET
def case_export(request):
    """The filtered ledger as Excel: the same scoped rows as the page, no personal numbers
    (complainants are not in the ledger at all; numbers typed into its text are masked)."""
    form = CaseFilterForm(request.GET or None, user=request.user)
    cases = selectors.case_list(request.user, **form.selector_kwargs())
    total = cases.count()
    if total > EXPORT_LIMIT:
        return render(
            request,
            "errors.html",
            {"title": "导出条数过多", "message": f"符合条件的案件有{total}件,一次最多导出{EXPORT_LIMIT}件:请先按状态、辖区或单位筛选。", "status": 422},
            status=422,
        )
    now = timezone.now()
    channels = dict(Channel.choices)

    def rows():
        for c in cases.iterator(chunk_size=2000):
            is_open = c.state in OPEN_STATES
            yield [
                c.number,
                c.received_at,
                c.registered_at,
                channels.get(c.channel, c.channel),
                c.get_state_display(),
                c.territory.name,
                c.get_industry_display(),
                redact_text(c.employer_display_name),  # the registered name, as on the page and the documents
                c.employer_credit_code,
                redact_text(c.project_name),
                redact_text(c.site_address),
                c.amount_owed,
                c.worker_count,
                c.lead_organisation.name if c.lead_organisation_id else "",
                c.dispatched_at,
                c.next_due_at if is_open else None,
                KIND_LABELS.get(c.next_due_kind, "") if is_open else "",
                bool(is_open and c.next_due_at and c.next_due_at < now),
                c.is_major,
                c.listed_supervision,
                c.amount_paid,
                c.workers_paid,
                c.closed_at,
            ]

    return xlsx_response(filename="案件台账", sheet="案件台账", headers=EXPORT_HEADERS, rows=rows())


# ---------------------------------------------------------------- a unit's inbox


@login_required
@require_GET
def unit_inbox(request):
    user = request.user
    now = timezone.now()
    cases = selectors.unit_inbox(user).order_by(F("next_due_at").asc(nulls_last=True), "registered_at", "pk")
    counts = cases.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(next_due_at__lt=now)),
        soon=Count("pk", filter=Q(next_due_at__gte=now, next_due_at__lt=now + timedelta(hours=24))),
        major=Count("pk", filter=Q(is_major=True)),
    )
    if user.organisation_id:
        cases = cases.prefetch_related(
            Prefetch(
                "assignments",
                queryset=CaseAssignment.objects.filter(organisation_id=user.organisation_id, active=True).order_by("role"),
                to_attr="my_parts",
            )
        )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _mark_deadlines(rows, now)
    order = list(PART_LABELS)
    for c in rows:
        parts = sorted({a.role for a in getattr(c, "my_parts", [])}, key=order.index)
        c.parts = [PART_LABELS[p] for p in parts]
    return render(
        request,
        "cases/inbox.html",
        {"page": page, "rows": rows, "counts": counts, "organisation": user.organisation, "query": _query_without_page(request)},
    )


# ---------------------------------------------------------------- what awaits my approval


@login_required
@require_GET
def approvals(request):
    """"待我审批": the proposed advance payments the signed-in leader decides on (the decision is
    made on the case page, which closes everyone's "待您审批" notices of it)."""
    rows = selectors.approvals_awaiting(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/approvals.html", {"page": page, "rows": list(page.object_list), "query": _query_without_page(request)})


# ---------------------------------------------------------------- the overdue board


@login_required
@require_GET
def overdue_board(request):
    user = request.user
    if user.role not in BOARD_ROLES:
        raise PermissionDenied("超期督办只对清欠办工作人员、清欠办领导和系统管理员开放")
    now = timezone.now()
    deadlines = selectors.overdue_deadlines(user)

    summary = list(
        deadlines.order_by()
        .values("case__lead_organisation_id", "case__lead_organisation__name")
        .annotate(
            deadline_count=Count("pk"),
            case_count=Count("case_id", distinct=True),
            listed=Count("case_id", filter=Q(case__listed_supervision=True), distinct=True),
            oldest=Min("due_at"),
        )
        .order_by("oldest")
    )
    unit_ids = [s["case__lead_organisation_id"] for s in summary if s["case__lead_organisation_id"]]
    leaders: dict[int, list[str]] = {}
    for u in User.objects.filter(organisation_id__in=unit_ids, role=Role.UNIT_LEADER, is_active=True).order_by("full_name", "username"):
        leaders.setdefault(u.organisation_id, []).append(u.full_name or u.username)
    for s in summary:
        s["unit_id"] = s["case__lead_organisation_id"]
        s["unit_name"] = s["case__lead_organisation__name"] or "未转办(清欠办)"
        s["filter"] = str(s["unit_id"]) if s["unit_id"] else UNDISPATCHED
        s["leaders"] = leaders.get(s["unit_id"], [])
        s["longest"] = overdue_for(now - s["oldest"])

    unit = request.GET.get("unit", "")
    if unit == UNDISPATCHED:
        deadlines = deadlines.filter(case__lead_organisation__isnull=True)
    elif unit.isdigit():
        deadlines = deadlines.filter(case__lead_organisation_id=int(unit))
    sort = request.GET.get("sort", "unit")
    if sort == "overdue":
        deadlines = deadlines.order_by("due_at", "pk")
    else:
        sort = "unit"
        deadlines = deadlines.order_by(F("case__lead_organisation__name").asc(nulls_first=True), "due_at", "pk")
    page = Paginator(deadlines, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    previous_unit = object()
    for d in rows:
        d.overdue_for = overdue_for(now - d.due_at)
        d.unit_id = d.case.lead_organisation_id
        d.unit_name = d.case.lead_organisation.name if d.unit_id else "未转办(清欠办)"
        d.leaders = leaders.get(d.unit_id, [])
        d.group_start = sort == "unit" and d.unit_id != previous_unit
        previous_unit = d.unit_id
        d.very_late = now - d.due_at >= timedelta(days=3)
    totals = {
        "deadlines": sum(s["deadline_count"] for s in summary),
        "cases": sum(s["case_count"] for s in summary),  # one lead unit per case: no case counted twice
        "units": len(summary),
        "listed": sum(s["listed"] for s in summary),
    }
    return render(
        request,
        "cases/overdue.html",
        {
            "summary": summary,
            "page": page,
            "rows": rows,
            "sort": sort,
            "unit": unit,
            "totals": totals,
            "query": _query_without_page(request),
        },
    )
