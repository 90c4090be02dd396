"""Checking and writing each kind of payroll data.

Every kind has `check(ctx, frame) -> plan` (reads the database, writes nothing, puts every
problem into `ctx.rejections`) and `write(ctx, plan) -> Outcome` (runs inside the caller's
transaction, only when nothing was rejected). Natural keys make a resend change nothing:

| kind | key | a resent row that differs |
| --- | --- | --- |
| teams | (project, name) | update |
| workers | worker by ID-number digest; (project, worker) | update this project's employment (phone, card, bank, trade…); a new name only if the worker is on no project the importer may not write, else rejected |
| attendance | (project worker, time, direction) | same key = same punch: unchanged |
| quantities | (project worker, month) | update |
| payroll | (sheet of the month, project worker) | update, recorded with old and new amounts |
| disbursements | (project, bank reference) | rejected: a bank record does not change |
| instalments | (project, reference) | rejected |

Attendance (tens of millions of rows a month) is checked column-wise in polars, the ID-number
digest computed once per distinct ID, and written by COPY into a temporary table and one
`INSERT … SELECT … ON CONFLICT DO NOTHING` (PostgreSQL); disbursements the same way. SQLite
gets `bulk_create(ignore_conflicts=True)` in chunks.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from wagewatch.core.protected import BANK_CARD, ID_NUMBER, encrypt, lookup_digest, mask, normalise
from wagewatch.core.text import shown as text_shown
from wagewatch.core.text import text_problem
from wagewatch.registry.models import Enterprise

from ..models import (
    Attendance,
    BankDisbursement,
    ImportJob,
    LabourCostInstalment,
    PayrollLine,
    PayrollSheet,
    ProjectWorker,
    Team,
    WageBasis,
    Worker,
    WorkQuantity,
)
from ..selectors import NAME_CONFLICT_MESSAGE, workers_employed_elsewhere
from . import cells
from .cells import SHANGHAI
from .columns import column

Kind = ImportJob.Kind

MAX_REPORTED = 10_000  # rejected cells kept in the report; the count says how many more
CHUNK = 5_000
NOT_ON_ROSTER = "不在本项目花名册,请先导入花名册"
ATTENDANCE_LOCK = 5_001  # pg_advisory_xact_lock(ATTENDANCE_LOCK, project id): one attendance import per project at a time


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    months: set[date] = field(default_factory=set)
    changes: list[dict] = field(default_factory=list)


class Rejections:
    def __init__(self, kind: str):
        self.kind = kind
        self.items: list[dict] = []
        self.count = 0
        self.rows: set[int] = set()

    def add(self, row: int, key: str, value, reason: str) -> None:
        self.count += 1
        self.rows.add(row)
        if len(self.items) >= MAX_REPORTED:
            return
        try:
            col = column(self.kind, key)
            header, personal = col.header, col.personal
        except KeyError:
            header, personal = key, ""
        shown = "" if value is None else text_shown(str(value))
        if personal and shown:
            shown = mask(personal, normalise(personal, shown))
        self.items.append({"row": int(row), "column": header, "field": key, "value": shown[:100], "reason": reason})

    def __bool__(self) -> bool:
        return self.count > 0

    def report(self) -> list[dict]:
        return sorted(self.items, key=lambda r: (r["row"], r["field"]))


@dataclass
class Context:
    project: object
    kind: str
    actor: object = None
    rejections: Rejections = None

    def __post_init__(self):
        if self.rejections is None:
            self.rejections = Rejections(self.kind)


# ---------------------------------------------------------------- shared


def roster_resolve(project, raw_ids) -> dict[str, tuple[int | None, str | None]]:
    """raw ID text -> (project worker id, None) or (None, reason). One digest per distinct ID."""
    out: dict[str, tuple[int | None, str | None]] = {}
    digests: dict[str, str] = {}
    for raw in raw_ids:
        if raw is None:
            continue
        try:
            digests[raw] = lookup_digest(ID_NUMBER, cells.id_number_clean(raw))
        except ValueError as exc:
            out[raw] = (None, str(exc))
    found: dict[str, int] = {}
    wanted = sorted(set(digests.values()))
    for i in range(0, len(wanted), CHUNK):
        found.update(
            ProjectWorker.objects.filter(project=project, worker__id_number_digest__in=wanted[i : i + CHUNK]).values_list(
                "worker__id_number_digest", "pk"
            )
        )
    for raw, digest in digests.items():
        pw = found.get(digest)
        out[raw] = (pw, None) if pw else (None, NOT_ON_ROSTER)
    return out


def _rows(frame: pl.DataFrame):
    return frame.iter_rows(named=True)


def _parse(ctx: Context, row: dict, key: str, parser, *, required: bool = False):
    """Parse one cell; on a problem record it and return None."""
    value = row.get(key)
    if value is None:
        if required:
            ctx.rejections.add(row["_row"], key, None, f"“{column(ctx.kind, key).header}”必填")
        return None
    try:
        return parser(value)
    except ValueError as exc:
        ctx.rejections.add(row["_row"], key, value, f"{column(ctx.kind, key).header}{exc}" if str(exc).startswith("“") else str(exc))
        return None


def _text(limit: int):
    return lambda v: cells.text_check(v, limit)


# core.text's single-line rule in the regex syntax polars speaks (no cell of a payroll file spans lines).
_REFUSED = r"[\x00-\x1f\x7f-\x{9f}\x{2028}\x{2029}\x{fffe}\x{ffff}]"


def text_check(ctx: Context, frame: pl.DataFrame) -> None:
    """Every text cell of every kind: a control character is rejected with core.text's reason.
    One vectorised pass per column; the kinds' own checks then run as before."""
    for name, dtype in frame.schema.items():
        if name.startswith("_") or dtype != pl.String:
            continue
        bad = frame.filter(pl.col(name).str.contains(_REFUSED).fill_null(False))
        for row, value in bad.select("_row", name).iter_rows():
            try:
                header = column(ctx.kind, name).header
            except KeyError:
                header = name
            ctx.rejections.add(row, name, value, f"“{header}”{text_problem(value) or '含有不可见的控制字符'}")


