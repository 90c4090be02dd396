"""Every write to a case. Each service runs in one transaction: it locks the case row, checks the
transition table (`lifecycle`), writes, appends the history event and sends `case_transitioned`
(workers get a message, in the same transaction).

Registration itself lives in `intake.services.complaint_register`, which calls `case_open` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from wagewatch.core.calendar import deadline_for
from wagewatch.core.models import Organisation, Role, TimeLimit, User
from wagewatch.core.values import amount_check, count_check
from wagewatch.history.services import event_append, events_append

from . import numbers
from .deadlines import deadline_cancel, deadline_meet, deadline_start, next_due_refresh
from .lifecycle import check_actor, transition_for
from .models import (
    Callback,
    Case,
    CaseAssignment,
    CaseDeadline,
    CaseState,
    ClueOutcome,
    DeadlineKind,
    FollowUp,
    MajorCaseThreshold,
)
from .routing import RoutingDecision, route
from .signals import case_transitioned

OFFICE_ROLES = {Role.WINDOW_CLERK, Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.ADMINISTRATOR}
UNIT_ROLES = {Role.UNIT_HANDLER, Role.UNIT_LEADER, Role.LABOUR_INSPECTOR}


# ---------------------------------------------------------------- who is acting


def actor_kinds(actor, case: Case) -> set[str]:
    """What an actor is with respect to a case: "system", "office", "unit" (of the active lead
    unit), "worker" (a string label like "劳动者:138****0000"). The caller has already checked
    that the case is in the actor's scope."""
    if actor is None:
        return {"system"}
    if isinstance(actor, str):
        return {"worker"} if actor.startswith("劳动者") else {"system"}
    kinds = set()
    if actor.role in OFFICE_ROLES:
        kinds.add("office")
    if actor.role in UNIT_ROLES and actor.organisation_id and actor.organisation_id == case.lead_organisation_id:
        kinds.add("unit")
    return kinds


def _require(t, actor, case: Case) -> None:
    kinds = actor_kinds(actor, case)
    for kind in kinds:
        if kind in t.actors:
            return
    check_actor(t, next(iter(kinds), ""))


