"""One case: the detail page with its facts, complainants, deadlines, assignments, escalations,
callbacks, evidence and timeline; the actions this user may take now; the PDFs; evidence files.

Each action is a small form posting to `/cases/<pk>/action/<name>/`. The view checks the action
against the transition table (or the action's own rule) before reading the form, calls the
service, and either redirects back with a message or re-renders the page with the errors and the
input kept. The services check everything again under the case's row lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import select_template
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET

from wagewatch.core.models import Role
from wagewatch.core.protected import ID_NUMBER, PHONE, mask, may_reveal
from wagewatch.core.services import free_text_reveal, personal_data_reveal
from wagewatch.history.selectors import timeline_for
from wagewatch.intake.models import Channel, Complaint, ComplaintWorker, Evidence

from . import documents, escalations, followups, forms, selectors, services
from .lifecycle import TRANSITIONS, check_actor, transition_for
from .models import Case, CaseDeadline, CaseState, ClueOutcome, Escalation, FollowUp

MAJOR_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}

# Protected fields a case page may reveal, by the model that holds them.
REVEALABLE = {
    "complaint": (Complaint, {"complainant_phone": PHONE, "complainant_id_number": ID_NUMBER}),
    "worker": (ComplaintWorker, {"phone": PHONE, "id_number": ID_NUMBER}),
}

# Free text whose personal numbers a case page may reveal (recorded), by the model that holds it.
REVEALABLE_TEXT = {
    "complaint_text": (Complaint, {"description"}),
    "case_text": (Case, {"summary", "resolution_summary"}),
}

# Files a browser may show inline; anything else is downloaded.
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


# ---------------------------------------------------------------- the actions


@dataclass(frozen=True)
class Action:
    """One thing a staff user can do on a case from its page."""

    name: str
    label: str
    form_class: type[forms.ActionForm]
    # Raises PermissionDenied (not this user) or ValidationError (not now) in Chinese.
    check: Callable
    # Calls the service; returns the success message.
    run: Callable
    # Extra condition for offering the action in the panel (the POST itself is not refused).
    offered: Callable | None = None
    # A step of the lifecycle (shown first, as buttons) or another record on the case.
    transition: bool = False
    multipart: bool = False
    hint: str = ""
    # Extra keyword arguments of the form for this user and case (both when shown and posted).
    form_kwargs: Callable | None = None

    @property
    def template(self) -> str:
        return f"cases/_action_{self.name}.html"


def _transition_check(action: str) -> Callable:
    def check(user, case, kinds):
        t = transition_for(action, case.state)
        if not kinds & t.actors:
            check_actor(t, "")

    return check


def _open_and(kinds_needed: set[str], refusal: str) -> Callable:
    def check(user, case, kinds):
        if not kinds & kinds_needed:
            raise PermissionDenied(refusal)
        if not case.is_open:
            raise ValidationError(f"案件已{case.get_state_display()},不能再办理")

    return check


def _check_major(user, case, kinds):
    if user.role not in MAJOR_ROLES:
        raise PermissionDenied("只有清欠办可以设定重大案件和包案领导")
    if not case.is_open:
        raise ValidationError(f"案件已{case.get_state_display()},不能再设定重大案件")


def _has_national_clue(case) -> bool:
    # Asked by the panel and the page: once per request (kept on the instance).
    if not hasattr(case, "_national_clue"):
        case._national_clue = case.complaints.filter(channel=Channel.NATIONAL_PLATFORM).exists()
    return case._national_clue


def _check_clue(user, case, kinds):
    if not kinds & {"office", "unit"}:
        raise PermissionDenied("您无权答复该线索")
    if not _has_national_clue(case):
        raise ValidationError("该案件不含全国根治欠薪线索反映平台的线索,无需答复")


def _check_split(user, case, kinds):
    if "office" not in kinds:
        raise PermissionDenied("只有清欠办和专窗可以拆分投诉")
    if not case.is_open:
        raise ValidationError(f"案件已{case.get_state_display()},不能拆分")
    if case.complaints.count() < 2:
        raise ValidationError("案件只有一件投诉,无需拆分")


# -- runs: (request, case, form) -> message


def _run_dispatch(request, case, form):
    d = form.cleaned_data
    case = services.case_dispatch(
        actor=request.user,
        case=case,
        lead=d["lead"],
        responsible_leader=d["responsible_leader"],
        responsible_person=d["responsible_person"],
        measures=d["measures"],
    )
    return f"已转办{case.lead_organisation.name}牵头办理,转办单已生成"


def _run_accept(request, case, form):
    services.case_accept(actor=request.user, case=case, responsible_person=form.cleaned_data["responsible_person"])
    return "已签收,请按时限核实处置"


def _run_return(request, case, form):
    services.case_return(actor=request.user, case=case, reason=form.cleaned_data["reason"])
    return "已退回清欠办重新分派"


def _run_verify(request, case, form):
    services.case_verification_start(actor=request.user, case=case, note=form.cleaned_data["note"])
    return "已开始核实"


def _run_handle(request, case, form):
    d = form.cleaned_data
    services.case_facts_confirm(
        actor=request.user,
        case=case,
        amount_verified=d["amount_verified"],
        workers_verified=d["workers_verified"],
        facts_clear=d["facts_clear"],
        note=d["note"],
    )
    return "已登记核实结果,案件进入处置" + (";事实清楚、金额明确,垫付期限开始计算" if d["facts_clear"] else "")


def _run_resolve(request, case, form):
    d = form.cleaned_data
    services.case_resolve(actor=request.user, case=case, amount_paid=d["amount_paid"], workers_paid=d["workers_paid"], summary=d["summary"])
    return "已办结,等待清欠办回访"


def _run_callback(request, case, form):
    d = form.cleaned_data
    callback = services.case_callback_record(
        actor=request.user,
        case=case,
        resolved=d["resolved"],
        paid_in_full=d["paid_in_full"],
        lawful=d["lawful"],
        satisfied=d["satisfied"],
        note=d["note"],
        method=d["method"],
    )
    if callback.confirms_resolution:
        return "已登记回访:问题已解决,可以结案"
    return "已登记回访:问题未解决或未足额支付,案件已重新办理"


def _run_reopen(request, case, form):
    services.case_reopen(actor=request.user, case=case, reason=form.cleaned_data["reason"])
    return "案件已重新办理,请重新转办"


def _run_close(request, case, form):
    services.case_close(actor=request.user, case=case, note=form.cleaned_data["note"])
    return "已结案"


def _check_no_arrears(user, case, kinds):
    _transition_check("close_no_arrears")(user, case, kinds)
    from wagewatch.payroll.reconciliation.warnings import case_no_arrears_check

    reasons = case_no_arrears_check(case)
    if reasons:
        raise ValidationError(";".join(reasons))


def _run_close_no_arrears(request, case, form):
    services.case_close_no_arrears(actor=request.user, case=case, note=form.cleaned_data["note"])
    return "已按“核实无欠薪”结案"


def _run_merge(request, case, form):
    number = form.cleaned_data["into"]
    into = selectors.cases_visible(request.user).filter(number=number).first()
    if into is None:
        raise ValidationError({"into": [f"未找到案件{number},或您无权查看该案件"]})
    services.case_merge(actor=request.user, case=case, into=into, reason=form.cleaned_data["reason"])
    return f"已并入案件{into.number}"


def _run_first_contact(request, case, form):
    services.case_first_contact_record(actor=request.user, case=case, note=form.cleaned_data["note"])
    return "已登记首日对接"


def _run_note(request, case, form):
    services.case_note_add(actor=request.user, case=case, text=form.cleaned_data["text"])
    return "已登记办理情况"


def _run_evidence(request, case, form):
    from wagewatch.intake.services import evidence_add

    d = form.cleaned_data
    try:
        evidence_add(actor=request.user, case=case, uploaded_file=d["file"], purpose=d["purpose"], description=d["description"])
    except ValidationError as exc:
        # The content check speaks about the file; put its message next to the file input.
        raise exc if hasattr(exc, "error_dict") else ValidationError({"file": exc.messages}) from None
    return f"已上传{Evidence.Purpose(d['purpose']).label}"


def _run_major(request, case, form):
    d = form.cleaned_data
    services.case_major_set(actor=request.user, case=case, is_major=d["is_major"], leader=d["leader"], reason=d["reason"])
    return "已列为重大案件并指定包案领导" if d["is_major"] else "已取消重大案件标记"


def _run_clue(request, case, form):
    d = form.cleaned_data
    services.case_clue_answer(actor=request.user, case=case, outcome=d["outcome"], reply_text=d["reply_text"])
    return f"已答复全国平台线索:{d['outcome'].name}"


def _run_split(request, case, form):
    from wagewatch.intake.services import complaint_split

    new_case = complaint_split(actor=request.user, complaint=form.cleaned_data["complaint"], reason=form.cleaned_data["reason"])
    return f"已拆分出新案件{new_case.number},请另行转办"


def _check_escalate(user, case, kinds):
    if not case.is_open:
        raise ValidationError(f"案件已{case.get_state_display()},不能再发起升级处置")
    if not escalations.escalation_kinds_available(user, case):
        if kinds & {"office", "unit"} or user.role == Role.LABOUR_INSPECTOR:
            raise ValidationError("该案件各类可发起的升级处置均在办理中")
        raise PermissionDenied("只有清欠办、牵头责任单位或劳动保障监察员可以发起升级处置")


def _run_escalate(request, case, form):
    e = escalations.escalation_open(actor=request.user, case=case, **form.service_kwargs())
    if e.status == Escalation.Status.PROPOSED:
        return f"已提请{e.get_kind_display()},待清欠办领导审批"
    return f"已启动“{e.get_kind_display()}”" + (f",承办单位:{e.organisation.name}" if e.organisation_id else "")


def _label(action: str) -> str:
    return TRANSITIONS[action].label


ACTION_LIST: list[Action] = [
    Action("dispatch", _label("dispatch"), forms.DispatchForm, _transition_check("dispatch"), _run_dispatch, transition=True),
    Action("accept", _label("accept"), forms.AcceptForm, _transition_check("accept"), _run_accept, transition=True),
    Action("verify", _label("verify"), forms.VerifyForm, _transition_check("verify"), _run_verify, transition=True),
    Action("handle", "登记核实结果", forms.FactsForm, _transition_check("handle"), _run_handle, transition=True),
    Action(
        "resolve",
        "办结(登记支付情况)",
        forms.ResolveForm,
        _transition_check("resolve"),
        _run_resolve,
        transition=True,
        hint="办结须登记已支付金额、人数,并先在“上传材料”中上传支付凭证等结案材料(用途选“结案凭证”)。",
    ),
    Action("callback", "登记回访", forms.CallbackForm, _transition_check("callback"), _run_callback, transition=True),
    Action("close", _label("close"), forms.CloseForm, _transition_check("close"), _run_close, transition=True),
    Action(
        "close_no_arrears",
        _label("close_no_arrears"),
        forms.CloseNoArrearsForm,
        _check_no_arrears,
        _run_close_no_arrears,
        transition=True,
        hint="工资核对自动预警已解除:经核实确无欠薪的,可直接结案,无需登记支付金额或上传支付凭证。",
    ),
    Action("return", _label("return"), forms.ReturnForm, _transition_check("return"), _run_return, transition=True),
    Action("reopen", _label("reopen"), forms.ReopenForm, _transition_check("reopen"), _run_reopen, transition=True),
    Action(
        "first_contact",
        "登记首日对接",
        forms.FirstContactForm,
        _open_and({"office", "unit"}, "您无权登记该案件的对接情况"),
        _run_first_contact,
        offered=lambda case: case.first_contact_at is None,
    ),
    Action("note", "登记办理情况", forms.NoteForm, _open_and({"office", "unit"}, "您无权在该案件上登记办理情况"), _run_note),
    Action(
        "evidence",
        "上传材料",
        forms.EvidenceForm,
        _open_and({"office", "unit"}, "您无权为该案件上传材料"),
        _run_evidence,
        multipart=True,
    ),
    Action("clue", "答复全国平台线索", forms.ClueForm, _check_clue, _run_clue),
    Action("major", "重大案件/包案领导", forms.MajorForm, _check_major, _run_major),
    Action(
        "escalate",
        "升级处置",
        forms.EscalationOpenForm,
        _check_escalate,
        _run_escalate,
        form_kwargs=lambda user, case: {"kinds": escalations.escalation_kinds_available(user, case)},
        hint="监察立案、移交行业主管部门、联合接访、垫付、移送公安、失信惩戒、调解、仲裁、诉讼、法律援助、财产保全。",
    ),
    Action("merge", _label("merge"), forms.MergeForm, _transition_check("merge"), _run_merge),
    Action("split", "拆分投诉另立案件", forms.SplitForm, _check_split, _run_split),
]

ACTIONS = {a.name: a for a in ACTION_LIST}


# ---------------------------------------------------------------- actions on one row of the case


@dataclass(frozen=True)
class ItemAction:
    """An action on one escalation or follow-up of the case; the row's id is posted as `item`."""

    name: str
    label: str
    form_class: type[forms.ItemForm]
    items: Callable  # case -> the rows it may act on
    check: Callable  # (user, case, item): raises PermissionDenied / ValidationError
    run: Callable  # (request, case, item, form) -> message

    @property
    def template(self) -> str:
        return "cases/_action_item.html"


