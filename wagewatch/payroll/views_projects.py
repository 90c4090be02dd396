"""Project supervision pages (/payroll/projects/...): the list of projects with their warning and
rates, the project page (rates, five systems, roster, months, findings, warning) and the forms
that keep the roster, wage account, deposit and site record. Thin: parse, call, render."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Sum
from django.db.models.functions import ExtractDay, TruncMonth
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from wagewatch.core.calendar import SHANGHAI
from wagewatch.core.protected import BANK_CARD, ID_NUMBER, PHONE, mask, may_reveal
from wagewatch.core.services import personal_data_reveal

from . import compliance, selectors
from .forms import (
    DepositForm,
    DepositReleaseForm,
    ProjectFilterForm,
    SiteRecordForm,
    TeamForm,
    WageAccountForm,
    WorkerEnterForm,
    WorkerExitForm,
    apply_service_errors,
)
from .models import Attendance, BankDisbursement, FindingKind, PayrollSheet
from .services import roster as services

PAGE_SIZE = 50
ROSTER_PAGE_SIZE = 50
FINDINGS_SHOWN = 200
WORKER_PROTECTED = {"id_number": ID_NUMBER, "phone": PHONE, "bank_card": BANK_CARD}


def _page(request, queryset, size=PAGE_SIZE, param="page"):
    page = Paginator(queryset, size).get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    return page, query.urlencode()


def _month(request) -> date:
    return selectors.month_parse(request.GET.get("month")) or selectors.month_default()


# ---------------------------------------------------------------- list


@login_required
def project_list(request):
    form = ProjectFilterForm(request.GET or None)
    month = _month(request)
    projects = selectors.project_list(user=request.user, **form.selector_kwargs())
    page, query = _page(request, projects)
    rates = compliance.project_rates(page.object_list, month)
    from .reconciliation.settlement import states_for

    warning_states = states_for((p.pk, p.warning_month) for p in page.object_list if getattr(p, "warning_month", None))
    for p in page.object_list:
        p.warning_state = warning_states.get((p.pk, p.warning_month)) if getattr(p, "warning_month", None) else None
    rows = [(p, rates.get(p.pk, [])) for p in page.object_list]
    return render(
        request,
        "payroll/project_list.html",
        {"form": form, "page": page, "query": query, "rows": rows, "month": month, "rate_labels": compliance.RATE_LABELS},
    )


# ---------------------------------------------------------------- project page


def _months(project, month: date) -> list[dict]:
    """Attendance, payroll and bank totals of the twelve months up to `month` (three queries)."""
    first = month
    for _ in range(11):
        first = selectors.month_start(first - timedelta(days=1))
    start_at, _ = selectors.month_bounds(first)
    _, end_at = selectors.month_bounds(month)
    rows: dict[date, dict] = {}

    def row(m) -> dict:
        m = m.astimezone(SHANGHAI).date() if isinstance(m, datetime) else m
        return rows.setdefault(m, {"month": m, "punches": 0, "workers": 0, "worker_days": 0, "lines": 0, "days": 0, "due": None, "paid": None, "bank": None, "bank_count": 0})

    for r in (
        Attendance.objects.filter(project=project, at__gte=start_at, at__lt=end_at)
        .annotate(m=TruncMonth("at", tzinfo=SHANGHAI))
        .values("m")
        .annotate(
            punches=Count("id"),
            workers=Count("project_worker", distinct=True),
            # A worker-day is one (worker, day of the month in Shanghai) pair: pw * 32 + day is unique per pair.
            worker_days=Count(F("project_worker_id") * 32 + ExtractDay("at", tzinfo=SHANGHAI), distinct=True),
        )
    ):
        row(r["m"]).update(punches=r["punches"], workers=r["workers"], worker_days=r["worker_days"])
    for s in (
        PayrollSheet.objects.filter(project=project, month__gte=first, month__lte=month)
        .annotate(n=Count("lines"), due=Sum("lines__amount_due"), paid=Sum("lines__amount_paid"), days=Sum("lines__days"))
        .values("month", "n", "due", "paid", "days")
    ):
        row(s["month"]).update(lines=s["n"], due=s["due"], paid=s["paid"], days=s["days"])
    for b in (
        BankDisbursement.objects.filter(project=project, month__gte=first, month__lte=month)
        .values("month")
        .annotate(total=Sum("amount"), n=Count("id"))
    ):
        row(b["month"]).update(bank=b["total"], bank_count=b["n"])
    return sorted(rows.values(), key=lambda r: r["month"], reverse=True)


@login_required
def project_detail(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    month = _month(request)
    from .reconciliation.settlement import month_state

    state = month_state(project, month)
    rates = compliance.rates_for(project, month, state=state)
    site = selectors.site_record_of(project)
    roster_page, roster_query = _page(
        request, selectors.roster(project=project, search=request.GET.get("wq", "")), ROSTER_PAGE_SIZE, "wpage"
    )
    user = request.user
    reveal = {field: may_reveal(user, kind) for field, kind in WORKER_PROTECTED.items()}
    workers = [
        {
            "pw": pw,
            "masked": {field: mask(kind, getattr(pw.worker if field == "id_number" else pw, field)) for field, kind in WORKER_PROTECTED.items()},
        }
        for pw in roster_page.object_list
    ]
    month_findings = list(selectors.findings(project=project, month=month)[: FINDINGS_SHOWN + 1])
    findings_more = len(month_findings) > FINDINGS_SHOWN
    month_findings = month_findings[:FINDINGS_SHOWN]
    tables = selectors.finding_evidence_tables(month_findings)
    findings = [
        {"finding": f, "detail": selectors.finding_detail_pairs(f.detail), "tables": tables.get(f.pk, [])} for f in month_findings
    ]
    account = selectors.wage_account_of(project)
    warning = selectors.warning_current(project)
    if warning is not None:
        warning.month_state = state if warning.month == month else month_state(project, warning.month)
    return render(
        request,
        "payroll/project_detail.html",
        {
            "project": project,
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "rates": rates,
            "checklist": compliance.checklist(project, month, rates),
            "site": site,
            "obligation": compliance.upload_obligation(project, site),
            "account": account,
            "account_masked": mask(BANK_CARD, account.account_number) if account else "",
            "deposits": list(selectors.deposits(project=project)),
            "teams": list(selectors.teams(project=project)),
            "roster_page": roster_page,
            "roster_query": roster_query,
            "workers": workers,
            "reveal": reveal,
            "months": _months(project, month),
            "findings": findings,
            "findings_more": findings_more,
            "warning": warning,
            "month_state": state,
            "may_write": selectors.may_write_project(user, project),
            "kind_labels": dict(FindingKind.choices),
        },
    )


@login_required
@require_POST
def worker_reveal(request, pk, worker_pk, field):
    project = selectors.project_get(user=request.user, pk=pk)
    pw = selectors.project_worker_get(project=project, pk=worker_pk)
    if field not in WORKER_PROTECTED:
        raise Http404
    # The ID number is the person's; the phone and card are this project's own (its employment).
    value = personal_data_reveal(actor=request.user, obj=pw.worker if field == "id_number" else pw, field_name=field)
    return HttpResponse(format_html('<span class="masked">{}</span>', value))


@login_required
@require_POST
def account_reveal(request, pk):
    project = selectors.project_get(user=request.user, pk=pk)
    account = selectors.wage_account_of(project)
    if account is None:
        raise Http404
    value = personal_data_reveal(actor=request.user, obj=account, field_name="account_number")
    return HttpResponse(format_html('<span class="masked">{}</span>', value))


# ---------------------------------------------------------------- forms


def _form_page(request, *, project, form, title, save, success, anchor=""):
    """GET shows the form; a valid POST calls `save(cleaned_data)` (a service) and goes back to
    the project page; service errors land next to their fields."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(reverse("payroll:project", args=[project.pk]) + anchor)
    back = reverse("payroll:project", args=[project.pk]) + anchor
    return render(
        request,
        "payroll/project_form.html",
        {"form": form, "title": f"{title} · {project.name}", "project": project, "cancel_href": back},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request, pk):
    project = selectors.project_for_write(user=request.user, pk=pk)
    form = TeamForm(request.POST or None, project=project)
    return _form_page(
        request,
        project=project,
        form=form,
        title="登记班组",
        save=lambda d: services.team_create(actor=request.user, project=project, **d),
        success="已登记班组",
        anchor="#teams",
    )


