"""Shipped defaults of the deadline rules (what the periodic job reminds, whom it tells when a
deadline is overdue and how it escalates). Editable data; a rule the office already changed is
left alone."""

from django.db import migrations

RULES = [
    # kind, remind before (minutes), notify unit, unit leader, office, office leader, escalate, description
    ("first_contact", 30, True, False, False, False, "none", "首日对接到期前30分钟提醒;逾期通知承办单位"),
    ("respond", 30, True, False, False, False, "none", "响应时限到期前30分钟提醒;逾期通知承办单位"),
    ("verify", 120, True, False, False, False, "none", "核实时限到期前2小时提醒;逾期通知承办单位"),
    ("close", 1440, True, True, False, True, "listed_supervision",
     "办结时限到期前1个工作日(按1440分钟)提醒;逾期挂牌督办并通知清欠办领导和承办单位负责人"),
    ("advance_payment_trigger", 1440, True, False, True, True, "propose_advance_payment",
     "事实清楚金额明确后5个工作日仍未解决的,向清欠办提请应急周转金垫付"),
    ("property_preservation", 1440, False, False, True, False, "none", "诉前财产保全3个工作日到期前提醒;逾期通知清欠办跟进"),
]


def seed(apps, schema_editor):
    DeadlineRule = apps.get_model("cases", "DeadlineRule")
    for kind, remind, unit, unit_leader, office, office_leader, action, description in RULES:
        DeadlineRule.objects.get_or_create(
            kind=kind,
            defaults=dict(
                remind_before_minutes=remind,
                overdue_notify_unit=unit,
                overdue_notify_unit_leader=unit_leader,
                overdue_notify_office=office,
                overdue_notify_office_leader=office_leader,
                escalate_action=action,
                description=description,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_escalation_details_deadline_rules")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