def _check_approve(user, case, e):
    if e.kind != Escalation.Kind.ADVANCE_PAYMENT:
        raise ValidationError(f"“{e.get_kind_display()}”无需审批")
    if e.status != Escalation.Status.PROPOSED:
        raise ValidationError(f"该垫付申请{e.get_status_display()},不能再审批")
    if user.role not in escalations.APPROVER_ROLES:
        raise PermissionDenied("只有清欠办领导可以审批应急周转金垫付")


def _check_escalation_close(user, case, e):
    if e.status == Escalation.Status.PROPOSED:
        raise ValidationError("垫付申请尚未审批,不能办结")
    if e.status != Escalation.Status.OPEN:
        raise ValidationError(f"该处置{e.get_status_display()}")
    if not escalations.can_close(user, e):
        raise PermissionDenied(f"您无权办结该“{e.get_kind_display()}”")


def _check_recovery(user, case, e):
    if e.kind != Escalation.Kind.ADVANCE_PAYMENT:
        raise ValidationError("只有应急周转金垫付需要登记追偿")
    if e.status != Escalation.Status.OPEN:
        raise ValidationError("垫付尚未批准,不能登记追偿" if e.status == Escalation.Status.PROPOSED else f"该垫付{e.get_status_display()}")
    if user.role not in escalations.FUND_ROLES:
        raise PermissionDenied("只有清欠办可以登记垫付追偿")


