"""Idempotency-Key on the write endpoints: a retry gets the first answer back, another payload
under the same key is refused, and two copies racing each other register once."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from wagewatch.cases.models import Case, CaseState
from wagewatch.core.models import IdempotencyKey
from wagewatch.history.models import Event
from wagewatch.intake.models import Complaint
from wagewatch.testing.cases import register, unit_user

from .test_api import body, post, with_leaders


@pytest.fixture
def clerk(client, world):
    client.force_login(world.users["clerk"])
    return client


def counts():
    return (Case.objects.count(), Complaint.objects.count(), Event.objects.count(), IdempotencyKey.objects.count())


def test_same_key_same_payload_registers_once_and_replays_the_first_answer(clerk, world):
    data = body(world, dispatch=False)
    first = post(clerk, data, **{"Idempotency-Key": "form-7f3a"})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    after_first = counts()
    second = post(clerk, data, **{"Idempotency-Key": "form-7f3a"})
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert counts() == after_first
    assert (Case.objects.count(), Complaint.objects.count()) == (1, 1)


def test_same_key_other_payload_is_refused_and_writes_nothing(clerk, world):
    data = body(world, dispatch=False)
    assert post(clerk, data, **{"Idempotency-Key": "k-1"}).status_code == 201
    before = counts()
    response = post(clerk, {**data, "amount_owed": "99999"}, **{"Idempotency-Key": "k-1"})
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "idempotency_conflict" and "幂等键" in payload["message"]
    assert payload["errors"][0]["field"] == "Idempotency-Key"
    assert counts() == before


@pytest.mark.parametrize("key", ["", "   ", "x" * 129])
def test_an_invalid_key_is_refused(clerk, world, key):
    before = counts()
    response = post(clerk, body(world), **{"Idempotency-Key": key})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_invalid" and "幂等键" in response.json()["message"]
    assert counts() == before


def test_a_refused_request_keeps_nothing_so_the_corrected_one_runs(clerk, world):
    response = post(clerk, body(world, complainant_phone="123"), **{"Idempotency-Key": "k-2"})
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert not IdempotencyKey.objects.exists()
    response = post(clerk, body(world, dispatch=False), **{"Idempotency-Key": "k-2"})
    assert response.status_code == 201 and Complaint.objects.count() == 1


def test_keys_belong_to_one_user(client, world):
    data = body(world, dispatch=False)
    client.force_login(world.users["clerk"])
    first = post(client, data, **{"Idempotency-Key": "shared"})
    client.force_login(world.users["office_staff"])
    second = post(client, data, **{"Idempotency-Key": "shared"})
    assert "Idempotent-Replayed" not in second.headers
    # Not replayed: the office's request ran and found the clerk's case (a repeat).
    assert second.json()["complaint_number"] != first.json()["complaint_number"]
    assert second.json()["case_number"] == first.json()["case_number"]


def test_transitions_take_a_key_too(client, world):
    with_leaders(world)
    case = register(world, dispatch=True).case
    assert case.state == CaseState.DISPATCHED
    client.force_login(unit_user(world, case))
    url = f"/api/v1/cases/{case.number}/transitions"
    payload = {"action": "accept", "responsible_person": "赵六"}
    first = client.post(url, payload, content_type="application/json", headers={"Idempotency-Key": "accept-1"})
    assert first.status_code == 200 and first.json()["state"] == "accepted"
    again = client.post(url, payload, content_type="application/json", headers={"Idempotency-Key": "accept-1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Event.objects.filter(action="case.accept").count() == 1
    # Without the key the same click again meets the state table.
    third = client.post(url, payload, content_type="application/json")
    assert third.status_code == 409


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_register_once(world):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a shared database file or PostgreSQL")
    data = body(world, dispatch=False)
    clients = []
    for _ in range(2):
        c = Client()
        c.force_login(world.users["clerk"])
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    answers, errors = [], []
    lock = threading.Lock()

    def send(c):
        try:
            barrier.wait(timeout=10)
            response = post(c, data, **{"Idempotency-Key": "race-1"})
            with lock:
                answers.append((response.status_code, response.json(), response.headers.get("Idempotent-Replayed")))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(answers) == 2
    assert [a[0] for a in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert sorted(str(a[2]) for a in answers) == ["None", "true"]
    assert Case.objects.count() == 1 and Complaint.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert Event.objects.filter(action="case.registered").count() == 1
