"""Registration through the service layer on PostgreSQL (prints figures; not a test).

    .venv/bin/python bench/register_bench.py [--profile] [--queries] [--keep]

Throwaway database `bench_cases_register` on DATABASE_URL's server (default
postgres://postgres@127.0.0.1:5432/): the demo's registry (300 enterprises, 40 projects, every
unit and user), a register of 50,000 generated cases with one complaint each (so the duplicate
check reads real indexes), then complaints registered one by one, each in its own transaction,
with `complaint_register(..., dispatch=True)`: cleaning, duplicate check, case number and opening
deadlines, routing, dispatch order, history events, worker messages.

  - complaints/s from one writer, as the API and the window call it        target >= 200/s
  - the same with the time-limit rows passed in (`limits=`)                 (what a batch import can do)
  - several writers at once (BENCH_PROCESSES, default the number of CPUs), each its own connection
    and process, as gunicorn workers register: complaints/s together       target >= 200/s

--queries prints the SQL of one registration grouped by table; --profile runs cProfile over 300
registrations and prints where the time goes; --keep leaves the database for a look afterwards.
BENCH_COMPLAINTS (default 2000) and BENCH_EXISTING (default 50000) change the sizes.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from cases_data import bench_database, commit_floor, drop_database, generate_cases, line, machine_line, seed_registry

BENCH_DB = "bench_cases_register"
COMPLAINTS = int(os.environ.get("BENCH_COMPLAINTS", 2000))
EXISTING = int(os.environ.get("BENCH_EXISTING", 50_000))
TARGET = 200
CHANNELS = ["window", "hotline_12345", "worker_phone", "national_platform", "police_110", "petition", "grid_worker"]
EXTERNAL = {"hotline_12345", "police_110", "petition", "national_platform"}
PROCESSES = int(os.environ.get("BENCH_PROCESSES", os.cpu_count() or 2))


def main(argv: list[str]) -> None:
    keep = "--keep" in argv
    bench_database(BENCH_DB, fresh=True)
    from django.db import connection

    try:
        run(profile="--profile" in argv, show_queries="--queries" in argv)
    finally:
        connection.close()
        if not keep:
            drop_database(BENCH_DB)


def phone_pool(n: int, rng: random.Random) -> tuple[list[str], list[tuple[str, str]]]:
    from wagewatch.core.protected import PHONE, encrypt, lookup_digest

    phones = [f"13{rng.randrange(10**9):09d}" for _ in range(n)]
    return phones, [(encrypt(p), lookup_digest(PHONE, p)) for p in phones]


def inputs(ctx, n: int, rng: random.Random, pool_phones: list[str]):
    """(channel, ComplaintInput, external id) for n complaints: 40% about a project, the rest about an
    enterprise (named with or without its credit code); 4% repeat an earlier complainant about the same
    employer (linked, no new case); 5% come from people already in the register."""
    from wagewatch.intake.services import ComplaintInput, WorkerInput

    made = []
    for i in range(n):
        channel = rng.choice(CHANNELS)
        if made and rng.random() < 0.04:
            _, earlier, _ = rng.choice(made)
            data = ComplaintInput(**{**earlier.__dict__, "workers": [], "description": "再次反映:" + earlier.description})
        else:
            phone = rng.choice(pool_phones) if rng.random() < 0.05 else f"15{rng.randrange(10**9):09d}"
            project = rng.choice(ctx.projects) if rng.random() < 0.4 else None
            enterprise = rng.choice(ctx.enterprises)
            workers = rng.choice([1, 1, 1, 2, 3, 5, 8, 12, 20])
            data = ComplaintInput(
                complainant_name=ctx.person_name(),
                complainant_phone=phone,
                complainant_id_number=ctx.id_number() if channel == "window" else "",
                employer_name=enterprise.name,
                employer_credit_code=(enterprise.credit_code or "") if rng.random() < 0.4 else "",
                worker_count=workers,
                amount_owed=Decimal(rng.randrange(3000, 60000) * workers),
                period_start="2026-08-01",
                period_end="2026-10-31",
                project_id=project.pk if project else None,
                project_name=project.name if project else "",
                description="三个月工资未发,多次讨要未果。",
                workers=[WorkerInput(name=ctx.person_name(), phone=f"18{rng.randrange(10**9):09d}") for _ in range(min(workers - 1, 3))],
            )
        external = f"B{channel[:3].upper()}{i:07d}" if channel in EXTERNAL else ""
        made.append((channel, data, external))
    return made


def register_many(items, *, actor, limits=None) -> list[float]:
    from django.utils import timezone

    from wagewatch.intake.services import complaint_register

    timings = []
    now = timezone.now()
    for index, (channel, data, external) in enumerate(items):
        started = time.perf_counter()
        complaint_register(
            actor=actor, channel=channel, data=data, external_id=external, dispatch=True, limits=limits,
            received_at=now - timedelta(minutes=len(items) - index),
        )
        timings.append(time.perf_counter() - started)
    return timings


def report(label: str, timings: list[float]) -> float:
    rate = len(timings) / sum(timings)
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95)] * 1000
    line(label, f"{rate:,.0f} complaints/s", f">= {TARGET}/s", rate >= TARGET)
    line("  per registration p50 / p95", f"{statistics.median(ordered) * 1000:.1f} / {p95:.1f} ms")
    return rate


def _writer(items, actor_pk, start, results) -> None:
    from django.db import connection

    from wagewatch.core.models import User

    connection.close()  # never share the parent's connection
    actor = User.objects.get(pk=actor_pk)
    start.wait()
    timings = register_many(items, actor=actor)
    results.put(timings)


def concurrent_run(items, actor, processes: int) -> tuple[float, list[float]]:
    """Register `items` from `processes` forked processes at once; (complaints/s together, timings)."""
    import multiprocessing

    from django.db import connection

    connection.close()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(processes + 1), context.Queue()
    share = len(items) // processes
    workers = [
        context.Process(target=_writer, args=(items[i * share:(i + 1) * share], actor.pk, start, results)) for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    timings = [t for _ in workers for t in results.get()]
    wall = time.perf_counter() - began
    for worker in workers:
        worker.join()
    return len(timings) / wall, timings


def queries_of_one(items, actor) -> None:
    """The SQL one registration sends, grouped by the first table each statement names."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    per_table: Counter = Counter()
    runs = 20
    with CaptureQueriesContext(connection) as captured:
        register_many(items[:runs], actor=actor)
    for query in captured.captured_queries:
        sql = query["sql"]
        many = re.match(r"(\d+) times: (.*)", sql, re.S)  # executemany, as CaptureQueriesContext logs it
        if many:
            sql = many.group(2)
        verb = sql.split(None, 1)[0].upper() + (f"x{many.group(1)}" if many else "")
        match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_]+)"?', sql)
        per_table[(verb, match.group(1) if match else "-")] += 1
    line("SQL statements per registration (mean of 20)", f"{len(captured.captured_queries) / runs:.1f}")
    for (verb, table), count in per_table.most_common():
        print(f"    {count / runs:5.1f}  {verb:<9} {table}")


