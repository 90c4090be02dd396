"""Reading one month of payroll data out of the database into CSV files for DuckDB.

PostgreSQL: every table is read with `COPY (SELECT …) TO STDOUT (FORMAT csv)` through psycopg 3 and
streamed to a file, never through Python rows. SQLite: a plain cursor writes the same CSV.

Attendance is read as (project worker, local date): the date of each punch in Asia/Shanghai
(UTC+8 all year, no daylight saving), so a punch at 00:30 local belongs to that local day.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import connection

from wagewatch.payroll.models import (
    Attendance,
    BankDisbursement,
    PayrollLine,
    PayrollSheet,
    ProjectWorker,
    WageAccount,
    Worker,
    WorkQuantity,
)
from wagewatch.registry.models import Project

LOCAL = ZoneInfo("Asia/Shanghai")


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def local_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=LOCAL)


@dataclass
class MonthWindow:
    month: date  # first day of the attendance month M
    following: date  # first day of N = M + 1 (wages of M are paid in N)
    after: date  # first day of N + 1

    @classmethod
    def of(cls, month: date) -> MonthWindow:
        m = month.replace(day=1)
        n = next_month(m)
        return cls(m, n, next_month(n))

    @property
    def month_end(self) -> date:
        return self.following - timedelta(days=1)


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def queries(w: MonthWindow, project_ids: list[int]) -> dict[str, tuple[str, list]]:
    """name -> (SELECT, params) for each table read. Placeholders are %s; project ids are inlined
    (integers only) so that the same text serves COPY, which takes no server-side parameters."""
    pg = connection.vendor == "postgresql"
    ids = ",".join(str(int(i)) for i in project_ids) or "NULL"
    in_projects = f"= ANY('{{{ids}}}'::int[])" if pg else f"IN ({ids})"
    t0, t1, t2 = local_start(w.month), local_start(w.following), local_start(w.after)
    local_date = "date(a.at, '+8 hours')"
    day_zero = (w.month - date(1970, 1, 1)).days
    local_paid = "(b.paid_at AT TIME ZONE 'Asia/Shanghai')" if pg else "datetime(b.paid_at, '+8 hours')"
    return {
        "pw": (
            f"SELECT pw.id, pw.project_id, w.name, pw.bank_card_digest, pw.wage_basis, pw.agreed_rate, pw.entry_date, "
            f"pw.exit_date, pw.settled_on, pw.settlement_confirmed_on "
            f"FROM {_t(ProjectWorker)} pw JOIN {_t(Worker)} w ON w.id = pw.worker_id WHERE pw.project_id {in_projects}",
            [],
        ),
        # PostgreSQL folds the punches into one row per project worker: a bit per local day of
        # the month (bit 0 = the 1st). Local day = (epoch seconds + 8 h) // 1 day: Asia/Shanghai
        # is UTC+8 all year. SQLite sends the punches' local dates and DuckDB folds them.
        "att": (
            (
                f"SELECT a.project_worker_id, bit_or(1::bigint << (((date_part('epoch', a.at)::bigint + 28800) / 86400) - {day_zero})::int) "
                f"FROM {_t(Attendance)} a WHERE a.project_id {in_projects} AND a.at >= %s AND a.at < %s GROUP BY a.project_worker_id"
            )
            if pg
            else f"SELECT a.project_worker_id, {local_date} FROM {_t(Attendance)} a WHERE a.project_id {in_projects} AND a.at >= %s AND a.at < %s",
            [t0, t1],
        ),
        "qty": (
            f"SELECT q.project_worker_id, q.quantity FROM {_t(WorkQuantity)} q JOIN {_t(ProjectWorker)} pw "
            f"ON pw.id = q.project_worker_id WHERE pw.project_id {in_projects} AND q.month = %s",
            [w.month],
        ),
        "line": (
            f"SELECT l.id, l.project_worker_id, s.project_id, l.amount_due, l.amount_paid, l.days, "
            f"CASE WHEN l.back_pay THEN 1 ELSE 0 END FROM {_t(PayrollLine)} l "
            f"JOIN {_t(PayrollSheet)} s ON s.id = l.sheet_id WHERE s.project_id {in_projects} AND s.month = %s",
            [w.month],
        ),
        "disb": (
            f"SELECT b.id, b.project_id, {local_paid}, b.payee_name, b.payee_account_digest, b.amount "
            f"FROM {_t(BankDisbursement)} b WHERE b.project_id {in_projects} "
            f"AND (b.month = %s OR (b.month IS NULL AND b.paid_at >= %s AND b.paid_at < %s))",
            [w.month, t1, t2],
        ),
        "ytd": (
            f"SELECT b.project_id, b.payee_account_digest, SUM(b.amount) FROM {_t(BankDisbursement)} b "
            f"WHERE b.project_id {in_projects} AND ((b.month >= %s AND b.month <= %s) "
            f"OR (b.month IS NULL AND b.paid_at >= %s AND b.paid_at < %s)) GROUP BY b.project_id, b.payee_account_digest",
            [date(w.month.year, 1, 1), w.month, local_start(date(w.month.year, 2, 1)), t2],
        ),
        "proj": (
            f"SELECT p.id, p.code, p.general_contractor_id, wa.pay_day, "
            f"(SELECT COUNT(*) FROM {_t(BankDisbursement)} b WHERE b.project_id = p.id AND b.paid_at >= %s AND b.paid_at < %s) "
            f"FROM {_t(Project)} p LEFT JOIN {_t(WageAccount)} wa ON wa.project_id = p.id WHERE p.id {in_projects}",
            [t0, t2],
        ),
    }


COLUMNS = {
    "pw": {
        "id": "BIGINT", "project_id": "BIGINT", "name": "VARCHAR", "card": "VARCHAR", "basis": "VARCHAR",
        "rate": "DECIMAL(14,2)", "entry": "DATE", "exit": "DATE", "settled": "DATE", "confirmed": "DATE",
    },
    "att": {"pw": "BIGINT", "day": "DATE"},  # SQLite: one row per punch
    "att_days": {"pw": "BIGINT", "mask": "BIGINT"},  # PostgreSQL: one row per project worker
    "qty": {"pw": "BIGINT", "quantity": "DECIMAL(14,3)"},
    "line": {"id": "BIGINT", "pw": "BIGINT", "project_id": "BIGINT", "due": "DECIMAL(14,2)", "paid": "DECIMAL(14,2)", "days": "DECIMAL(5,1)",
             "back_pay": "INTEGER"},
    "disb": {
        "id": "BIGINT", "project_id": "BIGINT", "paid_local": "TIMESTAMP", "payee_name": "VARCHAR", "acct": "VARCHAR",
        "amount": "DECIMAL(14,2)",
    },
    "ytd": {"project_id": "BIGINT", "acct": "VARCHAR", "total": "DECIMAL(18,2)"},
    "proj": {"id": "BIGINT", "code": "VARCHAR", "enterprise_id": "BIGINT", "pay_day": "INTEGER", "outflows_m_n": "BIGINT"},
}


def _literal(value) -> str:
    if isinstance(value, datetime):
        return "'" + value.isoformat() + "'::timestamptz"
    if isinstance(value, date):
        return "'" + value.isoformat() + "'::date"
    raise TypeError(value)


def extract(w: MonthWindow, project_ids: list[int], directory: Path) -> dict[str, Path]:
    """Write one CSV per table into `directory`; returns name -> path."""
    paths = {}
    connection.ensure_connection()
    for name, (sql, params) in queries(w, project_ids).items():
        if name == "att" and connection.vendor == "postgresql":
            name = "att_days"
        path = directory / f"{name}.csv"
        paths[name] = path
        if connection.vendor == "postgresql":
            pieces = sql.split("%s")
            text = pieces[0] + "".join(_literal(p) + rest for p, rest in zip(params, pieces[1:], strict=True))
            raw = connection.connection  # psycopg 3 connection under Django's wrapper
            with raw.cursor() as cursor, open(path, "wb") as out:
                with cursor.copy(f"COPY ({text}) TO STDOUT (FORMAT csv)") as copy:
                    for block in copy:
                        out.write(block)
        else:
            params = [connection.ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p for p in params]
            with connection.cursor() as cursor, open(path, "w", newline="", encoding="utf-8") as out:
                cursor.execute(sql, params)
                writer = csv.writer(out)
                while rows := cursor.fetchmany(10000):
                    writer.writerows(rows)
    return paths
