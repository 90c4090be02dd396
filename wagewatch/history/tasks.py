"""Periodic jobs of the history (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from .services import tree_head_publish

logger = logging.getLogger(__name__)


@shared_task(name="wagewatch.history.tasks.publish_tree_head")
def publish_tree_head() -> int | None:
    """Sign a tree head over every event so far; returns its size, or None when nothing changed.

    A HistoryIntegrityError propagates: a failed run is how the operators learn of tampering."""
    head = tree_head_publish(actor=None)
    if head is None:
        logger.info("history: no new events, no tree head published")
        return None
    logger.info("history: tree head published, size %s root %s", head.tree_size, head.root_hash)
    return head.tree_size
