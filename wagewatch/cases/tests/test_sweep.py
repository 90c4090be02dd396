"""The periodic deadline job: reminds once, flags overdue once, escalates once by the editable
rules; leaves met and cancelled deadlines alone; works in chunks; two runs at once do each
thing once; and runs in a real Celery worker.

Complaints here were received at a fixed moment (Monday 2 November 2026, 09:00) and the job is
run "as of" chosen moments, so nothing depends on the time the tests run."""

import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from wagewatch.cases import sweep as sweep_module
from wagewatch.cases.escalations import escalation_open
from wagewatch.cases.models import CaseDeadline, CaseState, DeadlineKind, DeadlineRule, Escalation
from wagewatch.cases.services import case_first_contact_record
from wagewatch.cases.sweep import deadline_rule_update, deadline_sweep
from wagewatch.core.calendar import SHANGHAI
from wagewatch.history.models import Event
from wagewatch.intake.models import Channel
from wagewatch.notify.models import Notification
from wagewatch.testing.cases import dispatch, register, walk_to

RECEIVED = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # Monday


def at(d, hh, mm=0, ss=0):
    return datetime(2026, 11, d, hh, mm, ss, tzinfo=SHANGHAI)


def phone_case(world, **overrides):
    """A complaint from the worker's phone: nobody has spoken to the worker yet."""
    return register(world, channel=Channel.WORKER_PHONE, received_at=RECEIVED, **overrides).case


def row(case, kind):
    """The latest deadline of `kind` on the case, read afresh."""
    return case.deadlines.filter(kind=kind).latest("pk")


def events(case, action):
    return Event.objects.filter(object_type="cases.case", object_id=str(case.pk), action=action)


def notes(**filters):
    return Notification.objects.filter(**filters)


def test_seeded_rules(db):
    rules = {r.kind: r for r in DeadlineRule.objects.all()}
    assert set(rules) == set(DeadlineKind.values)
    assert rules["respond"].remind_before_minutes == 30 and rules["first_contact"].remind_before_minutes == 30
    assert rules["verify"].remind_before_minutes == 120
    assert rules["close"].remind_before_minutes == 1440
    assert rules["close"].escalate_action == "listed_supervision" and rules["close"].overdue_notify_office_leader
    assert rules["advance_payment_trigger"].escalate_action == "propose_advance_payment"


# ---------------------------------------------------------------- reminders


def test_a_reminder_goes_once_inside_the_window(world):
    case = phone_case(world)
    respond = row(case, DeadlineKind.RESPOND)
    assert respond.due_at == at(2, 10)

    assert deadline_sweep(now=at(2, 9, 29)).reminded == 0  # 31 minutes before: not yet
    result = deadline_sweep(now=at(2, 9, 31))
    assert result.reminded == 1 and result.overdue == 0
    respond.refresh_from_db()
    assert respond.reminded_at == at(2, 9, 31) and respond.overdue_at is None
    # Not dispatched yet: the office is the one to act.
    note = notes(kind="reminder").get()
    assert note.recipient_organisation == world.organisations["office"]
    assert note.case_number == case.number and "响应" in note.title and "2026年11月02日 10:00" in note.body

    assert deadline_sweep(now=at(2, 9, 45)).reminded == 0
    assert notes(kind="reminder").count() == 1


def test_each_kind_has_its_own_window(world):
    case = phone_case(world)
    # Verify is due 8 office hours after receipt (Monday 09:00 → Tuesday 09:30); its window is 2 hours.
    assert row(case, DeadlineKind.VERIFY).due_at == at(3, 9, 30)
    deadline_sweep(now=at(3, 7, 29))
    assert row(case, DeadlineKind.VERIFY).reminded_at is None
    deadline_sweep(now=at(3, 7, 31))
    assert row(case, DeadlineKind.VERIFY).reminded_at is not None
    # Close: 7 working days (11 November); reminded a day (1440 minutes) before.
    assert row(case, DeadlineKind.CLOSE).due_at == datetime(2026, 11, 11, 23, 59, 59, tzinfo=SHANGHAI)
    deadline_sweep(now=at(10, 23, 59))
    assert row(case, DeadlineKind.CLOSE).reminded_at is None
    deadline_sweep(now=at(11, 0, 0))
    assert row(case, DeadlineKind.CLOSE).reminded_at is not None