def _check_follow_up(user, case, f):
    if f.result != FollowUp.Result.PENDING:
        raise ValidationError(f"该{f.get_kind_display()}已完成")
    if not followups.can_complete(user, f):
        raise PermissionDenied("只有清欠办或负责跟踪的单位可以登记该回头看结果")


def _run_approve(request, case, e, form):
    d = form.cleaned_data
    escalations.escalation_approve(actor=request.user, escalation=e, approved=d["approved"], note=d["note"])
    return f"已批准垫付{e.amount:,.2f}元" if d["approved"] else "已不予批准垫付"


def _run_escalation_close(request, case, e, form):
    d = form.cleaned_data
    escalations.escalation_close(actor=request.user, escalation=e, outcome=d["outcome"], judicial_confirmation=d.get("judicial_confirmation", False))
    return f"“{e.get_kind_display()}”已办结"


def _run_recovery(request, case, e, form):
    d = form.cleaned_data
    escalations.advance_recovery_record(actor=request.user, escalation=e, amount=d["amount"], recovered_on=d["recovered_on"], note=d["note"])
    return f"已登记追回{d['amount']:,.2f}元"


def _run_follow_up(request, case, f, form):
    d = form.cleaned_data
    followups.follow_up_complete(actor=request.user, follow_up=f, result=d["result"], note=d["note"])
    return f"已登记{f.get_kind_display()}结果"