@login_required
@require_http_methods(["GET", "POST"])
def worker_enter(request, pk):
    project = selectors.project_for_write(user=request.user, pk=pk)
    form = WorkerEnterForm(request.POST or None, project=project)
    return _form_page(
        request,
        project=project,
        form=form,
        title="工人进场登记",
        save=lambda d: services.project_worker_enter(actor=request.user, project=project, **d),
        success="已登记进场",
        anchor="#workers",
    )


@login_required
@require_http_methods(["GET", "POST"])
def worker_exit(request, pk, worker_pk):
    project = selectors.project_for_write(user=request.user, pk=pk)
    pw = selectors.project_worker_get(project=project, pk=worker_pk)
    initial = {"exit_date": pw.exit_date, "settled_on": pw.settled_on, "settlement_confirmed_on": pw.settlement_confirmed_on}
    form = WorkerExitForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        project=project,
        form=form,
        title=f"退场登记 · {pw.worker.name}",
        save=lambda d: services.project_worker_exit(actor=request.user, project_worker=pw, **d),
        success=f"已登记{pw.worker.name}退场",
        anchor="#workers",
    )


@login_required
@require_http_methods(["GET", "POST"])
def wage_account_edit(request, pk):
    project = selectors.project_for_write(user=request.user, pk=pk)
    account = selectors.wage_account_of(project)
    initial = {"bank_name": account.bank_name, "opened_on": account.opened_on, "pay_day": account.pay_day} if account else {"pay_day": 15}
    form = WageAccountForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        project=project,
        form=form,
        title="工资专用账户",
        save=lambda d: services.wage_account_open(actor=request.user, project=project, **d),
        success="已保存工资专用账户",
        anchor="#systems",
    )