def _locked(case: Case) -> Case:
    """Re-read the case under a row lock: two clicks on one button do one thing."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _money(value, field: str, label: str, errors: dict, *, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(f"{label}必填")
        return None
    try:
        return amount_check(value)
    except ValueError as exc:
        errors.setdefault(field, []).append(f"{label}{exc}")
        return None


def _count(value, field: str, label: str, errors: dict, *, required: bool = True, minimum: int = 0) -> int | None:
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(f"{label}必填")
        return None
    try:
        return count_check(value, minimum=minimum)
    except ValueError as exc:
        errors.setdefault(field, []).append(f"{label}{exc}")
        return None


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _transition(
    case: Case, action: str, *, actor, payload: dict | None = None, reason: str = "", fields=(), authorised: bool = False
) -> Case:
    """Move a locked case along the table, save the listed fields, record and signal.
    `authorised`: the caller already checked the actor before changing the case in memory."""
    t = transition_for(action, case.state)
    if not authorised:
        _require(t, actor, case)
    from_state = case.state
    case.state = t.target
    next_due_refresh(case)
    case.save(update_fields=["state", "next_due_at", "next_due_kind", "updated_at", *fields])
    body = {"from": from_state, "to": t.target, **(payload or {})}
    if reason:
        body["reason"] = reason
    event_append(actor=actor, action=f"case.{action}", obj=case, payload=body)
    case_transitioned.send(sender=Case, case=case, from_state=from_state, to_state=t.target, action=action, actor=actor, reason=reason)
    return case


# ---------------------------------------------------------------- opening


def major_threshold() -> MajorCaseThreshold:
    return MajorCaseThreshold.objects.order_by("pk").first() or MajorCaseThreshold()


def major_reason_for(amount: Decimal, workers: int, threshold: MajorCaseThreshold | None = None) -> str:
    threshold = threshold or major_threshold()
    reasons = []
    if amount >= threshold.min_amount:
        reasons.append(f"欠薪金额{amount:,.2f}元≥{threshold.min_amount:,.0f}元")
    if workers >= threshold.min_workers:
        reasons.append(f"涉及{workers}人≥{threshold.min_workers}人")
    return ";".join(reasons)


OPENING_DEADLINES = (DeadlineKind.FIRST_CONTACT, DeadlineKind.RESPOND, DeadlineKind.VERIFY, DeadlineKind.CLOSE)


def case_open(
    *,
    actor,
    channel: str,
    received_at: datetime,
    territory,
    industry: str,
    employer,
    employer_name: str,
    employer_name_normalised: str,
    employer_credit_code: str,
    project,
    project_name: str,
    site_address: str,
    amount_owed: Decimal,
    worker_count: int,
    summary: str,
    complainant_present: bool,
    limits: dict[str, TimeLimit] | None = None,
    dispatch: RoutingDecision | None = None,
    dispatch_actor=None,
) -> Case:
    """Create a case in the registered state with its number and opening deadlines. Called by
    `complaint_register` inside its transaction (which records the registration event).

    With `dispatch` (a routing decision naming a lead unit) the case is dispatched in the same
    step, as `dispatch_actor`, checked against the transition table like any dispatch; the
    dispatch event is left in `case.dispatch_event` (action, case, payload, actor) for the caller
    to append with the registration's events, and the caller sends `case_transitioned`."""
    now = timezone.now()
    case = Case(
        number=numbers.number_next(numbers.CASE, now),
        state=CaseState.REGISTERED,
        channel=channel,
        territory=territory,
        territory_path=territory.path,
        industry=industry,
        employer=employer,
        employer_name=employer_name,
        employer_name_normalised=employer_name_normalised,
        employer_credit_code=employer_credit_code,
        project=project,
        project_name=project_name,
        site_address=site_address,
        amount_owed=amount_owed,
        worker_count=worker_count,
        summary=summary,
        received_at=received_at,
        registered_at=now,
        registered_by=actor if isinstance(actor, User) else None,
        commitment_letter_issued_at=now,
    )
    reason = major_reason_for(amount_owed, worker_count)
    if reason:
        case.is_major, case.major_reason, case.listed_supervision = True, reason, True
    if complainant_present:
        case.first_contact_at = now
    if limits is None:
        limits = {t.key: t for t in TimeLimit.objects.filter(key__in=OPENING_DEADLINES)}
    rows = []
    for kind in OPENING_DEADLINES:
        due = deadline_for(limits[kind], received_at)
        row = CaseDeadline(kind=kind, time_limit_key=kind, started_at=received_at, due_at=due.due_at, provisional=due.provisional)
        if complainant_present and kind in (DeadlineKind.FIRST_CONTACT, DeadlineKind.RESPOND):
            # At the window the complainant is in front of the clerk: contacted and answered.
            row.status, row.met_at = CaseDeadline.Status.MET, now
        rows.append(row)
    first_open = min((r for r in rows if r.status == CaseDeadline.Status.OPEN), key=lambda r: r.due_at)
    case.next_due_at, case.next_due_kind = first_open.due_at, first_open.kind
    case.dispatch_event = None
    if dispatch is not None and dispatch.lead is not None:
        _require(transition_for("dispatch", CaseState.REGISTERED), dispatch_actor, case)
        case.state = CaseState.DISPATCHED
        case.lead_organisation, case.routing_rule, case.dispatched_at = dispatch.lead, dispatch.rule, now
        close = next(r for r in rows if r.kind == DeadlineKind.CLOSE)
        case.save()
        payload = _assignments_create(
            case, dispatch, actor=dispatch_actor, leader=dispatch.lead.leader_name or LEADER_PENDING, person=PERSON_PENDING,
            measures=DEFAULT_MEASURES, due_at=close.due_at, due_provisional=close.provisional, now=now,
        )
        case.dispatch_event = ("case.dispatch", case, {"from": CaseState.REGISTERED, "to": CaseState.DISPATCHED, **payload}, dispatch_actor)
    else:
        case.save()
    for row in rows:
        row.case = case
    CaseDeadline.objects.bulk_create(rows)
    return case


# ---------------------------------------------------------------- dispatch


