"""Trigram indexes for the ledger's search by employer or project name (PostgreSQL only).

`employer_name LIKE '%…%'` over a million cases reads the whole table; a pg_trgm GIN index
answers it for three characters and more (cases/selectors.py keeps shorter searches off it).
A GinIndex in Meta would break the SQLite default, hence SQL that does nothing elsewhere.
pg_trgm is a trusted extension since PostgreSQL 13: the database owner may create it."""

from django.db import migrations

INDEXES = (
    ("case_employer_trgm", "employer_name"),
    ("case_project_trgm", "project_name"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON cases_case USING gin ({column} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_ledger_indexes")]

    operations = [migrations.RunPython(create, drop)]
