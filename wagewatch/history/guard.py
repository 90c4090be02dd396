"""Database triggers that make the history tables append-only, per backend.

The migration installs them; `flush` (overridden in this app) suspends them around a full wipe,
which is the one legitimate way to empty these tables (test teardown, a fresh install).
"""

from __future__ import annotations

from contextlib import contextmanager

GUARDED_TABLES = ("history_event", "history_treenode", "history_treehead")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION history_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '防篡改历史只能追加,禁止%表 %',
        CASE TG_OP WHEN 'UPDATE' THEN '修改' WHEN 'DELETE' THEN '删除' ELSE '清空' END,
        TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def _pg_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION history_refuse_change();",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION history_refuse_change();",
    ]


def _sqlite_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '防篡改历史只能追加,禁止修改表 {table}'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '防篡改历史只能追加,禁止删除表 {table}'); END;",
    ]


def trigger_names(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f"{table}_append_only", f"{table}_no_truncate"]
    return [f"{table}_no_update", f"{table}_no_delete"]


def create_statements(vendor: str, tables=GUARDED_TABLES) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [s for t in tables for s in _pg_create(t)]
    if vendor == "sqlite":
        return [s for t in tables for s in _sqlite_create(t)]
    return []


def drop_statements(vendor: str, tables=GUARDED_TABLES) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {n} ON {t};" for t in tables for n in trigger_names(vendor, t)] + [
            "DROP FUNCTION IF EXISTS history_refuse_change();"
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {n};" for t in tables for n in trigger_names(vendor, t)]
    return []


def install(connection, tables=GUARDED_TABLES) -> None:
    with connection.cursor() as cursor:
        for sql in create_statements(connection.vendor, tables):
            cursor.execute(sql)


def uninstall(connection, tables=GUARDED_TABLES) -> None:
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor, tables):
            cursor.execute(sql)


def installed(connection, tables=GUARDED_TABLES) -> bool:
    """True when every guard trigger exists (and, on PostgreSQL, is enabled)."""
    names = {n for t in tables for n in trigger_names(connection.vendor, t)}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s) AND tgenabled <> 'D'", [list(names)])
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            return False
        found = {row[0] for row in cursor.fetchall()}
    return names <= found


def _existing_tables(connection) -> list[str]:
    present = set(connection.introspection.table_names())
    return [t for t in GUARDED_TABLES if t in present]


@contextmanager
def suspended(connection):
    """Remove the guards for the duration of the block and put them back afterwards."""
    tables = _existing_tables(connection)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER;")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER;")
    else:
        uninstall(connection, tables)
        try:
            yield
        finally:
            install(connection, tables)