@dataclass
class DispatchPlan:
    """What a dispatch will do; the clerk sees it before confirming."""

    decision: RoutingDecision
    due_at: datetime | None
    due_provisional: bool


def dispatch_plan(case: Case) -> DispatchPlan:
    decision = route(industry=case.industry, territory=case.territory, project=case.project)
    close = case.deadlines.filter(kind=DeadlineKind.CLOSE, status=CaseDeadline.Status.OPEN).first()
    return DispatchPlan(decision, close.due_at if close else None, close.provisional if close else False)


def case_dispatch(
    *,
    actor,
    case: Case,
    lead: Organisation | None = None,
    responsible_leader: str = "",
    responsible_person: str = "",
    measures: str = "",
    assisting: list[Organisation] | None = None,
) -> Case:
    """Hand the case to its lead unit with a dispatch order (the "五个有"), copy the industry
    authority and notify the general contractor's headquarters ("三交办"). Without `lead` the
    routing rules decide; `assisting` given replaces the rules' assisting units."""
    with transaction.atomic():
        case = _locked(case)
        transition_for("dispatch", case.state)
        decision = route(industry=case.industry, territory=case.territory, project=case.project)
        if lead is not None:
            decision = RoutingDecision(
                rule=decision.rule if decision.lead == lead else None,
                lead=lead,
                assisting=[o for o in decision.assisting if o != lead],
                copy=[o for o in decision.copy if o != lead],
                notified=decision.notified,
                explanation=f"由{actor}指定{lead.name}牵头办理" if decision.lead != lead else decision.explanation,
            )
        if decision.lead is None:
            raise ValidationError({"lead": [decision.explanation or "请指定牵头责任单位"]})
        if assisting is not None:
            decision.assisting = [o for o in assisting if o != decision.lead]
        # The unit's registered leader unless the office names another; a unit without one on
        # file names its leader when it signs (the order says so rather than blocking dispatch).
        leader = (responsible_leader or decision.lead.leader_name or "").strip() or LEADER_PENDING
        measures = (measures or "").strip() or DEFAULT_MEASURES
        person = (responsible_person or "").strip() or PERSON_PENDING
        now = timezone.now()
        # A re-dispatch ends the previous unit's part (it returned the case or was replaced).
        CaseAssignment.objects.filter(case=case, active=True, role__in=[CaseAssignment.Role.LEAD, CaseAssignment.Role.ASSISTING]).update(
            active=False, ended_at=now, end_reason="重新转办"
        )
        close = case.deadlines.filter(kind=DeadlineKind.CLOSE, status=CaseDeadline.Status.OPEN).first()
        if close is None:
            close = deadline_start(case, DeadlineKind.CLOSE, now)
        existing = set(CaseAssignment.objects.filter(case=case, active=True).values_list("organisation_id", "role"))
        payload = _assignments_create(
            case, decision, actor=actor, leader=leader, person=person, measures=measures, due_at=close.due_at,
            due_provisional=close.provisional, now=now, existing=existing,
        )
        return _transition(case, "dispatch", actor=actor, fields=["lead_organisation", "routing_rule", "dispatched_at", "accepted_at"], payload=payload)


DEFAULT_MEASURES = "核实欠薪事实和金额,督促用人单位限期足额支付;无法解决的按规定提请监察立案或启动垫付。"
LEADER_PENDING = "待责任单位签收时明确"
PERSON_PENDING = "待签收单位指定"