def _pw_of(ctx: Context, frame: pl.DataFrame) -> dict[str, tuple[int | None, str | None]]:
    return roster_resolve(ctx.project, frame["id_number"].drop_nulls().unique().to_list())


def _pw(ctx: Context, row: dict, roster) -> int | None:
    raw = row.get("id_number")
    if raw is None:
        ctx.rejections.add(row["_row"], "id_number", None, "“身份证号”必填")
        return None
    pw, reason = roster[raw]
    if reason:
        ctx.rejections.add(row["_row"], "id_number", raw, reason)
    return pw


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _copy_rows(cursor, table: str, columns: str, payload) -> None:
    """COPY text (CSV bytes, or an iterable of CSV byte chunks) into a table (psycopg 3)."""
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        if isinstance(payload, bytes | bytearray):
            copy.write(payload)
        else:
            for chunk in payload:
                copy.write(chunk)


def _local_month(value: datetime) -> date:
    return timezone.localtime(value, SHANGHAI).date().replace(day=1)


def _previous_month(value: date) -> date:
    return (value.replace(day=1) - timedelta(days=1)).replace(day=1)


# ---------------------------------------------------------------- teams


def teams_check(ctx: Context, frame: pl.DataFrame):
    plan = []
    seen: dict[str, int] = {}
    enterprises: dict[str, Enterprise | None] = {}
    for row in _rows(frame):
        r = row["_row"]
        name = _parse(ctx, row, "name", _text(100), required=True)
        if name is not None:
            if name in seen:
                ctx.rejections.add(r, "name", name, f"班组名称在文件中重复(第{seen[name]}行已有):请合并为一行")
            seen.setdefault(name, r)
        enterprise = None
        text = row.get("enterprise")
        if text:
            if text not in enterprises:
                enterprises[text] = Enterprise.objects.filter(Q(credit_code=text.upper()) | Q(name=text)).order_by("pk").first()
            enterprise = enterprises[text]
            if enterprise is None:
                ctx.rejections.add(r, "enterprise", text, f"所属企业“{text}”未在平台登记:请填写统一社会信用代码或企业全称,或先登记该企业")
        values = {
            "enterprise": enterprise,
            "leader_name": _parse(ctx, row, "leader_name", _text(50)),
            "leader_id_number": _parse(ctx, row, "leader_id_number", cells.id_number_clean),
            "leader_phone": _parse(ctx, row, "leader_phone", cells.phone_clean),
        }
        plan.append((name, {k: v for k, v in values.items() if v is not None}))
    return plan


def teams_write(ctx: Context, plan) -> Outcome:
    out = Outcome()
    existing = {t.name: t for t in Team.objects.filter(project=ctx.project)}
    new = []
    for name, values in plan:
        team = existing.get(name)
        if team is None:
            new.append(Team(project=ctx.project, name=name, **values))
            continue
        changed = [k for k, v in values.items() if getattr(team, k) != v]
        if changed:
            for k in changed:
                setattr(team, k, values[k])
            team.save()
            out.updated += 1
            out.changes.append({"team": name, "fields": changed})
        else:
            out.unchanged += 1
    Team.objects.bulk_create(new, batch_size=1000)
    out.created = len(new)
    return out


