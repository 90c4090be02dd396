"""The worker's own monthly pay on the phone pages, at /w/pay/ (no staff login).

Decisions worth knowing:

- Two factors before any pay record is shown: an SMS code to the phone (the phone is in his hands
  now) AND the last 6 characters of his ID number (he is the person the site registered with that
  phone). The phone alone is not enough: on construction sites one phone often serves a couple
  or a foreman's team, and Chinese carriers give a cancelled number to a new subscriber after a
  few months; either way the holder of the phone would see someone else's wages. The ID number
  is on the worker's card and on his labour contract, so he always has it; 6 characters give
  10^6 combinations and every try uses up one SMS code (notify allows 10 a day per phone).
- No oracle for strangers: the code is sent to any mobile number (same limits as the complaint
  form), and whether the phone and ID match a worker is checked only after the code is right. A
  miss then says kindly that no record was found (wrong ID digits, or no real-name registration)
  and offers the normal complaint form.
- The phone that opens a project's pay is the one that project registered for him (on his
  ProjectWorker), never a phone on the person: another contractor who puts its own phone on its
  own roster row for his ID number opens only its own row, not the pay of his other projects.
- The grant lives in the session for 2 hours: {project worker ids, phone digest, masked phone,
  expiry}. Every request re-checks that those employments still carry that phone digest, and
  every project worker and month is looked up among them: another id in the URL is a 404, the
  same as a month that does not exist.
- A dispute registers a complaint (see services/confirmations.py) and gives the session the
  usual tracking grant for that case, so the case page opens without another SMS code.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_POST

from wagewatch.core.forms import Form
from wagewatch.core.protected import ID_NUMBER, PHONE, lookup_digest, mask, normalise
from wagewatch.intake import views_worker as intake_pages
from wagewatch.intake.forms_worker import CodeForm, clean_mobile
from wagewatch.notify.ratelimit import client_ip
from wagewatch.notify.services import CODE_INVALID_MESSAGE, sms_code_issue, sms_code_verify

from .models import PayMonthConfirmation, ProjectWorker
from .services.confirmations import pay_month, pay_month_answer, pay_months, worker_actor_label

PAY_PURPOSE = "pay"
GRANT_SECONDS = 2 * 3600
PENDING_SECONDS = 1800
PENDING_KEY = "worker_pay_pending"
GRANT_KEY = "worker_pay"

# Rate limits (count, window seconds), like the other worker pages.
PAY_LOOKUPS_PER_IP = (20, 600)
PAY_CODE_CHECKS_PER_IP = (30, 600)
PAY_ANSWERS_PER_PHONE = (20, 86400)

NO_GRANT_MESSAGE = "请先输入手机号和身份证号后6位,收到短信验证码后才能查看工资记录。"
ID_TAIL_RE = re.compile(r"\d{5}[\dX]")


# ------------------------------------------------------------------------------------ forms


class PayLookupForm(Form):
    phone = forms.CharField(
        label="您的手机号",
        max_length=20,
        help_text="在工地登记实名时留的手机号,验证码会发到这个手机",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}),
        error_messages={"required": "请填写手机号"},
    )
    id_tail = forms.CharField(
        label="身份证号后6位",
        max_length=8,
        help_text="最后一位是X的,填X",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "例如 12345X"}),
        error_messages={"required": "请填写身份证号的最后6位"},
    )

    def clean_phone(self):
        return clean_mobile(self.cleaned_data.get("phone"))

    def clean_id_tail(self):
        value = normalise(ID_NUMBER, self.cleaned_data.get("id_tail") or "")
        if not ID_TAIL_RE.fullmatch(value):
            raise ValidationError("请填写身份证号的最后6位:前5位是数字,最后一位是数字或X")
        return value


class DisputeForm(Form):
    amount = forms.CharField(
        label="您认为少发了多少钱(元)",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    note = forms.CharField(
        label="哪里不对(可不填)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "例如:8月干了26天,只发了一半"}),
    )


# ------------------------------------------------------------------------------------ grant


def _now_ts() -> int:
    return intake_pages._now_ts()


def _grant(request) -> dict | None:
    """The session's pay grant with its still-valid employments, or None."""
    grant = request.session.get(GRANT_KEY)
    if not grant or grant.get("exp", 0) <= _now_ts():
        request.session.pop(GRANT_KEY, None)
        return None
    ids = list(ProjectWorker.objects.filter(pk__in=grant.get("employments") or [], phone_digest=grant["digest"]).values_list("pk", flat=True))
    if not ids:
        return None
    return {**grant, "employments": ids}


