from datetime import timedelta

import pytest
from django.db import transaction

from wagewatch.cases.signals import case_transitioned
from wagewatch.notify import services, tasks
from wagewatch.notify.models import WorkerMessage
from wagewatch.notify.worker_texts import TEMPLATES, worker_message_text

from .conftest import StubCase

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_retries():
    """apply() runs a task's retries at once; they must not raise out of the first call."""
    from wagewatch.celery import app

    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = saved


@pytest.fixture
def queued(monkeypatch):
    """Task ids queued with worker_message_send.delay (no broker in these tests)."""
    sent = []
    monkeypatch.setattr(tasks.worker_message_send, "delay", lambda message_id: sent.append(message_id))
    monkeypatch.setattr(tasks.worker_message_send, "apply_async", lambda args, countdown=0, **kw: sent.append(args[0]))
    return sent


def due_now():
    """The coalescing wait is over for every message."""
    WorkerMessage.objects.update(send_after=None)


def transition(case, from_state="registered", to_state="dispatched"):
    case_transitioned.send(
        sender=StubCase, case=case, from_state=from_state, to_state=to_state, action="case.dispatched", actor=None, reason=""
    )


def test_one_message_per_complainant_in_the_transaction_queued_after_commit(stub_case, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            transition(stub_case)
            assert WorkerMessage.objects.count() == 2  # written inside the change's transaction
            assert queued == []  # nothing leaves before commit
    messages = list(WorkerMessage.objects.order_by("pk"))
    assert [m.phone for m in messages] == ["13800138000", "13900139000"]
    assert len(callbacks) == 2 and sorted(queued) == [m.pk for m in messages]
    assert {m.status for m in messages} == {WorkerMessage.Status.PENDING}
    assert all(m.case_number == "AJ2026112300012" and m.to_state == "dispatched" for m in messages)
    assert messages[0].text == (
        "【根治欠薪】您反映的欠薪问题(案件编号AJ2026112300012)已转交责任单位办理,将于2026年11月30日前办结。"
        "查询进度请访问 http://127.0.0.1:8000/w/track/"
    )


def test_no_message_when_the_transition_rolls_back(stub_case, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            transition(stub_case)
            raise RuntimeError("the case change failed after the signal")
    assert WorkerMessage.objects.count() == 0
    assert callbacks == [] and queued == []


def test_phones_are_stored_encrypted_and_found_by_digest(stub_case, queued):
    from wagewatch.core.protected import lookup_digest

    transition(stub_case)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {WorkerMessage._meta.db_table}")
        raw = [row[0] for row in cursor.fetchall()]
    assert len(raw) == 2
    assert all(value.startswith("v1:") and "1380013" not in value for value in raw)
    assert WorkerMessage.objects.filter(phone_digest=lookup_digest("phone", "13800138000")).count() == 1


def test_duplicate_phones_get_one_message_and_no_phones_none(queued):
    transition(StubCase(phones=["13800138000", "13800138000", ""]))
    assert WorkerMessage.objects.count() == 1
    transition(StubCase(phones=[]))
    assert WorkerMessage.objects.count() == 1


def test_a_landline_is_recorded_as_undeliverable_and_not_queued(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        transition(StubCase(phones=["010-12345678"]))
    message = WorkerMessage.objects.get()
    assert message.status == WorkerMessage.Status.UNDELIVERABLE and "不是手机号" in message.last_error
    assert queued == []


def test_no_message_when_the_state_does_not_change(stub_case, queued):
    transition(stub_case, from_state="handling", to_state="handling")
    assert WorkerMessage.objects.count() == 0


def test_the_wording_depends_on_the_new_state(settings):
    settings.WORKER_SITE_URL = "https://wage.example.gov.cn/"
    case = StubCase(state_display="已办结")
    assert set(TEMPLATES) == {
        "registered", "dispatched", "accepted", "verifying", "handling", "resolved",
        "called_back", "closed", "returned", "reopened", "merged",
    }
    texts = {state: worker_message_text(case, state) for state in TEMPLATES}
    assert len(set(texts.values())) == len(TEMPLATES)
    for text in texts.values():
        assert text.startswith("【根治欠薪】") and "AJ2026112300012" in text
        assert text.endswith("查询进度请访问 https://wage.example.gov.cn/w/track/")
    assert "已办结" in texts["closed"] and "2026年11月30日" not in texts["closed"]
    assert "将于2026年11月30日前办结" in texts["handling"]
    assert "办理状态已更新为“已办结”" in worker_message_text(case, "some_new_state")
    assert "将于" not in worker_message_text(StubCase(deadline=""), "dispatched")


def test_deliver_marks_sent(stub_case, queued, sms_memory, frozen):
    transition(stub_case)
    message = WorkerMessage.objects.order_by("pk").first()
    assert message.send_after == frozen.now + services.WORKER_MESSAGE_COALESCE
    # Not before the wait for newer news of the same case is over.
    assert services.worker_message_deliver(message_id=message.pk) == WorkerMessage.Status.PENDING and sms_memory == []
    frozen.advance(seconds=services.WORKER_MESSAGE_COALESCE.total_seconds())
    assert services.worker_message_deliver(message_id=message.pk) == WorkerMessage.Status.SENT
    message.refresh_from_db()
    assert message.status == WorkerMessage.Status.SENT and message.sent_at == frozen.now and message.attempts == 1
    assert [m.phone for m in sms_memory] == ["13800138000"]
    # A second delivery of a sent message sends nothing.
    assert services.worker_message_deliver(message_id=message.pk) == WorkerMessage.Status.SENT
    assert len(sms_memory) == 1


def test_a_500_answer_is_recorded_and_the_task_retries_until_sent(stub_case, queued, http_sms, eager_retries):
    transition(StubCase(phones=["13800138000"]))
    due_now()
    message = WorkerMessage.objects.get()
    http_sms.answers = [500, 500]
    tasks.worker_message_send.apply(args=[message.pk])  # eager: the retries run at once
    message.refresh_from_db()
    assert message.status == WorkerMessage.Status.SENT and message.attempts == 3
    assert len(http_sms.requests) == 3
    assert http_sms.requests[-1]["json"]["text"] == message.text


def test_a_gateway_that_keeps_failing_leaves_the_message_failed_with_the_error(stub_case, queued, http_sms, eager_retries):
    transition(StubCase(phones=["13800138000"]))
    due_now()
    message = WorkerMessage.objects.get()
    http_sms.answers = [500] * 10
    result = tasks.worker_message_send.apply(args=[message.pk])
    assert result.get() == WorkerMessage.Status.FAILED
    message.refresh_from_db()
    assert message.status == WorkerMessage.Status.FAILED
    assert message.attempts == tasks.worker_message_send.max_retries + 1
    assert "HTTP 500" in message.last_error and "13800138000" not in message.last_error


def test_retry_backoff_grows_and_is_capped():
    assert [tasks.retry_countdown(n) for n in range(4)] == [30, 60, 120, 240]
    assert tasks.retry_countdown(20) == tasks.RETRY_MAX_SECONDS


def test_resend_picks_pending_and_failed_messages_not_tried_lately(stub_case, queued, frozen):
    transition(StubCase(phones=["13800138000", "13900139000", "13700137000", "13600136000"]))
    fresh_pending, old_pending, old_failed, sent = WorkerMessage.objects.order_by("pk")
    WorkerMessage.objects.filter(pk__in=[old_pending.pk, old_failed.pk, sent.pk]).update(
        created_at=frozen.now - timedelta(minutes=30), send_after=frozen.now - timedelta(minutes=27)
    )
    WorkerMessage.objects.filter(pk=old_failed.pk).update(status="failed", attempts=2, last_attempt_at=frozen.now - timedelta(minutes=10))
    WorkerMessage.objects.filter(pk=sent.pk).update(status="sent")
    fresh_pending.created_at = frozen.now - timedelta(minutes=1)
    fresh_pending.save()
    assert tasks.worker_messages_resend.apply().get() == 2
    assert sorted(queued) == sorted([old_pending.pk, old_failed.pk])
    # A message tried a minute ago is left to its own retries; one out of attempts is left alone.
    queued.clear()
    WorkerMessage.objects.filter(pk=old_failed.pk).update(last_attempt_at=frozen.now - timedelta(minutes=1))
    WorkerMessage.objects.filter(pk=old_pending.pk).update(attempts=services.WORKER_MESSAGE_MAX_ATTEMPTS)
    assert tasks.worker_messages_resend.apply().get() == 0


def test_a_broker_that_is_down_at_commit_does_not_break_the_transition(stub_case, monkeypatch, django_capture_on_commit_callbacks):
    def down(message_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.worker_message_send, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        transition(stub_case)
    assert WorkerMessage.objects.filter(status="pending").count() == 2


def test_changes_minutes_apart_reach_the_worker_as_one_message(queued, sms_memory, frozen):
    """A complainant got 6 SMS in 2 minutes: registered, dispatched, accepted, verifying... Now a
    newer change of the same case replaces the message still waiting, and the worker reads one
    SMS with the latest news."""
    case = StubCase(phones=["13800138000"])
    for old, new in [("registered", "dispatched"), ("dispatched", "accepted"), ("accepted", "verifying")]:
        transition(case, from_state=old, to_state=new)
        frozen.advance(seconds=30)
    messages = list(WorkerMessage.objects.order_by("pk"))
    assert [m.status for m in messages] == ["superseded", "superseded", "pending"]
    frozen.advance(minutes=3)
    for message in messages:
        services.worker_message_deliver(message_id=message.pk)
    assert len(sms_memory) == 1 and "正在调查核实" in sms_memory[0].text
    # Another case of the same phone is news of its own.
    transition(StubCase(number="AJ2026112300013", phones=["13800138000"]))
    assert WorkerMessage.objects.filter(status="pending").count() == 1


def test_a_case_that_keeps_changing_still_tells_the_worker_within_the_cap(queued, sms_memory, frozen):
    case = StubCase(phones=["13800138000"])
    first = frozen.now
    sent_at = []
    for _ in range(10):  # a change every 2 minutes for 20 minutes; the send task runs when due
        transition(case)
        for _ in range(4):
            frozen.advance(seconds=30)
            for pk in WorkerMessage.objects.filter(status="pending").values_list("pk", flat=True):
                if services.worker_message_deliver(message_id=pk) == WorkerMessage.Status.SENT:
                    sent_at.append(frozen.now)
    assert sent_at and sent_at[0] <= first + services.WORKER_MESSAGE_COALESCE_CAP
    assert len(sms_memory) == len(sent_at) <= 3


@pytest.mark.parametrize("state", sorted(TEMPLATES))
@pytest.mark.parametrize("kind", ["respond", "verify", "close", "first_contact"])
def test_every_message_reads_as_natural_chinese(state, kind):
    """No "正在核实情况,将于…前核实情况": the state and the deadline never say the same verb twice."""
    from datetime import datetime

    from wagewatch.cases.deadlines import worker_deadline_text
    from wagewatch.core.calendar import SHANGHAI

    deadline = worker_deadline_text(kind, datetime(2030, 1, 10, 9, 30, tzinfo=SHANGHAI))
    text = worker_message_text(StubCase(deadline=deadline), state)
    body = text.split("查询进度")[0]
    assert "{" not in body and "  " not in body and ",," not in body and "。。" not in body
    if "将于" in body:
        before, after = body.split("将于", 1)
        verb = after.split("前", 1)[1].rstrip("。")
        assert verb not in before, body
