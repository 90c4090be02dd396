"""Settings for wagewatch, read from the environment with safe defaults.

Every secret has a `*_FILE` variant (the secret is read from that file). Without settings the
platform runs in embedded mode: a SQLite file and generated keys under var/, outside tracked files.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WAGEWATCH_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    """Value of NAME, or the content of the file named by NAME_FILE, or default."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def embedded_secret(file_name: str, generate) -> str:
    """A secret generated once into var/keys/ for embedded mode (never in tracked files)."""
    if os.environ.get("WAGEWATCH_REQUIRE_SECRETS"):
        raise RuntimeError(f"生产环境必须通过环境变量提供密钥({file_name}),不会自动生成")
    path = VAR_DIR / "keys" / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(generate(), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def _random_key() -> str:
    import base64
    import secrets

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = env("SECRET_KEY") or embedded_secret("django-secret-key", _random_key)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in (env("ALLOWED_HOSTS") or "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "wagewatch.core",
    "wagewatch.history",
    "wagewatch.registry",
    "wagewatch.intake",
    "wagewatch.cases",
    "wagewatch.notify",
    "wagewatch.payroll",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "wagewatch.core.middleware.UnreadablePathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "wagewatch.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wagewatch.core.text.TextGuardMiddleware",
    "wagewatch.core.middleware.SessionIdleTimeoutMiddleware",
    "wagewatch.core.middleware.AccountStateMiddleware",
]

ROOT_URLCONF = "wagewatch.urls"
WSGI_APPLICATION = "wagewatch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "wagewatch" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagewatch.core.context_processors.navigation",
            ],
            # `{{ text|redact }}` on every page without a {% load %}: free text is shown masked.
            "builtins": ["wagewatch.core.templatetags.redact"],
        },
    },
]

DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'wagewatch.sqlite3'}"
# DATABASE_URL: postgres://user:password@host:5432/name, or sqlite:////absolute/path.sqlite3.
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL") or DEFAULT_SQLITE, conn_max_age=60, conn_health_checks=True)}
if env("DATABASE_NAME"):
    # Keeps every other connection setting: the job tests use it to point a worker at the test database.
    DATABASES["default"]["NAME"] = env("DATABASE_NAME")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
    # with "database is locked" when a read transaction tries to upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    test_name = env("SQLITE_TEST_NAME")
    if test_name:
        DATABASES["default"]["TEST"] = {"NAME": test_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "wagewatch.core.passwords.CharacterClassValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Sign-in throttling (core/login_throttle.py): growing delays, never a lock anyone can set.
# Within LOGIN_THROTTLE_WINDOW_MINUTES: one name from one address gets LOGIN_FREE_FAILURES failures,
# then waits 2, 4, 8 … s (up to LOGIN_MAX_DELAY_SECONDS); one address failing under more than
# LOGIN_ADDRESS_MAX_NAMES names or more than LOGIN_ADDRESS_FREE_FAILURES times waits 1, 2, 4 … min;
# one name failing from every address more than LOGIN_ACCOUNT_FREE_FAILURES times waits up to
# LOGIN_ACCOUNT_MAX_DELAY_SECONDS per try (short, so a distributed attack cannot lock the user out).
LOGIN_THROTTLE_WINDOW_MINUTES = int(env("LOGIN_THROTTLE_WINDOW_MINUTES") or 15)
LOGIN_FREE_FAILURES = int(env("LOGIN_FREE_FAILURES") or 5)
LOGIN_MAX_DELAY_SECONDS = int(env("LOGIN_MAX_DELAY_SECONDS") or 900)
LOGIN_ADDRESS_MAX_NAMES = int(env("LOGIN_ADDRESS_MAX_NAMES") or 10)
LOGIN_ADDRESS_FREE_FAILURES = int(env("LOGIN_ADDRESS_FREE_FAILURES") or 30)
LOGIN_ACCOUNT_FREE_FAILURES = int(env("LOGIN_ACCOUNT_FREE_FAILURES") or 20)
LOGIN_ACCOUNT_MAX_DELAY_SECONDS = int(env("LOGIN_ACCOUNT_MAX_DELAY_SECONDS") or 60)
# Sessions end after this many idle minutes and when the browser closes.
SESSION_IDLE_MINUTES = int(env("SESSION_IDLE_MINUTES") or 30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "wagewatch" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "wagewatch" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = Path(env("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Protected personal data: AES-GCM key for encryption at rest and an HMAC key for exact lookup.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY") or embedded_secret("field-encryption-key", _random_key)
FIELD_LOOKUP_KEY = env("FIELD_LOOKUP_KEY") or embedded_secret("field-lookup-key", _random_key)

# Tamper-evident history: Ed25519 key (raw 32-byte seed, base64) that signs tree heads.
HISTORY_SIGNING_KEY = env("HISTORY_SIGNING_KEY") or embedded_secret("history-signing-key", _random_key)
HISTORY_TREE_HEAD_MINUTES = int(env("HISTORY_TREE_HEAD_MINUTES") or 10)

# Background jobs.
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A separate queue name lets test workers share a broker with a running `make run` without
# taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE") or "celery"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# A worker takes one message at a time: a message it holds but has not started is not stuck behind
# its long task, and a killed worker loses at most the one it was running (redo-safe tasks are
# acknowledged late, see payroll.tasks; the job sweep resumes what a broker does not redeliver).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One beat at a time, whatever starts it (make run, `celery beat`, `worker -B`): see core/beat.py.
CELERY_BEAT_SCHEDULER = "wagewatch.core.beat:SingleBeatScheduler"
# Long jobs (imports, reconciliation chunks) beat `heartbeat_at` every JOB_HEARTBEAT_SECONDS; the
# job sweep resumes or ends a job silent for JOB_STALE_SECONDS, at most JOB_MAX_ATTEMPTS runs each.
JOB_HEARTBEAT_SECONDS = float(env("JOB_HEARTBEAT_SECONDS") or 15)
JOB_STALE_SECONDS = float(env("JOB_STALE_SECONDS") or 180)
JOB_MAX_ATTEMPTS = int(env("JOB_MAX_ATTEMPTS") or 3)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "publish-tree-head": {
        "task": "wagewatch.history.tasks.publish_tree_head",
        "schedule": crontab(minute=f"*/{HISTORY_TREE_HEAD_MINUTES}"),
    },
    "notify-worker-messages-resend": {"task": "wagewatch.notify.tasks.worker_messages_resend", "schedule": crontab(minute="*/5")},
    "notify-purge": {"task": "wagewatch.notify.tasks.notify_purge", "schedule": crontab(hour=3, minute=17)},
    "core-login-throttle-purge": {"task": "wagewatch.core.tasks.login_throttle_purge", "schedule": crontab(hour=3, minute=27)},
    # Reminders, overdue flags and escalations by rule; a stopped worker does not come back to a pile.
    "cases-deadline-sweep": {"task": "wagewatch.cases.tasks.deadline_sweep", "schedule": crontab(minute="*/5"), "options": {"expires": 240}},
    "cases-review-sample-monthly": {"task": "wagewatch.cases.tasks.review_sample_monthly", "schedule": crontab(minute=30, hour=1, day_of_month=1)},
    # Small projects overdue with their labour records after completion: chased at most weekly each.
    # Imports and reconciliation runs whose heartbeat stopped: resumed or ended within minutes.
    "jobs-sweep": {"task": "wagewatch.core.tasks.jobs_sweep", "schedule": 60.0, "options": {"expires": 55}},
    "payroll-import-files-expire": {"task": "wagewatch.payroll.tasks_imports.import_files_expire", "schedule": crontab(hour=3, minute=40)},
    "payroll-chase-records-uploads": {"task": "wagewatch.payroll.tasks_obligations.chase_records_uploads", "schedule": crontab(minute=40, hour=8)},
    # Monthly reconciliation: on the 1st (the two months before) and the day after each project's pay day.
    "payroll-reconcile-monthly": {"task": "wagewatch.payroll.tasks.reconcile_monthly", "schedule": crontab(minute=10, hour=2, day_of_month=1)},
    "payroll-reconcile-after-pay-day": {"task": "wagewatch.payroll.tasks.reconcile_after_pay_day", "schedule": crontab(minute=20, hour=2)},
}

# SMS to workers (verification codes, progress messages). The console backend prints; production
# sets the HTTP gateway. WORKER_SITE_URL is the address printed in SMS and on QR posters.
SMS_BACKEND = env("SMS_BACKEND") or "wagewatch.notify.sms.ConsoleBackend"
SMS_FILE_PATH = env("SMS_FILE_PATH") or str(VAR_DIR / "sms" / "outbox.jsonl")
SMS_SIGN = env("SMS_SIGN") or "根治欠薪"
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL") or ""
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN") or ""
SMS_GATEWAY_TIMEOUT = float(env("SMS_GATEWAY_TIMEOUT") or 10)
WORKER_SITE_URL = env("WORKER_SITE_URL") or "http://127.0.0.1:8000"
# Number of reverse proxies in front of the site whose X-Forwarded-For is trusted (1 behind one nginx).
RATE_LIMIT_TRUSTED_PROXIES = int(env("RATE_LIMIT_TRUSTED_PROXIES") or 0)
# Evidence uploads (photos, PDF), checked by content.
EVIDENCE_MAX_BYTES = int(env("EVIDENCE_MAX_BYTES") or 10 * 1024 * 1024)
# A Chinese TTF/OTF replacing the packaged Noto fonts in PDFs (optional).
PDF_FONT_PATH = env("PDF_FONT_PATH") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No log line carries a clear ID, phone or bank card number (also masked when each record is
    # made, for handlers configured elsewhere: wagewatch.core.redact.install_log_record_factory).
    "filters": {"redact_personal_numbers": {"()": "wagewatch.core.redact.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_personal_numbers"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "INFO"},
}
CSRF_FAILURE_VIEW = "wagewatch.core.views.csrf_failure"