# ---------------------------------------------------------------- workers (roster)


# The person (Worker) is only the identity: the name on the ID number. Everything else a roster
# row says is this project's own employment (ProjectWorker), so one contractor's file can never
# rewrite the phone, card or bank another project relies on (docs/DEVELOPING.md, "一人多项目").
_WORKER_FIELDS = ("name",)
_PW_FIELDS = (
    "team_id", "phone", "bank_card", "bank_name", "trade", "entry_date", "exit_date", "contract_signed_on", "wage_basis",
    "agreed_rate", "settled_on", "settlement_confirmed_on",
)
_PROTECTED_DIGESTS = {"phone": "phone_digest", "bank_card": "bank_card_digest"}


def _workers_by_digest(digests) -> dict[str, Worker]:
    wanted = sorted(set(digests))
    found: dict[str, Worker] = {}
    for i in range(0, len(wanted), CHUNK):
        found.update({w.id_number_digest: w for w in Worker.objects.filter(id_number_digest__in=wanted[i : i + CHUNK]).only("pk", "name", "id_number_digest")})
    return found


def _renamed_elsewhere(ctx: Context, renames: dict[str, Worker]) -> set[int]:
    """Workers whose name the file changes and who are employed on a project the importer may not
    write: their identity is not this importer's to change."""
    return workers_employed_elsewhere(ctx.actor, [w.pk for w in renames.values()], project=ctx.project)


def workers_check(ctx: Context, frame: pl.DataFrame):
    teams = dict(Team.objects.filter(project=ctx.project).values_list("name", "pk"))
    plan = []
    seen: dict[str, int] = {}
    for row in _rows(frame):
        r = row["_row"]
        id_number = _parse(ctx, row, "id_number", cells.id_number_clean, required=True)
        if id_number:
            if id_number in seen:
                ctx.rejections.add(r, "id_number", id_number, f"同一身份证号在文件中出现多次(第{seen[id_number]}行已有):请合并为一行")
            seen.setdefault(id_number, r)
        worker = {"name": _parse(ctx, row, "name", _text(50), required=True)}
        team_id = None
        if row.get("team"):
            team_id = teams.get(row["team"])
            if team_id is None:
                ctx.rejections.add(r, "team", row["team"], f"班组“{row['team']}”未在本项目登记:请先导入班组,或核对班组名称")
        pw = {
            "team_id": team_id,
            "phone": _parse(ctx, row, "phone", cells.phone_clean),
            "bank_card": _parse(ctx, row, "bank_card", cells.bank_card_clean),
            "bank_name": _parse(ctx, row, "bank_name", _text(100)),
            "trade": _parse(ctx, row, "trade", _text(50)),
            "entry_date": _parse(ctx, row, "entry_date", cells.date_parse, required=True),
            "exit_date": _parse(ctx, row, "exit_date", cells.date_parse),
            "contract_signed_on": _parse(ctx, row, "contract_signed_on", cells.date_parse),
            "wage_basis": _parse(ctx, row, "wage_basis", lambda v: cells.choice_parse(v, WageBasis.choices)),
            "agreed_rate": _parse(ctx, row, "agreed_rate", lambda v: cells.decimal_parse(v, positive=True), required=True),
            "settled_on": _parse(ctx, row, "settled_on", cells.date_parse),
            "settlement_confirmed_on": _parse(ctx, row, "settlement_confirmed_on", cells.date_parse),
        }
        planned_start = ctx.project.planned_start
        if pw["entry_date"] and planned_start and pw["entry_date"] < planned_start - timedelta(days=366):
            ctx.rejections.add(r, "entry_date", row["entry_date"], "进场日期早于项目计划开工一年以上,请核对")
        if pw["entry_date"] and pw["exit_date"] and pw["exit_date"] < pw["entry_date"]:
            ctx.rejections.add(r, "exit_date", row["exit_date"], "退场日期早于进场日期:请核对")
        plan.append((id_number, {k: v for k, v in worker.items() if v is not None}, {k: v for k, v in pw.items() if v is not None}))
    # A name that differs from the one on file for an ID number rewrites the person's identity.
    digests = {id_number: lookup_digest(ID_NUMBER, id_number) for id_number in seen}
    on_file = _workers_by_digest(digests.values())
    renames = {}
    for id_number, values, _ in plan:
        w = on_file.get(digests[id_number]) if id_number else None
        if w is not None and values.get("name") and values["name"] != w.name:
            renames[id_number] = (w, values["name"])
    foreign = _renamed_elsewhere(ctx, {n: w for n, (w, _) in renames.items()}) if renames else set()
    for id_number, (w, name) in renames.items():
        if w.pk in foreign:
            ctx.rejections.add(seen[id_number], "name", name, NAME_CONFLICT_MESSAGE)
    return plan


