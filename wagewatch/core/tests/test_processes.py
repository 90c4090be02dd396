"""Children that never outlive their parent (core/processes.py): the kernel's death signal, and the
parent watch that works where prctl does not. A shell stands in for `make`; it is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]
CHILD = """
import sys, time
from wagewatch.core.processes import set_death_signal, watch_parent
if sys.argv[1] == "prctl":
    set_death_signal()
else:
    watch_parent(interval=0.2)
print("ready", flush=True)
time.sleep(120)
"""


def _pid_of_child(shell: subprocess.Popen) -> int:
    line = shell.stdout.readline().strip()
    assert line.startswith("child "), line
    assert shell.stdout.readline().strip() == "ready"
    return int(line.split()[1])


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("guard", ["prctl", "watch"])
def test_a_child_stops_when_its_parent_is_killed(guard):
    # The shell starts the child in the background, so the child's parent is the shell.
    shell = subprocess.Popen(
        ["/bin/sh", "-c", f'"{sys.executable}" -c \'{CHILD}\' {guard} & echo "child $!"; wait'],
        cwd=BASE_DIR, stdout=subprocess.PIPE, text=True,
    )
    child = _pid_of_child(shell)
    try:
        assert _running(child)
        shell.send_signal(signal.SIGKILL)
        shell.wait()
        deadline = time.monotonic() + 10
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(child), f"{guard}: the child outlived its parent"
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)