def _assignments_create(
    case: Case, decision: RoutingDecision, *, actor, leader: str, person: str, measures: str, due_at, due_provisional: bool, now, existing=frozenset()
) -> dict:
    """Write the dispatch order and the other units' parts ("三交办") in one batch and set the
    case's lead fields in memory (the caller saves). Returns the dispatch event's payload."""
    dispatched_by = actor if isinstance(actor, User) else None
    order = CaseAssignment(
        case=case,
        organisation=decision.lead,
        role=CaseAssignment.Role.LEAD,
        order_number=numbers.number_next(numbers.DISPATCH_ORDER, now),
        responsible_leader=leader,
        responsible_person=person,
        measures=measures,
        due_at=due_at,
        due_provisional=due_provisional,
        dispatched_at=now,
        dispatched_by=dispatched_by,
    )
    rows = [order]
    for role, orgs in (
        (CaseAssignment.Role.ASSISTING, decision.assisting),
        (CaseAssignment.Role.COPY, decision.copy),
        (CaseAssignment.Role.NOTIFIED, decision.notified),
    ):
        for org in orgs:
            if (org.pk, role) not in existing:
                rows.append(CaseAssignment(case=case, organisation=org, role=role, dispatched_at=now, dispatched_by=dispatched_by, due_at=due_at))
    CaseAssignment.objects.bulk_create(rows)
    case.lead_organisation = decision.lead
    case.routing_rule = decision.rule
    case.dispatched_at = now
    case.accepted_at = None
    _dispatch_notify(case, order, decision.assisting)
    return {
        "order_number": order.order_number,
        "lead": decision.lead.name,
        "assisting": [o.name for o in decision.assisting],
        "copy": [o.name for o in decision.copy],
        "notified": [o.name for o in decision.notified],
        "due_at": due_at.isoformat(),
        "due_provisional": due_provisional,
        "rule": decision.rule.name if decision.rule else "",
    }


def dispatch_subject(case: Case) -> str:
    """The subject of the notices telling units of a dispatch (closed when the lead signs)."""
    return f"dispatch:{case.pk}"


def _dispatch_notify(case: Case, order: CaseAssignment, assisting: list[Organisation]) -> None:
    """Tell the lead unit (and each assisting unit) of the dispatch in its notices, in the
    dispatch's transaction. A re-dispatch first closes the notices of the previous dispatch."""
    from django.urls import reverse

    from wagewatch.notify.models import Notification
    from wagewatch.notify.services import notification_create, notifications_close_subject

    subject = dispatch_subject(case)
    notifications_close_subject(subject=subject)
    due = timezone.localtime(order.due_at).strftime("%Y-%m-%d %H:%M") if order.due_at else "按转办单"
    about = f"用人单位:{case.employer_display_name};欠薪{case.amount_owed:,.2f}元、{case.worker_count}人;办结期限{due}"
    if order.due_provisional:
        about += "(暂定)"
    link = reverse("cases:detail", args=[case.pk])
    common = {"link": link, "case_number": case.number, "kind": Notification.Kind.DISPATCH, "subject": subject}
    notification_create(
        organisation=order.organisation,
        title=f"案件{case.number}转办本单位牵头办理,待签收",
        body=f"转办单号{order.order_number}。{about}。请签收并指定责任人。",
        **common,
    )
    for org in assisting:
        if org.pk != order.organisation_id:
            notification_create(
                organisation=org,
                title=f"案件{case.number}转办{order.organisation.name}牵头办理,本单位协办",
                body=f"转办单号{order.order_number}。{about}。",
                **common,
            )


def lead_assignment(case: Case) -> CaseAssignment | None:
    return case.assignments.filter(role=CaseAssignment.Role.LEAD, active=True).select_related("organisation").first()


def case_accept(*, actor, case: Case, responsible_person: str = "") -> Case:
    """The lead unit signs for the case (签收) and names its person in charge."""
    with transaction.atomic():
        case = _locked(case)
        t = transition_for("accept", case.state)
        _require(t, actor, case)
        now = timezone.now()
        person = (responsible_person or "").strip() or getattr(actor, "full_name", "") or str(actor)
        CaseAssignment.objects.filter(case=case, role=CaseAssignment.Role.LEAD, active=True).update(
            accepted_at=now, accepted_by=actor, responsible_person=person
        )
        deadline_meet(case, [DeadlineKind.RESPOND], now)
        case.accepted_at = now
        from wagewatch.notify.services import notifications_close_subject

        # Signed for: the unit's "待签收" notice is done (assisting units keep theirs to read).
        notifications_close_subject(subject=dispatch_subject(case), organisation=case.lead_organisation)
        return _transition(case, "accept", actor=actor, fields=["accepted_at"], payload={"responsible_person": person})


