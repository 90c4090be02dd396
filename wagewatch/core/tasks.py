"""Small Celery tasks of the core app."""

from pathlib import Path

from celery import shared_task


@shared_task(name="wagewatch.core.tasks.ping")
def ping(marker: str | None = None) -> str:
    """Prove a worker is consuming this queue: touches `marker` (a file path) when given.

    Writes nothing to the database, so it is safe against any database."""
    if marker:
        Path(marker).touch()
    return "pong"


@shared_task(name="wagewatch.core.tasks.login_throttle_purge")
def login_throttle_purge() -> int:
    """Delete sign-in throttle rows whose window and delay ran out."""
    from .login_throttle import purge

    return purge()


@shared_task(name="wagewatch.core.tasks.jobs_sweep", ignore_result=True)
def jobs_sweep() -> dict:
    """Every minute (settings.CELERY_BEAT_SCHEDULE): resume or end the jobs whose heartbeat stopped."""
    from wagewatch.core.jobs import jobs_sweep as sweep

    return sweep()
