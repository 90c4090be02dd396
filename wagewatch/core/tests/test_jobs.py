"""Tasks run by a real Celery worker process (`pytest -m jobs`), on whatever broker is configured."""

import pytest

from wagewatch.core.tasks import ping

pytestmark = [pytest.mark.jobs, pytest.mark.django_db(transaction=True)]


def test_worker_consumes_a_task_sent_with_delay(celery_worker, tmp_path):
    marker = tmp_path / "pinged"
    ping.delay(str(marker))
    celery_worker.wait_for(marker.exists)


def test_publish_tree_head_signs_the_history_in_a_worker(celery_worker):
    from wagewatch.core.models import Territory
    from wagewatch.core.services import territory_create
    from wagewatch.history.models import Event, TreeHead
    from wagewatch.history.tasks import publish_tree_head

    district = territory_create(actor=None, code="110105", name="示范区", level=Territory.Level.DISTRICT)
    territory_create(actor=None, code="110105001", name="东湖街道", level=Territory.Level.STREET, parent=district)
    size = Event.objects.count()
    assert size >= 2

    publish_tree_head.delay()

    head = celery_worker.wait_for(lambda: TreeHead.objects.filter(tree_size=size).first(), timeout=30)
    assert len(head.root_hash) == 64 and head.signature
