"""Benchmark of the attendance import on PostgreSQL (prints figures; not a test).

    .venv/bin/python bench/attendance_import_bench.py
    BENCH_ROWS=50000 .venv/bin/python bench/attendance_import_bench.py     # quick run
    BENCH_PROFILE=first …                                                  # cProfile of the first import

A throwaway database `ww_bench_attendance_import` on DATABASE_URL's server (created and dropped
here). One project with BENCH_WORKERS (2,000) workers on its roster (imported through the roster
import), then a CSV of BENCH_ROWS (1,000,000) punches — in and out, every working day, Beijing
time, Chinese headers — imported through the same services the page's Celery task runs:
`import_job_create` (file stored, SHA-256) + `import_job_process` (polars read, checks with one
ID-number digest per distinct ID, COPY into a temporary table, INSERT … ON CONFLICT DO NOTHING,
one history event). Figures and target:
  - first import of the file, end to end                 target >= 150,000 rows/s
  - the same file again (every row already there)         (reported)
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases_data import bench_database, drop_database, line, machine_line  # noqa: E402

BENCH_DB = "ww_bench_attendance_import"
ROWS = int(os.environ.get("BENCH_ROWS", 1_000_000))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2_000))
TARGET = 150_000


def id_number(n: int) -> str:
    from stdnum.cn import ric

    born = date(1970, 1, 1) + timedelta(days=n * 7 % 12000)
    base = f"110105{born:%Y%m%d}{n % 1000:03d}"
    return base + ric.calc_check_digit(base + "0")


def roster_csv(n: int) -> bytes:
    lines = ["身份证号,姓名,工资卡号,进场日期,计薪方式,工资标准"]
    for i in range(n):
        lines.append(f"{id_number(i)},工人{i},{6222020000000000000 + i},2025-01-01,按日计薪,{300 + i % 200}")
    return ("\n".join(lines) + "\n").encode()


def attendance_csv(rows: int, workers: int) -> bytes:
    """`rows` punches: worker i % workers, in at 07:xx and out at 17:xx on consecutive days ending
    before today (Beijing time), as a clerk's CSV with Chinese headers."""
    import polars as pl

    ids = pl.Series("身份证号", [id_number(i) for i in range(workers)])
    days = -(-rows // (2 * workers))
    start = date.today() - timedelta(days=days + 2)
    frame = (
        pl.DataFrame({"i": pl.int_range(0, rows, eager=True)})
        .with_columns(w=pl.col("i") % workers, punch=pl.col("i") // workers)
        .with_columns(day=pl.col("punch") // 2, out=(pl.col("punch") % 2) == 1)
    )
    frame = frame.select(
        ids.gather(frame["w"]).alias("身份证号"),
        (
            pl.lit(start).cast(pl.Datetime("us"))
            + pl.duration(days=pl.col("day"), hours=pl.when(pl.col("out")).then(17).otherwise(7), seconds=pl.col("w") % 3600)
        ).dt.strftime("%Y-%m-%d %H:%M:%S").alias("考勤时间"),
        pl.when(pl.col("out")).then(pl.lit("出")).otherwise(pl.lit("进")).alias("方向"),
        pl.format("GATE-{}", pl.col("w") % 4 + 1).alias("设备编号"),
        pl.lit("1号门").alias("位置"),
    )
    return frame.write_csv().encode()


def instrument(import_services) -> dict[str, float]:
    """Time the phases of the last import: reading (polars), checking, writing (COPY, INSERT
    and the commit with its deferred FK checks)."""
    from django.db import transaction

    from wagewatch.payroll.imports import kinds

    phases = {"read": 0.0, "check": 0.0, "write": 0.0}  # "read": bytes to polars (canonical() is in "check"'s caller, not shown)

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = time.perf_counter() - started

        return wrapper

    import_services.read_upload = timed("read", import_services.read_upload)
    check, write = kinds.HANDLERS[kinds.Kind.ATTENDANCE]

    def write_and_commit(ctx, plan):
        started = time.perf_counter()
        result = write(ctx, plan)
        transaction.on_commit(lambda: phases.__setitem__("write", time.perf_counter() - started))
        return result

    kinds.HANDLERS[kinds.Kind.ATTENDANCE] = (timed("check", check), write_and_commit)
    return phases


def main() -> None:
    machine_line()
    bench_database(BENCH_DB)
    try:
        run()
    finally:
        from django.db import connection

        connection.close()
        drop_database(BENCH_DB)
    machine_line()


def run() -> None:
    from wagewatch.payroll.models import Attendance, ImportJob
    from wagewatch.payroll.services import imports as import_services
    from wagewatch.payroll.services.imports import import_job_create, import_job_process
    from wagewatch.testing.world import build_world

    import_services._enqueue = lambda job_id: None  # processed right here, not by a worker
    phases = instrument(import_services)

    def phase_line():
        line("  of which: read CSV / check / write+commit", " / ".join(f"{phases[k]:.2f}" for k in ("read", "check", "write")) + " s")

    world = build_world()
    project, manager = world.projects["housing_b"], world.users["labour_manager"]

    def imported(kind: str, data: bytes, name: str) -> tuple[ImportJob, float]:
        started = time.perf_counter()
        job = import_job_create(actor=manager, project=project, kind=kind, data=data, filename=name)
        job = import_job_process(job.pk)
        seconds = time.perf_counter() - started
        if job.status != ImportJob.Status.DONE:
            sys.exit(f"导入未成功:{job.status} {job.error} {job.rejected[:5]}")
        return job, seconds

    _, seconds = imported(ImportJob.Kind.WORKERS, roster_csv(WORKERS), "roster.csv")
    line(f"roster import ({WORKERS:,} workers)", f"{seconds:.2f} s")
    started = time.perf_counter()
    data = attendance_csv(ROWS, WORKERS)
    line(f"generate attendance CSV ({ROWS:,} rows, {len(data) / 1e6:.0f} MB)", f"{time.perf_counter() - started:.2f} s", "(not timed below)")

    if os.environ.get("BENCH_PROFILE") == "first":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    job, seconds = imported(ImportJob.Kind.ATTENDANCE, data, "attendance.csv")
    if os.environ.get("BENCH_PROFILE") == "first":
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    rate = ROWS / seconds
    assert job.rows_created == ROWS and Attendance.objects.count() == ROWS, (job.rows_created, ROWS)
    line("attendance import, first time (end to end)", f"{rate:,.0f} rows/s", f"{seconds:.2f} s; target >= {TARGET:,} rows/s", rate >= TARGET)
    phase_line()
    job, seconds = imported(ImportJob.Kind.ATTENDANCE, data, "attendance.csv")
    assert job.rows_created == 0 and job.rows_unchanged == ROWS
    line("the same file again (all unchanged)", f"{ROWS / seconds:,.0f} rows/s", f"{seconds:.2f} s")


if __name__ == "__main__":
    main()
