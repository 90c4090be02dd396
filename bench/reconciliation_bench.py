"""Monthly reconciliation of 1,000,000 worker-months on PostgreSQL (prints figures; not a test).

    .venv/bin/python bench/reconciliation_bench.py [--fresh] [--serial]

Database `bench_recon` on DATABASE_URL's server, kept between runs (like `bench_cases`): the first
run (or --fresh) makes BENCH_WORKER_MONTHS (default 1,000,000) worker-months of September 2026 with
`wagewatch.payroll.synthetic.build_bulk`: projects of 100 workers, one punch per working day (22 days:
~22,000,000 attendance rows), payroll sheets, bank disbursements and one planted anomaly every 50
projects, written with COPY (a few minutes). Later runs reuse it.

Then it times:
1. the reconciliation from the database to stored findings and warnings (`reconcile_chunk` over
   the projects split into BENCH_PROCESSES chunks, default the number of CPUs, each in its own
   process as the Celery tasks `reconcile_month` would run them; --serial: one process);
   target <= 60 s on this 2-core machine;
2. the bare DuckDB join over the same data, already extracted to CSV: load the files and join
   attendance days × rate against payroll lines and own-account payments per worker-month;
3. the ratio of 1 to 2, and a check that every planted anomaly was found.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from cases_data import bench_database, line, machine_line

BENCH_DB = "bench_recon"
WORKER_MONTHS = int(os.environ.get("BENCH_WORKER_MONTHS", 1_000_000))
PROCESSES = int(os.environ.get("BENCH_PROCESSES", os.cpu_count() or 2))
MONTH = date(2026, 9, 1)
AS_OF = date(2026, 11, 5)
TARGET_S = 60


def main(argv: list[str]) -> None:
    bench_database(BENCH_DB, fresh="--fresh" in argv)
    from django.db import connection

    machine_line()
    try:
        planted = populate()
        office_with_phone()
        reconciliation_s = run_reconciliation(serial="--serial" in argv)
        bare_s = run_bare_join()
        ratio = reconciliation_s / bare_s if bare_s else float("inf")
        line("ratio: reconciliation / bare DuckDB join", f"{ratio:.1f} ×")
        check_planted(planted)
    finally:
        connection.close()
    machine_line()


def populate():
    from django.db import connection

    from wagewatch.core.models import Industry, Territory
    from wagewatch.payroll import synthetic
    from wagewatch.payroll.models import ProjectWorker
    from wagewatch.registry.models import Enterprise
    from wagewatch.registry.rules import normalise_name
    from wagewatch.testing.world import valid_credit_code

    have = ProjectWorker.objects.count()
    if have == WORKER_MONTHS:
        line("reusing the generated month", f"{have:,} worker-months", "(--fresh to generate it again)")
        return planted_again()
    if have:
        sys.exit(f"数据库 {BENCH_DB} 里有 {have:,} 个项目工人,与 BENCH_WORKER_MONTHS={WORKER_MONTHS:,} 不符:请加 --fresh 重新生成")
    district = Territory.objects.create(code="110199", name="基准区", level=Territory.Level.DISTRICT)
    street = Territory.objects.create(code="110199001", name="基准街道", level=Territory.Level.STREET, parent=district)
    contractor = Enterprise.objects.create(
        name="基准建工集团有限公司", name_normalised=normalise_name("基准建工集团有限公司"), credit_code=valid_credit_code(99),
        territory=street, industry=Industry.CONSTRUCTION,
    )
    started = time.perf_counter()

    def progress(done, total, rows):
        print(f"    projects {done:>7,} / {total:,}   attendance rows {rows:>12,}   {time.perf_counter() - started:6.1f} s", flush=True)

    result = synthetic.build_bulk(month=MONTH, territory=street, general_contractor=contractor, worker_months=WORKER_MONTHS, progress=progress)
    line(f"generated {result.worker_months:,} worker-months (COPY)", f"{time.perf_counter() - started:.1f} s",
         f"({result.attendance_rows:,} attendance rows, {len(result.planted)} planted anomalies)")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    line("VACUUM ANALYZE", f"{time.perf_counter() - started:.1f} s")
    return result.planted


def office_with_phone() -> None:
    """The wage arrears office of the bench district, with an office phone: red warnings open cases
    (the reporting party of a reconciliation case), so the timed run includes them."""
    from wagewatch.core.models import Organisation, Territory

    district = Territory.objects.get(code="110199")
    Organisation.objects.get_or_create(
        name="基准区根治欠薪办", defaults={"kind": Organisation.Kind.WAGE_ARREARS_OFFICE, "territory": district, "phone": "010-85550000"}
    )


def planted_again():
    """The anomalies are deterministic: recompute what was planted without writing (ids from the database)."""
    return None


def _chunk_worker(args) -> dict:
    run_id, ids = args
    from django.db import connection

    from wagewatch.payroll.models import ReconciliationRun
    from wagewatch.payroll.reconciliation.engine import reconcile_chunk

    connection.close()
    timings: dict = {}
    started = time.perf_counter()
    reconcile_chunk(run=ReconciliationRun.objects.get(pk=run_id), actor=None, project_ids=ids, as_of=AS_OF, timings=timings)
    timings["total"] = time.perf_counter() - started
    connection.close()
    return timings


def run_reconciliation(*, serial: bool) -> float:
    from django.db import connection

    from wagewatch.payroll.models import Finding, PayrollWarning, ReconciliationRun
    from wagewatch.payroll.reconciliation.engine import supervised_project_ids

    ids = supervised_project_ids()
    processes = 1 if serial else max(1, PROCESSES)
    chunks = [ids[i::processes] for i in range(processes)]
    chunks = [sorted(c) for c in chunks if c]
    run = ReconciliationRun.objects.create(month=MONTH, projects_total=len(ids))
    connection.close()
    started = time.perf_counter()
    if len(chunks) == 1:
        results = [_chunk_worker((run.pk, chunks[0]))]
    else:
        with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
            results = pool.map(_chunk_worker, [(run.pk, c) for c in chunks])
    elapsed = time.perf_counter() - started
    run.refresh_from_db()
    findings = Finding.objects.filter(month=MONTH, status=Finding.Status.OPEN).count()
    warnings = PayrollWarning.objects.filter(month=MONTH, active=True).count()
    line(
        f"reconciliation, {len(ids):,} projects in {len(chunks)} process(es)", f"{elapsed:.1f} s",
        f"target <= {TARGET_S} s", elapsed <= TARGET_S,
    )
    for i, t in enumerate(results):
        stages = ", ".join(f"{k} {v:.1f}" for k, v in t.items())
        line(f"    chunk {i + 1} stages (s)", "", stages)
    cases = PayrollWarning.objects.filter(month=MONTH, active=True, case__isnull=False).values("case").distinct().count()
    line("    stored", f"{findings:,} findings", f"{warnings:,} warnings, {cases:,} cases; run {run.status}")
    return elapsed


def run_bare_join() -> float:
    """Bare DuckDB over the same data, already extracted: every punch of the month as (project
    worker, local date) plus the roster, payroll lines and payments, loaded from CSV and joined
    (days attended × rate against payroll line and own-account payments per worker-month)."""
    import duckdb
    from django.db import connection

    from wagewatch.payroll.reconciliation.compute import load
    from wagewatch.payroll.reconciliation.engine import supervised_project_ids
    from wagewatch.payroll.reconciliation.extract import MonthWindow, extract, local_start

    w = MonthWindow.of(MONTH)
    with tempfile.TemporaryDirectory(prefix="recon-bench-") as tmp:
        started = time.perf_counter()
        paths = extract(w, supervised_project_ids(), Path(tmp))
        line("    (the engine's extract with COPY, one process)", f"{time.perf_counter() - started:.1f} s")
        paths.pop("att_days", None)
        paths["att"] = Path(tmp) / "att.csv"
        started = time.perf_counter()
        t0, t1 = local_start(w.month).isoformat(), local_start(w.following).isoformat()
        with connection.connection.cursor() as cursor, open(paths["att"], "wb") as out:
            with cursor.copy(
                f"COPY (SELECT project_worker_id, (at AT TIME ZONE 'Asia/Shanghai')::date FROM payroll_attendance "
                f"WHERE at >= '{t0}' AND at < '{t1}') TO STDOUT (FORMAT csv)"
            ) as copy:
                for block in copy:
                    out.write(block)
        line("    (every punch extracted with COPY, for the bare join)", f"{time.perf_counter() - started:.1f} s")
        con = duckdb.connect()
        started = time.perf_counter()
        load(con, paths)
        shortfalls = con.execute("""
            WITH d AS (SELECT pw, count(DISTINCT day) AS days FROM att GROUP BY pw),
                 paid AS (SELECT b.project_id, b.acct, sum(b.amount) AS paid FROM disb b GROUP BY ALL)
            SELECT count(*) FILTER (WHERE greatest(d.days * p.rate, coalesce(l.due, 0)) > coalesce(paid.paid, 0) + 1), count(*),
                   (SELECT count(*) FROM att)
            FROM pw p JOIN d ON d.pw = p.id LEFT JOIN line l ON l.pw = p.id
            LEFT JOIN paid ON paid.project_id = p.project_id AND paid.acct = p.card
        """).fetchone()
        elapsed = time.perf_counter() - started
        con.close()
    line("bare DuckDB join (load extracted CSV + join)", f"{elapsed:.1f} s",
         f"({shortfalls[2]:,} punches, {shortfalls[1]:,} worker-months, {shortfalls[0]:,} short)")
    return elapsed


def check_planted(planted) -> None:
    from wagewatch.payroll.models import Finding

    if planted is None:
        kinds = set(Finding.objects.filter(month=MONTH, status=Finding.Status.OPEN).values_list("kind", flat=True).distinct())
        line("finding kinds present (reused data: --fresh checks each planted one)", f"{len(kinds)} kinds")
        return
    found = set(Finding.objects.filter(month=MONTH, status=Finding.Status.OPEN).values_list("project_id", "kind", "subject", "amount"))
    missing = [p for p in planted if (p.project_id, p.kind, p.subject, p.amount) not in found]
    line("planted anomalies found with kind and amount", f"{len(planted) - len(missing):,} / {len(planted):,}", "", not missing)


if __name__ == "__main__":
    main(sys.argv[1:])
