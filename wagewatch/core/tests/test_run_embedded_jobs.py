"""`make run` (run_embedded) leaves no process behind, stopped or killed, and a second beat refuses
to start while one runs. Real processes: the command, its worker and its beat."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from wagewatch.conftest import _worker_env
from wagewatch.core.beat import LOCKED

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]
BASE_DIR = Path(__file__).resolve().parents[3]


def descendants(root: int) -> list[int]:
    children = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children[todo.pop()]:
            found.append(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie is dead, only not yet reaped


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{timeout} 秒内未等到:{what}")
        time.sleep(0.3)


class EmbeddedRun:
    """run_embedded in a shell that stands in for `make` (`make run` passes --exit-with-parent)."""

    def __init__(self, tmp_path: Path):
        self.var = tmp_path / "var"
        self.var.mkdir(parents=True)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.env = {**_worker_env(f"embedded-{uuid.uuid4().hex[:8]}"), "WAGEWATCH_VAR_DIR": str(self.var)}
        self.out = tmp_path / "run_embedded.out"
        command = f'"{sys.executable}" manage.py run_embedded --exit-with-parent --addr 127.0.0.1:{port} > "{self.out}" 2>&1 & echo $!; wait'
        self.make = subprocess.Popen(["/bin/sh", "-c", command], cwd=BASE_DIR, env=self.env, stdout=subprocess.PIPE, text=True)
        self.pid = int(self.make.stdout.readline())

    def log(self, name: str) -> str:
        path = self.var / "log" / name
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def wait_ready(self) -> list[int]:
        def ready():
            if not running(self.pid):
                pytest.fail(f"run_embedded 已退出:\n{self.out.read_text()}")
            return " ready." in self.log("worker.log") and LOCKED in self.log("beat.log")

        wait_until(ready, 150, "后台任务进程就绪、定时任务进程取得锁")
        children = descendants(self.pid)
        assert len(children) == 2, children  # the worker and the beat, nothing else
        return children

    def stop(self):
        for pid in [self.pid, *descendants(self.pid)]:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        if self.make.poll() is None:
            self.make.kill()
        self.make.wait()


@pytest.fixture
def embedded_run(tmp_path):
    run = EmbeddedRun(tmp_path / "a")
    yield run
    run.stop()


def test_killing_make_stops_worker_and_beat_and_a_second_beat_refuses_to_start(embedded_run, tmp_path):
    children = embedded_run.wait_ready()

    second = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "wagewatch", "beat", "--schedule", str(tmp_path / "second-schedule")],
        cwd=BASE_DIR, env=embedded_run.env, capture_output=True, text=True, timeout=150,
    )
    assert second.returncode == 1
    assert "已有一个定时任务进程" in second.stderr

    # make is killed: run_embedded gets SIGTERM (its death signal, and its parent watch: two
    # signals) and stops the worker and the beat before it exits.
    embedded_run.make.send_signal(signal.SIGKILL)
    embedded_run.make.wait()
    wait_until(lambda: not running(embedded_run.pid), 60, "run_embedded 退出")
    wait_until(lambda: not any(running(pid) for pid in children), 30, "worker 和 beat 退出")
    assert "后台任务进程已停止(定时任务进程也已停止)" in embedded_run.out.read_text()
    assert "Traceback" not in embedded_run.out.read_text()


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_sigkill_of_the_worker_or_of_make_run_leaves_no_process_behind(embedded_run):
    """Before: the beat ran inside the worker; the worker killed, the beat lived on with parent
    PID 1, and the next `make run` ran a second one."""
    children = embedded_run.wait_ready()
    (worker,) = [pid for pid in children if " worker " in cmdline(pid)]
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: not running(worker), 10, "worker 被杀")
    # Nothing it started lives on outside make run's tree; the worker is started again.
    wait_until(lambda: len([p for p in descendants(embedded_run.pid) if " worker " in cmdline(p)]) == 1, 60, "worker 重新启动")
    for pid in children:
        assert not running(pid) or pid in descendants(embedded_run.pid), cmdline(pid)
    everything = descendants(embedded_run.pid)

    os.kill(embedded_run.pid, signal.SIGKILL)
    wait_until(lambda: not running(embedded_run.pid), 10, "run_embedded 被杀")
    wait_until(lambda: not any(running(pid) for pid in everything), 40, "worker 和 beat 随父进程退出")