def case_return(*, actor, case: Case, reason: str) -> Case:
    """The lead unit sends a misrouted case back to the office with the reason; the office
    dispatches it again. The deadlines keep running: the worker's wait does not restart."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": ["请写明退回理由(不少于4个字),例如应由哪个单位办理"]})
    with transaction.atomic():
        case = _locked(case)
        t = transition_for("return", case.state)
        _require(t, actor, case)
        now = timezone.now()
        returning = case.lead_organisation
        CaseAssignment.objects.filter(case=case, active=True, role__in=[CaseAssignment.Role.LEAD, CaseAssignment.Role.ASSISTING]).update(
            active=False, ended_at=now, end_reason=f"退回:{reason}"[:500]
        )
        case.lead_organisation = None
        return _transition(
            case,
            "return",
            actor=actor,
            reason=reason,
            fields=["lead_organisation"],
            payload={"unit": returning.name if returning else ""},
            authorised=True,
        )


def case_verification_start(*, actor, case: Case, note: str = "") -> Case:
    with transaction.atomic():
        case = _locked(case)
        return _transition(case, "verify", actor=actor, payload={"note": note.strip()} if note.strip() else None)


def case_facts_confirm(*, actor, case: Case, amount_verified, workers_verified, facts_clear: bool, note: str = "") -> Case:
    """Verification done: record the verified amount and workers. When facts and amount are
    clear the advance-payment clock starts (5 working days by default)."""
    errors: dict = {}
    amount = _money(amount_verified, "amount_verified", "核实欠薪金额", errors)
    workers = _count(workers_verified, "workers_verified", "核实涉及人数", errors, minimum=1)
    _raise(errors)
    with transaction.atomic():
        case = _locked(case)
        t = transition_for("handle", case.state)
        _require(t, actor, case)
        now = timezone.now()
        deadline_meet(case, [DeadlineKind.VERIFY], now)
        case.amount_verified, case.workers_verified = amount, workers
        fields = ["amount_verified", "workers_verified"]
        if facts_clear:
            case.facts_clear_at = now
            fields.append("facts_clear_at")
            deadline_start(case, DeadlineKind.ADVANCE_PAYMENT_TRIGGER, now)
        reason = major_reason_for(amount, workers)
        if reason and not case.is_major:
            case.is_major, case.major_reason, case.listed_supervision = True, reason, True
            fields += ["is_major", "major_reason", "listed_supervision"]
        return _transition(
            case,
            "handle",
            actor=actor,
            fields=fields,
            payload={"amount_verified": str(amount), "workers_verified": workers, "facts_clear": facts_clear, "note": note.strip()},
        )


def case_resolve(*, actor, case: Case, amount_paid, workers_paid, summary: str) -> Case:
    """The unit reports the wages paid. Needs the amount, the number of workers paid and at
    least one piece of closure evidence (payment record, receipts) uploaded on the case."""
    errors: dict = {}
    amount = _money(amount_paid, "amount_paid", "已支付金额", errors)
    workers = _count(workers_paid, "workers_paid", "已支付人数", errors, minimum=1)
    summary = (summary or "").strip()
    if not summary:
        errors.setdefault("summary", []).append("请填写办理结果(如何解决、何时支付)")
    with transaction.atomic():
        case = _locked(case)
        t = transition_for("resolve", case.state)
        _require(t, actor, case)
        from wagewatch.intake.models import Evidence

        if not Evidence.objects.filter(case=case, purpose=Evidence.Purpose.CLOSURE).exists():
            errors.setdefault("evidence", []).append("请先上传支付凭证等结案材料(银行流水、签收表或照片)")
        _raise(errors)
        now = timezone.now()
        deadline_meet(case, [DeadlineKind.CLOSE, DeadlineKind.ADVANCE_PAYMENT_TRIGGER, DeadlineKind.VERIFY, DeadlineKind.RESPOND, DeadlineKind.FIRST_CONTACT], now)
        case.amount_paid, case.workers_paid, case.resolution_summary, case.resolved_at = amount, workers, summary, now
        return _transition(
            case,
            "resolve",
            actor=actor,
            fields=["amount_paid", "workers_paid", "resolution_summary", "resolved_at"],
            payload={"amount_paid": str(amount), "workers_paid": workers, "summary": summary},
        )


def case_callback_record(
    *, actor, case: Case, resolved: bool, paid_in_full: bool, lawful: bool, satisfied: bool, note: str = "", method: str = Callback.Method.PHONE
) -> Callback:
    """Record the callback (回访). Resolved and paid in full: the case is called back and can be
    closed. Otherwise it is reopened for the unit to go on."""
    with transaction.atomic():
        case = _locked(case)
        callback = Callback(
            case=case,
            method=method,
            resolved=resolved,
            paid_in_full=paid_in_full,
            lawful=lawful,
            satisfied=satisfied,
            note=(note or "").strip(),
            called_at=timezone.now(),
            called_by=actor if isinstance(actor, User) else None,
        )
        answers = {"resolved": resolved, "paid_in_full": paid_in_full, "lawful": lawful, "satisfied": satisfied, "method": method}
        if callback.confirms_resolution:
            t = transition_for("callback", case.state)
            _require(t, actor, case)
            callback.save()
            _transition(case, "callback", actor=actor, payload=answers)
        else:
            t = transition_for("reopen", case.state)
            _require(t, actor, case)
            callback.save()
            _reopen(case, actor=actor, reason="回访反映问题未解决或工资未足额支付" + (f":{callback.note}" if callback.note else ""), payload=answers)
        return callback


def _reopen(case: Case, *, actor, reason: str, payload: dict | None = None) -> Case:
    from wagewatch.notify.services import notifications_close_subject

    from .followups import reopen_request_subject

    now = timezone.now()
    # A unit's follow-up asked the office to reopen: done now, whoever reopened and why.
    notifications_close_subject(subject=reopen_request_subject(case))
    case.reopen_count += 1
    case.resolved_at = None
    case.closed_at = None
    deadline_start(case, DeadlineKind.CLOSE, now)
    CaseAssignment.objects.filter(case=case, role=CaseAssignment.Role.LEAD, active=True).update(
        due_at=case.deadlines.get(kind=DeadlineKind.CLOSE, status=CaseDeadline.Status.OPEN).due_at
    )
    return _transition(case, "reopen", actor=actor, reason=reason, fields=["reopen_count", "resolved_at", "closed_at"], payload=payload)


def case_reopen(*, actor, case: Case, reason: str) -> Case:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": ["请写明重新办理的理由(不少于4个字)"]})
    with transaction.atomic():
        case = _locked(case)
        t = transition_for("reopen", case.state)
        _require(t, actor, case)
        return _reopen(case, actor=actor, reason=reason)


def case_close(*, actor, case: Case, note: str = "") -> Case:
    """Close a called-back case. Sets up the 3-month follow-up of the employer that settled."""
    with transaction.atomic():
        case = _locked(case)
        t = transition_for("close", case.state)
        _require(t, actor, case)
        errors: dict = {}
        if case.amount_paid is None or not case.workers_paid:
            errors.setdefault("amount_paid", []).append("结案前须登记已支付金额和已支付人数")
        last = case.callbacks.order_by("-called_at", "-pk").first()
        if last is None or not last.confirms_resolution:
            errors.setdefault("callback", []).append("结案前须回访确认问题已解决、工资已足额支付")
        _raise(errors)
        now = timezone.now()
        deadline_cancel(case)
        case.closed_at = now
        if case.employer_id:
            due = _follow_up_due(now)
            FollowUp.objects.create(
                case=case, kind=FollowUp.Kind.SETTLED_ENTERPRISE, enterprise_id=case.employer_id, organisation=case.lead_organisation, due_at=due
            )
        return _transition(case, "close", actor=actor, fields=["closed_at"], payload={"note": note.strip()} if note.strip() else None)


def case_close_no_arrears(*, actor, case: Case, note: str) -> Case:
    """Close an automatic case of the reconciliation as "核实无欠薪" (verified: no wages owed),
    without amount, workers paid or payment evidence. Allowed only when every warning that opened
    or joined the case has cleared and the case holds no complaint from anyone else
    (`payroll.reconciliation.warnings.case_no_arrears_check`). The unit (or the office) says how
    it verified; the office can still reopen it."""
    from wagewatch.payroll.reconciliation.warnings import case_no_arrears_check

    note = (note or "").strip()
    errors: dict = {}
    if len(note) < 4:
        errors.setdefault("note", []).append("请写明如何核实无欠薪(不少于4个字,如:重新核对后考勤、工资表与银行代发一致)")
    with transaction.atomic():
        case = _locked(case)
        t = transition_for("close_no_arrears", case.state)
        _require(t, actor, case)
        reasons = case_no_arrears_check(case)
        if reasons:
            errors.setdefault("state", []).extend(reasons)
        _raise(errors)
        now = timezone.now()
        deadline_cancel(case)
        case.closed_at = now
        case.resolution_summary = f"核实无欠薪:{note}"
        return _transition(
            case, "close_no_arrears", actor=actor, fields=["closed_at", "resolution_summary"], payload={"note": note}, authorised=True
        )


def _follow_up_due(now: datetime) -> datetime:
    return deadline_for("settled_enterprise_follow_up", now).due_at


# ---------------------------------------------------------------- merging and splitting


def case_merge(*, actor, case: Case, into: Case, reason: str = "") -> Case:
    """Merge `case` into `into`: its complaints, evidence and figures move over; `case` ends
    merged. Both timelines record it."""
    if case.pk == into.pk:
        raise ValidationError({"into": ["不能把案件并入它自己"]})
    with transaction.atomic():
        first, second = sorted([case.pk, into.pk])
        locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
        case, into = locked[case.pk], locked[into.pk]
        if not into.is_open:
            raise ValidationError({"into": [f"案件{into.number}已{into.get_state_display()},不能并入"]})
        t = transition_for("merge", case.state)
        _require(t, actor, case)
        from wagewatch.intake.models import Complaint, Evidence

        moved = list(case.complaints.values_list("number", flat=True))
        Complaint.objects.filter(case=case).update(case=into, relation=Complaint.Relation.MERGED)
        Evidence.objects.filter(case=case).update(case=into)
        into.amount_owed += case.amount_owed
        into.worker_count += case.worker_count
        reason_major = major_reason_for(into.amount_owed, into.worker_count)
        fields = ["amount_owed", "worker_count", "updated_at"]
        if reason_major and not into.is_major:
            into.is_major, into.major_reason, into.listed_supervision = True, reason_major, True
            fields += ["is_major", "major_reason", "listed_supervision"]
        into.save(update_fields=fields)
        deadline_cancel(case)
        CaseAssignment.objects.filter(case=case, active=True).update(active=False, ended_at=timezone.now(), end_reason=f"并入{into.number}")
        case.merged_into = into
        event_append(
            actor=actor, action="case.merged_in", obj=into, payload={"from_case": case.number, "complaints": moved, "reason": reason.strip()}
        )
        return _transition(case, "merge", actor=actor, reason=reason.strip(), fields=["merged_into"], payload={"into": into.number, "complaints": moved})


# ---------------------------------------------------------------- other records on a case


def case_first_contact_record(*, actor, case: Case, note: str) -> Case:
    """Record that someone spoke to the complainant (首日对接)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ["请记录联系情况(联系方式、对方诉求)"]})
    with transaction.atomic():
        case = _locked(case)
        if not case.is_open:
            raise ValidationError(f"案件已{case.get_state_display()},无需首日对接")
        if not actor_kinds(actor, case) & {"office", "unit"}:
            raise PermissionDenied("您无权登记该案件的对接情况")
        now = timezone.now()
        deadline_meet(case, [DeadlineKind.FIRST_CONTACT, DeadlineKind.RESPOND], now)
        case.first_contact_at = case.first_contact_at or now
        next_due_refresh(case)
        case.save(update_fields=["first_contact_at", "next_due_at", "next_due_kind", "updated_at"])
        event_append(actor=actor, action="case.first_contact", obj=case, payload={"note": note})
        return case