ITEM_ACTION_LIST: list[ItemAction] = [
    ItemAction("escalation_approve", "审批垫付", forms.EscalationApproveForm, lambda case: case.escalations.all(), _check_approve, _run_approve),
    ItemAction("escalation_recovery", "登记追偿", forms.RecoveryForm, lambda case: case.escalations.all(), _check_recovery, _run_recovery),
    ItemAction(
        "escalation_close", "办结该处置", forms.EscalationCloseForm, lambda case: case.escalations.all(), _check_escalation_close, _run_escalation_close
    ),
    ItemAction("follow_up", "登记跟踪结果", forms.FollowUpForm, lambda case: case.follow_ups.all(), _check_follow_up, _run_follow_up),
]
ITEM_ACTIONS = {a.name: a for a in ITEM_ACTION_LIST}
ESCALATION_ITEM_ACTIONS = [a for a in ITEM_ACTION_LIST if a.name.startswith("escalation_")]


def _item_forms(user, case, item, actions, bound: dict) -> list[dict]:
    item.case = case  # the permission helpers read it
    out = []
    for action in actions:
        try:
            action.check(user, case, item)
        except (PermissionDenied, ValidationError):
            continue
        key = f"{action.name}:{item.pk}"
        form = bound.get(key) or action.form_class(case=case, user=user, item=item)
        out.append({"action": action, "form": form, "item": item, "open": key in bound})
    return out