def test_reminders_of_a_dispatched_case_go_to_the_lead_unit(world):
    case = dispatch(world, phone_case(world))
    deadline_sweep(now=at(2, 9, 40))
    assert notes(kind="reminder", recipient_organisation=world.organisations["street_a"]).count() == 1
    assert not notes(kind="reminder", recipient_organisation=world.organisations["office"]).exists()
    assert case.lead_organisation == world.organisations["street_a"]


# ---------------------------------------------------------------- overdue


def test_overdue_is_flagged_once_with_its_event(world):
    case = phone_case(world)
    result = deadline_sweep(now=at(2, 10, 1))
    assert result.overdue == 1  # respond; first contact runs to midnight
    respond = row(case, DeadlineKind.RESPOND)
    assert respond.overdue_at == at(2, 10, 1)
    event = events(case, "case.deadline_overdue").get()
    assert event.payload_data["kind"] == "respond" and event.actor_label == "系统"
    assert notes(kind="overdue", recipient_organisation=world.organisations["office"]).count() == 1
    # Running again, and later, flags it no more.
    assert deadline_sweep(now=at(2, 10, 1)).overdue == 0
    assert deadline_sweep(now=at(2, 11, 0)).overdue == 0
    assert events(case, "case.deadline_overdue").count() == 1
    respond.refresh_from_db()
    assert respond.overdue_at == at(2, 10, 1)
    # A reminder never follows once it is overdue.
    assert respond.reminded_at is None and not notes(kind="reminder").exists()


def test_met_and_cancelled_deadlines_are_left_alone(world):
    met = phone_case(world)
    case_first_contact_record(actor=world.users["clerk"], case=met, note="电话联系劳动者,已告知办理流程")
    closed = walk_to(world, register(world, received_at=RECEIVED).case, CaseState.CLOSED)
    assert not closed.deadlines.filter(status="open").exists()
    window = register(world, received_at=RECEIVED).case  # at the window: contacted and answered at once
    assert set(window.deadlines.filter(kind__in=["respond", "first_contact"]).values_list("status", flat=True)) == {"met"}

    deadline_sweep(now=at(2, 9, 45))
    result = deadline_sweep(now=at(30, 12))
    for case in (met, closed, window):
        for d in case.deadlines.exclude(status="open"):
            assert d.reminded_at is None and d.overdue_at is None and d.escalated_at is None, (case, d.kind)
    assert not events(closed, "case.deadline_overdue").exists()
    # Only the open ones of `met` and `window` (verify, close) were flagged.
    flagged = set(CaseDeadline.objects.filter(overdue_at__isnull=False).values_list("case_id", "kind"))
    assert flagged == {(met.pk, "verify"), (met.pk, "close"), (window.pk, "verify"), (window.pk, "close")}
    assert result.overdue == 4


def test_overdue_notifications_follow_the_rule(world):
    case = dispatch(world, phone_case(world))
    deadline_sweep(now=at(12, 0, 0, 1))  # close (11 November) is overdue
    close = row(case, DeadlineKind.CLOSE)
    assert close.overdue_at is not None and close.escalated_at is not None
    titles = notes(kind="overdue", title__contains="办结")
    # close: unit, its leader, and the office leader.
    assert titles.filter(recipient_organisation=world.organisations["street_a"]).exists()
    assert titles.filter(recipient_user=world.users["street_a_leader"]).exists()
    assert titles.filter(recipient_user=world.users["office_leader"]).exists()
    assert not titles.filter(recipient_user=world.users["office_staff"]).exists()


def test_an_inactive_rule_still_flags_but_tells_nobody(world):
    deadline_rule_update(actor=world.users["office_leader"], rule=DeadlineRule.objects.get(kind="respond"), active=False)
    case = phone_case(world)
    assert deadline_sweep(now=at(2, 9, 45)).reminded == 0
    assert deadline_sweep(now=at(2, 10, 5)).overdue == 1
    assert row(case, DeadlineKind.RESPOND).overdue_at is not None
    assert not notes(title__contains="响应").exists()


# ---------------------------------------------------------------- escalation by rule


