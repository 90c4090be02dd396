"""Background processing of uploaded payroll files (imported by PayrollConfig.ready so that the
worker registers it; celery autodiscovers only `tasks` modules)."""

from __future__ import annotations

from celery import shared_task


# Redo-safe (processing claims a queued job once; all or nothing): acknowledged after it ran, and
# given back to the broker if the worker process running it dies.
@shared_task(name="wagewatch.payroll.tasks_imports.import_process", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def import_process(job_id: int) -> str:
    from wagewatch.payroll.services.imports import import_job_process

    return import_job_process(job_id).status


@shared_task(name="wagewatch.payroll.tasks_imports.import_jobs_sweep", ignore_result=True)
def import_jobs_sweep() -> dict[str, int]:
    """Kept for messages sent before the job sweep (wagewatch.core.tasks.jobs_sweep) replaced it."""
    from wagewatch.payroll.services.imports import import_jobs_sweep as sweep

    return sweep()


@shared_task(name="wagewatch.payroll.tasks_imports.import_files_expire", ignore_result=True)
def import_files_expire() -> dict[str, int]:
    """Daily (settings.CELERY_BEAT_SCHEDULE): delete kept import files past the office's retention."""
    from wagewatch.payroll.services.imports import import_files_expire as expire

    return expire()
