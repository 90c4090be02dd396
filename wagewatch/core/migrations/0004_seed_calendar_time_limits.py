"""Seed the official calendar 2004–2026 from chinesecalendar and the shipped time limits.

The year range is fixed so the migration gives the same rows whatever package version is
installed; later years are loaded by an administrator (or calendar_year_load_from_package).
The holiday-name map is copied here on purpose: migrations must not depend on app code that
may change.
"""

from datetime import date, timedelta

from django.db import migrations
from django.utils import timezone

FIRST_YEAR, LAST_YEAR = 2004, 2026
SOURCE = "package"
NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

TIME_LIMITS = [
    # key, name, amount, unit, includes_start_day, description
    ("respond", "响应时限", 1, "hours", False, "受理后1小时内响应投诉人"),
    ("verify", "核实时限", 24, "hours", False, "受理后24小时内核实情况"),
    ("close", "结案时限", 7, "working_days", False, "当天立案、7日结案(按工作日计)"),
    ("first_contact", "首日对接", 1, "calendar_days", True, "首问负责:收到投诉当天与投诉人取得联系(当天24时前)"),
    ("advance_payment_trigger", "启动垫付时限", 5, "working_days", False, "事实清楚、金额明确但5个工作日内仍未解决的,启动应急周转金垫付"),
    ("property_preservation", "诉前财产保全", 3, "working_days", False, "法院自收到诉前财产保全申请之日起3个工作日内作出裁定"),
    ("incident_report", "突发事件报告", 10, "minutes", False, "突发事件发生后10分钟内报告领导小组"),
    ("major_incident_report", "重大突发事件报告", 5, "minutes", False, "重大突发事件5分钟内报告"),
    ("incident_initial_judgement", "突发事件初步研判", 20, "minutes", False, "20分钟内作出初步研判"),
    ("incident_unit_notification", "突发事件通知相关单位", 20, "minutes", False, "启动响应后20分钟内通知相关单位"),
    ("incident_written_report", "突发事件书面报告", 1, "working_days", False, "事件发生后1个工作日内提交书面报告"),
    ("settled_enterprise_follow_up", "结案企业跟踪回访", 90, "calendar_days", False, "已结清欠薪的企业跟踪3个月(按90个自然日计)"),
    ("small_project_records_upload", "小型项目用工资料上传", 30, "calendar_days", False, "未纳入全面监管的小型项目竣工后30日内上传全部用工资料"),
    ("response_target", "响应目标", 12, "hours", False, "考核目标:12小时内响应"),
]


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    TimeLimit = apps.get_model("core", "TimeLimit")
    holidays = {d: NAMES.get(n, n) for d, n in chinese_calendar.holidays.items() if FIRST_YEAR <= d.year <= LAST_YEAR}
    makeup = {d: NAMES.get(n, n) for d, n in chinese_calendar.workdays.items() if FIRST_YEAR <= d.year <= LAST_YEAR}
    rows = []
    d = date(FIRST_YEAR, 1, 1)
    while d.year <= LAST_YEAR:
        if d in holidays:
            rows.append(CalendarDay(date=d, year=d.year, is_working_day=False, holiday_name=holidays[d], source=SOURCE))
        elif d in makeup:
            rows.append(
                CalendarDay(date=d, year=d.year, is_working_day=True, is_makeup_working_day=True, makeup_for=makeup[d], source=SOURCE)
            )
        else:
            rows.append(CalendarDay(date=d, year=d.year, is_working_day=d.weekday() < 5, source=SOURCE))
        d += timedelta(days=1)
    CalendarDay.objects.bulk_create(rows, batch_size=2000)
    now = timezone.now()
    CalendarYear.objects.bulk_create(
        CalendarYear(
            year=year,
            source=SOURCE,
            loaded_at=now,
            holiday_count=sum(1 for h in holidays if h.year == year),
            makeup_count=sum(1 for m in makeup if m.year == year),
        )
        for year in range(FIRST_YEAR, LAST_YEAR + 1)
    )
    TimeLimit.objects.bulk_create(
        TimeLimit(key=key, name=name, amount=amount, unit=unit, includes_start_day=start_day, description=text)
        for key, name, amount, unit, start_day, text in TIME_LIMITS
    )


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.filter(source=SOURCE).delete()
    apps.get_model("core", "CalendarYear").objects.filter(source=SOURCE).delete()
    apps.get_model("core", "TimeLimit").objects.filter(key__in=[t[0] for t in TIME_LIMITS]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_calendar_time_limits")]

    operations = [migrations.RunPython(seed, unseed)]
