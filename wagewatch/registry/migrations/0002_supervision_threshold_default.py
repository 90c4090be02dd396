"""Seed the single SupervisionThreshold row with the shipped defaults (≥ 4,000,000 yuan and
≥ 6 months), so reads never have to create it."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    SupervisionThreshold = apps.get_model("registry", "SupervisionThreshold")
    if not SupervisionThreshold.objects.exists():
        SupervisionThreshold.objects.create(min_contract_value=Decimal("4000000"), min_duration_months=6)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
