"""Background jobs of the notify app.

Periodic ones are scheduled in settings.CELERY_BEAT_SCHEDULE (see the app's README lines in
the report): `worker_messages_resend` every few minutes, `notify_purge` daily."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services
from .models import WorkerMessage
from .ratelimit import rate_limit_windows_purge

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 1800


def retry_countdown(retries: int) -> int:
    """30 s, 60 s, 120 s, … capped at 30 minutes."""
    return min(RETRY_BASE_SECONDS * 2**retries, RETRY_MAX_SECONDS)


@shared_task(bind=True, name="wagewatch.notify.tasks.worker_message_send", max_retries=4, ignore_result=True)
def worker_message_send(self, message_id: int) -> str:
    """Send one message to a worker; on failure retry with backoff. After the last retry the
    message stays `failed` and `worker_messages_resend` tries again later."""
    status = services.worker_message_deliver(message_id=message_id)
    if status == WorkerMessage.Status.FAILED and self.request.retries < self.max_retries:
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return status


@shared_task(name="wagewatch.notify.tasks.worker_messages_resend", ignore_result=True)
def worker_messages_resend() -> int:
    """Queue again the messages that are still pending or failed a few minutes after their last
    try (a lost task, a broker that was down at commit, a gateway that was down for a while)."""
    ids = services.worker_messages_due()
    for message_id in ids:
        worker_message_send.delay(message_id)
    if ids:
        logger.info("notify: %s worker messages queued again", len(ids))
    return len(ids)


@shared_task(name="wagewatch.notify.tasks.notify_purge", ignore_result=True)
def notify_purge() -> dict[str, int]:
    """Delete rate-limit windows that ended and verification codes long expired."""
    result = {"rate_limit_windows": rate_limit_windows_purge(), "sms_codes": services.sms_codes_purge()}
    logger.info("notify: purged %s", result)
    return result

