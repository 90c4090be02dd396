"""Triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the history tables."""

from django.db import migrations


def install(apps, schema_editor):
    from wagewatch.history import guard

    guard.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from wagewatch.history import guard

    guard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("history", "0002_tree"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
