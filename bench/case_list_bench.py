"""The case ledger over 1,000,000 cases on PostgreSQL (prints figures; not a test).

    .venv/bin/python bench/case_list_bench.py [--fresh] [--explain]

Database `bench_cases` on DATABASE_URL's server, kept between runs: the first run (or --fresh)
builds the demo's registry and users and generates 1,000,000 cases with their assignments on the
server (INSERT ... SELECT generate_series; a minute or two); later runs reuse it.

For users of every reach (the office district-wide, a street government through its assignments,
an industry bureau, a labour inspector, a grid worker) and filter combinations (state, unit,
channel, overdue, major, territory, q by number and by name) it times what the ledger page does
with `cases.selectors.case_list(user, ...)`: the count the page shows (capped: "10,000+") and the
first page of 20 rows. Prints p50 / p95 per combination.   target p95 <= 150 ms

--explain prints the plans of the slowest combinations. Indexes are what the migrations define
(run --fresh after a migration changes them). BENCH_CASES (default 1000000) and BENCH_ROUNDS (default 10) change the sizes.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from cases_data import bench_database, generate_cases, line, machine_line, seed_registry

BENCH_DB = "bench_cases"
CASES = int(os.environ.get("BENCH_CASES", 1_000_000))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 10))
TARGET_MS = 150
PAGE_SIZE = 20

# Candidate indexes (exact Django Index definitions in bench/README.md), as SQL for this database.
OPEN_SQL = "('registered','dispatched','accepted','verifying','handling','resolved','called_back','returned','reopened')"


def main(argv: list[str]) -> None:
    fresh = "--fresh" in argv
    bench_database(BENCH_DB, fresh=fresh)
    from django.db import connection

    try:
        populate()
        run(explain="--explain" in argv)
    finally:
        connection.close()


def populate() -> None:
    from django.db import connection

    from wagewatch.cases.models import Case
    from wagewatch.core.models import User

    have = Case.objects.count()
    if have >= CASES and User.objects.filter(username="office_staff").exists():
        line("reusing the generated register", f"{have:,} cases", "(--fresh to generate it again)")
        return
    if have or User.objects.exists():
        sys.exit(f"数据库 {BENCH_DB} 不完整({have:,} 个案件):请加 --fresh 重新生成")
    started = time.perf_counter()
    seed_registry()
    line("registry and users (demo modules, through the services)", f"{time.perf_counter() - started:.1f} s")

    def progress(lo, hi, seconds):
        print(f"    cases {lo:>9,} .. {hi - 1:>9,}  {seconds:5.1f} s", flush=True)

    started = time.perf_counter()
    generate_cases(CASES, batch=200_000, progress=progress)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
        cursor.execute("VACUUM ANALYZE cases_caseassignment")
        cursor.execute("SELECT pg_total_relation_size('cases_case'), pg_total_relation_size('cases_caseassignment'), count(*) FROM cases_caseassignment")
        case_bytes, assignment_bytes, assignments = cursor.fetchone()
    line(f"generated {CASES:,} cases (INSERT ... SELECT)", f"{time.perf_counter() - started:.1f} s",
         f"({assignments:,} assignments; {case_bytes / 2**20:,.0f} + {assignment_bytes / 2**20:,.0f} MiB)")


def combinations(users: dict, sample_number: str, units: dict, territories: dict) -> list[tuple[str, str, dict]]:
    """(user, label, case_list kwargs)."""
    combos = []
    for who in ("office_staff", "xishan_handler", "housing_handler", "inspector", "donghu_grid"):
        combos.append((who, "no filter", {}))
        combos.append((who, "state=open", {"state": "open"}))
        combos.append((who, "overdue", {"overdue": True}))
    office = "office_staff"
    combos += [
        (office, "state=handling", {"state": "handling"}),
        (office, "state=closed", {"state": "closed"}),
        (office, "unit=street (西山)", {"unit": units["street2"]}),
        (office, "unit=housing + state=open", {"unit": units["housing"], "state": "open"}),
        (office, "channel=hotline_12345", {"channel": "hotline_12345"}),
        (office, "major", {"major": True}),
        (office, "major + state=open", {"major": True, "state": "open"}),
        (office, "territory=street", {"territory_path": territories["street"]}),
        (office, "territory=community + state=open", {"territory_path": territories["community"], "state": "open"}),
        (office, "territory=grid", {"territory_path": territories["grid"]}),
        (office, "overdue + unit=street", {"overdue": True, "unit": units["street2"]}),
        (office, "channel + state + territory", {"channel": "window", "state": "closed", "territory_path": territories["street"]}),
        (office, "q=case number", {"q": sample_number}),
        (office, "q=employer name (2 characters)", {"q": "德润"}),
        (office, "q=employer name (4 characters)", {"q": "德润建筑"}),
        ("xishan_handler", "state=handling", {"state": "handling"}),
        ("xishan_handler", "channel=worker_phone", {"channel": "worker_phone"}),
        ("xishan_handler", "q=case number", {"q": sample_number}),
        ("inspector", "territory=community", {"territory_path": territories["community"]}),
        ("inspector", "major", {"major": True}),
    ]
    return combos


def first_page(user, kwargs: dict) -> tuple[float, float, int]:
    """(total ms, count ms, count) for what the ledger page does: the count it shows (capped at
    10,001 rows: "10,000+", core/pagination.py) and the first page of rows."""
    from wagewatch.cases.selectors import case_list
    from wagewatch.core.pagination import CappedPaginator

    started = time.perf_counter()
    paginator = CappedPaginator(case_list(user, **kwargs), PAGE_SIZE)
    count = paginator.count
    counted = time.perf_counter()
    rows = list(paginator.page(1).object_list)
    for row in rows:  # what the template reads
        _ = (row.number, row.territory.name, row.lead_organisation.name if row.lead_organisation else "", row.get_state_display())
    done = time.perf_counter()
    return (done - started) * 1000, (counted - started) * 1000, count


def measure(users, combos) -> dict:
    results = {}
    for who, label, kwargs in combos:
        user = users[who]
        first_page(user, kwargs)  # warm: plan cache, buffers
        totals, counts = [], []
        for _ in range(ROUNDS):
            total, counting, count = first_page(user, kwargs)
            totals.append(total)
            counts.append(counting)
        totals.sort()
        p95 = totals[min(len(totals) - 1, round(len(totals) * 0.95) - 1)]
        results[(who, label)] = (statistics.median(totals), p95, statistics.median(counts), count)
    return results


def print_results(title: str, results: dict, baseline: dict | None = None) -> None:
    print(f"\n{title}")
    print(f"    {'user':<16} {'filters':<34} {'rows':>9} {'count p50':>10} {'p50':>8} {'p95':>8}" + ("   before p95" if baseline else ""))
    misses = 0
    for (who, label), (p50, p95, count_ms, count) in results.items():
        ok = p95 <= TARGET_MS
        misses += not ok
        before = f"   {baseline[(who, label)][1]:8.1f}" if baseline else ""
        print(f"    {who:<16} {label:<34} {count:>9,} {count_ms:>8.1f}ms {p50:>6.1f}ms {p95:>6.1f}ms{before}  {'OK' if ok else 'MISSED'}")
    worst = max(r[1] for r in results.values())
    line(f"  worst p95 over {len(results)} combinations", f"{worst:.1f} ms", f"p95 <= {TARGET_MS} ms", worst <= TARGET_MS)
    if misses:
        line("  combinations over the target", f"{misses}")


def explain_slowest(users, combos, results, n: int = 6) -> None:
    from wagewatch.cases.selectors import case_list

    slowest = sorted(results.items(), key=lambda kv: -kv[1][1])[:n]
    by_key = {(who, label): kwargs for who, label, kwargs in combos}
    from django.db import connection

    for (who, label), (_p50, p95, _c, _n) in slowest:
        qs = case_list(users[who], **by_key[(who, label)])
        for name, query in (("count", qs.order_by().values("pk")), ("page", qs[:PAGE_SIZE])):
            sql, params = query.query.sql_with_params()
            if name == "count":
                sql = f"SELECT count(*) FROM ({sql}) AS sub"
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
            print(f"\n--- {who} / {label} ({p95:.0f} ms p95): {name}")
            print("\n".join("    " + p for p in plan[:28]))


def run(*, explain: bool = False) -> None:
    from django.db import connection

    from wagewatch.cases.models import Case
    from wagewatch.core.models import Organisation, Territory, User

    machine_line()
    users = {u.username: u for u in User.objects.filter(username__in=["office_staff", "xishan_handler", "housing_handler", "inspector", "donghu_grid"])}
    units = {
        "street2": Organisation.objects.get(kind="street_government", territory__name="西山街道").pk,
        "housing": Organisation.objects.get(short_name="区住建局").pk,
    }
    territories = {
        "street": Territory.objects.get(name="南苑街道").path,
        "community": Territory.objects.get(name="枫林社区").path,
        "grid": Territory.objects.filter(level="grid").order_by("path").first().path,
    }
    sample_number = Case.objects.order_by("pk").values_list("number", flat=True)[CASES // 3]
    combos = combinations(users, sample_number, units, territories)
    with connection.cursor() as cursor:
        cursor.execute("SHOW lc_collate")
        collation = cursor.fetchone()[0]
    line("cases / database collation", f"{Case.objects.count():,}", f"(lc_collate {collation}; {ROUNDS} rounds per combination)")
    baseline = measure(users, combos)
    print_results("case_list(user, ...) + CappedPaginator(qs, 20): the count the ledger shows and its first page", baseline)
    if explain:
        explain_slowest(users, combos, baseline)
    machine_line()


if __name__ == "__main__":
    main(sys.argv[1:])
