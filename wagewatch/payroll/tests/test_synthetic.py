"""The synthetic month generator: valid protected data, every kind planted, bulk mode counts."""

from datetime import date

from wagewatch.core.protected import BANK_CARD, ID_NUMBER, lookup_digest, validate_id_number
from wagewatch.payroll import synthetic
from wagewatch.payroll.models import Attendance, BankDisbursement, FindingKind, ProjectWorker, Worker

MONTH = date(2026, 9, 1)


def test_small_month_has_real_encrypted_values_and_every_kind_planted(world):
    result = synthetic.build(month=MONTH, territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"])
    assert {p.kind for p in result.planted} == set(FindingKind.values)
    assert ProjectWorker.objects.count() == result.worker_months == 12 * len(result.project_ids)
    assert Attendance.objects.count() == result.attendance_rows
    worker = Worker.objects.first()
    assert validate_id_number(worker.id_number) == worker.id_number
    assert worker.id_number_digest == lookup_digest(ID_NUMBER, worker.id_number)
    pw = worker.project_workers.first()
    assert pw.bank_card_digest == lookup_digest(BANK_CARD, pw.bank_card)
    # the bank statement pays the card the project registered for him
    assert BankDisbursement.objects.filter(payee_account_digest=pw.bank_card_digest).exists()
    # ciphertext at rest
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM payroll_worker LIMIT 1")
        assert cursor.fetchone()[0].startswith("v1:")


def test_bulk_mode_counts_and_a_pool_of_ciphertexts(world):
    result = synthetic.build_bulk(
        month=MONTH, territory=world.territories["street_b"], general_contractor=world.enterprises["contractor_a"],
        worker_months=600, workers_per_project=20, anomaly_every=5, cipher_pool=10, punches_per_day=1,
    )
    assert result.worker_months == ProjectWorker.objects.count() == 600
    assert result.attendance_rows == Attendance.objects.count()
    assert 600 * 20 <= result.attendance_rows <= 600 * 23
    assert len(result.planted) >= 6
    # the digests are the real keyed hashes of distinct values; the ciphertexts come from the pool
    assert Worker.objects.values("id_number_digest").distinct().count() == 600
    assert len({w.id_number for w in Worker.objects.all()[:100]}) <= 10