def _no_grant(request):
    return render(request, "payroll/worker/no_grant.html", {"message": NO_GRANT_MESSAGE}, status=403)


def _project_workers(grant: dict):
    return (
        ProjectWorker.objects.filter(pk__in=grant["employments"])
        .select_related("project__general_contractor", "worker", "team")
        .order_by("-entry_date", "-pk")
    )


def _own_project_worker(grant: dict, pk: int) -> ProjectWorker:
    found = _project_workers(grant).filter(pk=pk).first()
    if found is None:
        raise Http404("没有这条记录")
    return found


def _month(year: int, month: int) -> date:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404("没有这个月份")
    return date(year, month, 1)


# ------------------------------------------------------------------------------------ pages


def start(request):
    """Phone and the last 6 of the ID number; a code goes to the phone."""
    if request.method == "GET" and _grant(request) is not None:
        return redirect("worker_pay:mine")
    form = PayLookupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        refused = intake_pages._limited(request, "pay_lookup", PAY_LOOKUPS_PER_IP)
        if refused is not None:
            return refused
        if form.is_valid():
            phone, id_tail = form.cleaned_data["phone"], form.cleaned_data["id_tail"]
            try:
                sms_code_issue(phone=phone, purpose=PAY_PURPOSE, client_ip=client_ip(request) or None)
            except ValidationError as exc:
                # Sent to any mobile number, so the limits may be said plainly (no oracle).
                form.add_error(None, exc.messages[0])
                status = 429
            else:
                intake_pages._session_put(request, PENDING_KEY, {"phone": phone, "id_tail": id_tail, "expires": _now_ts() + PENDING_SECONDS})
                return redirect("worker_pay:confirm")
        else:
            status = 400
    return render(request, "payroll/worker/start.html", {"form": form}, status=status)


def _matching_employments(phone: str, id_tail: str) -> list[int]:
    """Project workers registered with this phone whose worker's ID number ends with `id_tail`
    (decrypted for the few employments of one phone only)."""
    ids = []
    for pw in ProjectWorker.objects.filter(phone_digest=lookup_digest(PHONE, phone)).select_related("worker").only("pk", "worker__id_number"):
        tail = normalise(ID_NUMBER, pw.worker.id_number or "")[-6:]
        if len(tail) == 6 and constant_time_compare(tail, id_tail):
            ids.append(pw.pk)
    return ids


def confirm(request):
    pending = intake_pages._session_get(request, PENDING_KEY)
    if pending is None:
        return redirect("worker_pay:start")
    form = CodeForm()
    status = 200
    if request.method == "POST" and request.POST.get("action") == "resend":
        refused = intake_pages._limited(request, "pay_lookup", PAY_LOOKUPS_PER_IP)
        if refused is not None:
            return refused
        try:
            sms_code_issue(phone=pending["phone"], purpose=PAY_PURPOSE, client_ip=client_ip(request) or None)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, "验证码已重新发送。")
        return redirect("worker_pay:confirm")
    if request.method == "POST":
        refused = intake_pages._limited(request, "pay_code", PAY_CODE_CHECKS_PER_IP)
        if refused is not None:
            return refused
        form = CodeForm(request.POST)
        if form.is_valid():
            phone = pending["phone"]
            if sms_code_verify(phone=phone, purpose=PAY_PURPOSE, code=form.cleaned_data["code"]):
                request.session.pop(PENDING_KEY, None)
                employments = _matching_employments(phone, pending["id_tail"])
                if not employments:
                    return render(request, "payroll/worker/none.html", {"phone_masked": mask(PHONE, phone), "reason": "no_match"})
                request.session[GRANT_KEY] = {
                    "employments": employments,
                    "digest": lookup_digest(PHONE, phone),
                    "mask": mask(PHONE, phone),
                    "exp": _now_ts() + GRANT_SECONDS,
                }
                request.session.cycle_key()  # a new session id once the phone is proven
                return redirect("worker_pay:mine")
            form.add_error("code", CODE_INVALID_MESSAGE)
        status = 400
    return render(request, "payroll/worker/confirm.html", {"form": form, "phone_masked": mask(PHONE, pending["phone"])}, status=status)


