"""Escalation paths: what happens beside the case state when the responsible unit cannot resolve
a case alone (DOMAIN.md section 2).

- labour inspection investigates (the territory's labour inspection brigade gets the case);
- illegal subcontracting goes to the industry authority; disputes to the joint petition meeting (the office);
- advance payment from the emergency fund: proposed with amount and workers (at most the verified
  figures), approved by an office leader, then the money recovered from the debtor is tracked;
- criminal referral to the police, with its grounds; blacklist proposal (recorded only for now);
- mediation, arbitration or court with the outcome (and judicial confirmation of a mediation agreement);
- legal aid on the worker's request; pre-litigation property preservation (the court's 3 working days).

An escalation never changes the case state. Every write runs in one transaction with its history
event on the case's timeline (`case.escalation_*`). An organisation that acts on an escalation gets
an `escalation` assignment on the case, so it sees the case and finds it in its inbox.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from wagewatch.core.calendar import SHANGHAI
from wagewatch.core.models import Organisation, Role, User
from wagewatch.history.services import event_append

from .deadlines import deadline_meet, deadline_start, next_due_refresh
from .models import AdvanceRecovery, Case, CaseAssignment, DeadlineKind, Escalation
from .routing import industry_bureau
from .services import OFFICE_ROLES, _count, _money, _raise, actor_kinds

Kind = Escalation.Kind
Status = Escalation.Status

# Organisation kind that acts on each kind of escalation when none is named; found nearest above
# the case's territory. Kinds listed in REQUIRES_ORGANISATION cannot be opened without one.
HANDLING_ORGANISATION_KIND = {
    Kind.LABOUR_INSPECTION: Organisation.Kind.LABOUR_INSPECTION,
    Kind.JOINT_MEETING: Organisation.Kind.WAGE_ARREARS_OFFICE,
    Kind.ADVANCE_PAYMENT: Organisation.Kind.WAGE_ARREARS_OFFICE,
    Kind.CRIMINAL_REFERRAL: Organisation.Kind.POLICE,
    Kind.MEDIATION: Organisation.Kind.MEDIATION_CENTRE,
    Kind.COURT: Organisation.Kind.COURT,
    Kind.PROPERTY_PRESERVATION: Organisation.Kind.COURT,
}
REQUIRES_ORGANISATION = {Kind.LABOUR_INSPECTION, Kind.INDUSTRY_AUTHORITY, Kind.JOINT_MEETING, Kind.CRIMINAL_REFERRAL}
MISSING_ORGANISATION = {
    Kind.LABOUR_INSPECTION: "找不到案件所在辖区的劳动保障监察大队,请指定承办单位",
    Kind.INDUSTRY_AUTHORITY: "找不到该项目或行业的主管部门,请指定承办单位",
    Kind.JOINT_MEETING: "找不到案件所在辖区的根治欠薪办公室,请指定承办单位",
    Kind.CRIMINAL_REFERRAL: "找不到案件所在辖区的公安机关,请指定承办单位",
}

# Labour inspectors may open these on any case in their territory, lead unit or not.
INSPECTOR_KINDS = {Kind.CRIMINAL_REFERRAL, Kind.BLACKLIST_PROPOSAL}
# Legal procedures the lead unit follows and may close with their outcome.
UNIT_CLOSABLE_KINDS = {Kind.MEDIATION, Kind.ARBITRATION, Kind.COURT, Kind.LEGAL_AID, Kind.PROPERTY_PRESERVATION}
# Who handles the emergency fund: approves (leaders only), records recoveries, closes.
APPROVER_ROLES = {Role.OFFICE_LEADER}
FUND_ROLES = {Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}

# 拒不支付劳动报酬罪 (刑法第二百七十六条之一): the grounds a referral must name.
CRIMINAL_GROUNDS = {
    "hiding_assets": "以转移财产方式逃避支付",
    "absconding": "以逃匿方式逃避支付",
    "refusing_with_means": "有能力支付而不支付,经责令支付仍不支付",
}

MIN_REASON = 4
MAX_TEXT = 4000
MAX_DETAILS_CHARS = 4000


# ---------------------------------------------------------------- helpers


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in (path or "").split("/") if p]
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def nearest_organisation(kind: str, territory_path: str) -> Organisation | None:
    """The active organisation of `kind` whose territory holds `territory_path` (nearest first)."""
    candidates = Organisation.objects.filter(kind=kind, is_active=True, territory__path__in=_ancestor_paths(territory_path)).select_related(
        "territory"
    )
    return max(candidates, key=lambda o: len(o.territory.path), default=None)


def office_for(case: Case) -> Organisation | None:
    """The wage-arrears office answering for the case's territory."""
    return nearest_organisation(Organisation.Kind.WAGE_ARREARS_OFFICE, case.territory_path)