def actions_available(user, case: Case) -> list[Action]:
    """The actions this user may take on this case now (what the panel offers)."""
    kinds = services.actor_kinds(user, case)
    out = []
    for action in ACTION_LIST:
        try:
            action.check(user, case, kinds)
        except (PermissionDenied, ValidationError):
            continue
        if action.offered is None or action.offered(case):
            out.append(action)
    return out


# ---------------------------------------------------------------- the page


def _deadline_rows(case: Case, now) -> list[dict]:
    rows = []
    for d in case.deadlines.all():
        rows.append(
            {
                "deadline": d,
                "overdue": d.status == CaseDeadline.Status.OPEN and d.due_at < now,
                "late": d.status == CaseDeadline.Status.MET and d.met_at is not None and d.met_at > d.due_at,
            }
        )
    return rows


def _protected_value(user, kind_key: str, obj, field_name: str, kind: str) -> dict:
    value = getattr(obj, field_name)
    return {
        "masked": mask(kind, value),
        "may_reveal": bool(value) and may_reveal(user, kind),
        "target": f"{kind_key}:{obj.pk}:{field_name}",
        "dom_id": f"reveal-{kind_key}-{obj.pk}-{field_name}",
    }


def _complainants(user, case: Case) -> list[dict]:
    complaints = (
        case.complaints.select_related("registered_by")
        .prefetch_related(Prefetch("workers", queryset=ComplaintWorker.objects.order_by("pk")))
        .order_by("received_at", "pk")
    )
    out = []
    for c in complaints:
        out.append(
            {
                "complaint": c,
                "channel": Channel(c.channel).label if c.channel in Channel.values else c.channel,
                "phone": _protected_value(user, "complaint", c, "complainant_phone", PHONE),
                "id_number": _protected_value(user, "complaint", c, "complainant_id_number", ID_NUMBER),
                "workers": [
                    {
                        "worker": w,
                        "phone": _protected_value(user, "worker", w, "phone", PHONE),
                        "id_number": _protected_value(user, "worker", w, "id_number", ID_NUMBER),
                    }
                    for w in c.workers.all()
                ],
            }
        )
    return out


def _registry_links(user, case: Case) -> dict:
    from wagewatch.registry import selectors as registry

    employer = bool(case.employer_id) and registry.enterprise_list(user=user).filter(pk=case.employer_id).exists()
    project = bool(case.project_id) and registry.project_list(user=user).filter(pk=case.project_id).exists()
    return {"employer": employer, "project": project}


def _panel(request, case: Case, bound: dict | None) -> list[dict]:
    bound = bound or {}
    plan = None
    panel = []
    for action in actions_available(request.user, case):
        kwargs = action.form_kwargs(request.user, case) if action.form_kwargs else {}
        if action.name == "dispatch":
            plan = services.dispatch_plan(case)
            kwargs["plan"] = plan
        form = bound.get(action.name) or action.form_class(case=case, user=request.user, **kwargs)
        panel.append(
            {
                "action": action,
                "form": form,
                "template": select_template([action.template, "cases/_action_base.html"]),
                "open": action.name in bound,
                "plan": plan if action.name == "dispatch" else None,
            }
        )
    return panel