def mine(request):
    """His projects and, per project, the months with a record."""
    grant = _grant(request)
    if grant is None:
        return _no_grant(request)
    projects = [{"pw": pw, "months": pay_months(pw)} for pw in _project_workers(grant)]
    if not projects:
        return render(request, "payroll/worker/none.html", {"phone_masked": grant["mask"], "reason": "no_roster"})
    return render(request, "payroll/worker/mine.html", {"projects": projects, "grant": grant})


def _month_context(pm, dispute_form=None) -> dict:
    pw = pm.project_worker
    confirmation = pm.confirmation
    case = confirmation.complaint.case if confirmation and confirmation.complaint_id and confirmation.complaint.case_id else None
    return {
        "pm": pm,
        "pw": pw,
        "project": pw.project,
        "card_masked": mask("bank_card", pw.bank_card) if pw.bank_card else "",
        "case": case,
        "dispute_form": dispute_form or DisputeForm(initial={"amount": pm.suggested_dispute_amount or ""}),
        "disputed": confirmation is not None and confirmation.answer == PayMonthConfirmation.Answer.DISPUTED,
        "confirmed": confirmation is not None and confirmation.answer == PayMonthConfirmation.Answer.CONFIRMED,
    }


def month_detail(request, pw: int, year: int, month: int):
    grant = _grant(request)
    if grant is None:
        return _no_grant(request)
    project_worker = _own_project_worker(grant, pw)
    pm = pay_month(project_worker, _month(year, month))
    if pm is None:
        raise Http404("这个月没有记录")
    return render(request, "payroll/worker/month.html", _month_context(pm))


@require_POST
def month_answer(request, pw: int, year: int, month: int):
    grant = _grant(request)
    if grant is None:
        return _no_grant(request)
    project_worker = _own_project_worker(grant, pw)
    the_month = _month(year, month)
    refused = intake_pages._limited(request, "pay_answer", PAY_ANSWERS_PER_PHONE, key=f"phone:{grant['digest'][:32]}")
    if refused is not None:
        return refused
    answer = request.POST.get("answer", "")
    form = DisputeForm(request.POST) if answer == PayMonthConfirmation.Answer.DISPUTED else DisputeForm()
    if answer == PayMonthConfirmation.Answer.DISPUTED and not form.is_valid():
        pm = pay_month(project_worker, the_month)
        if pm is None:
            raise Http404("这个月没有记录")
        return render(request, "payroll/worker/month.html", _month_context(pm, form), status=400)
    try:
        result = pay_month_answer(
            actor=worker_actor_label(project_worker.phone),
            project_worker=project_worker,
            month=the_month,
            answer=answer,
            note=form.cleaned_data.get("note", "") if form.is_bound else "",
            amount=form.cleaned_data.get("amount", "") if form.is_bound else None,
        )
    except ValidationError as exc:
        pm = pay_month(project_worker, the_month)
        if pm is None:
            raise Http404("这个月没有记录") from None
        shown = form if form.is_bound else DisputeForm(initial={"amount": pm.suggested_dispute_amount or ""})
        general = []
        for name, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
            for message in errors:
                if form.is_bound and name in form.fields:
                    form.add_error(name, message)
                else:
                    general.append(message)
        context = _month_context(pm, shown)
        context["answer_errors"] = general
        return render(request, "payroll/worker/month.html", context, status=400)
    here = reverse("worker_pay:month", args=[project_worker.pk, the_month.year, the_month.month])
    if result.complaint is not None:
        case = result.complaint.case
        intake_pages._grant_add(request, case, digest=grant["digest"], masked=grant["mask"])
        if result.created:
            messages.success(request, f"您的异议已转为投诉,案件编号 {case.number}。办理进展会发短信告诉您。")
        else:
            messages.info(request, f"这个月您已经提出过异议,案件编号 {case.number},正在办理。")
    elif result.created:
        messages.success(request, f"已确认{the_month.year}年{the_month.month}月的工资无误。")
    else:
        messages.info(request, "这个月您已经确认过了。")
    return redirect(here)


@require_POST
def leave(request):
    """Forget this phone's pay grant (a borrowed phone)."""
    for key in (PENDING_KEY, GRANT_KEY):
        request.session.pop(key, None)
    messages.info(request, "已退出。再次查看工资记录需要重新获取验证码。")
    return redirect("worker_pay:start")
