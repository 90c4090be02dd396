"""Background jobs of the cases app, scheduled in settings.CELERY_BEAT_SCHEDULE:
`deadline_sweep` every 5 minutes, `review_sample_monthly` on the first of each month."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task


@shared_task(name="wagewatch.cases.tasks.deadline_sweep", ignore_result=True)
def deadline_sweep() -> dict[str, int]:
    """Remind before deadlines, flag the overdue ones and escalate by rule (see cases.sweep)."""
    from .sweep import deadline_sweep as sweep

    return asdict(sweep())


@shared_task(name="wagewatch.cases.tasks.review_sample_monthly", ignore_result=True)
def review_sample_monthly() -> int:
    """Sample the cases closed last month for re-checks (回头看) by the office."""
    from .followups import review_sample_previous_month

    return len(review_sample_previous_month())
