"""Notices asking a leader to approve an advance payment, written before notices had a subject:
link each to its escalation (the case's advance payment proposed last before the notice) and mark
read those whose approval was already decided, so no decided approval stays "待您审批"."""

from django.db import migrations

TITLES = ("提请应急周转金垫付,待您审批", "提请应急周转金垫付,待领导审批")


def link_and_close(apps, schema_editor):
    Notification = apps.get_model("notify", "Notification")
    Escalation = apps.get_model("cases", "Escalation")
    notices = Notification.objects.filter(subject="", kind="escalation", case_number__gt="")
    for notice in notices.iterator():
        if not notice.title.endswith(TITLES):
            continue
        escalation = (
            Escalation.objects.filter(case__number=notice.case_number, kind="advance_payment", opened_at__lte=notice.created_at)
            .order_by("-opened_at", "-pk")
            .first()
        )
        if escalation is None:
            continue
        notice.subject = f"escalation:{escalation.pk}"
        fields = ["subject"]
        if escalation.status != "proposed" and notice.read_at is None:
            notice.read_at = escalation.approved_at or escalation.closed_at or notice.created_at
            fields.append("read_at")
        notice.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0002_notification_subject"),
        ("cases", "0006_name_trigram_indexes"),
    ]

    operations = [migrations.RunPython(link_and_close, migrations.RunPython.noop)]
