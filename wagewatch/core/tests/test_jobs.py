"""Tasks run by a real Celery worker process (`pytest -m jobs`), on whatever broker is configured."""

import pytest

from wagewatch.core.tasks import ping

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


def test_worker_consumes_a_task_sent_with_delay(celery_worker, tmp_path):
    marker = tmp_path / "pinged"
    ping.delay(str(marker))
    celery_worker.wait_for(marker.exists)
