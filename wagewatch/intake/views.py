"""Staff intake pages: the registration form with duplicate suggestions.

One page, three moments:

1. GET: an empty form (channel 专窗受理, received now) carrying a one-time form token. Small htmx
   lookups answer on the same URL (`?lookup=employer|employer_pick|project|worker_row`).
2. POST "检查并登记": the service cleans everything (Chinese errors by field, nothing saved). If open
   cases of the same employer/project/site or with the same people exist, the page shows them
   with their reasons and the clerk chooses: a new case, or merging into one of them. With no
   candidates the complaint is registered at once.
3. POST "确认登记": registered through `complaint_register` (a strong repeat is linked by the
   service itself), then off to the case page with the case number and the commitment letter.

Double submission: the form token is the idempotency key of the registration (owner: the user),
so a double click or a resent POST finds the first registration and never creates a second one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from wagewatch.cases.selectors import cases_visible
from wagewatch.core.forms import Form
from wagewatch.core.idempotency import IdempotencyConflict, IdempotencyKeyInvalid, idempotent_run
from wagewatch.core.models import IdempotencyKey, Industry, Role
from wagewatch.registry import selectors as registry_selectors
from wagewatch.registry.models import Enterprise, Project
from wagewatch.registry.rules import clean_credit_code, normalise_name

from .models import Channel, Complaint
from .services import ComplaintInput, WorkerInput, complaint_duplicates, complaint_register

REGISTER_ROLES = {Role.WINDOW_CLERK, Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
TOKEN_ENDPOINT = "page:intake.register"
BLANK_WORKER_ROWS = 3
MAX_WORKER_ROWS = 200
PROJECT_CHOICES_LIMIT = 20


def may_register(user) -> bool:
    return bool(user and user.is_authenticated and user.role in REGISTER_ROLES)


# ---------------------------------------------------------------- the form


class RegisterForm(Form):
    """Parses the page; the service does the real checking (one set of Chinese messages)."""

    channel = forms.ChoiceField(label="受理渠道", choices=Channel.choices, initial=Channel.WINDOW)
    received_at = forms.DateTimeField(
        label="收到时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": "请填写收到时间", "invalid": "收到时间格式应为 YYYY-MM-DD HH:MM"},
    )
    external_id = forms.CharField(label="渠道编号", required=False, max_length=64, help_text="热线工单号、信访件编号等;窗口来访可不填")

    complainant_name = forms.CharField(label="投诉人姓名", required=False, max_length=50)
    complainant_phone = forms.CharField(label="投诉人手机号", required=False, max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    complainant_id_number = forms.CharField(label="投诉人身份证号", required=False, max_length=30, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    worker_count = forms.CharField(label="涉及人数", required=False, initial="1", widget=forms.NumberInput(attrs={"min": 1}))
    amount_owed = forms.CharField(label="欠薪金额(元)", required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    period_start = forms.CharField(label="欠薪期间起", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.CharField(label="欠薪期间止", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    employer_name = forms.CharField(label="欠薪单位(老板)名称", required=False, max_length=200)
    employer_credit_code = forms.CharField(label="统一社会信用代码", required=False, max_length=40, help_text="18位;不清楚可不填")

    project = forms.ChoiceField(label="登记库中的项目", required=False, choices=[("", "不选择(非工程项目或库中没有)")])
    project_name = forms.CharField(label="项目名称", required=False, max_length=200)
    site_address = forms.CharField(label="工地/工作地点", required=False, max_length=255)
    territory = forms.ChoiceField(label="所属街道/社区", required=False)
    industry = forms.ChoiceField(label="行业", required=False, choices=[("", "按项目或单位自动判断")] + Industry.choices)

    subcontracting_chain = forms.CharField(label="分包链条(包工头/班组长)", required=False, max_length=500)
    description = forms.CharField(label="投诉内容", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    legal_aid_requested = forms.BooleanField(label="申请法律援助", required=False)
    dispatch = forms.BooleanField(label="登记后立即按规则转办", required=False)

    # Service error keys → form fields.
    SERVICE_FIELDS = {"project_id": "project", "territory_id": "territory"}
    # Errors of the dispatch that `dispatch=True` runs in the same transaction (the service now
    # registers undispatched with a note instead; kept for a dispatch that still refuses).
    DISPATCH_KEYS = {"lead", "responsible_leader", "responsible_person", "measures", "assisting"}
    REQUIRED = {"complainant_name", "complainant_phone", "amount_owed", "employer_name", "channel", "received_at"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        territories = registry_selectors.territories_in_scope(user).exclude(level="district").order_by("path")
        self.fields["territory"].choices = [("", "按项目或单位自动判断")] + [
            (str(t.pk), ("— " * max(t.path.count("/") - 2, 0)) + t.name) for t in territories
        ]
        # Only the chosen project is listed; the search box (htmx) offers others.
        chosen = self.data.get("project") if self.is_bound else self.initial.get("project")
        if chosen:
            project = self.projects().filter(pk=chosen).first() if str(chosen).isdigit() else None
            if project is not None:
                self.fields["project"].choices = [("", "不选择(非工程项目或库中没有)"), (str(project.pk), project_label(project))]

    def projects(self):
        return registry_selectors.project_list(user=self.user)

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def complaint_input(self, workers: list[WorkerRow]) -> ComplaintInput:
        d = self.cleaned_data
        return ComplaintInput(
            complainant_name=d["complainant_name"],
            complainant_phone=d["complainant_phone"],
            complainant_id_number=d["complainant_id_number"],
            employer_name=d["employer_name"],
            employer_credit_code=d["employer_credit_code"],
            worker_count=d["worker_count"],
            amount_owed=d["amount_owed"],
            period_start=d["period_start"],
            period_end=d["period_end"],
            project_id=int(d["project"]) if d["project"] else None,
            project_name=d["project_name"],
            site_address=d["site_address"],
            territory_id=int(d["territory"]) if d["territory"] else None,
            industry=d["industry"],
            subcontracting_chain=d["subcontracting_chain"],
            description=d["description"],
            legal_aid_requested=d["legal_aid_requested"],
            workers=[WorkerInput(w.name, w.phone, w.id_number, w.amount_owed or None) for w in workers if not w.blank],
        )

    def apply_service_errors(self, exc: ValidationError, workers: list[WorkerRow]) -> list[str]:
        """Put the service's messages next to their inputs; returns messages with no input."""
        loose: list[str] = []
        if not hasattr(exc, "error_dict"):
            return list(exc.messages)
        filled = [w for w in workers if not w.blank]
        for key, msgs in exc.message_dict.items():
            if key in self.DISPATCH_KEYS:
                for message in msgs:
                    self.add_error(
                        "dispatch",
                        f"未能按规则立即转办:{message}。本次没有登记;可取消勾选后先登记,再在案件页面填写转办单转办。",
                    )
                continue
            match = re.fullmatch(r"workers\.(\d+)\.(\w+)", key)
            if match:
                i = int(match.group(1)) - 1
                if 0 <= i < len(filled):
                    filled[i].errors.extend(msgs)
                else:
                    loose.extend(msgs)
                continue
            name = self.SERVICE_FIELDS.get(key, key)
            if name in self.fields:
                for message in msgs:
                    self.add_error(name, message)
            else:
                loose.extend(msgs)
        return loose


