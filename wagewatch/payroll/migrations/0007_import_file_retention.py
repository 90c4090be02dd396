"""The office's retention of kept import files: a time limit like the others, edited on the
time-limits page (its change is recorded as `time_limit.updated`)."""

from django.db import migrations

KEY = "import_file_retention"


def seed(apps, schema_editor):
    TimeLimit = apps.get_model("core", "TimeLimit")
    TimeLimit.objects.get_or_create(
        key=KEY,
        defaults={
            "name": "导入文件保留期限",
            "amount": 30,
            "unit": "calendar_days",
            "includes_start_day": False,
            "description": "被退回的工资数据导入文件(含身份证号、银行卡号,加密保存)自导入结束起保留的期限,供上传人下载改正;期满由每日任务删除并记录",
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("core", "TimeLimit").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_seed_calendar_time_limits"),
        ("payroll", "0006_job_heartbeats"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
