"""`make run`: the site, a Celery worker and a Celery beat in one command, no services to install.

Nothing outlives it: Ctrl-C, SIGTERM or SIGHUP stop the worker and the beat before it exits, and
if it is killed (kill -9) the kernel stops them (core/processes.py); a worker or beat that dies
while the site runs is started again. With --exit-with-parent (the
Makefile passes it) it also stops when `make` itself is killed. The beat is a process of its own,
not embedded in the worker, and takes the one-beat lock (core/beat.py): a second one refuses to start.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import get_internal_wsgi_application, run

from wagewatch.core.processes import PARENT_ENV, preexec_die_with_parent, set_death_signal, watch_parent
from wagewatch.demo import loader

STOP_SECONDS = 15
MAX_RESTARTS = 5
RESTART_DELAY_SECONDS = 2


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "启动网站(默认 http://127.0.0.1:8000)和内嵌的 Celery 后台任务进程(含定时任务),Ctrl-C 一并停止。"
    requires_system_checks = "__all__"

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("WAGEWATCH_ADDR", "127.0.0.1:8000"), help="监听地址,默认 127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")
        parser.add_argument("--exit-with-parent", action="store_true", help="启动本命令的进程(如 make)退出时一并停止")

    def handle(self, *args, addr, no_worker=False, exit_with_parent=False, **options):
        if exit_with_parent:
            set_death_signal()
            watch_parent()
        host, _, port_text = addr.rpartition(":")
        host = host or "127.0.0.1"
        try:
            port = int(port_text)
        except ValueError:
            raise CommandError(f"监听地址“{addr}”不正确,应为 主机:端口,例如 127.0.0.1:8000") from None
        self._check_port_free(host, port)

        # Static files come from the installed packages (whitenoise with finders); an empty
        # STATIC_ROOT keeps whitenoise from warning that it is missing.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        self.children: dict[str, subprocess.Popen] = {}
        self.lock = threading.Lock()
        self.stopping = False
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _raise_keyboard_interrupt)
        try:
            if not no_worker:
                self._start_children()
            self._print_banner(host, port, bool(self.children))
            run(host, port, get_internal_wsgi_application(), threading=True)
        except KeyboardInterrupt:
            self.stdout.write("\n正在停止…")
        finally:
            self._stop_children()

    def _check_port_free(self, host: str, port: int) -> None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                raise CommandError(f"端口 {port} 已被占用(也许已有一个 make run 在运行)。请先停止它,或用 --addr 换一个端口。") from None

    def _start_children(self) -> None:
        log_dir = Path(settings.VAR_DIR) / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.worker_log, self.beat_log = log_dir / "worker.log", log_dir / "beat.log"
        celery = [sys.executable, "-m", "celery", "-A", "wagewatch"]
        self._start("后台任务进程", [*celery, "worker", "--pool=threads", "--concurrency=2", "--loglevel=INFO"], self.worker_log)
        self._start("定时任务进程", [*celery, "beat", "--loglevel=INFO", "--schedule", str(settings.CELERY_BEAT_SCHEDULE_FILENAME)], self.beat_log)

    def _start(self, label: str, command: list[str], log_path: Path) -> None:
        started = threading.Event()
        threading.Thread(target=self._supervise, args=(label, command, log_path, started), name=f"supervise-{label}", daemon=True).start()
        started.wait()

    def _spawn(self, command: list[str], log_path: Path) -> subprocess.Popen:
        env = {**os.environ, PARENT_ENV: str(os.getpid())}
        with open(log_path, "ab") as log:
            return subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_die_with_parent(os.getpid()),
            )

    def _supervise(self, label: str, command: list[str], log_path: Path, started: threading.Event) -> None:
        """Start the child from this thread and wait for it (the kernel's death signal follows the
        thread that started a child, and this one lives as long as the child). A child that dies
        while the site runs is started again, at most MAX_RESTARTS times."""
        restarts = 0
        while True:
            with self.lock:
                if self.stopping:
                    break
                child = self._spawn(command, log_path)
                self.children[label] = child
            started.set()
            code = child.wait()
            with self.lock:
                if self.stopping:
                    break
            if restarts >= MAX_RESTARTS:
                self.stderr.write(f"{label}已退出(退出码 {code})且多次重启失败,请查看日志:{log_path}")
                break
            restarts += 1
            self.stderr.write(f"{label}意外退出(退出码 {code}),{RESTART_DELAY_SECONDS}秒后重新启动;日志:{log_path}")
            time.sleep(RESTART_DELAY_SECONDS)
        started.set()

    def _stop_children(self) -> None:
        """SIGTERM to each (a worker finishes its current task), SIGKILL to any left after STOP_SECONDS;
        a task cut short is resumed by the job sweep on the next start."""
        # Stopping is under way: a second signal (the death signal and the parent watch both send
        # one when make dies, or a second Ctrl-C) must not cut the cleanup short.
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        with self.lock:
            self.stopping = True
            children = list(self.children.values())
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if children:
            self.stdout.write("后台任务进程已停止(定时任务进程也已停止)。")

    def _print_banner(self, host: str, port: int, with_worker: bool) -> None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(f"根治欠薪智慧监管平台已启动:{url}/"))
        out.write(f"  接口文档:{url}/api/v1/docs    系统管理:{url}/admin/")
        if with_worker:
            out.write(f"  后台任务进程(Celery worker)和定时任务进程(beat)已启动,日志:{self.worker_log}、{self.beat_log}")
        rows = loader.demo_logins()
        if rows:
            out.write("")
            out.write(f"演示账号(统一密码:{loader.DEMO_PASSWORD}):")
            out.write(loader.logins_table(rows))
            token = loader.demo_token()
            if token:
                out.write("")
                out.write(f"数据接口令牌(data_feed):{token}")
                out.write(f"  例:curl -H 'Authorization: Bearer {token}' {url}/api/v1/me")
        out.write("")
        out.write("按 Ctrl-C 停止。")
