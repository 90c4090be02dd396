"""A worker message sent by a real Celery worker process after the case change commits."""

import pytest
from django.db import transaction

from wagewatch.cases.signals import case_transitioned
from wagewatch.notify.models import WorkerMessage

from .conftest import StubCase

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


def test_a_worker_sends_the_message_queued_on_commit(celery_worker, monkeypatch):
    from datetime import timedelta

    from wagewatch.notify import services

    monkeypatch.setattr(services, "WORKER_MESSAGE_COALESCE", timedelta(0))  # no wait for newer news
    with transaction.atomic():
        case_transitioned.send(
            sender=StubCase, case=StubCase(phones=["13800138000"]), from_state="dispatched", to_state="accepted",
            action="case.accepted", actor=None, reason="",
        )
    message = WorkerMessage.objects.get()
    # The worker runs with the default console backend: the message is marked sent.
    celery_worker.wait_for(lambda: WorkerMessage.objects.filter(pk=message.pk, status="sent").exists(), timeout=60)
    assert "138****8000" in celery_worker.log()
