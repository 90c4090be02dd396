import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from wagewatch.testing.world import build_world

WORKER_START_SECONDS = 90
WORKER_STOP_SECONDS = 20


@pytest.fixture
def world(db):
    return build_world()


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker is not None and marker.kwargs.get("transaction")) or any(
        name in getattr(item, "fixturenames", ()) for name in ("live_server", "transactional_db")
    )


def pytest_collection_modifyitems(items):
    """Transactional tests (live server, real workers, concurrency) end with a flush, which also
    wipes what migrations seeded: the working-day calendar, the time limits, the supervision
    threshold, content types. Under xdist a worker may run ordinary tests after them, so the
    database is serialised at set-up and put back right after each such test (see
    pytest_runtest_teardown below), not only before the next transactional one."""
    for item in items:
        if _is_transactional(item):
            marker = item.get_closest_marker("django_db")
            kwargs = dict(marker.kwargs) if marker is not None else {}
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    # After the last test the session teardown has already dropped the test database.
    if nextitem is None or not _is_transactional(item):
        return
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    contents = getattr(connection, "_test_serialized_contents", None)
    if not contents:
        return
    with item.config.stash[blocking_manager_key].unblock():
        connection.creation.deserialize_db_from_string(contents)
        _sequences_past_loaded_rows(connection)
        ContentType.objects.clear_cache()


def _sequences_past_loaded_rows(connection):
    """The rows put back keep their ids, but a flush with reset sequences (the `flush` command's
    default) left PostgreSQL's sequences at 1: the next insert would collide with a put-back row."""
    if connection.vendor != "postgresql":
        return
    from django.apps import apps
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@pytest.fixture
def browser():
    """Headless Debian Chromium (wagewatch.testing.browser). Playwright's sync API runs an event
    loop in this thread; the Django calls the tests make between page actions are ordinary
    synchronous ones."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    from wagewatch.testing.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(autouse=True, scope="session")
def static_root_exists():
    """WhiteNoise warns on every request when STATIC_ROOT is missing (it is made by
    collectstatic in production and by run_embedded for `make run`)."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """The production hasher spends a good fraction of a second per password; the world alone
    creates fifteen users. Tests that need the real hasher can override PASSWORD_HASHERS."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def _session_runs_jobs(session) -> bool:
    return any(item.get_closest_marker("jobs") for item in session.items)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """A worker process cannot open another process's in-memory SQLite database, so a session
    that runs job tests keeps its SQLite test database in a file (unless SQLITE_TEST_NAME names one)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3" or not _session_runs_jobs(request.session):
        return
    test = db.setdefault("TEST", {})
    if not test.get("NAME") or test["NAME"] == ":memory:" or "mode=memory" in str(test["NAME"]):
        suffix = getattr(request.config, "workerinput", {}).get("workerid", "main")
        test["NAME"] = str(Path(tempfile.gettempdir()) / f"wagewatch-test-{os.getpid()}-{suffix}.sqlite3")


def _worker_env(queue: str) -> dict[str, str]:
    from django.conf import settings
    from django.db import connection

    env = os.environ.copy()
    for name in ("SQLITE_TEST_NAME", "DATABASE_URL_FILE", "CELERY_TASK_ALWAYS_EAGER"):
        env.pop(name, None)
    # The worker must see the same test database and decrypt/sign with the same keys as the tests.
    env.update(
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "wagewatch.settings"),
        DATABASE_NAME=str(connection.settings_dict["NAME"]),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        WAGEWATCH_VAR_DIR=str(settings.VAR_DIR),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEY,
        FIELD_LOOKUP_KEY=settings.FIELD_LOOKUP_KEY,
        HISTORY_SIGNING_KEY=settings.HISTORY_SIGNING_KEY,
        PYTHONUNBUFFERED="1",
    )
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "FIELD_LOOKUP_KEY", "HISTORY_SIGNING_KEY"):
        env.pop(f"{name}_FILE", None)
    return env


class CeleryWorker:
    """A `celery worker` subprocess consuming a queue of its own on the configured broker."""

    def __init__(self, process: subprocess.Popen, queue: str, log_path: Path):
        self.process = process
        self.queue = queue
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def wait_for(self, predicate, *, timeout: float = 30, interval: float = 0.2):
        """Poll until predicate() is truthy and return it; fail with the worker's log after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if not self.alive():
                pytest.fail(f"Celery worker 已退出:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{timeout} 秒内未等到任务结果\n--- worker log ---\n{self.log()}")
            time.sleep(interval)


def start_celery_worker(queue: str, log_path: Path, *, program: list[str] | None = None, env: dict | None = None) -> CeleryWorker:
    """A `celery worker` subprocess on `queue`, once it is ready. `program` replaces
    `python -m celery -A wagewatch` (wagewatch.testing.stalling_worker); `env` adds variables."""
    base_dir = Path(__file__).resolve().parent.parent
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                *(program or [sys.executable, "-m", "celery", "-A", "wagewatch"]), "worker",
                "--pool=solo", "--loglevel=INFO", "-Q", queue, "--hostname", f"{queue}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=base_dir,
            env={**_worker_env(queue), **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = CeleryWorker(process, queue, log_path)
    deadline = time.monotonic() + WORKER_START_SECONDS
    while " ready." not in worker.log():
        if not worker.alive():
            pytest.fail(f"Celery worker 启动失败:\n{worker.log()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"Celery worker {WORKER_START_SECONDS} 秒内未就绪:\n{worker.log()}")
        time.sleep(0.2)
    return worker


@pytest.fixture(autouse=True, scope="session")
def media_root(tmp_path_factory):
    """Files the tests store go to a directory of this test process: never the developer's
    var/media, and never shared between xdist workers, whose databases hand out the same ids
    (two workers writing payroll_imports/3.upload at once broke each other's imports)."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=root):
        yield root


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory, media_root):
    """Start one worker for the session, after the test database exists; stop it before the
    test database is dropped (PostgreSQL refuses to drop a database with open connections)."""
    queue = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(queue, tmp_path_factory.mktemp("celery") / "worker.log")
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(celery_worker_process, transactional_db, settings):
    """Use with @pytest.mark.jobs: tasks sent with .delay() run in a real worker process against
    the test database. The test's writes are committed (transactional_db) so the worker sees them."""
    from wagewatch.celery import app

    if not celery_worker_process.alive():
        pytest.fail(f"Celery worker 已退出:\n{celery_worker_process.log()}")
    saved = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue = celery_worker_process.queue
    app.conf.task_always_eager = False
    yield celery_worker_process
    app.conf.task_default_queue, app.conf.task_always_eager = saved