def case_note_add(*, actor, case: Case, text: str) -> None:
    """A progress note (what was done today) on the case's timeline."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["请填写办理情况"]})
    if len(text) > 2000:
        raise ValidationError({"text": ["办理情况不超过2000字"]})
    with transaction.atomic():
        case = _locked(case)
        if not actor_kinds(actor, case) & {"office", "unit"}:
            raise PermissionDenied("您无权在该案件上登记办理情况")
        event_append(actor=actor, action="case.note_added", obj=case, payload={"text": text})


def case_major_set(*, actor, case: Case, is_major: bool, leader: User | None = None, reason: str = "") -> Case:
    """Put a case on the key monitoring list (or take it off) and name its leader (包案)."""
    if actor is None or getattr(actor, "role", None) not in {Role.OFFICE_LEADER, Role.OFFICE_STAFF, Role.ADMINISTRATOR}:
        raise PermissionDenied("只有清欠办可以设定重大案件和包案领导")
    errors: dict = {}
    if is_major and leader is None:
        errors.setdefault("leader", []).append("重大案件须指定包案领导")
    if leader is not None and leader.role not in {Role.OFFICE_LEADER, Role.UNIT_LEADER}:
        errors.setdefault("leader", []).append("包案领导应为清欠办领导或责任单位负责人")
    _raise(errors)
    with transaction.atomic():
        case = _locked(case)
        case.is_major = is_major
        case.listed_supervision = is_major
        case.major_leader = leader if is_major else None
        case.major_reason = (reason or "").strip() or case.major_reason or ("人工标记" if is_major else "")
        case.save(update_fields=["is_major", "listed_supervision", "major_leader", "major_reason", "updated_at"])
        event_append(
            actor=actor,
            action="case.major_set",
            obj=case,
            payload={"is_major": is_major, "leader": str(leader) if leader else "", "reason": case.major_reason},
        )
        return case


def case_clue_answer(*, actor, case: Case, outcome: ClueOutcome, reply_text: str = "") -> Case:
    """Answer a national-platform clue with an outcome from the fixed list and its reply."""
    if not actor_kinds(actor, case) & {"office", "unit"}:
        raise PermissionDenied("您无权答复该线索")
    if not outcome.active:
        raise ValidationError({"outcome": [f"核查结果“{outcome.name}”已停用"]})
    with transaction.atomic():
        case = _locked(case)
        from wagewatch.intake.models import Channel

        if not case.complaints.filter(channel=Channel.NATIONAL_PLATFORM).exists():
            raise ValidationError({"outcome": ["该案件不含全国根治欠薪线索反映平台的线索,无需答复"]})
        case.clue_outcome = outcome
        case.clue_reply_text = (reply_text or "").strip() or outcome.reply_text
        case.clue_answered_at = timezone.now()
        case.save(update_fields=["clue_outcome", "clue_reply_text", "clue_answered_at", "updated_at"])
        event_append(actor=actor, action="case.clue_answered", obj=case, payload={"outcome": outcome.code, "outcome_label": outcome.name, "reply": case.clue_reply_text})
        return case


def case_worker_rate(*, worker_label: str, case: Case, rating: int, comment: str = "") -> Case:
    """The complainant rates the outcome from the phone pages (after the case is resolved)."""
    errors: dict = {}
    if rating not in (1, 2, 3, 4, 5):
        errors.setdefault("rating", []).append("请选择1至5星的评价")
    comment = (comment or "").strip()
    if len(comment) > 500:
        errors.setdefault("comment", []).append("评价意见不超过500字")
    _raise(errors)
    with transaction.atomic():
        case = _locked(case)
        if case.state not in {CaseState.RESOLVED, CaseState.CALLED_BACK, CaseState.CLOSED}:
            raise ValidationError({"rating": ["案件办结后才能评价"]})
        case.worker_rating, case.worker_rating_comment, case.worker_rated_at = rating, comment, timezone.now()
        case.save(update_fields=["worker_rating", "worker_rating_comment", "worker_rated_at", "updated_at"])
        event_append(actor=worker_label, action="case.worker_rated", obj=case, payload={"rating": rating, "comment": comment})
        return case


def cases_events_for_deadline_changes(changed) -> None:
    """History events for deadlines moved by a calendar change (one batch)."""
    entries = [
        (
            "case.deadline_recomputed",
            row.case,
            {
                "kind": row.kind,
                "old_due_at": old_due.isoformat(),
                "new_due_at": row.due_at.isoformat(),
                "was_provisional": old_provisional,
                "provisional": row.provisional,
            },
        )
        for row, old_due, old_provisional in changed
    ]
    if entries:
        events_append(actor=None, entries=entries)
