"""Chasing smaller projects (not under full supervision) that have not uploaded all their labour
records within 30 days of completion (time limit `small_project_records_upload`).

Daily (settings.CELERY_BEAT_SCHEDULE "payroll-chase-records-uploads"): every overdue project gets
a staff notification to its general contractor's organisation (whose labour manager keeps the
records) and to its industry authority, at most once a week per project. Loaded by
PayrollConfig.ready() so the worker knows the task (autodiscovery only reads tasks.py).
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from wagewatch.core.models import Organisation

CHASE_EVERY = timedelta(days=7)
TITLE = "小型项目竣工用工资料逾期未上传"


def records_uploads_chase(*, now=None) -> list[int]:
    """Notify about every overdue small project not chased in the last week; returns their ids."""
    from wagewatch.history.services import events_append
    from wagewatch.notify.models import Notification
    from wagewatch.notify.services import notification_create

    from .compliance import upload_obligation
    from .models import SiteRecord

    now = now or timezone.now()
    candidates = SiteRecord.objects.filter(
        project__under_full_supervision=False, completed_on__isnull=False, records_uploaded_on__isnull=True
    ).select_related("project", "project__general_contractor", "project__industry_authority")
    chased: list[int] = []
    entries = []
    with transaction.atomic():
        for site in candidates.select_for_update(of=("self",)).order_by("pk"):
            project = site.project
            obligation = upload_obligation(project, site)
            if not obligation.applies or obligation.due_at is None or obligation.due_at >= now:
                continue
            link = reverse("payroll:project", args=[project.pk])
            if Notification.objects.filter(link=link, title=TITLE, created_at__gte=now - CHASE_EVERY).exists():
                continue
            days = (now - obligation.due_at).days + 1
            body = (
                f"项目“{project.name}”({project.code})于{site.completed_on:%Y年%m月%d日}竣工,应在"
                f"{obligation.due_at:%Y年%m月%d日}前上传全部用工资料,已逾期{days}天。请劳资专管员尽快上传并登记上传完成日期。"
            )
            recipients = list(Organisation.objects.filter(enterprise_id=project.general_contractor_id, is_active=True)) if project.general_contractor_id else []
            if project.industry_authority_id:
                recipients.append(project.industry_authority)
            if not recipients:
                continue
            for organisation in recipients:
                notification_create(organisation=organisation, title=TITLE, body=body, link=link, kind=Notification.Kind.OVERDUE)
            entries.append(
                (
                    "site_record.upload_chased",
                    site,
                    {"project": project.pk, "due_at": obligation.due_at, "days_overdue": days, "organisations": [o.pk for o in recipients]},
                )
            )
            chased.append(project.pk)
        if entries:
            events_append(actor=None, entries=entries)
    return chased


@shared_task(name="wagewatch.payroll.tasks_obligations.chase_records_uploads", ignore_result=True)
def chase_records_uploads() -> int:
    return len(records_uploads_chase())