def workers_write(ctx: Context, plan) -> Outcome:
    out = Outcome()
    digests = {id_number: lookup_digest(ID_NUMBER, id_number) for id_number, _, _ in plan}
    workers = _workers_by_digest(digests.values())
    renames = {n: workers[digests[n]] for n, values, _ in plan if digests[n] in workers and values["name"] != workers[digests[n]].name}
    # Checked already; checked again here, inside the write's transaction, so that a worker who
    # joined another contractor's project since the check keeps his name all the same.
    foreign = _renamed_elsewhere(ctx, renames) if renames else set()
    new_workers = []
    changed_rows: set[str] = set()
    for id_number, values, _ in plan:
        w = workers.get(digests[id_number])
        if w is None:
            w = Worker(id_number=id_number, **values)
            workers[digests[id_number]] = w
            new_workers.append(w)
            continue
        if id_number in renames and w.pk not in foreign:
            w.name = values["name"]
            w.save(update_fields=["name", "updated_at"])
            changed_rows.add(id_number)
    Worker.objects.bulk_create(new_workers, batch_size=1000)
    if connection.vendor != "postgresql" or any(w.pk is None for w in new_workers):
        # SQLite before 3.35 does not return ids from bulk inserts: read them back.
        ids = dict(Worker.objects.filter(id_number_digest__in=[w.id_number_digest for w in new_workers]).values_list("id_number_digest", "pk"))
        for w in new_workers:
            w.pk = ids[w.id_number_digest]
    existing = {
        pw.worker_id: pw for pw in ProjectWorker.objects.filter(project=ctx.project, worker_id__in=[w.pk for w in workers.values()])
    }
    new_pws = []
    for id_number, _, values in plan:
        w = workers[digests[id_number]]
        pw = existing.get(w.pk)
        if pw is None:
            values = {"wage_basis": WageBasis.DAILY, **values}
            new_pws.append(ProjectWorker(project=ctx.project, worker=w, **values))
            continue
        changed = [k for k, v in values.items() if getattr(pw, k) != v]
        if changed:
            for k in changed:
                setattr(pw, k, values[k])
            digests_changed = [_PROTECTED_DIGESTS[k] for k in changed if k in _PROTECTED_DIGESTS]
            pw.save(update_fields=[*changed, *digests_changed, "updated_at"])
            changed_rows.add(id_number)
            if len(out.changes) < 200:
                out.changes.append({"project_worker": pw.pk, "fields": changed})
        if id_number in changed_rows:
            out.updated += 1
        else:
            out.unchanged += 1
    ProjectWorker.objects.bulk_create(new_pws, batch_size=1000)
    out.created = len(new_pws)
    return out


# ---------------------------------------------------------------- attendance (bulk)

_DIRECTIONS = {
    "进": 1, "入": 1, "进场": 1, "上班": 1, "1": 1, "in": 1, "IN": 1, "In": 1,
    "出": 2, "离": 2, "出场": 2, "下班": 2, "2": 2, "out": 2, "OUT": 2, "Out": 2,
}