def profile_run(items, actor) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    register_many(items, actor=actor)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"\ncProfile of {len(items)} registrations, wagewatch functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats(r"wagewatch/(intake|cases|core|history|notify|registry)/", 30)
    print("by own time, everything:")
    stats.sort_stats("tottime").print_stats(15)


def run(*, profile: bool, show_queries: bool) -> None:
    from django.db import connection

    from wagewatch.cases.services import OPENING_DEADLINES
    from wagewatch.core.models import TimeLimit
    from wagewatch.intake.models import Complaint

    rng = random.Random(4242)
    machine_line()
    started = time.perf_counter()
    ctx = seed_registry()
    line("registry (demo modules, through the services)", f"{time.perf_counter() - started:.1f} s",
         f"({len(ctx.enterprises)} enterprises, {len(ctx.projects)} projects)")
    pool_phones, pool = phone_pool(2000, rng)
    started = time.perf_counter()
    generate_cases(EXISTING, with_complaints=True, phone_pool=pool, batch=50_000)
    line("existing register (generated, INSERT ... SELECT)", f"{time.perf_counter() - started:.1f} s",
         f"({EXISTING:,} cases, {Complaint.objects.count():,} complaints)")
    clerk = ctx.users["clerk"]
    half = COMPLAINTS // 2
    items = inputs(ctx, 50 + COMPLAINTS * 2 + half + 300, rng, pool_phones)
    warm, main_items, limit_items = items[:50], items[50:50 + COMPLAINTS], items[50 + COMPLAINTS:50 + COMPLAINTS + half]
    parallel_items, rest = items[50 + COMPLAINTS + half:50 + 2 * COMPLAINTS + half], items[50 + 2 * COMPLAINTS + half:]
    register_many(warm, actor=clerk)

    before = Complaint.objects.count()
    line("PostgreSQL bare insert + commit (fsync floor)", f"{commit_floor():,.0f} tx/s", "(one writer's ceiling on this disk)")
    single = report(f"complaint_register(dispatch=True), N={COMPLAINTS:,}", register_many(main_items, actor=clerk))
    created = Complaint.objects.filter(pk__gt=0).count() - before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM intake_complaint WHERE relation = 'repeat'")
        repeats = cursor.fetchone()[0]
    line("  complaints registered / linked as repeats", f"{created:,} / {repeats:,}")

    limits = {t.key: t for t in TimeLimit.objects.filter(key__in=OPENING_DEADLINES)}
    report(f"same with limits= passed in, N={half:,}", register_many(limit_items, actor=clerk, limits=limits))
    rate, parallel_timings = concurrent_run(parallel_items, clerk, PROCESSES)
    line(f"{PROCESSES} writer processes at once, N={len(parallel_timings):,}", f"{rate:,.0f} complaints/s", f">= {TARGET}/s", rate >= TARGET)
    ordered = sorted(parallel_timings)
    line("  per registration p50 / p95", f"{statistics.median(ordered) * 1000:.1f} / {ordered[int(len(ordered) * 0.95)] * 1000:.1f} ms")
    if show_queries or single < TARGET:
        queries_of_one(rest, clerk)
    if profile:
        profile_run(rest[20:], clerk)
    machine_line()


if __name__ == "__main__":
    main(sys.argv[1:])
