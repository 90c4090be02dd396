"""Child processes that never outlive their parent (`make run`: the site, a worker and a beat).

A beat left behind by a killed `make run` (its parent became PID 1) ran beside the next one. Two
guards, either enough:
- Linux: prctl(PR_SET_PDEATHSIG) in the child before it runs (`preexec_die_with_parent`), so the
  kernel sends SIGTERM when the parent dies, however it dies (kill -9 included);
- everywhere: the child polls its parent (`watch_parent`, started by the Celery signals in
  wagewatch/celery.py when WAGEWATCH_PARENT_PID is set) and stops itself when the parent is gone.
"""

from __future__ import annotations

import os
import signal
import threading
import time

PARENT_ENV = "WAGEWATCH_PARENT_PID"
PR_SET_PDEATHSIG = 1


def set_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux only)."""
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, sig) == 0
    except Exception:  # not Linux: watch_parent still stops the child
        return False


def preexec_die_with_parent(parent_pid: int):
    """A `preexec_fn` for subprocess.Popen: the death signal, and an exit if the parent already died
    between fork and exec (the signal would never come)."""

    def preexec() -> None:
        set_death_signal()
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch_parent(parent_pid: int | None = None, *, interval: float = 1.0, grace: float = 20.0) -> threading.Thread:
    """Poll in a daemon thread: when the parent (`parent_pid`, else the parent at start) is gone,
    SIGTERM this process (a worker finishes its task, a beat stops), and SIGKILL it if it is still
    there after `grace` seconds."""
    first_parent = os.getppid()
    expected = parent_pid or first_parent

    def watch() -> None:
        while os.getppid() == first_parent and _alive(expected):
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os.kill(os.getpid(), signal.SIGKILL)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread


def watch_parent_from_env() -> threading.Thread | None:
    value = os.environ.get(PARENT_ENV, "")
    return watch_parent(int(value)) if value.isdigit() else None