def project_label(project: Project) -> str:
    return f"{project.code} {project.name}({project.territory.name})"


@dataclass
class WorkerRow:
    index: int
    name: str = ""
    phone: str = ""
    id_number: str = ""
    amount_owed: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not (self.name or self.phone or self.id_number or self.amount_owed)


_WORKER_KEY = re.compile(r"workers-(\d+)-(name|phone|id_number|amount_owed)")


def worker_rows(post) -> list[WorkerRow]:
    rows: dict[int, WorkerRow] = {}
    for key in post:
        match = _WORKER_KEY.fullmatch(key)
        if not match:
            continue
        index = int(match.group(1))
        if index >= MAX_WORKER_ROWS and index not in rows:
            continue
        row = rows.setdefault(index, WorkerRow(index))
        setattr(row, match.group(2), (post.get(key) or "").strip())
    return [rows[i] for i in sorted(rows)]


def blank_worker_rows(start: int = 0, count: int = BLANK_WORKER_ROWS) -> list[WorkerRow]:
    return [WorkerRow(i) for i in range(start, start + count)]


# ---------------------------------------------------------------- duplicates shown to the clerk


@dataclass
class Suggestion:
    case: object
    reasons: list[str]
    is_repeat: bool
    visible: bool


def _suggestions(user, duplicates) -> list[Suggestion]:
    ids = [d.case.pk for d in duplicates]
    visible = set(cases_visible(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    leads = {}
    if ids:
        from wagewatch.cases.models import Case

        leads = {c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("lead_organisation", "territory")}
    return [Suggestion(leads.get(d.case.pk, d.case), d.reasons, d.is_repeat, d.case.pk in visible) for d in duplicates]


# ---------------------------------------------------------------- one registration per form token


def _known_clue(channel: str, external_id: str) -> bool:
    """A channel's clue id registered before: no suggestions, the first registration counts."""
    external_id = (external_id or "").strip()
    return bool(external_id) and Complaint.objects.filter(channel=channel, external_id=external_id).exists()


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def _owner(user) -> str:
    return f"user:{user.pk}"


def _used_token(user, token: str) -> dict | None:
    """What an already-used form token registered (None if it was never used)."""
    if not token:
        return None
    row = IdempotencyKey.objects.filter(owner=_owner(user), endpoint=TOKEN_ENDPOINT, key=token[:128]).first()
    return row.response if row is not None else None


def _payload(post) -> dict:
    return {k: post.getlist(k) for k in sorted(post) if k not in ("csrfmiddlewaretoken", "form_token")}


def _register_once(request, *, token: str, data: ComplaintInput, form: RegisterForm, link_to) -> tuple[dict, bool]:
    """Register under the form token: (stored body, replayed)."""

    def run():
        result = complaint_register(
            actor=request.user,
            channel=form.cleaned_data["channel"],
            data=data,
            received_at=form.cleaned_data["received_at"],
            external_id=form.cleaned_data["external_id"],
            link_to=link_to,
            dispatch=form.cleaned_data["dispatch"],
        )
        case = result.case
        return 201, {
            "case_id": case.pk,
            "case_number": case.number,
            "complaint_number": result.complaint.number,
            "case_created": result.case_created,
            "complaint_created": result.complaint_created,
            "relation": result.complaint.relation,
            "dispatched": bool(case.lead_organisation_id) and result.case_created,
            "lead": case.lead_organisation.name if case.lead_organisation_id else "",
            "dispatch_requested": form.cleaned_data["dispatch"],
            "dispatch_note": getattr(result, "dispatch_note", ""),
        }

    try:
        outcome = idempotent_run(owner=_owner(request.user), endpoint=TOKEN_ENDPOINT, key=token, payload=_payload(request.POST), run=run)
    except IdempotencyConflict:
        # The same form was sent again with other input (edited after the first submit):
        # still the first registration counts.
        body = _used_token(request.user, token)
        if body is None:
            raise
        return body, True
    return outcome.body, outcome.replayed


def _success_message(request, body: dict, replayed: bool) -> None:
    number = body["case_number"]
    links = format_html(
        ' <a href="{}" target="_blank" rel="noopener">打印承诺函(PDF)</a>', reverse("cases:commitment_letter", args=[body["case_id"]])
    )
    if body.get("dispatched"):
        links += format_html(' <a href="{}" target="_blank" rel="noopener">转办单(PDF)</a>', reverse("cases:dispatch_order", args=[body["case_id"]]))
    if replayed:
        messages.info(request, format_html("此表单已经提交过,系统没有重复登记。首次登记的案件编号:<strong>{}</strong>。{}", number, links))
        return
    if not body.get("complaint_created", True):
        text = format_html("该渠道编号的投诉此前已登记(投诉{}),属于案件 <strong>{}</strong>,未重复登记。", body["complaint_number"], number)
    elif body["case_created"]:
        text = format_html("已登记投诉{},新立案件 <strong>{}</strong>。", body["complaint_number"], number)
        if body.get("dispatched"):
            text += format_html("已按分派规则转办至{}。", body["lead"])
    elif body["relation"] == Complaint.Relation.REPEAT:
        text = format_html(
            "投诉{}与案件 <strong>{}</strong> 是同一单位、同一投诉人的重复投诉,已自动关联到该案件,未新立案。", body["complaint_number"], number
        )
    else:
        text = format_html("已将投诉{}并入案件 <strong>{}</strong>。", body["complaint_number"], number)
    if body.get("dispatch_requested") and not body["case_created"]:
        text += format_html("{}", "(并入已有案件,不另行转办。)")
    messages.success(request, text + links)
    if body.get("dispatch_note"):
        messages.warning(request, f"{body['dispatch_note']}。请在案件页面指定责任单位后转办。")


# ---------------------------------------------------------------- htmx lookups


def _employer_match(user, name: str, credit_code: str) -> dict:
    """The registry entry the service would use for this employer, and a few similar names."""
    code_error = ""
    code = ""
    if credit_code.strip():
        try:
            code = clean_credit_code(credit_code) or ""
        except ValidationError as exc:
            code_error = exc.messages[0]
    scoped = Enterprise.objects.filter(registry_selectors.enterprise_scope_q(user)).select_related("territory")
    match = None
    if code:
        match = scoped.filter(credit_code=code).first()
    norm = normalise_name(name) if name.strip() else ""
    if match is None and norm:
        found = list(scoped.filter(name_normalised=norm)[:2])
        if len(found) == 1:
            match = found[0]
    similar = []
    if norm and len(norm) >= 2:
        similar = list(scoped.filter(Q(name_normalised__contains=norm) | Q(name__icontains=name.strip())).exclude(pk=getattr(match, "pk", None))[:5])
    return {"match": match, "similar": similar, "code_error": code_error, "searched": bool(code or norm)}


def _lookup(request, kind: str):
    user = request.user
    if kind == "employer":
        context = _employer_match(user, request.GET.get("employer_name", ""), request.GET.get("employer_credit_code", ""))
        return render(request, "intake/register_employer_match.html", context)
    if kind == "employer_pick":
        pk = request.GET.get("pk", "")
        enterprise = registry_selectors.enterprise_get(user=user, pk=pk) if pk.isdigit() else None
        form = RegisterForm(
            user=user, initial={"employer_name": enterprise.name if enterprise else "", "employer_credit_code": (enterprise.credit_code or "") if enterprise else ""}
        )
        context = {"form": form, "match": enterprise, "similar": [], "searched": True, "code_error": ""}
        return render(request, "intake/register_employer.html", context)
    if kind == "project":
        q = (request.GET.get("project_q") or "").strip()
        projects = registry_selectors.project_list(user=user, search=q) if q else registry_selectors.project_list(user=user)
        chosen = request.GET.get("project", "")
        rows = list(projects[:PROJECT_CHOICES_LIMIT])
        return render(
            request,
            "intake/register_project_select.html",
            {"projects": [(str(p.pk), project_label(p)) for p in rows], "chosen": chosen, "q": q, "more": len(rows) == PROJECT_CHOICES_LIMIT},
        )
    if kind == "worker_row":
        index = request.GET.get("index", "")
        index = int(index) if index.isdigit() and int(index) < MAX_WORKER_ROWS else None
        if index is None:
            return HttpResponse("最多登记200位劳动者,更多请在投诉内容中说明或附名单", status=422)
        return render(request, "intake/register_worker_row.html", {"row": WorkerRow(index), "next_index": index + 1, "oob": True})
    return HttpResponse("未知的查询", status=400)


# ---------------------------------------------------------------- the page


def _render(request, form: RegisterForm, workers: list[WorkerRow], token: str, *, suggestions=None, loose_errors=(), decision_error="", decision=""):
    return render(
        request,
        "intake/register.html",
        {
            "form": form,
            "workers": workers,
            "next_index": (max((w.index for w in workers), default=-1) + 1),
            "form_token": token,
            "suggestions": suggestions,
            "has_repeat": any(s.is_repeat for s in suggestions or ()),
            "loose_errors": list(loose_errors),
            "has_field_errors": bool(form.is_bound and form.errors) or any(w.errors for w in workers),
            "decision_error": decision_error,
            "decision": decision,
            "required": RegisterForm.REQUIRED,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    if not may_register(request.user):
        raise PermissionDenied("只有专窗受理员、清欠办工作人员和系统管理员可以登记投诉")
    if request.method == "GET":
        lookup = request.GET.get("lookup")
        if lookup:
            return _lookup(request, lookup)
        now = timezone.localtime().replace(second=0, microsecond=0)
        form = RegisterForm(user=request.user, initial={"channel": Channel.WINDOW, "received_at": now, "worker_count": "1"})
        return _render(request, form, blank_worker_rows(), new_form_token())

    token = (request.POST.get("form_token") or "").strip()
    used = _used_token(request.user, token)
    if used is not None:
        _success_message(request, used, replayed=True)
        return redirect("cases:detail", pk=used["case_id"])

    form = RegisterForm(request.POST, user=request.user)
    workers = worker_rows(request.POST) or blank_worker_rows()
    if not token:
        form.is_valid()
        return _render(request, form, workers, new_form_token(), loose_errors=["表单已失效(缺少表单编号),请检查后再提交一次"])
    if not form.is_valid():
        return _render(request, form, workers, token)

    data = form.complaint_input(workers)
    step = request.POST.get("step", "check")
    if _known_clue(form.cleaned_data["channel"], form.cleaned_data["external_id"]):
        step, decision = "register", "new"  # the service answers with the first registration
    else:
        decision = request.POST.get("decision", "")
    link_to = None
    try:
        if step == "register":
            if decision not in ("new", "") and decision.isdigit():
                link_to = cases_visible(request.user).filter(pk=int(decision)).first()
                if link_to is None:
                    raise ValidationError({"link_to": ["所选案件不存在或您无权查看,请重新选择"]})
            elif decision != "new":
                suggestions = _suggestions(request.user, complaint_duplicates(data))
                if suggestions:
                    return _render(request, form, workers, token, suggestions=suggestions, decision_error="请选择:新立案,或并入下列某一案件")
        else:
            suggestions = _suggestions(request.user, complaint_duplicates(data))
            if suggestions:
                return _render(request, form, workers, token, suggestions=suggestions)
        body, replayed = _register_once(request, token=token, data=data, form=form, link_to=link_to)
    except IdempotencyKeyInvalid as exc:
        return _render(request, form, workers, new_form_token(), loose_errors=[exc.message])
    except ValidationError as exc:
        loose = form.apply_service_errors(exc, workers)
        suggestions = None
        decision_error = ""
        if hasattr(exc, "error_dict") and "link_to" in exc.message_dict:
            decision_error = ";".join(exc.message_dict["link_to"])
            loose = [m for m in loose if m not in exc.message_dict["link_to"]]
            try:
                suggestions = _suggestions(request.user, complaint_duplicates(data))
            except ValidationError:
                suggestions = None
        if decision_error and not suggestions:
            loose.append(decision_error)
        return _render(request, form, workers, token, suggestions=suggestions, loose_errors=loose, decision_error=decision_error, decision=decision)
    _success_message(request, body, replayed)
    return redirect("cases:detail", pk=body["case_id"])

