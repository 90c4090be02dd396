"""Celery application.

`make run` uses kombu's filesystem transport under var/ (no broker to install); production
sets CELERY_BROKER_URL to Redis or RabbitMQ and runs as many workers as it needs.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wagewatch.settings")

app = Celery("wagewatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
