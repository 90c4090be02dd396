"""Celery application.

`make run` uses kombu's filesystem transport under var/ (no broker to install); production
sets CELERY_BROKER_URL to Redis or RabbitMQ and runs as many workers as it needs.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wagewatch.settings")

app = Celery("wagewatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _stop_with_parent(**kwargs) -> None:
    """Started by `make run` (WAGEWATCH_PARENT_PID set): stop when it is gone (core/processes.py)."""
    from wagewatch.core.processes import watch_parent_from_env

    watch_parent_from_env()
