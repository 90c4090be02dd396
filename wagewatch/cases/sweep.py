"""The periodic deadline job (every few minutes, `tasks.deadline_sweep`).

Three passes, each a query on the stored, indexed deadline columns, processed in chunks:

1. remind: open deadlines due within their kind's reminder window (`DeadlineRule.remind_before_minutes`)
   and not yet reminded: the handling unit (the office before dispatch) gets a notification;
2. overdue: open deadlines past due and not yet flagged: `overdue_at` is set, the case's timeline
   gets `case.deadline_overdue`, and the people the rule names are notified;
3. escalate: flagged deadlines whose rule escalates (listed supervision, labour inspection,
   advance-payment proposal) and that were not escalated yet: done once, `escalated_at` set.

Each row is stamped with a conditional update before anything else is done for it, so running the
job twice does nothing more. On PostgreSQL each chunk is claimed with SELECT ... FOR UPDATE SKIP
LOCKED (the deadline and its case), so two workers running at once take different rows and never
wait on a case a person is changing; such a row is simply picked up by the next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from wagewatch.core.calendar import SHANGHAI
from wagewatch.core.calendar_services import TIME_LIMIT_EDITOR_ROLES
from wagewatch.core.models import Organisation, Role, User
from wagewatch.history.services import event_append, events_append

from .deadlines import staff_deadline_text
from .escalations import Kind, escalation_open, notify_about_case, office_for
from .models import OPEN_STATES, Case, CaseDeadline, DeadlineKind, DeadlineRule

logger = logging.getLogger(__name__)

CHUNK_SIZE = 200
MAX_REMIND_MINUTES = 525600  # a year
Action = DeadlineRule.EscalateAction
ESCALATION_KIND = {Action.LABOUR_INSPECTION: Kind.LABOUR_INSPECTION, Action.PROPOSE_ADVANCE_PAYMENT: Kind.ADVANCE_PAYMENT}


@dataclass
class SweepResult:
    reminded: int = 0
    overdue: int = 0
    escalated: int = 0
    failed: int = 0


# ---------------------------------------------------------------- recipients


class Recipients:
    """Who to tell about a case, with the organisation and user look-ups cached for one run."""

    def __init__(self):
        self._offices: dict[str, Organisation | None] = {}
        self._leaders: dict[tuple[int, str], list[User]] = {}

    def office(self, case: Case) -> Organisation | None:
        if case.territory_path not in self._offices:
            self._offices[case.territory_path] = office_for(case)
        return self._offices[case.territory_path]

    def leaders(self, organisation: Organisation | None, role: str) -> list[User]:
        if organisation is None:
            return []
        key = (organisation.pk, role)
        if key not in self._leaders:
            self._leaders[key] = list(User.objects.filter(organisation=organisation, role=role, is_active=True).order_by("pk"))
        return self._leaders[key]

    def handling(self, case: Case) -> Organisation | None:
        """Who is handling the case now: the lead unit, or the office before (re-)dispatch."""
        return case.lead_organisation or self.office(case)

    def for_overdue(self, case: Case, rule: DeadlineRule) -> list[tuple[Organisation | None, User | None]]:
        found: list[tuple[Organisation | None, User | None]] = []

        def add(organisation=None, user=None):
            if (organisation, user) not in found and (organisation is not None or user is not None):
                found.append((organisation, user))

        if rule.overdue_notify_unit:
            add(organisation=self.handling(case))
        if rule.overdue_notify_unit_leader and case.lead_organisation is not None:
            leaders = self.leaders(case.lead_organisation, Role.UNIT_LEADER)
            for leader in leaders:
                add(user=leader)
            if not leaders:
                add(organisation=case.lead_organisation)
        office = self.office(case)
        if rule.overdue_notify_office and office is not None:
            add(organisation=office)
        if rule.overdue_notify_office_leader:
            leaders = self.leaders(office, Role.OFFICE_LEADER)
            for leader in leaders:
                add(user=leader)
            if not leaders and office is not None:
                add(organisation=office)
            if case.major_leader_id and case.major_leader.is_active:
                add(user=case.major_leader)
        return found


# ---------------------------------------------------------------- claiming rows


LOCK_WAIT_SECONDS = 30.0
LOCK_WAIT_STEP = 0.1


def _skip_locked() -> bool:
    features = connection.features
    return bool(features.has_select_for_update and features.has_select_for_update_skip_locked)


def _claim(qs: QuerySet, size: int, skip: set[int]) -> list[CaseDeadline]:
    if skip:
        qs = qs.exclude(pk__in=skip)
    if _skip_locked():
        of = ("self", "case") if connection.features.has_select_for_update_of else ()
        qs = qs.select_for_update(skip_locked=True, of=of)
    return list(qs.select_related("case", "case__lead_organisation", "case__major_leader")[:size])


def _run(qs: QuerySet, handle: Callable[[CaseDeadline], bool], *, chunk_size: int, result: SweepResult, after_chunk=None) -> int:
    """Claim chunks of `qs` until none is left; `handle` one row at a time in a savepoint (a row
    that fails is logged and left for the next run, the others go on). Returns rows handled.

    When nothing can be claimed but rows still match, another sweep holds their case (say, its
    escalation pass, which locks cases this pass needs): wait for it to commit and claim them
    then, instead of leaving them to the next run. Rows another sweep handles stop matching when
    it commits, so the wait ends."""
    done = 0
    skip: set[int] = set()
    waited = 0.0
    while True:
        with transaction.atomic():
            rows = _claim(qs, chunk_size, skip)
            if rows:
                done += _handle_chunk(rows, handle, result, skip, after_chunk)
                continue
            held_elsewhere = _skip_locked() and waited < LOCK_WAIT_SECONDS and qs.exclude(pk__in=skip).exists()
        if not held_elsewhere:
            return done
        time.sleep(LOCK_WAIT_STEP)
        waited += LOCK_WAIT_STEP


def _handle_chunk(rows, handle, result: SweepResult, skip: set[int], after_chunk) -> int:
    handled = []
    for row in rows:
        try:
            with transaction.atomic():
                if handle(row):
                    handled.append(row)
        except Exception:
            logger.exception("期限 %s(案件%s)处理失败,下次再试", row.pk, row.case.number)
            result.failed += 1
            skip.add(row.pk)
    if after_chunk is not None and handled:
        after_chunk(handled)
    return len(handled)


# ---------------------------------------------------------------- the three passes


def _kind_label(kind: str) -> str:
    return DeadlineKind(kind).label if kind in DeadlineKind.values else kind


def _remind_pass(rule: DeadlineRule, now: datetime, recipients: Recipients, chunk_size: int, result: SweepResult) -> int:
    window = now + timedelta(minutes=rule.remind_before_minutes)
    qs = CaseDeadline.objects.filter(
        status=CaseDeadline.Status.OPEN,
        kind=rule.kind,
        overdue_at__isnull=True,
        reminded_at__isnull=True,
        due_at__gt=now,
        due_at__lte=window,
        case__state__in=OPEN_STATES,
    ).order_by("due_at")

    def handle(row: CaseDeadline) -> bool:
        if not CaseDeadline.objects.filter(pk=row.pk, reminded_at__isnull=True).update(reminded_at=now):
            return False  # stamped by another run meanwhile
        case = row.case
        target = recipients.handling(case)
        if target is not None:
            provisional = "(暂定,节假日安排公布后可能调整)" if row.provisional else ""
            notify_about_case(
                case=case,
                organisation=target,
                title=f"案件{case.number}{_kind_label(row.kind)}期限即将到期",
                body=f"请于{staff_deadline_text(row.kind, row.due_at)}{provisional}。",
                kind="reminder",
            )
        return True

    return _run(qs, handle, chunk_size=chunk_size, result=result)


def _overdue_pass(rules: dict[str, DeadlineRule], now: datetime, recipients: Recipients, chunk_size: int, result: SweepResult) -> int:
    qs = CaseDeadline.objects.filter(
        status=CaseDeadline.Status.OPEN, overdue_at__isnull=True, due_at__lte=now, case__state__in=OPEN_STATES
    ).order_by("due_at")

    def handle(row: CaseDeadline) -> bool:
        if not CaseDeadline.objects.filter(pk=row.pk, overdue_at__isnull=True).update(overdue_at=now):
            return False
        row.overdue_at = now
        rule = rules.get(row.kind) or DeadlineRule(kind=row.kind)
        if rule.active:
            case = row.case
            local = row.due_at.astimezone(SHANGHAI)
            for organisation, user in recipients.for_overdue(case, rule):
                notify_about_case(
                    case=case,
                    organisation=organisation,
                    user=user,
                    title=f"案件{case.number}{_kind_label(row.kind)}已逾期",
                    body=f"期限为{local:%Y年%m月%d日 %H:%M},已逾期,请尽快办理。",
                    kind="overdue",
                )
        return True

    def record(rows: list[CaseDeadline]) -> None:
        events_append(
            actor=None,
            entries=[
                (
                    "case.deadline_overdue",
                    row.case,
                    {"deadline": row.pk, "kind": row.kind, "kind_label": _kind_label(row.kind), "due_at": row.due_at.isoformat()},
                )
                for row in rows
            ],
        )

    return _run(qs, handle, chunk_size=chunk_size, result=result, after_chunk=record)


def _escalate(row: CaseDeadline, rule: DeadlineRule, now: datetime, recipients: Recipients) -> bool:
    if not CaseDeadline.objects.filter(pk=row.pk, escalated_at__isnull=True).update(escalated_at=now):
        return False
    case = row.case
    action = Action(rule.escalate_action)
    payload = {"deadline": row.pk, "kind": row.kind, "kind_label": _kind_label(row.kind), "action": action.value, "action_label": action.label}
    if action == Action.LISTED_SUPERVISION:
        if case.listed_supervision:
            payload["result"] = "案件此前已挂牌督办"
        else:
            Case.objects.filter(pk=case.pk).update(listed_supervision=True, updated_at=now)
            case.listed_supervision = True
            payload["result"] = "已挂牌督办"
    elif case.escalations.filter(kind=ESCALATION_KIND[action], status__in=["proposed", "open"]).exists():
        payload["result"] = f"案件已有办理中的“{Kind(ESCALATION_KIND[action]).label}”"
    else:
        if action == Action.LABOUR_INSPECTION:
            kwargs = dict(
                kind=Kind.LABOUR_INSPECTION,
                reason=f"{_kind_label(row.kind)}期限({row.due_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M})已逾期,责任单位未能解决,按规则提请劳动保障监察立案调查",
            )
        else:
            kwargs = dict(
                kind=Kind.ADVANCE_PAYMENT,
                reason="事实清楚、金额明确后在规定期限内仍未解决,按规则提请应急周转金垫付",
                amount=case.amount_verified,
                worker_count=case.workers_verified,
            )
        try:
            with transaction.atomic():
                escalation = escalation_open(actor=None, case=case, **kwargs)
        except (ValidationError, PermissionDenied) as exc:
            message = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            payload["result"] = f"未能自动{action.label}:{message}"
            office = recipients.office(case)
            if office is not None:
                notify_about_case(
                    case=case, organisation=office, title=f"案件{case.number}逾期未能自动{action.label},请人工处理", body=message, kind="escalation"
                )
        else:
            payload["escalation"] = escalation.pk
            payload["result"] = "已提请,待清欠办领导审批" if escalation.status == escalation.Status.PROPOSED else f"已移交{escalation.organisation}"
    event_append(actor=None, action="case.deadline_escalated", obj=case, payload=payload)
    return True


def _escalate_pass(rule: DeadlineRule, now: datetime, recipients: Recipients, chunk_size: int, result: SweepResult) -> int:
    qs = CaseDeadline.objects.filter(
        status=CaseDeadline.Status.OPEN,
        kind=rule.kind,
        overdue_at__isnull=False,
        escalated_at__isnull=True,
        case__state__in=OPEN_STATES,
    ).order_by("overdue_at")
    return _run(qs, lambda row: _escalate(row, rule, now, recipients), chunk_size=chunk_size, result=result)


def deadline_sweep(*, now: datetime | None = None, chunk_size: int = CHUNK_SIZE) -> SweepResult:
    """Remind, flag overdue and escalate, as of `now` (default: the current time)."""
    now = now or timezone.now()
    rules = {rule.kind: rule for rule in DeadlineRule.objects.all()}
    recipients = Recipients()
    result = SweepResult()
    for rule in rules.values():
        if rule.active and rule.remind_before_minutes > 0:
            result.reminded += _remind_pass(rule, now, recipients, chunk_size, result)
    result.overdue = _overdue_pass(rules, now, recipients, chunk_size, result)
    for rule in rules.values():
        if rule.active and rule.escalate_action != Action.NONE:
            result.escalated += _escalate_pass(rule, now, recipients, chunk_size, result)
    if result.reminded or result.overdue or result.escalated or result.failed:
        logger.info("期限巡查:提醒%s件,新逾期%s件,升级%s件,失败%s件", result.reminded, result.overdue, result.escalated, result.failed)
    return result


# ---------------------------------------------------------------- editing the rules


RULE_FIELDS = [
    "active",
    "remind_before_minutes",
    "overdue_notify_unit",
    "overdue_notify_unit_leader",
    "overdue_notify_office",
    "overdue_notify_office_leader",
    "escalate_action",
    "description",
]


def deadline_rule_update(*, actor, rule: DeadlineRule, **changes) -> DeadlineRule:
    """Change what the job does for one kind of deadline; records `deadline_rule.updated`."""
    if getattr(actor, "role", None) not in TIME_LIMIT_EDITOR_ROLES:
        raise PermissionDenied("只有清欠办工作人员、清欠办领导和系统管理员可以修改期限提醒与升级规则")
    errors: dict = {}
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    if "remind_before_minutes" in changes:
        try:
            minutes = int(changes["remind_before_minutes"])
        except (TypeError, ValueError):
            minutes = -1
        if not 0 <= minutes <= MAX_REMIND_MINUTES:
            errors.setdefault("remind_before_minutes", []).append(f"提醒时间应为0至{MAX_REMIND_MINUTES}之间的整数(分钟)")
        changes["remind_before_minutes"] = minutes
    if "escalate_action" in changes and changes["escalate_action"] not in Action.values:
        errors.setdefault("escalate_action", []).append("请选择逾期后的升级方式")
    if "description" in changes:
        changes["description"] = (changes["description"] or "").strip()
        if len(changes["description"]) > 255:
            errors.setdefault("description", []).append("说明不超过255字")
    for name in RULE_FIELDS:
        if name.startswith(("overdue_notify", "active")) and name in changes:
            changes[name] = bool(changes[name])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rule = DeadlineRule.objects.select_for_update().get(pk=rule.pk)
        old = {name: getattr(rule, name) for name in RULE_FIELDS}
        for name, value in changes.items():
            setattr(rule, name, value)
        new = {name: getattr(rule, name) for name in RULE_FIELDS}
        changed = [name for name in RULE_FIELDS if old[name] != new[name]]
        if not changed:
            return rule
        rule.save()
        event_append(
            actor=actor,
            action="deadline_rule.updated",
            obj=rule,
            payload={"kind": rule.kind, "changed": changed, "old": {k: old[k] for k in changed}, "new": {k: new[k] for k in changed}},
        )
        return rule
