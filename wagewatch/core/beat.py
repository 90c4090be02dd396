"""One Celery beat at a time (settings.CELERY_BEAT_SCHEDULER), however it is started: `make run`,
`celery beat`, `celery worker -B`, on one machine or several.

Two beats send every periodic task twice (two deadline sweeps, two monthly reconciliations) and
write one schedule file from two processes. Before it opens its schedule, a beat takes a lock that
the operating system or the database gives back when the process dies, so a killed beat never
leaves a stale lock behind (a PID file would):

- PostgreSQL: a session advisory lock on a connection of its own, held for the life of the process
  (every machine of a production site shares the database, so this covers them all);
- otherwise (the embedded SQLite of `make run`): flock on var/celery/beat.lock.

A second beat that finds the lock taken exits at once with a Chinese message and status 1.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import zlib
from pathlib import Path

from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

ADVISORY_KEY = zlib.crc32(b"wagewatch.celery.beat")  # one number for every wagewatch database
ALREADY_RUNNING = "已有一个定时任务进程(celery beat)在运行{where},本进程退出:同一时间只能运行一个,否则每个定时任务都会执行两次。"

LOCKED = "已取得定时任务锁:本进程是唯一运行的定时任务进程"

_held = None  # the open lock (file or connection) of this process


def lock_path() -> Path:
    return Path(settings.VAR_DIR) / "celery" / "beat.lock"


def _flock() -> str | None:
    """None when taken; else where the holder is (its PID, written in the file)."""
    import fcntl

    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115  (held open for the life of the process)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        return f"(进程 {holder},锁文件 {path})" if holder else f"(锁文件 {path})"
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    global _held
    _held = handle
    return None


def _advisory_lock() -> str | None:
    from django.db import connections

    conn = connections.create_connection("default")  # not the handler's: nothing closes it behind our back
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
        (taken,) = cursor.fetchone()
    if not taken:
        conn.close()
        return f"(数据库 {settings.DATABASES['default']['NAME']} 的锁已被占用)"
    global _held
    _held = conn
    threading.Thread(target=_watch_connection, args=(conn,), name="beat-lock", daemon=True).start()
    return None


def _watch_connection(conn, interval: float = 30) -> None:
    """The lock lives as long as its connection: if the database drops it, another beat may take
    the lock, so this one stops."""
    import time

    while True:
        time.sleep(interval)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            logger.critical("定时任务进程与数据库的连接已断开,锁已失效,本进程退出")
            os._exit(1)


def beat_lock_acquire() -> str | None:
    """Take the one-beat lock for this process; None when taken, else a message saying who holds it."""
    if _held is not None:
        return None
    from django.db import connections

    if connections["default"].vendor == "postgresql":
        return _advisory_lock()
    return _flock()


class SingleBeatScheduler(PersistentScheduler):
    def setup_schedule(self):
        holder = beat_lock_acquire()
        if holder is not None:
            print(ALREADY_RUNNING.format(where=holder), file=sys.stderr, flush=True)
            raise SystemExit(1)
        logger.info("%s", LOCKED)
        super().setup_schedule()