@login_required
@require_http_methods(["GET", "POST"])
def deposit_add(request, pk):
    project = selectors.project_for_write(user=request.user, pk=pk)
    form = DepositForm(request.POST or None)
    return _form_page(
        request,
        project=project,
        form=form,
        title="登记工资保证金",
        save=lambda d: services.guarantee_deposit_add(actor=request.user, project=project, **d),
        success="已登记工资保证金",
        anchor="#systems",
    )


@login_required
@require_http_methods(["GET", "POST"])
def deposit_release(request, pk, deposit_pk):
    project = selectors.project_for_write(user=request.user, pk=pk)
    deposit = selectors.deposit_get(project=project, pk=deposit_pk)
    form = DepositReleaseForm(request.POST or None)
    return _form_page(
        request,
        project=project,
        form=form,
        title=f"返还工资保证金({deposit.amount} 元)",
        save=lambda d: services.guarantee_deposit_release(actor=request.user, deposit=deposit, **d),
        success="已登记保证金返还",
        anchor="#systems",
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_record_edit(request, pk):
    project = selectors.project_for_write(user=request.user, pk=pk)
    site = selectors.site_record_of(project)
    initial = {f: getattr(site, f) for f in services.SITE_RECORD_FIELDS} if site else {}
    form = SiteRecordForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        project=project,
        form=form,
        title="项目用工情况(工伤保险、维权告示牌、竣工与资料上传)",
        save=lambda d: services.site_record_update(actor=request.user, project=project, **d),
        success="已保存项目用工情况",
        anchor="#systems",
    )



# ---------------------------------------------------------------- a month's payroll sheet typed in

SHEET_FORM_LIMIT = 1000  # beyond this the import page is the way


@login_required
@require_http_methods(["GET", "POST"])
def payroll_sheet_edit(request, pk, year, month):
    """The month's payroll sheet as one form over the workers on the roster that month: rows left
    empty are not on the sheet; saving replaces the month's sheet (all rows or none)."""
    from .models import PayrollLine

    project = selectors.project_for_write(user=request.user, pk=pk)
    try:
        the_month = date(year, month, 1)
    except ValueError:
        raise Http404 from None
    workers = list(selectors.roster(project=project, active_in=the_month)[: SHEET_FORM_LIMIT + 1])
    too_many = len(workers) > SHEET_FORM_LIMIT
    workers = workers[:SHEET_FORM_LIMIT]
    existing = {
        line.project_worker_id: line
        for line in PayrollLine.objects.filter(sheet__project=project, sheet__month=the_month)
    }
    errors: list[str] = []
    if request.method == "POST":
        lines = []
        for pw in workers:
            values = {f: request.POST.get(f"{f}_{pw.pk}", "").strip() for f in ("due", "paid", "days", "hours")}
            if not values["due"] and not values["paid"]:
                continue
            lines.append(
                services.LineInput(
                    project_worker_id=pw.pk,
                    amount_due=values["due"],
                    amount_paid=values["paid"],
                    days=values["days"] or "0",
                    hours=values["hours"] or "0",
                    back_pay=bool(request.POST.get(f"back_{pw.pk}")),
                )
            )
        try:
            sheet = services.payroll_sheet_submit(actor=request.user, project=project, month=the_month, lines=lines)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, f"已保存{the_month:%Y年%m月}工资表,共{sheet.lines.count()}人")
            return redirect(reverse("payroll:project", args=[project.pk]) + f"?month={the_month:%Y-%m}#months")
    rows = []
    for pw in workers:
        line = existing.get(pw.pk)
        if request.method == "POST":
            value = {f: request.POST.get(f"{f}_{pw.pk}", "") for f in ("due", "paid", "days", "hours")}
            value["back"] = bool(request.POST.get(f"back_{pw.pk}"))
        elif line is not None:
            value = {"due": line.amount_due, "paid": line.amount_paid, "days": line.days, "hours": line.hours, "back": line.back_pay}
        else:
            value = {"due": "", "paid": "", "days": "", "hours": "", "back": False}
        rows.append({"pw": pw, **value})
    return render(
        request,
        "payroll/project_payroll_form.html",
        {"project": project, "month": the_month, "rows": rows, "errors": errors, "too_many": too_many},
        status=422 if errors else 200,
    )