def test_overdue_close_puts_the_case_under_listed_supervision_once(world):
    case = dispatch(world, phone_case(world))
    assert not case.listed_supervision
    result = deadline_sweep(now=at(12, 9))
    assert result.escalated == 1
    case.refresh_from_db()
    assert case.listed_supervision
    event = events(case, "case.deadline_escalated").get()
    assert event.payload_data["action"] == "listed_supervision" and event.payload_data["result"] == "已挂牌督办"
    assert deadline_sweep(now=at(12, 9)).escalated == 0
    assert deadline_sweep(now=at(20, 9)).escalated == 0
    assert events(case, "case.deadline_escalated").count() == 1


def test_overdue_advance_payment_trigger_proposes_an_advance_payment_once(world):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    trigger = case.deadlines.get(kind=DeadlineKind.ADVANCE_PAYMENT_TRIGGER, status="open")
    after = trigger.due_at + timedelta(minutes=1)
    deadline_sweep(now=after)
    escalation = Escalation.objects.get(case=case)
    assert escalation.kind == "advance_payment" and escalation.status == "proposed"
    assert escalation.amount == case.amount_verified == Decimal("18000.00") and escalation.worker_count == 3
    assert escalation.opened_by is None
    assert notes(recipient_user=world.users["office_leader"], title__contains="垫付").exists()
    assert notes(recipient_organisation=world.organisations["office"], kind="overdue", title__contains="启动垫付").exists()
    trigger.refresh_from_db()
    assert trigger.escalated_at == after and trigger.status == "open"  # met when a leader approves
    assert deadline_sweep(now=after + timedelta(hours=1)).escalated == 0
    assert Escalation.objects.filter(case=case).count() == 1
    event = events(case, "case.deadline_escalated").get()
    assert event.payload_data["escalation"] == escalation.pk


def test_a_proposal_made_by_hand_is_not_made_again(world):
    case = walk_to(world, register(world).case, CaseState.HANDLING)
    escalation_open(actor=world.users["office_staff"], case=case, kind="advance_payment", reason="企业无力支付", amount="9000", worker_count=2)
    trigger = case.deadlines.get(kind=DeadlineKind.ADVANCE_PAYMENT_TRIGGER, status="open")
    deadline_sweep(now=trigger.due_at + timedelta(minutes=1))
    assert Escalation.objects.filter(case=case).count() == 1
    assert "已有办理中" in events(case, "case.deadline_escalated").get().payload_data["result"]


def test_a_rule_can_send_overdue_verification_to_labour_inspection(world):
    rule = DeadlineRule.objects.get(kind="verify")
    deadline_rule_update(actor=world.users["office_staff"], rule=rule, escalate_action="labour_inspection")
    case = dispatch(world, phone_case(world))
    deadline_sweep(now=at(3, 9, 31))
    escalation = Escalation.objects.get(case=case)
    assert escalation.kind == "labour_inspection" and escalation.organisation == world.organisations["inspection"]
    assert case.assignments.filter(organisation=world.organisations["inspection"], role="escalation", active=True).exists()
    assert row(case, DeadlineKind.VERIFY).escalated_at == at(3, 9, 31)


def test_an_escalation_that_cannot_be_made_is_recorded_and_not_retried(world):
    deadline_rule_update(actor=world.users["admin"], rule=DeadlineRule.objects.get(kind="verify"), escalate_action="propose_advance_payment")
    case = dispatch(world, phone_case(world))  # nothing verified: no figures to advance
    deadline_sweep(now=at(3, 9, 31))
    assert not Escalation.objects.exists()
    payload = events(case, "case.deadline_escalated").get().payload_data
    assert payload["result"].startswith("未能自动")
    assert notes(recipient_organisation=world.organisations["office"], kind="escalation", title__contains="人工处理").count() == 1
    deadline_sweep(now=at(3, 10, 0))
    assert events(case, "case.deadline_escalated").count() == 1


# ---------------------------------------------------------------- chunks, failures, concurrency


def test_works_through_chunks(world):
    cases = [phone_case(world) for _ in range(5)]
    result = deadline_sweep(now=at(2, 10, 30), chunk_size=2)
    assert result.overdue == 5
    assert all(row(c, DeadlineKind.RESPOND).overdue_at for c in cases)


