"""Run every bench/*_bench.py one after another and print their figures (`make bench`).

    .venv/bin/python bench/run.py [NAME ...]     # NAME: e.g. history (runs history_bench.py)

The benchmarks need PostgreSQL: DATABASE_URL, or postgres://postgres@127.0.0.1:5432/postgres.
Each benchmark creates and drops its own database on that server. Benchmarks are not tests:
they print figures (and their targets); this runner fails only when one of them crashes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if urlparse(url).scheme not in {"postgres", "postgresql"}:
        sys.exit(f"基准测试需要 PostgreSQL:DATABASE_URL 应为 postgres://…(现为 {url.split(':', 1)[0]}://…)")
    return url


def check_server(url: str) -> None:
    import psycopg

    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        sys.exit(f"连不上 PostgreSQL({urlparse(url).hostname}:{urlparse(url).port or 5432}):{exc}")


def benches(names: list[str]) -> list[Path]:
    found = sorted(BENCH_DIR.glob("*_bench.py"))
    if not names:
        return found
    wanted = {n.removesuffix(".py").removesuffix("_bench") for n in names}
    chosen = [p for p in found if p.stem.removesuffix("_bench") in wanted]
    missing = wanted - {p.stem.removesuffix("_bench") for p in chosen}
    if missing:
        sys.exit(f"没有这些基准:{', '.join(sorted(missing))}(可选:{', '.join(p.stem for p in found)})")
    return chosen


def main(argv: list[str]) -> int:
    url = postgres_url()
    check_server(url)
    selected = benches(argv)
    if not selected:
        print("bench/ 下没有 *_bench.py")
        return 0
    env = os.environ | {"DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    results = []
    for path in selected:
        print(f"\n=== {path.name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(path)], cwd=BENCH_DIR.parent, env=env)
        results.append((path.name, code, time.monotonic() - started))
    print("\n=== 汇总 ===")
    for name, code, seconds in results:
        print(f"{name:<32} {'完成' if code == 0 else f'失败(退出码 {code})':<16} {seconds:8.1f} 秒")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
