"""`make run`: the site and an embedded Celery worker (with beat) in one command, no services to install."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import get_internal_wsgi_application, run

from wagewatch.demo import loader

WORKER_STOP_SECONDS = 15


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM if this process dies without cleaning up (kill -9)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # other systems: the finally block below still stops the worker
        pass


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "启动网站(默认 http://127.0.0.1:8000)和内嵌的 Celery 后台任务进程(含定时任务),Ctrl-C 一并停止。"
    requires_system_checks = "__all__"

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("WAGEWATCH_ADDR", "127.0.0.1:8000"), help="监听地址,默认 127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")

    def handle(self, *args, addr, no_worker=False, **options):
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
        worker = None if no_worker else self._start_worker()
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            self._print_banner(host, port, worker)
            run(host, port, get_internal_wsgi_application(), threading=True)
        except KeyboardInterrupt:
            self.stdout.write("\n正在停止…")
        finally:
            if worker is not None:
                self._stop_worker(worker)

    def _check_port_free(self, host: str, port: int) -> None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                raise CommandError(f"端口 {port} 已被占用(也许已有一个 make run 在运行)。请先停止它,或用 --addr 换一个端口。") from None

    def _start_worker(self) -> subprocess.Popen:
        log_dir = Path(settings.VAR_DIR) / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.worker_log = log_dir / "worker.log"
        command = [
            sys.executable, "-m", "celery", "-A", "wagewatch", "worker", "--beat",
            "--pool=threads", "--concurrency=2", "--loglevel=INFO",
            "--schedule", str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
        ]
        with open(self.worker_log, "ab") as log:
            return subprocess.Popen(
                command, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.stdout.write("后台任务进程已停止。")

    def _print_banner(self, host: str, port: int, worker) -> None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(f"根治欠薪智慧监管平台已启动:{url}/"))
        out.write(f"  接口文档:{url}/api/v1/docs    系统管理:{url}/admin/")
        if worker is not None:
            out.write(f"  后台任务进程(Celery worker + beat)已启动,日志:{self.worker_log}")
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
