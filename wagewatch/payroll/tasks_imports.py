"""Background processing of uploaded payroll files (imported by PayrollConfig.ready so that the
worker registers it; celery autodiscovers only `tasks` modules)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="wagewatch.payroll.tasks_imports.import_process", ignore_result=True)
def import_process(job_id: int) -> str:
    from wagewatch.payroll.services.imports import import_job_process

    return import_job_process(job_id).status


@shared_task(name="wagewatch.payroll.tasks_imports.import_jobs_sweep", ignore_result=True)
def import_jobs_sweep() -> dict[str, int]:
    """Every 10 minutes (settings.CELERY_BEAT_SCHEDULE): re-send lost jobs, end interrupted ones."""
    from wagewatch.payroll.services.imports import import_jobs_sweep as sweep

    return sweep()
