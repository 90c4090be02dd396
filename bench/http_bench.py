"""Complaints over HTTP: the app under gunicorn on PostgreSQL, 20 concurrent clients posting to
POST /api/v1/complaints (prints figures; not a test).

    .venv/bin/python bench/http_bench.py [--workers N] [--keep]

Throwaway database `bench_cases_http` on DATABASE_URL's server: the demo's registry, 50,000
generated cases with their complaints, API tokens from `manage.py create_api_token` for the window
clerk and the data-sharing platform. gunicorn (sync workers, default 2 x CPUs) serves the app;
20 client threads (http.client, a new connection per request as sync workers close it) post
complaints of every channel, half of them external clues with their own id and received time.

  - POST /api/v1/complaints, 20 clients each sending as soon as answered (the server saturated):
    p50 / p95 / p99 latency and throughput                                    target p95 <= 100 ms
  - the same 20 clients sending 20 requests/s together (BENCH_PACED_RATE): latency when the
    server keeps up (20 req/s is 72,000 complaints an hour)                  target p95 <= 100 ms
  - GET /api/v1/cases (first page of the ledger, office token), 20 clients      (for reference)

BENCH_REQUESTS (default 2000) sets the number of POSTs; BENCH_CLIENTS (default 20) the clients.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from cases_data import ROOT, bench_database, drop_database, generate_cases, line, machine_line, seed_registry

BENCH_DB = "bench_cases_http"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 2000))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 20))
EXISTING = int(os.environ.get("BENCH_EXISTING", 50_000))
PACED_RATE = int(os.environ.get("BENCH_PACED_RATE", 20))  # requests per second offered by all clients together
PACED_REQUESTS = 20 * PACED_RATE  # twenty seconds of it
TARGET_P95_MS = 100
EXTERNAL = ["hotline_12345", "police_110", "petition", "national_platform"]


def main(argv: list[str]) -> None:
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 2 * (os.cpu_count() or 1)
    keep = "--keep" in argv
    bench_database(BENCH_DB, fresh=True)
    from django.db import connection

    server = None
    try:
        tokens, bodies, gets = prepare()
        connection.close()  # the benchmark's own connection must not hold locks the server needs
        port = free_port()
        server = start_gunicorn(port, workers)
        run(port, workers, tokens, bodies, gets)
    finally:
        if server is not None:
            stop(server)
        connection.close()
        if not keep:
            drop_database(BENCH_DB)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    var = Path(os.environ["WAGEWATCH_VAR_DIR"])
    log = var / "gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")), "wagewatch.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", "sync", "--timeout", "60", "--log-level", "warning",
        ],
        cwd=ROOT, env=os.environ | {"PYTHONUNBUFFERED": "1"}, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn 未能启动:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            status, _ = request(port, "GET", "/api/v1/openapi.json", None, {})
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop(process)
    sys.exit("gunicorn 60 秒内没有应答")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def prepare():
    """Registry, existing register, tokens and the request bodies (nothing timed)."""
    from django.core.management import call_command
    from django.utils import timezone

    from wagewatch.core.protected import PHONE, encrypt, lookup_digest

    rng = random.Random(2020)
    started = time.perf_counter()
    ctx = seed_registry()
    phones = [f"13{rng.randrange(10**9):09d}" for _ in range(2000)]
    generate_cases(EXISTING, with_complaints=True, phone_pool=[(encrypt(p), lookup_digest(PHONE, p)) for p in phones], batch=50_000)
    line("registry + existing register (generated)", f"{time.perf_counter() - started:.1f} s", f"({EXISTING:,} cases)")
    tokens = {}
    for username in ("clerk", "data_feed", "office_staff"):
        out = io.StringIO()
        call_command("create_api_token", username, "--name", "基准测试", stdout=out, stderr=io.StringIO())
        tokens[username] = out.getvalue().strip()
    now = timezone.now()
    bodies = []
    for i in range(REQUESTS + 2 * CLIENTS + PACED_REQUESTS):
        external = i % 2 == 0
        channel = rng.choice(EXTERNAL) if external else rng.choice(["window", "worker_phone", "grid_worker", "labour_inspection"])
        project = rng.choice(ctx.projects) if rng.random() < 0.4 else None
        enterprise = rng.choice(ctx.enterprises)
        workers = rng.choice([1, 1, 1, 2, 3, 5, 8, 12])
        body = {
            "channel": channel,
            "complainant_name": ctx.person_name(),
            "complainant_phone": rng.choice(phones) if rng.random() < 0.05 else f"15{rng.randrange(10**9):09d}",
            "employer_name": enterprise.name,
            "employer_credit_code": (enterprise.credit_code or "") if rng.random() < 0.4 else "",
            "worker_count": workers,
            "amount_owed": str(rng.randrange(3000, 60000) * workers),
            "period_start": "2026-08-01",
            "period_end": "2026-10-31",
            "project_id": project.pk if project else None,
            "description": "三个月工资未发,多次讨要未果。",
            "workers": [{"name": ctx.person_name(), "phone": f"18{rng.randrange(10**9):09d}"} for _ in range(min(workers - 1, 3))],
        }
        if external:
            body["external_id"] = f"H{channel[:3].upper()}{i:08d}"
            body["received_at"] = (now - timedelta(minutes=rng.randrange(5, 600))).isoformat()
        bodies.append(("data_feed" if external else "clerk", body))
    gets = ["/api/v1/cases?page=1", "/api/v1/cases?page=1&state=open", "/api/v1/cases?page=1&overdue=true", "/api/v1/cases?page=2"]
    return tokens, bodies, gets


def request(port: int, method: str, path: str, body: dict | None, headers: dict) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json", **headers})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def load(port: int, jobs: list, clients: int, *, interval: float = 0.0) -> tuple[list[float], dict[int, int], float, list[bytes]]:
    """Run `jobs` [(method, path, body, headers)] from `clients` threads; latencies in ms. Each
    client sends as soon as its answer arrives, or with `interval` (seconds) at most one request
    per interval (an offered load of clients / interval requests per second)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures: list[bytes] = []
    lock = threading.Lock()
    cursor = iter(jobs)

    def client(offset: float):
        due = time.perf_counter() + offset
        while True:
            with lock:
                job = next(cursor, None)
            if job is None:
                return
            if interval:
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                due += interval
            started = time.perf_counter()
            try:
                status, content = request(port, *job)
            except OSError as exc:
                status, content = 0, str(exc).encode()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status not in (200, 201) and len(failures) < 3:
                    failures.append(content[:300])

    threads = [threading.Thread(target=client, args=(interval * i / clients,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - started, failures


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(label: str, latencies: list[float], statuses: dict, wall: float, failures: list, *, target: bool) -> None:
    ordered = sorted(latencies)
    p50, p95, p99 = (percentile(ordered, s) for s in (0.5, 0.95, 0.99))
    line(f"{label}: p50 / p95 / p99", f"{p50:.0f} / {p95:.0f} / {p99:.0f} ms",
         f"p95 <= {TARGET_P95_MS} ms" if target else "", (p95 <= TARGET_P95_MS) if target else None)
    line("  throughput", f"{len(latencies) / wall:,.0f} req/s", f"({len(latencies):,} requests in {wall:.1f} s)")
    line("  answers", ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    for failure in failures:
        print("    失败示例:", failure.decode(errors="replace"))


def run(port: int, workers: int, tokens: dict, bodies: list, gets: list) -> None:
    machine_line()
    line("server", f"gunicorn {workers} sync workers", f"({CLIENTS} client threads, http.client)")
    jobs = [("POST", "/api/v1/complaints", body, {"Authorization": f"Bearer {tokens[who]}"}) for who, body in bodies]
    load(port, jobs[: 2 * CLIENTS], CLIENTS)  # warm up every worker's connection and imports
    latencies, statuses, wall, failures = load(port, jobs[2 * CLIENTS : 2 * CLIENTS + REQUESTS], CLIENTS)
    report(f"POST /api/v1/complaints x{len(latencies):,}, closed loop", latencies, statuses, wall, failures, target=True)
    paced = jobs[2 * CLIENTS + REQUESTS :]
    latencies, statuses, wall, failures = load(port, paced, CLIENTS, interval=CLIENTS / PACED_RATE)
    report(f"POST x{len(latencies):,}, paced at {PACED_RATE} req/s offered", latencies, statuses, wall, failures, target=True)

    office = {"Authorization": f"Bearer {tokens['office_staff']}"}
    get_jobs = [("GET", gets[i % len(gets)], None, office) for i in range(1000)]
    latencies, statuses, wall, failures = load(port, get_jobs, CLIENTS)
    report("GET /api/v1/cases (ledger pages) x1,000", latencies, statuses, wall, failures, target=False)
    machine_line()


if __name__ == "__main__":
    main(sys.argv[1:])
