"""The data migration that moved phone, wage card, bank and trade from the person to each
employment: every existing employment keeps its worker's values (and the digests that find them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from wagewatch.core.protected import BANK_CARD, PHONE, lookup_digest

from .roster_factories import id_number

BEFORE = [("payroll", "0004_attendance_without_db_constraints")]


@pytest.mark.django_db(transaction=True)
def test_existing_workers_values_move_to_each_of_their_employments(world):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Worker, ProjectWorker = old.get_model("payroll", "Worker"), old.get_model("payroll", "ProjectWorker")
    w = Worker.objects.create(name="老张", id_number=id_number(77), phone="13955550077", bank_card="6222020255550077", bank_name="工商银行", trade="瓦工")
    w.refresh_from_db()
    assert w.phone_digest == lookup_digest(PHONE, "13955550077")
    for key in ("housing_b", "road_a"):
        ProjectWorker.objects.create(project_id=world.projects[key].pk, worker=w, entry_date=date(2026, 5, 1), agreed_rate=Decimal("300"))
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # forward to the latest: later tests need it
    from wagewatch.payroll.models import ProjectWorker as Current

    rows = list(Current.objects.filter(worker_id=w.pk).order_by("pk"))
    assert len(rows) == 2
    for pw in rows:
        assert (pw.phone, pw.bank_card, pw.bank_name, pw.trade) == ("13955550077", "6222020255550077", "工商银行", "瓦工")
        assert pw.phone_digest == lookup_digest(PHONE, "13955550077") and pw.bank_card_digest == lookup_digest(BANK_CARD, "6222020255550077")