def _time_expr(name: str) -> pl.Expr:
    """Every accepted spelling of a time (slower: used only on what the usual one missed)."""
    text = pl.col(name).str.replace_all("/", "-").str.replace("T", " ").str.replace(r"Z$", "+00:00")
    local = [
        text.str.to_datetime(fmt, strict=False, time_unit="us")
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S%.f")
    ]
    zoned = [text.str.to_datetime(fmt, strict=False, time_unit="us") for fmt in ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%z")]
    return pl.coalesce(
        *[_beijing_to_utc(e) for e in local],
        *[e.dt.convert_time_zone("UTC") for e in zoned],
    )


def _beijing_to_utc(expr: pl.Expr) -> pl.Expr:
    return expr.dt.replace_time_zone("Asia/Shanghai", ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")


def _times(df: pl.DataFrame) -> pl.DataFrame:
    """`_at` (UTC) from `time`: the usual "2026-11-03 07:58:12" in one pass over the column; the
    other spellings only on the rows it did not parse."""
    df = df.with_columns(_beijing_to_utc(pl.col("time").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")).alias("_at"))
    missed = pl.col("_at").is_null() & pl.col("time").is_not_null()
    if df.select(missed.any()).item():
        fixed = df.filter(missed).select("_row", _time_expr("time").alias("_at_fixed"))
        df = df.join(fixed, on="_row", how="left", maintain_order="left").with_columns(
            pl.coalesce("_at", "_at_fixed").alias("_at")
        ).drop("_at_fixed")
    return df


def attendance_check(ctx: Context, frame: pl.DataFrame):
    rej = ctx.rejections
    roster = _pw_of(ctx, frame)
    idmap = pl.DataFrame(
        {"id_number": list(roster), "_pw": [v[0] for v in roster.values()], "_id_reason": [v[1] for v in roster.values()]},
        schema={"id_number": pl.String, "_pw": pl.Int64, "_id_reason": pl.String},
    )
    horizon = datetime.now(tz=SHANGHAI).replace(tzinfo=None) + timedelta(days=1)
    df = _times(frame.join(idmap, on="id_number", how="left", maintain_order="left")).with_columns(
        pl.col("direction").replace_strict(_DIRECTIONS, default=None, return_dtype=pl.Int16).alias("_dir"),
        pl.col("face_score").cast(pl.Int32, strict=False).alias("_score"),
    )
    checks = [
        ("id_number", pl.col("id_number").is_null(), "“身份证号”必填"),
        ("id_number", pl.col("_id_reason").is_not_null(), None),
        ("time", pl.col("time").is_null(), "“考勤时间”必填"),
        ("time", pl.col("time").is_not_null() & pl.col("_at").is_null(), "考勤时间格式不正确:请填写如 2026-11-03 07:58:12(北京时间)"),
        ("time", pl.col("_at").dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None) > horizon, "考勤时间晚于当前时间:请核对日期"),
        ("direction", pl.col("direction").is_null(), "“方向”必填:填 进 或 出"),
        ("direction", pl.col("direction").is_not_null() & pl.col("_dir").is_null(), "方向只能填 进 或 出(也可填 1/2、in/out)"),
        ("terminal", pl.col("terminal").str.len_chars() > 64, "设备编号超过64个字符"),
        ("location", pl.col("location").str.len_chars() > 128, "位置超过128个字符"),
        (
            "face_score",
            pl.col("face_score").is_not_null() & (pl.col("_score").is_null() | (pl.col("_score") < 0) | (pl.col("_score") > 100)),
            "人脸比对分应为0至100的整数",
        ),
    ]
    if not df.select(pl.any_horizontal([c.fill_null(False) for _, c, _ in checks]).any()).item():
        checks = []  # one pass found nothing wrong
    for key, condition, reason in checks:
        bad = df.filter(condition.fill_null(False))
        if bad.height == 0:
            continue
        if rej.count + bad.height > MAX_REPORTED and len(rej.items) >= MAX_REPORTED:
            rej.count += bad.height
            rej.rows.update(bad["_row"].to_list())
            continue
        for row, value, why in bad.select("_row", key, "_id_reason").iter_rows():
            rej.add(row, key, value, reason or why)
    if rej:
        return None
    return df.select(
        pl.col("_pw").alias("project_worker_id"),
        pl.col("_at").dt.replace_time_zone(None).alias("at"),
        pl.col("_dir").alias("direction"),
        pl.col("terminal").fill_null(""),
        pl.col("location").fill_null(""),
        pl.col("_score").alias("face_score"),
    )


def attendance_write(ctx: Context, plan: pl.DataFrame) -> Outcome:
    out = Outcome()
    total = plan.height
    good = plan.unique(subset=["project_worker_id", "at", "direction"], keep="first", maintain_order=False)
    months = good.select(pl.col("at").dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Shanghai").dt.truncate("1mo").dt.date().unique())
    out.months = set(months.to_series().to_list())
    if _postgres():
        out.created = _attendance_copy(ctx.project.pk, good)
    else:
        before = Attendance.objects.filter(project=ctx.project).count()
        batch = []
        for pw, at, direction, terminal, location, score in good.iter_rows():
            batch.append(
                Attendance(
                    project_id=ctx.project.pk, project_worker_id=pw, at=at.replace(tzinfo=UTC), direction=direction,
                    terminal=terminal, location=location, face_score=score,
                )
            )
            if len(batch) >= CHUNK:
                Attendance.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        Attendance.objects.bulk_create(batch, ignore_conflicts=True)
        out.created = Attendance.objects.filter(project=ctx.project).count() - before
    out.unchanged = total - out.created
    return out


def _attendance_copy(project_id: int, good: pl.DataFrame) -> int:
    """Write the checked punches (no duplicates among them) with COPY; returns how many were new.

    Imports of one project take turns (an advisory lock held to the end of the transaction).
    If the project has no punch yet in the file's time span (a new month: the usual case),
    the rows are copied straight into payroll_attendance. Otherwise (a resend, an overlap)
    they are copied into a temporary table and inserted with ON CONFLICT DO NOTHING."""
    if good.height == 0:
        return 0
    first, last = good.select(pl.col("at").min().alias("first"), pl.col("at").max().alias("last")).row(0)
    rows = good.with_columns(pl.lit(project_id, dtype=pl.Int64).alias("project_id")).select(
        "project_id", "project_worker_id", "at", "direction", "terminal", "location", "face_score"
    ).sort("project_worker_id", "at")  # in the unique index's order: 1.8x faster COPY at 1M rows than file order

    def chunks():
        step = 250_000
        for offset in range(0, rows.height, step):
            yield rows.slice(offset, step).write_csv(include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.6f+00").encode()

    columns = "project_id, project_worker_id, at, direction, terminal, location, face_score"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ATTENDANCE_LOCK, project_id])
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM payroll_attendance WHERE project_id = %s AND at BETWEEN %s AND %s)",
            [project_id, first.replace(tzinfo=UTC), last.replace(tzinfo=UTC)],
        )
        if not cursor.fetchone()[0]:
            _copy_rows(cursor, "payroll_attendance", columns, chunks())
            return rows.height
        cursor.execute("DROP TABLE IF EXISTS payroll_attendance_stage")
        cursor.execute(
            "CREATE TEMP TABLE payroll_attendance_stage (project_id bigint, project_worker_id bigint, at timestamptz, "
            "direction smallint, terminal varchar(64), location varchar(128), face_score smallint) ON COMMIT DROP"
        )
        _copy_rows(cursor, "payroll_attendance_stage", columns, chunks())
        cursor.execute(
            f"INSERT INTO payroll_attendance ({columns}) SELECT {columns} FROM payroll_attendance_stage "
            "ON CONFLICT (project_worker_id, at, direction) DO NOTHING"
        )
        created = cursor.rowcount
        cursor.execute("DROP TABLE payroll_attendance_stage")
        return created


# ---------------------------------------------------------------- quantities


def quantities_check(ctx: Context, frame: pl.DataFrame):
    roster = _pw_of(ctx, frame)
    plan = {}
    for row in _rows(frame):
        r = row["_row"]
        pw = _pw(ctx, row, roster)
        month = _parse(ctx, row, "month", cells.month_parse, required=True)
        quantity = _parse(ctx, row, "quantity", lambda v: cells.decimal_parse(v, places=3, unit=""), required=True)
        unit = _parse(ctx, row, "unit", _text(20)) or ""
        if pw and month:
            if (pw, month) in plan:
                ctx.rejections.add(r, "id_number", row["id_number"], f"同一工人同一月份在文件中出现多次(第{plan[(pw, month)][0]}行已有):请合并为一行")
                continue
            plan[(pw, month)] = (r, quantity, unit)
    return plan


def quantities_write(ctx: Context, plan) -> Outcome:
    out = Outcome()
    existing = {
        (q.project_worker_id, q.month): q
        for q in WorkQuantity.objects.filter(project_worker__project=ctx.project, month__in={m for _, m in plan})
    }
    new, changed = [], []
    for (pw, month), (_, quantity, unit) in plan.items():
        out.months.add(month)
        q = existing.get((pw, month))
        if q is None:
            new.append(WorkQuantity(project_worker_id=pw, month=month, quantity=quantity, unit=unit))
        elif q.quantity != quantity or (unit and q.unit != unit):
            if len(out.changes) < 200:
                out.changes.append({"project_worker": pw, "month": month.isoformat(), "quantity": [str(q.quantity), str(quantity)]})
            q.quantity, q.unit = quantity, unit or q.unit
            changed.append(q)
        else:
            out.unchanged += 1
    WorkQuantity.objects.bulk_create(new, batch_size=1000)
    WorkQuantity.objects.bulk_update(changed, ["quantity", "unit"], batch_size=1000)
    out.created, out.updated = len(new), len(changed)
    return out


# ---------------------------------------------------------------- payroll lines


_LINE_FIELDS = ("days", "hours", "amount_due", "amount_paid", "back_pay")


def payroll_check(ctx: Context, frame: pl.DataFrame):
    roster = _pw_of(ctx, frame)
    plan = {}
    for row in _rows(frame):
        r = row["_row"]
        pw = _pw(ctx, row, roster)
        month = _parse(ctx, row, "month", cells.month_parse, required=True)
        values = {
            "days": _parse(ctx, row, "days", lambda v: cells.decimal_parse(v, places=1, max_digits=5, unit="天")) or Decimal("0.0"),
            "hours": _parse(ctx, row, "hours", lambda v: cells.decimal_parse(v, places=1, max_digits=6, unit="小时")) or Decimal("0.0"),
            "amount_due": _parse(ctx, row, "amount_due", cells.decimal_parse, required=True),
            "amount_paid": _parse(ctx, row, "amount_paid", cells.decimal_parse, required=True),
            "back_pay": bool(_parse(ctx, row, "back_pay", cells.bool_parse)),
        }
        if values["days"] > 31:
            ctx.rejections.add(r, "days", row["days"], "出勤天数超过31天:请核对")
        if pw and month:
            if (pw, month) in plan:
                ctx.rejections.add(r, "id_number", row["id_number"], f"同一工人同一月份在文件中出现多次(第{plan[(pw, month)][0]}行已有):请合并为一行")
                continue
            plan[(pw, month)] = (r, values)
    return plan


def payroll_write(ctx: Context, plan) -> Outcome:
    out = Outcome()
    months = sorted({m for _, m in plan})
    sheets = {s.month: s for s in PayrollSheet.objects.filter(project=ctx.project, month__in=months)}
    actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
    for month in months:
        if month not in sheets:
            sheets[month] = PayrollSheet.objects.create(project=ctx.project, month=month, submitted_by=actor)
    out.months = set(months)
    existing = {
        (line.project_worker_id, line.sheet_id): line
        for line in PayrollLine.objects.filter(sheet__in=list(sheets.values()))
    }
    new, changed = [], []
    for (pw, month), (_, values) in plan.items():
        sheet = sheets[month]
        line = existing.get((pw, sheet.pk))
        if line is None:
            new.append(PayrollLine(sheet=sheet, project_worker_id=pw, **values))
            continue
        diff = {k: [str(getattr(line, k)), str(v)] for k, v in values.items() if getattr(line, k) != v}
        if diff:
            if len(out.changes) < 500:
                out.changes.append({"project_worker": pw, "month": month.isoformat(), **diff})
            for k, v in values.items():
                setattr(line, k, v)
            changed.append(line)
        else:
            out.unchanged += 1
    PayrollLine.objects.bulk_create(new, batch_size=1000)
    PayrollLine.objects.bulk_update(changed, list(_LINE_FIELDS), batch_size=1000)
    out.created, out.updated = len(new), len(changed)
    return out


# ---------------------------------------------------------------- disbursements and instalments (by reference)


def _by_reference(ctx: Context, plan: dict, model, compare) -> None:
    """Reject rows whose reference is on file with other content (a bank record never changes)."""
    refs = list(plan)
    for i in range(0, len(refs), CHUNK):
        for old in model.objects.filter(project=ctx.project, reference__in=refs[i : i + CHUNK]):
            r, values = plan[old.reference]
            differs = compare(old, values)
            if differs:
                ctx.rejections.add(
                    r, "reference", old.reference, f"流水号“{old.reference}”已导入,但{differs}与已导入的不同:银行流水不能修改,请核对"
                )
            else:
                plan[old.reference] = (r, None)  # already on file: unchanged


def disbursements_check(ctx: Context, frame: pl.DataFrame):
    plan: dict[str, tuple[int, dict | None]] = {}
    for row in _rows(frame):
        r = row["_row"]
        values = {
            "reference": _parse(ctx, row, "reference", _text(64), required=True),
            "paid_at": _parse(ctx, row, "paid_at", cells.past_datetime_parse, required=True),
            "payee_name": _parse(ctx, row, "payee_name", _text(50), required=True),
            "payee_account": _parse(ctx, row, "payee_account", cells.bank_card_clean, required=True),
            "amount": _parse(ctx, row, "amount", lambda v: cells.decimal_parse(v, positive=True), required=True),
            "month": _parse(ctx, row, "month", cells.month_parse),
        }
        ref = values["reference"]
        if ref is None:
            continue
        if ref in plan:
            first_row, first = plan[ref]
            if first != values:
                ctx.rejections.add(r, "reference", ref, f"银行流水号在文件中重复且内容不同(第{first_row}行已有):请核对")
            continue
        plan[ref] = (r, values)
    if not ctx.rejections:

        def compare(old, values):
            diffs = []
            if old.amount != values["amount"]:
                diffs.append("金额")
            if old.paid_at != values["paid_at"]:
                diffs.append("付款时间")
            if old.payee_account != values["payee_account"]:
                diffs.append("收款账号")
            if old.payee_name != values["payee_name"]:
                diffs.append("收款人")
            return "、".join(diffs)

        _by_reference(ctx, plan, BankDisbursement, compare)
    return plan


def disbursements_write(ctx: Context, plan) -> Outcome:
    out = Outcome()
    fresh = [v for _, v in plan.values() if v is not None]
    out.unchanged = len(plan) - len(fresh)
    for v in fresh:
        month = v["month"] or _previous_month(_local_month(v["paid_at"]))
        v["month"] = month
        out.months.add(month)
    if _postgres() and fresh:
        digests: dict[str, str] = {}
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for v in fresh:
            account = normalise(BANK_CARD, v["payee_account"])
            digest = digests.get(account) or digests.setdefault(account, lookup_digest(BANK_CARD, account))
            writer.writerow([v["paid_at"].isoformat(), v["payee_name"], encrypt(account), digest, v["amount"], v["reference"], v["month"].isoformat()])
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS payroll_disbursement_stage")
            cursor.execute(
                "CREATE TEMP TABLE payroll_disbursement_stage (paid_at timestamptz, payee_name text, payee_account text, "
                "payee_account_digest text, amount numeric, reference text, month date) ON COMMIT DROP"
            )
            _copy_rows(
                cursor, "payroll_disbursement_stage", "paid_at, payee_name, payee_account, payee_account_digest, amount, reference, month",
                buffer.getvalue().encode(),
            )
            cursor.execute(
                "INSERT INTO payroll_bankdisbursement (project_id, paid_at, payee_name, payee_account, payee_account_digest, amount, reference, month) "
                "SELECT %s, paid_at, payee_name, payee_account, payee_account_digest, amount, reference, month FROM payroll_disbursement_stage "
                "ON CONFLICT (project_id, reference) DO NOTHING",
                [ctx.project.pk],
            )
            out.created = cursor.rowcount
            cursor.execute("DROP TABLE payroll_disbursement_stage")
    elif fresh:
        before = BankDisbursement.objects.filter(project=ctx.project).count()
        BankDisbursement.objects.bulk_create(
            [BankDisbursement(project=ctx.project, **v) for v in fresh], ignore_conflicts=True, batch_size=1000
        )
        out.created = BankDisbursement.objects.filter(project=ctx.project).count() - before
    out.unchanged += len(fresh) - out.created
    return out


def instalments_check(ctx: Context, frame: pl.DataFrame):
    plan: dict[str, tuple[int, dict | None]] = {}
    for row in _rows(frame):
        r = row["_row"]
        values = {
            "reference": _parse(ctx, row, "reference", _text(64), required=True),
            "paid_on": _parse(ctx, row, "paid_on", cells.past_date_parse, required=True),
            "amount": _parse(ctx, row, "amount", lambda v: cells.decimal_parse(v, positive=True), required=True),
            "payer": _parse(ctx, row, "payer", _text(200)) or "",
        }
        ref = values["reference"]
        if ref is None:
            continue
        if ref in plan:
            first_row, first = plan[ref]
            if first != values:
                ctx.rejections.add(r, "reference", ref, f"流水号在文件中重复且内容不同(第{first_row}行已有):请核对")
            continue
        plan[ref] = (r, values)
    if not ctx.rejections:

        def compare(old, values):
            diffs = [label for key, label in (("amount", "金额"), ("paid_on", "拨付日期")) if getattr(old, key) != values[key]]
            return "、".join(diffs)

        _by_reference(ctx, plan, LabourCostInstalment, compare)
    return plan


def instalments_write(ctx: Context, plan) -> Outcome:
    out = Outcome()
    fresh = [v for _, v in plan.values() if v is not None]
    before = LabourCostInstalment.objects.filter(project=ctx.project).count()
    LabourCostInstalment.objects.bulk_create(
        [LabourCostInstalment(project=ctx.project, **v) for v in fresh], ignore_conflicts=True, batch_size=1000
    )
    out.created = LabourCostInstalment.objects.filter(project=ctx.project).count() - before
    out.unchanged = len(plan) - out.created
    return out


HANDLERS = {
    Kind.TEAMS: (teams_check, teams_write),
    Kind.WORKERS: (workers_check, workers_write),
    Kind.ATTENDANCE: (attendance_check, attendance_write),
    Kind.QUANTITIES: (quantities_check, quantities_write),
    Kind.PAYROLL: (payroll_check, payroll_write),
    Kind.DISBURSEMENTS: (disbursements_check, disbursements_write),
    Kind.INSTALMENTS: (instalments_check, instalments_write),
}

# Kinds after which the months touched are reconciled again.
RECONCILED_KINDS = {Kind.ATTENDANCE, Kind.QUANTITIES, Kind.PAYROLL, Kind.DISBURSEMENTS}