def _detail_context(request, case: Case, *, bound: dict | None = None, errors: list[str] | None = None) -> dict:
    now = timezone.now()
    user = request.user
    panel = _panel(request, case, bound)
    offered = {p["action"].name for p in panel}
    bound = bound or {}
    escalation_rows = [
        {"escalation": e, "details": _escalation_details(e), "forms": _item_forms(user, case, e, ESCALATION_ITEM_ACTIONS, bound)}
        for e in case.escalations.select_related("organisation", "opened_by", "approved_by", "closed_by").prefetch_related("recoveries")
    ]
    follow_up_rows = [
        {"follow_up": f, "forms": _item_forms(user, case, f, [ITEM_ACTIONS["follow_up"]], bound)}
        for f in case.follow_ups.select_related("organisation", "done_by")
    ]
    offered |= {f"{x['action'].name}:{x['item'].pk}" for row in escalation_rows + follow_up_rows for x in row["forms"]}
    # Errors of a posted action that is no longer offered still have to be seen.
    errors = list(errors or [])
    for name, form in bound.items():
        if name not in offered:
            errors += [str(e) for errs in form.errors.values() for e in errs]
    lead = documents.latest_lead_assignment(case)
    complainants = _complainants(user, case)
    national = _has_national_clue(case)
    return {
        "case": case,
        "channel_label": Channel(case.channel).label if case.channel in Channel.values else case.channel,
        "state_class": _state_class(case),
        "next_deadline": case.next_deadline_text(),
        "overdue": case.is_open and case.next_due_at is not None and case.next_due_at < now,
        "links": _registry_links(user, case),
        "complainants": complainants,
        "chains": list(dict.fromkeys(c["complaint"].subcontracting_chain for c in complainants if c["complaint"].subcontracting_chain)),
        "origin": next((c["complaint"] for c in complainants if c["complaint"].relation == Complaint.Relation.ORIGIN), None)
        or (complainants[0]["complaint"] if complainants else None),
        "merged_cases": list(case.merged_cases.order_by("number")),
        "deadlines": _deadline_rows(case, now),
        "assignments": list(
            case.assignments.select_related("organisation", "dispatched_by", "accepted_by").order_by("-active", "dispatched_at", "pk")
        ),
        "lead": lead,
        "escalations": escalation_rows,
        "callbacks": list(case.callbacks.select_related("called_by")),
        "follow_ups": follow_up_rows,
        "evidence": list(case.evidence.select_related("uploaded_by", "complaint").order_by("uploaded_at", "pk")),
        "national_clue": national,
        "events": timeline_for(case),
        "panel": [p for p in panel if p["action"].transition],
        "panel_records": [p for p in panel if not p["action"].transition],
        "action_errors": errors,
        "now": now,
    }


DETAIL_LABELS = {"grounds": "移送理由", "requested_on": "法律援助申请日期", "court": "受理法院"}


def _escalation_details(e: Escalation) -> list[tuple[str, str]]:
    """The kind-specific facts of an escalation in words."""
    out = []
    for key, value in (e.details or {}).items():
        if key == "grounds":
            value = "、".join(escalations.CRIMINAL_GROUNDS.get(g, g) for g in (value if isinstance(value, list) else [value]))
        out.append((DETAIL_LABELS.get(key, key), str(value)))
    return out


def _state_class(case: Case) -> str:
    if case.state == CaseState.CLOSED:
        return "green"
    if case.state in (CaseState.RETURNED, CaseState.REOPENED):
        return "orange"
    if case.state == CaseState.MERGED:
        return ""
    if case.state == CaseState.RESOLVED or case.state == CaseState.CALLED_BACK:
        return "ok"
    return "blue"


def _render(request, case: Case, *, bound=None, errors=None, status=200):
    return render(request, "cases/detail.html", _detail_context(request, case, bound=bound, errors=errors), status=status)


@login_required
@require_GET
def case_detail(request, pk):
    case = selectors.case_get(request.user, pk=pk)
    return _render(request, case)


@login_required
def case_action(request, pk, action):
    case = selectors.case_get(request.user, pk=pk)
    if action == "reveal":
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return _reveal(request, case)
    if action == "clue_reply":
        return _clue_reply(request, case)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action in ITEM_ACTIONS:
        return _item_action(request, case, ITEM_ACTIONS[action])
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    kinds = services.actor_kinds(request.user, case)
    try:
        spec.check(request.user, case, kinds)  # PermissionDenied goes to the 403 page
    except ValidationError as exc:
        return _render(request, case, errors=exc.messages, status=409)
    extra = spec.form_kwargs(request.user, case) if spec.form_kwargs else {}
    form = spec.form_class(request.POST, request.FILES, case=case, user=request.user, **extra)
    if form.is_valid():
        try:
            message = spec.run(request, case, form)
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("cases:detail", pk=case.pk)
    case.refresh_from_db()
    return _render(request, case, bound={action: form}, status=422)


