"""Benchmark of the tamper-evident history on PostgreSQL (prints figures; not a test).

    .venv/bin/python bench/history_bench.py

Uses DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/) and a throwaway
database `ww_bench_history`, created and dropped here. Figures and targets:
  - event_append from one writer, each append its own transaction   target >= 2,000 events/s
  - verify_history's core over 1,000,000 events                      target <= 10 s
  - inclusion proof at 1,000,000 events                              target <= 5 ms
Set BENCH_EVENTS to use fewer events (e.g. 100000) for a quick run.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "ww_bench_history"
TOTAL_EVENTS = int(os.environ.get("BENCH_EVENTS", 1_000_000))
APPENDS = int(os.environ.get("BENCH_APPENDS", 4000))


def database_urls() -> tuple[str, str]:
    base = urlparse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
    if base.scheme not in {"postgres", "postgresql"}:
        sys.exit("这个基准只针对 PostgreSQL:请把 DATABASE_URL 设为 postgres://…")
    return urlunparse(base._replace(path="/postgres")), urlunparse(base._replace(path=f"/{BENCH_DB}"))


def admin_sql(maintenance_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def line(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("  达标 OK" if ok else "  未达标 MISSED")
    print(f"{label:<48} {value:>18}   {target}{verdict}", flush=True)


def main() -> None:
    maintenance_url, bench_url = database_urls()
    admin_sql(maintenance_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)", f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wagewatch.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"history bench on {BENCH_DB} ({TOTAL_EVENTS:,} events); migrate {time.perf_counter() - started:.1f}s", flush=True)
        run(connection)
    finally:
        connection.close()
        admin_sql(maintenance_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def commit_floor(connection, n: int = 1000) -> float:
    """Bare `lock + insert + commit` round trips: what the disk's fsync allows one writer."""
    from django.db import transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_floor (a int)")
    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(1)")
            cursor.execute("INSERT INTO bench_floor VALUES (%s)", [i])
    rate = n / (time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return rate


def append_rate(n: int) -> float:
    from django.db import transaction

    from wagewatch.history.services import event_append

    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            event_append(actor="基准", action="case.dispatched", obj=("cases.case", i), payload={"unit": "东城街道办事处", "n": i})
    return n / (time.perf_counter() - started)


def bulk_insert(connection, start: int, end: int) -> None:
    """COPY events [start, end) with leaf hashes computed exactly as event_append does."""
    from wagewatch.history import merkle
    from wagewatch.history.services import canonical_payload, leaf_text

    base = datetime(2026, 1, 1, tzinfo=UTC)
    actions = ["complaint.registered", "case.dispatched", "case.resolved", "project.updated"]
    with connection.cursor() as cursor:
        copy_sql = (
            "COPY history_event (seq, recorded_at, actor_id, actor_label, action, object_type, object_id, payload, leaf_hash) "
            "FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            for seq in range(start, end):
                at = base + timedelta(microseconds=seq * 1001)
                action = actions[seq % 4]
                object_id = str(seq // 7)
                payload = canonical_payload({"amount": f"{seq % 100000}.50", "unit": "东城街道办事处", "workers": seq % 31})
                text = leaf_text(seq, at.isoformat(), 42, "张三", action, "cases.case", object_id, payload)
                digest = merkle.hash_leaf(text.encode()).hex()
                copy.write_row((seq, at, 42, "张三", action, "cases.case", object_id, payload, digest))


def run(connection) -> None:
    from wagewatch.history import merkle, tree
    from wagewatch.history.services import tree_head_publish
    from wagewatch.history.verify import verify_history

    floor = commit_floor(connection)
    line("PostgreSQL bare lock+insert+commit (fsync floor)", f"{floor:,.0f} tx/s", "(reference: one writer's ceiling)")

    rate = append_rate(APPENDS)
    line("event_append, own transaction, durable commit", f"{rate:,.0f} events/s", ">= 2,000 events/s", rate >= 2000)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    rate_async = append_rate(APPENDS)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
    line("event_append, synchronous_commit=off (session)", f"{rate_async:,.0f} events/s", ">= 2,000 events/s", rate_async >= 2000)

    started = time.perf_counter()
    bulk_insert(connection, tree.event_count(), TOTAL_EVENTS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE history_event")
    line("bulk COPY of events up to the total", f"{time.perf_counter() - started:.1f} s", f"({TOTAL_EVENTS:,} events)")

    started = time.perf_counter()
    head = tree_head_publish(actor="基准")
    line("first tree head (re-hash + store all nodes)", f"{time.perf_counter() - started:.1f} s", f"(size {head.tree_size:,})")

    started = time.perf_counter()
    report = verify_history()
    elapsed = time.perf_counter() - started
    assert report.ok, report.problems
    line(f"verify_history core, {report.events:,} events", f"{elapsed:.2f} s", "<= 10 s", elapsed <= 10)

    size = head.tree_size
    root = bytes.fromhex(head.root_hash)
    rng = random.Random(6962)
    timings = []
    for _ in range(2000):
        seq = rng.randrange(size)
        t0 = time.perf_counter()
        proof = tree.inclusion_proof(seq, size)
        timings.append((time.perf_counter() - t0) * 1000)
        assert merkle.verify_inclusion(seq, size, proof["leaf_hash"], proof["audit_path"], root)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99)]
    line(f"inclusion proof at {size:,} events, mean", f"{statistics.mean(timings):.2f} ms", "<= 5 ms", statistics.mean(timings) <= 5)
    line("inclusion proof, p99", f"{p99:.2f} ms", "<= 5 ms", p99 <= 5)

    timings = []
    for _ in range(500):
        first = rng.randrange(1, size)
        t0 = time.perf_counter()
        proof = tree.consistency_proof(first, size)
        timings.append((time.perf_counter() - t0) * 1000)
        assert merkle.verify_consistency(first, size, proof["first_root"], root, proof["proof"])
    line("consistency proof, mean", f"{statistics.mean(timings):.2f} ms", "(no target)")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('history_treenode'), pg_total_relation_size('history_event')")
        nodes_bytes, events_bytes = cursor.fetchone()
    line("storage: events / Merkle nodes", f"{events_bytes / 2**20:,.0f} / {nodes_bytes / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
