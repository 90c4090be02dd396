"""The data migration that links old "待您审批" notices to their escalation and closes decided ones."""

from __future__ import annotations

import importlib

from django.apps import apps as global_apps
from django.utils import timezone

from wagewatch.cases import escalations as esc
from wagewatch.cases.models import CaseState, Escalation
from wagewatch.notify.models import Notification
from wagewatch.testing.cases import register, walk_to

migration = importlib.import_module("wagewatch.notify.migrations.0003_approval_notices_subject")


def test_old_approval_notices_are_linked_and_decided_ones_closed(world):
    leader = world.users["office_leader"]

    def proposed():
        case = walk_to(world, register(world).case, CaseState.HANDLING)
        return esc.escalation_open(
            actor=world.users["street_a_handler"], case=case, kind=Escalation.Kind.ADVANCE_PAYMENT, reason="企业负责人失联", amount="1000", worker_count=1
        )

    decided, waiting = proposed(), proposed()
    esc.escalation_approve(actor=leader, escalation=decided, approved=True, note="同意")
    # As written before notices had a subject: unread, unlinked.
    Notification.objects.filter(title__contains="待您审批").update(subject="", read_at=None)
    other = Notification.objects.create(recipient_user=leader, title="别的通知", kind="escalation", case_number=decided.case.number, created_at=timezone.now())

    migration.link_and_close(global_apps, None)

    old = Notification.objects.get(title__contains="待您审批", case_number=decided.case.number)
    assert old.subject == f"escalation:{decided.pk}" and old.read_at is not None
    still = Notification.objects.get(title__contains="待您审批", case_number=waiting.case.number)
    assert still.subject == f"escalation:{waiting.pk}" and still.read_at is None
    other.refresh_from_db()
    assert other.subject == "" and other.read_at is None