def _item_action(request, case: Case, spec: ItemAction):
    try:
        item = spec.items(case).get(pk=int(request.POST.get("item", "")))
    except (ValueError, ObjectDoesNotExist):
        raise Http404 from None
    try:
        spec.check(request.user, case, item)
    except ValidationError as exc:
        return _render(request, case, errors=exc.messages, status=409)
    form = spec.form_class(request.POST, case=case, user=request.user, item=item)
    if form.is_valid():
        try:
            message = spec.run(request, case, item, form)
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("cases:detail", pk=case.pk)
    case.refresh_from_db()
    return _render(request, case, bound={f"{spec.name}:{item.pk}": form}, status=422)


def _reveal(request, case: Case) -> HttpResponse:
    """The clear value of one protected field of a complainant or named worker, or a free text
    with the numbers this role may see in clear (recorded)."""
    try:
        kind_key, obj_pk, field_name = request.POST.get("target", "").split(":")
        model, fields = REVEALABLE_TEXT[kind_key] if kind_key in REVEALABLE_TEXT else REVEALABLE[kind_key]
        obj_pk = int(obj_pk)
    except (ValueError, KeyError):
        raise Http404 from None
    if field_name not in fields:
        raise Http404
    if kind_key in REVEALABLE_TEXT:
        obj = case if model is Case else get_object_or_404(model, pk=obj_pk, case=case)
        if obj.pk != obj_pk:
            raise Http404
        return HttpResponse(format_html("{}", free_text_reveal(actor=request.user, obj=obj, field_name=field_name)))
    lookup = {"case": case} if model is Complaint else {"complaint__case": case}
    obj = get_object_or_404(model, pk=obj_pk, **lookup)
    value = personal_data_reveal(actor=request.user, obj=obj, field_name=field_name)
    return HttpResponse(format_html('<span class="masked">{}</span>', value))


def _clue_reply(request, case: Case) -> HttpResponse:
    """The standard reply of the chosen outcome, swapped into the clue form by htmx."""
    try:
        _check_clue(request.user, case, services.actor_kinds(request.user, case))
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=409)
    outcome = ClueOutcome.objects.filter(active=True, pk=request.GET.get("clue-outcome") or 0).first()
    form = forms.ClueForm(case=None, initial={"reply_text": outcome.reply_text if outcome else ""})
    return HttpResponse(str(form["reply_text"]))


# ---------------------------------------------------------------- documents and files


def _pdf(body: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def commitment_letter_pdf(request, pk):
    from wagewatch.documents.pdf import commitment_letter_pdf as draw

    case = selectors.case_get(request.user, pk=pk)
    return _pdf(draw(documents.commitment_letter_for(case, request=request)), f"承诺函-{case.number}.pdf")


@login_required
@require_GET
def dispatch_order_pdf(request, pk):
    from wagewatch.documents.pdf import dispatch_order_pdf as draw

    case = selectors.case_get(request.user, pk=pk)
    order = documents.latest_lead_assignment(case)
    if order is None:
        return render(
            request,
            "errors.html",
            {"title": "尚未转办", "message": f"案件{case.number}尚未转办(或已退回清欠办),没有有效的转办单。", "status": 404},
            status=404,
        )
    return _pdf(draw(documents.dispatch_order_for(case, order, viewer=request.user)), f"转办单-{order.order_number}.pdf")


@login_required
@require_GET
def evidence_download(request, pk, evidence_pk):
    """A case's evidence file, only through the case's scope (never from /media/ directly)."""
    case = selectors.case_get(request.user, pk=pk)
    evidence = get_object_or_404(Evidence, pk=evidence_pk, case=case)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    inline = evidence.content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        content_type=evidence.content_type,
        as_attachment=not inline,
        filename=f"{case.number}-材料{evidence.pk}.{evidence.extension.lstrip('.')}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


