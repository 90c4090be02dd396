"""Values that cannot be true are refused, with the field named, by the one definition in
core/values.py: amounts (below one fen, 1e28), counts, dates (a receipt in 1900 or tomorrow, a
period in year 1 or 9999), an ID number born after today, working days past year 9999."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.cn import ric

from wagewatch.cases.models import Case
from wagewatch.core.protected import validate_id_number
from wagewatch.core.values import amount_check, date_check, received_at_check
from wagewatch.intake.models import Complaint
from wagewatch.intake.tests.test_api import body, post, received


@pytest.fixture
def clerk(client, world):
    client.force_login(world.users["clerk"])
    return client


def _fields(response) -> dict:
    assert response.status_code == 422, response.content[:400]
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.mark.parametrize("value", ["0.001", "1e28", 1e28, "-1", "10000000000"])
def test_an_amount_that_cannot_be_true_is_refused(clerk, world, value):
    fields = _fields(post(clerk, body(world, amount_owed=value)))
    assert "amount_owed" in fields and fields["amount_owed"].startswith("欠薪金额")
    assert not Complaint.objects.exists() and not Case.objects.exists()


def test_one_fen_and_round_yuan_are_amounts():
    assert amount_check("0.01") == Decimal("0.01")
    assert amount_check("1,250.5元") == Decimal("1250.50")
    for bad in ("0.001", "NaN", "Infinity", "1e28", True):
        with pytest.raises(ValueError):
            amount_check(bad)
    with pytest.raises(ValueError):
        amount_check("0", positive=True)


def test_a_worker_count_of_two_to_the_63_is_refused(clerk, world):
    assert "worker_count" in _fields(post(clerk, body(world, worker_count=2**63)))


@pytest.mark.parametrize("moment", ["1900-01-01T09:00:00+08:00", "future"])
def test_a_receipt_time_in_1900_or_in_the_future_is_refused(client, world, moment):
    from wagewatch.intake.tests.test_api import bearer

    if moment == "future":
        moment = (timezone.now() + timedelta(hours=3)).isoformat()
    data = body(world, channel="hotline_12345", external_id="GD-1", received_at=moment)
    fields = _fields(post(client, data, **bearer(world, "tax_feed")))
    assert fields["received_at"].startswith("收到时间")
    assert not Complaint.objects.exists()


def test_a_receipt_time_of_now_is_accepted(client, world):
    from wagewatch.intake.tests.test_api import bearer

    data = body(world, channel="hotline_12345", external_id="GD-2", received_at=received(1))
    assert post(client, data, **bearer(world, "tax_feed")).status_code == 201


@pytest.mark.parametrize("period", ["0001-01-01", "9999-12-01"])
def test_a_period_in_year_1_or_9999_is_refused(clerk, world, period):
    fields = _fields(post(clerk, body(world, period_start=period, period_end="2026-10-31")))
    assert "period_start" in fields
    assert not Complaint.objects.exists()


def test_the_plausible_window_itself():
    assert date_check(date(2026, 1, 1)) == date(2026, 1, 1)
    with pytest.raises(ValueError):
        date_check(date(1, 1, 1))
    with pytest.raises(ValueError):
        received_at_check(timezone.now() + timedelta(hours=1))


def _id_born(born: date) -> str:
    head = f"110105{born:%Y%m%d}123"
    return head + ric.calc_check_digit(head + "0")


def test_an_id_number_born_after_today_is_refused():
    assert validate_id_number(_id_born(date(1990, 5, 1))) == _id_born(date(1990, 5, 1))
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="晚于今天"):
        validate_id_number(_id_born(tomorrow))
    with pytest.raises(ValidationError, match="晚于今天"):
        validate_id_number(_id_born(date(2030, 1, 1)))


def test_adding_working_days_past_year_9999_is_a_422(client, world):
    client.force_login(world.users["clerk"])
    response = client.get("/api/v1/calendar/add-working-days", {"start": "9999-12-20", "days": 30})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "days"