def default_organisation(case: Case, kind: str) -> Organisation | None:
    """Who acts on an escalation of `kind` on this case when nobody is named."""
    if kind == Kind.INDUSTRY_AUTHORITY:
        project = case.project
        if project is not None and project.industry_authority_id:
            return project.industry_authority
        return industry_bureau(case.industry, case.territory)
    org_kind = HANDLING_ORGANISATION_KIND.get(kind)
    return nearest_organisation(org_kind, case.territory_path) if org_kind else None


def case_link(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:  # pragma: no cover - the URL exists in the project
        return ""


def notify_about_case(
    *, case: Case, title: str, body: str = "", organisation=None, user=None, kind: str = "escalation", subject: str = ""
) -> None:
    from wagewatch.notify.services import notification_create

    notification_create(
        organisation=organisation, user=user, title=title, body=body, link=case_link(case), case_number=case.number, kind=kind, subject=subject
    )


def approval_subject(escalation: Escalation) -> str:
    """The subject of the notices asking for a decision on `escalation` (closed when decided)."""
    return f"escalation:{escalation.pk}"


def office_leaders(office: Organisation | None) -> list[User]:
    if office is None:
        return []
    return list(User.objects.filter(organisation=office, role=Role.OFFICE_LEADER, is_active=True).order_by("pk"))


def _is_user(actor) -> bool:
    return isinstance(actor, User)


def _in_scope(actor, case: Case) -> bool:
    from .selectors import cases_visible

    return cases_visible(actor).filter(pk=case.pk).exists()


def _text(value, field: str, label: str, errors: dict, *, minimum: int = 1) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if len(text) < minimum:
        errors.setdefault(field, []).append(f"请填写{label}" + (f"(不少于{minimum}个字)" if minimum > 1 else ""))
    elif len(text) > MAX_TEXT:
        errors.setdefault(field, []).append(f"{label}不超过{MAX_TEXT}字")
    return text


def _details(details: dict, errors: dict) -> dict:
    """Kind-specific facts kept as JSON: plain values only, and not too long."""
    clean = {}
    for key, value in details.items():
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        clean[str(key)] = value
    try:
        text = json.dumps(clean, ensure_ascii=False)
    except (TypeError, ValueError):
        errors.setdefault("details", []).append("其他情况只能填写文字、数字或日期")
        return {}
    if len(text) > MAX_DETAILS_CHARS:
        errors.setdefault("details", []).append(f"其他情况内容过长(不超过{MAX_DETAILS_CHARS}字)")
    return clean


def _parse_date(value, field: str, label: str, errors: dict) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors.setdefault(field, []).append(f"{label}应为日期,格式 YYYY-MM-DD")
        return None


def _assign(case: Case, organisation: Organisation | None, actor, now: datetime) -> None:
    """Give the acting organisation an escalation assignment (sight of the case, its inbox)."""
    if organisation is None:
        return
    if CaseAssignment.objects.filter(case=case, organisation=organisation, active=True, role=CaseAssignment.Role.ESCALATION).exists():
        return
    CaseAssignment.objects.create(
        case=case,
        organisation=organisation,
        role=CaseAssignment.Role.ESCALATION,
        dispatched_at=now,
        dispatched_by=actor if _is_user(actor) else None,
    )


def _unassign(escalation: Escalation, now: datetime) -> None:
    """End the organisation's escalation assignment when it has no other running escalation here."""
    if escalation.organisation_id is None:
        return
    still = (
        Escalation.objects.filter(case_id=escalation.case_id, organisation_id=escalation.organisation_id, status__in=[Status.PROPOSED, Status.OPEN])
        .exclude(pk=escalation.pk)
        .exists()
    )
    if not still:
        CaseAssignment.objects.filter(
            case_id=escalation.case_id, organisation_id=escalation.organisation_id, role=CaseAssignment.Role.ESCALATION, active=True
        ).update(active=False, ended_at=now, end_reason=f"{escalation.get_kind_display()}已办结")


def _payload(escalation: Escalation, **extra) -> dict:
    body = {
        "escalation": escalation.pk,
        "kind": escalation.kind,
        "kind_label": escalation.get_kind_display(),
        "status": escalation.status,
        "status_label": escalation.get_status_display(),
    }
    if escalation.organisation_id:
        body["organisation"] = escalation.organisation.name
    body.update(extra)
    return body


def _locked_case(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("territory", "project", "lead_organisation").get(pk=case.pk)


def _locked_escalation(escalation: Escalation) -> tuple[Case, Escalation]:
    """Lock the case first, then the escalation (the order every case write uses)."""
    case = _locked_case(escalation.case)
    return case, Escalation.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=escalation.pk)


# ---------------------------------------------------------------- who may do what


def escalation_kinds_available(actor, case: Case) -> list[str]:
    """The kinds `actor` may open on `case` now (for the detail page's buttons)."""
    if not case.is_open or not _is_user(actor):
        return []
    kinds = actor_kinds(actor, case)
    if kinds & {"office", "unit"}:
        allowed = list(Kind.values)
    elif actor.role == Role.LABOUR_INSPECTOR:
        allowed = [k for k in Kind.values if k in INSPECTOR_KINDS]
    else:
        return []
    running = set(case.escalations.filter(status__in=[Status.PROPOSED, Status.OPEN]).values_list("kind", flat=True))
    return [k for k in allowed if k not in running]


def _check_open_permission(actor, case: Case, kind: str) -> None:
    if actor is None:
        return  # the system: the periodic job escalating by rule
    if not _is_user(actor):
        raise PermissionDenied("劳动者不能发起升级处置")
    kinds = actor_kinds(actor, case)
    inspector = actor.role == Role.LABOUR_INSPECTOR and kind in INSPECTOR_KINDS
    if not (kinds & {"office", "unit"} or inspector):
        if actor.role == Role.LABOUR_INSPECTOR:
            raise PermissionDenied("劳动保障监察员可以提请移送公安和失信惩戒;其他升级处置由清欠办或牵头责任单位发起")
        raise PermissionDenied(f"只有清欠办或牵头责任单位可以发起“{Kind(kind).label}”")
    if not _in_scope(actor, case):
        raise PermissionDenied("该案件不在您的管辖范围内")


def can_approve(actor, escalation: Escalation) -> bool:
    return (
        _is_user(actor) and actor.role in APPROVER_ROLES and escalation.kind == Kind.ADVANCE_PAYMENT and escalation.status == Status.PROPOSED
    )


def can_close(actor, escalation: Escalation) -> bool:
    if not _is_user(actor) or escalation.status != Status.OPEN:
        return False
    if escalation.kind == Kind.ADVANCE_PAYMENT:
        return actor.role in FUND_ROLES
    if actor.role in OFFICE_ROLES:
        return True
    if escalation.organisation_id and actor.organisation_id == escalation.organisation_id:
        return True
    return escalation.kind in UNIT_CLOSABLE_KINDS and "unit" in actor_kinds(actor, escalation.case)


def can_record_recovery(actor, escalation: Escalation) -> bool:
    return _is_user(actor) and actor.role in FUND_ROLES and escalation.kind == Kind.ADVANCE_PAYMENT and escalation.status == Status.OPEN


# ---------------------------------------------------------------- services


def escalation_open(
    *,
    actor,
    case: Case,
    kind: str,
    reason: str,
    organisation: Organisation | None = None,
    amount=None,
    worker_count=None,
    **details,
) -> Escalation:
    """Open an escalation on an open case (an advance payment is only proposed: an office leader
    approves it). `details` keeps kind-specific facts: `grounds` (list of CRIMINAL_GROUNDS keys)
    for a criminal referral, `requested_on` for legal aid the complaint did not ask for, `court`
    for a preservation application, and so on. Actor None is the system (the periodic job)."""
    errors: dict = {}
    if kind not in Kind.values:
        raise ValidationError({"kind": [f"未知的升级处置类型“{kind}”"]})
    kind = Kind(kind)
    reason = _text(reason, "reason", "理由", errors, minimum=MIN_REASON)
    money = _money(amount, "amount", "金额", errors, required=kind == Kind.ADVANCE_PAYMENT)
    workers = _count(worker_count, "worker_count", "人数", errors, required=kind == Kind.ADVANCE_PAYMENT, minimum=1)
    details = _details(details, errors)
    if kind == Kind.CRIMINAL_REFERRAL:
        grounds = details.get("grounds")
        grounds = [grounds] if isinstance(grounds, str) else list(grounds or [])
        unknown = [g for g in grounds if g not in CRIMINAL_GROUNDS]
        if not grounds or unknown:
            errors.setdefault("grounds", []).append("请选择移送理由:" + "、".join(CRIMINAL_GROUNDS.values()))
        else:
            details["grounds"] = grounds
    if kind == Kind.LEGAL_AID and details.get("requested_on"):
        requested = _parse_date(details["requested_on"], "requested_on", "申请日期", errors)
        if requested is not None:
            details["requested_on"] = requested.isoformat()
    if organisation is not None and not organisation.is_active:
        errors.setdefault("organisation", []).append(f"{organisation.name}已停用,请选择其他承办单位")
    if money is not None and kind == Kind.ADVANCE_PAYMENT and money <= 0:
        errors.setdefault("amount", []).append("垫付金额应大于0")
    _raise(errors)

    with transaction.atomic():
        case = _locked_case(case)
        if not case.is_open:
            raise ValidationError(f"案件{case.number}{case.get_state_display()},不能再发起升级处置")
        _check_open_permission(actor, case, kind)
        if Escalation.objects.filter(case=case, kind=kind, status__in=[Status.PROPOSED, Status.OPEN]).exists():
            raise ValidationError({"kind": [f"该案件已有办理中的“{kind.label}”,请在原处置上继续办理"]})
        if kind == Kind.ADVANCE_PAYMENT:
            _check_advance_figures(case, money, workers, errors)
        if kind == Kind.LEGAL_AID and not details.get("requested_on"):
            if not case.complaints.filter(legal_aid_requested=True).exists():
                errors.setdefault("requested_on", []).append("法律援助依申请提供:投诉时未申请的,请填写劳动者提出申请的日期")
        org = organisation or default_organisation(case, kind)
        if org is None and kind in REQUIRES_ORGANISATION:
            errors.setdefault("organisation", []).append(MISSING_ORGANISATION[kind])
        _raise(errors)

        now = timezone.now()
        escalation = Escalation.objects.create(
            case=case,
            kind=kind,
            status=Status.PROPOSED if kind == Kind.ADVANCE_PAYMENT else Status.OPEN,
            organisation=org,
            reason=reason,
            opened_at=now,
            opened_by=actor if _is_user(actor) else None,
            amount=money,
            worker_count=workers,
            details=details,
        )
        if escalation.status == Status.OPEN:
            _assign(case, org, actor, now)
        payload = _payload(escalation, reason=reason, details=details)
        if kind == Kind.PROPERTY_PRESERVATION:
            deadline = deadline_start(case, DeadlineKind.PROPERTY_PRESERVATION, now)
            payload["due_at"] = deadline.due_at.isoformat()
            payload["due_provisional"] = deadline.provisional
            next_due_refresh(case)
            case.save(update_fields=["next_due_at", "next_due_kind", "updated_at"])
        if money is not None:
            payload["amount"] = str(money)
        if workers is not None:
            payload["worker_count"] = workers
        action = "case.escalation_proposed" if escalation.status == Status.PROPOSED else "case.escalation_opened"
        event_append(actor=actor, action=action, obj=case, payload=payload)
        _notify_opened(case, escalation, actor)
        return escalation


def _check_advance_figures(case: Case, money: Decimal | None, workers: int | None, errors: dict) -> None:
    if case.amount_verified is None or not case.workers_verified:
        errors.setdefault("amount", []).append("案件尚未核实欠薪金额和人数,须先完成核实才能提请垫付")
        return
    if money is not None and money > case.amount_verified:
        errors.setdefault("amount", []).append(f"垫付金额不能超过核实欠薪金额{case.amount_verified:,.2f}元")
    if workers is not None and workers > case.workers_verified:
        errors.setdefault("worker_count", []).append(f"垫付人数不能超过核实涉及人数{case.workers_verified}人")


def _notify_opened(case: Case, escalation: Escalation, actor) -> None:
    label = escalation.get_kind_display()
    if escalation.kind == Kind.ADVANCE_PAYMENT:
        office = escalation.organisation or office_for(case)
        body = f"提请垫付{escalation.amount:,.2f}元、{escalation.worker_count}人。理由:{escalation.reason}"
        leaders = office_leaders(office)
        subject = approval_subject(escalation)
        for leader in leaders:
            notify_about_case(case=case, user=leader, title=f"案件{case.number}提请应急周转金垫付,待您审批", body=body, subject=subject)
        if office is not None and not leaders:
            notify_about_case(case=case, organisation=office, title=f"案件{case.number}提请应急周转金垫付,待领导审批", body=body, subject=subject)
        return
    org = escalation.organisation
    if org is None or (_is_user(actor) and actor.organisation_id == org.pk):
        return
    notify_about_case(case=case, organisation=org, title=f"案件{case.number}:{label}", body=escalation.reason)


def escalation_approve(*, actor, escalation: Escalation, approved: bool, note: str = "") -> Escalation:
    """An office leader decides on a proposed advance payment. Approved: it opens, the approver is
    recorded and the case's advance-payment deadline is met. Not approved: the reason is required."""
    if not _is_user(actor) or actor.role not in APPROVER_ROLES:
        raise PermissionDenied("只有清欠办领导可以审批应急周转金垫付")
    errors: dict = {}
    note = _text(note, "note", "不予批准的理由", errors, minimum=MIN_REASON) if not approved else (note or "").strip()
    _raise(errors)
    with transaction.atomic():
        case, escalation = _locked_escalation(escalation)
        if escalation.kind != Kind.ADVANCE_PAYMENT:
            raise ValidationError(f"“{escalation.get_kind_display()}”无需审批")
        if escalation.status != Status.PROPOSED:
            raise ValidationError(f"该垫付申请{escalation.get_status_display()},不能再审批")
        if not _in_scope(actor, case):
            raise PermissionDenied("该案件不在您的管辖范围内")
        now = timezone.now()
        escalation.approval_note = note
        if approved:
            if not case.is_open:
                raise ValidationError(f"案件{case.number}{case.get_state_display()},无需垫付")
            _check_advance_figures(case, escalation.amount, escalation.worker_count, errors)
            _raise(errors)
            escalation.status, escalation.approved_at, escalation.approved_by = Status.OPEN, now, actor
            escalation.save(update_fields=["status", "approved_at", "approved_by", "approval_note"])
            _assign(case, escalation.organisation, actor, now)
            deadline_meet(case, [DeadlineKind.ADVANCE_PAYMENT_TRIGGER], now)
            next_due_refresh(case)
            case.save(update_fields=["next_due_at", "next_due_kind", "updated_at"])
            event_append(
                actor=actor,
                action="case.escalation_approved",
                obj=case,
                payload=_payload(escalation, amount=str(escalation.amount), worker_count=escalation.worker_count, note=note),
            )
        else:
            escalation.status, escalation.closed_at, escalation.closed_by = Status.REJECTED, now, actor
            escalation.save(update_fields=["status", "closed_at", "closed_by", "approval_note"])
            event_append(actor=actor, action="case.escalation_rejected", obj=case, payload=_payload(escalation, note=note))
        # Decided: the "待您审批" notices of every leader asked are done, not left unread.
        from wagewatch.notify.services import notifications_close_subject

        notifications_close_subject(subject=approval_subject(escalation))
        if escalation.opened_by_id and escalation.opened_by_id != actor.pk:
            verdict = "已批准" if approved else "未批准"
            notify_about_case(case=case, user=escalation.opened_by, title=f"案件{case.number}的垫付申请{verdict}", body=note)
        return escalation


def escalation_close(*, actor, escalation: Escalation, outcome: str, judicial_confirmation: bool = False) -> Escalation:
    """Finish an escalation with its outcome (for a mediation agreement, whether it was judicially
    confirmed). An advance payment closes with what is still to be recovered shown."""
    errors: dict = {}
    outcome = _text(outcome, "outcome", "办理结果", errors, minimum=2)
    if judicial_confirmation and escalation.kind != Kind.MEDIATION:
        errors.setdefault("judicial_confirmation", []).append("只有调解协议可以申请司法确认")
    _raise(errors)
    with transaction.atomic():
        case, escalation = _locked_escalation(escalation)
        if escalation.status == Status.PROPOSED:
            raise ValidationError("垫付申请尚未审批,不能办结")
        if escalation.status != Status.OPEN:
            raise ValidationError(f"该处置{escalation.get_status_display()}")
        if not can_close(actor, escalation) or not _in_scope(actor, case):
            raise PermissionDenied(f"您无权办结该“{escalation.get_kind_display()}”")
        now = timezone.now()
        escalation.status, escalation.outcome, escalation.closed_at, escalation.closed_by = Status.CLOSED, outcome, now, actor
        escalation.judicial_confirmation = bool(judicial_confirmation)
        escalation.save(update_fields=["status", "outcome", "closed_at", "closed_by", "judicial_confirmation"])
        _unassign(escalation, now)
        if escalation.kind == Kind.PROPERTY_PRESERVATION:
            deadline_meet(case, [DeadlineKind.PROPERTY_PRESERVATION], now)
            next_due_refresh(case)
            case.save(update_fields=["next_due_at", "next_due_kind", "updated_at"])
        payload = _payload(escalation, outcome=outcome)
        if escalation.kind == Kind.MEDIATION:
            payload["judicial_confirmation"] = escalation.judicial_confirmation
        if escalation.kind == Kind.ADVANCE_PAYMENT:
            payload.update(amount=str(escalation.amount), recovered=str(escalation.recovered_amount), remaining=str(escalation.remaining_amount))
        event_append(actor=actor, action="case.escalation_closed", obj=case, payload=payload)
        return escalation


def advance_recovery_record(*, actor, escalation: Escalation, amount, recovered_on, note: str = "") -> AdvanceRecovery:
    """Record money recovered from the debtor after an approved advance payment (追偿); the total
    recovered never exceeds the amount advanced."""
    if not _is_user(actor) or actor.role not in FUND_ROLES:
        raise PermissionDenied("只有清欠办可以登记垫付追偿")
    errors: dict = {}
    money = _money(amount, "amount", "追回金额", errors)
    if money is not None and money <= 0:
        errors.setdefault("amount", []).append("追回金额应大于0")
    day = _parse_date(recovered_on, "recovered_on", "追回日期", errors)
    today = timezone.now().astimezone(SHANGHAI).date()
    if day is not None and day > today:
        errors.setdefault("recovered_on", []).append("追回日期不能晚于今天")
    note = (note or "").strip()
    if len(note) > 255:
        errors.setdefault("note", []).append("说明不超过255字")
    _raise(errors)
    with transaction.atomic():
        case, escalation = _locked_escalation(escalation)
        if escalation.kind != Kind.ADVANCE_PAYMENT:
            raise ValidationError("只有应急周转金垫付需要登记追偿")
        if escalation.status != Status.OPEN:
            raise ValidationError("垫付尚未批准,不能登记追偿" if escalation.status == Status.PROPOSED else f"该垫付{escalation.get_status_display()},不能再登记追偿")
        if not _in_scope(actor, case):
            raise PermissionDenied("该案件不在您的管辖范围内")
        approved_day = escalation.approved_at.astimezone(SHANGHAI).date() if escalation.approved_at else None
        if approved_day and day < approved_day:
            errors.setdefault("recovered_on", []).append(f"追回日期不能早于垫付批准日期{approved_day.isoformat()}")
        remaining = escalation.remaining_amount
        if money > remaining:
            errors.setdefault("amount", []).append(
                f"追回金额合计不能超过垫付金额{escalation.amount:,.2f}元(已追回{escalation.recovered_amount:,.2f}元,尚可追回{remaining:,.2f}元)"
            )
        _raise(errors)
        recovery = AdvanceRecovery.objects.create(escalation=escalation, amount=money, recovered_on=day, note=note, recorded_by=actor)
        escalation.recovered_amount += money
        escalation.save(update_fields=["recovered_amount"])
        event_append(
            actor=actor,
            action="case.escalation_recovery",
            obj=case,
            payload=_payload(
                escalation,
                amount=str(money),
                recovered_on=day.isoformat(),
                recovered=str(escalation.recovered_amount),
                remaining=str(escalation.remaining_amount),
                note=note,
            ),
        )
        return recovery