def test_a_failing_row_is_left_for_the_next_run(world, monkeypatch):
    bad, good = phone_case(world), phone_case(world)
    real = sweep_module.notify_about_case

    def flaky(*, case, **kwargs):
        if case.pk == bad.pk:
            raise RuntimeError("notification store down")
        return real(case=case, **kwargs)

    monkeypatch.setattr(sweep_module, "notify_about_case", flaky)
    result = deadline_sweep(now=at(2, 10, 30), chunk_size=1)
    assert result.overdue == 1 and result.failed == 1
    assert row(good, DeadlineKind.RESPOND).overdue_at is not None
    assert row(bad, DeadlineKind.RESPOND).overdue_at is None
    assert not events(bad, "case.deadline_overdue").exists()
    monkeypatch.setattr(sweep_module, "notify_about_case", real)
    assert deadline_sweep(now=at(2, 10, 31)).overdue == 1
    assert events(bad, "case.deadline_overdue").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_do_each_thing_once(world):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a shared database file or PostgreSQL")
    cases = [dispatch(world, phone_case(world)) for _ in range(8)]
    now = at(12, 9)  # respond, verify and close of every case overdue; close escalates
    results, errors = [], []
    start = threading.Barrier(2)

    def run():
        try:
            start.wait(timeout=10)
            results.append(deadline_sweep(now=now, chunk_size=3))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    open_kinds = CaseDeadline.objects.filter(case__in=cases, status="open").count()
    assert sum(r.overdue for r in results) == open_kinds
    assert sum(r.escalated for r in results) == len(cases)
    assert Event.objects.filter(action="case.deadline_overdue").count() == open_kinds
    assert Event.objects.filter(action="case.deadline_escalated").count() == len(cases)
    assert Notification.objects.filter(kind="overdue", recipient_user=world.users["office_leader"]).count() == len(cases)


# ---------------------------------------------------------------- editing the rules


def test_rules_are_edited_by_the_office_and_recorded(world):
    rule = DeadlineRule.objects.get(kind="close")
    with pytest.raises(PermissionDenied):
        deadline_rule_update(actor=world.users["street_a_leader"], rule=rule, remind_before_minutes=60)
    with pytest.raises(ValidationError) as err:
        deadline_rule_update(actor=world.users["office_staff"], rule=rule, remind_before_minutes=-5, escalate_action="fire")
    assert set(err.value.message_dict) == {"remind_before_minutes", "escalate_action"}
    rule = deadline_rule_update(actor=world.users["office_staff"], rule=rule, remind_before_minutes="2880")
    assert DeadlineRule.objects.get(kind="close").remind_before_minutes == 2880
    event = Event.objects.get(action="deadline_rule.updated")
    assert event.payload_data["old"] == {"remind_before_minutes": 1440} and event.payload_data["new"] == {"remind_before_minutes": 2880}
    deadline_rule_update(actor=world.users["office_staff"], rule=rule, remind_before_minutes=2880)
    assert Event.objects.filter(action="deadline_rule.updated").count() == 1


# ---------------------------------------------------------------- in a real worker


@pytest.mark.jobs
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_sweep(world, celery_worker):
    from wagewatch.cases.tasks import deadline_sweep as task

    case = phone_case(world)  # received on 2 November: its respond deadline is long past
    respond = row(case, DeadlineKind.RESPOND)
    assert respond.due_at < timezone.now()
    task.delay()
    celery_worker.wait_for(lambda: CaseDeadline.objects.filter(pk=respond.pk, overdue_at__isnull=False).exists(), timeout=60)
    celery_worker.wait_for(lambda: events(case, "case.deadline_overdue").filter(payload__contains='"respond"').exists(), timeout=30)
    assert events(case, "case.deadline_overdue").filter(payload__contains='"respond"').count() == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_a_case_held_by_another_transaction_is_waited_for_not_left_to_the_next_run(world):
    """The sweep claims rows with SKIP LOCKED. A case locked elsewhere (another sweep's escalation
    pass, an officer's transition) made the overdue pass finish without its deadlines, which then
    waited five minutes for the next run. Now the pass waits for the lock and flags them."""
    from wagewatch.cases.models import Case

    case = dispatch(world, phone_case(world))
    now = at(12, 9)
    locked, release = threading.Event(), threading.Event()

    def hold():
        from django.db import transaction

        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=case.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=10)
    threading.Timer(1.0, release.set).start()  # the other transaction commits a second later
    result = deadline_sweep(now=now)
    holder.join(timeout=30)
    flagged = CaseDeadline.objects.filter(case=case, status="open", overdue_at__isnull=False).count()
    assert flagged == CaseDeadline.objects.filter(case=case, status="open").count() > 0
    assert result.overdue == flagged
