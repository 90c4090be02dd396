"""The shipped finding rules and case-opening rule (DOMAIN.md sections 3 and 10). The office edits
them afterwards; thresholds in yuan unless the description says otherwise."""

from decimal import Decimal

from django.db import migrations

RULES = [
    # kind, level, threshold, threshold_secondary, description
    ("shortfall", "orange", Decimal("1.00"), None, "应发(考勤×约定工资或工程量×单价)与工资表、银行实付比较,少发超过阈值(元)"),
    ("late_payment", "yellow", Decimal("0"), None, "次月发薪日后才由专户支付,超过发薪日的天数大于阈值(天)"),
    ("paid_to_other", "orange", None, None, "工资付到非本人账户(如班组长或他人账户)"),
    ("shared_account", "red", Decimal("2"), None, "同一收款账户一个月内收取阈值人数及以上工人的工资"),
    ("no_outflow_on_pay_day", "orange", None, None, "当月有考勤,次月发薪日前专户没有任何工资支出"),
    ("attendance_without_wage", "yellow", None, None, "当月有考勤的工人在工资表和银行流水中都没有工资记录"),
    ("wage_without_attendance", "yellow", None, None, "工资表或银行流水有工资,但当月没有考勤记录(计件除外)"),
    ("no_wage_from_account", "red", None, None, "规则1:考勤月及次月专户均未发放工资,次月预警为红色"),
    ("low_average_pay", "red", Decimal("1890"), None, "规则2:工资表人均实发低于阈值(元)"),
    ("fewer_paid_than_attending", "yellow", None, None, "规则3:发薪人数少于考勤人数"),
    ("large_payment_to_one", "red", Decimal("50000"), Decimal("300000"), "规则4:单人单月超过阈值(元)或当年累计超过第二阈值(元)"),
    ("exit_without_settlement", "red", None, None, "规则5:工人已退场但未结算、未确认;有关投诉正在处理时为黄色"),
    ("missing_wage_records", "red", Decimal("0.10"), None, "规则6:考勤人员中无工资记录的比例超过阈值(0.10即10%)"),
]


def seed(apps, schema_editor):
    FindingRule = apps.get_model("payroll", "FindingRule")
    CaseOpeningRule = apps.get_model("payroll", "CaseOpeningRule")
    for kind, level, threshold, secondary, description in RULES:
        FindingRule.objects.update_or_create(
            kind=kind,
            defaults={"level": level, "threshold": threshold, "threshold_secondary": secondary, "description": description},
        )
    if not CaseOpeningRule.objects.exists():
        CaseOpeningRule.objects.create()


class Migration(migrations.Migration):
    dependencies = [("payroll", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
