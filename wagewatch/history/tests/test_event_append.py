"""event_append: sequence, canonical leaf, same transaction as the change, concurrent writers,
and the append-only triggers."""

import json
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from wagewatch.history import guard, merkle
from wagewatch.history.models import Event
from wagewatch.history.services import canonical_json, event_append, leaf_bytes, leaf_text
from wagewatch.history.tree import iter_event_rows, row_digest


def append(**kwargs):
    with transaction.atomic():
        return event_append(**kwargs)


@pytest.mark.django_db(transaction=True)
def test_append_needs_a_transaction():
    with pytest.raises(RuntimeError):
        event_append(actor=None, action="x.y", obj=("demo", 1), payload={})
    assert not Event.objects.exists()


def test_seq_counts_from_zero_and_leaf_hash_is_the_rfc6962_hash_of_the_canonical_event(world):
    user = world.users["office_staff"]
    start = Event.objects.count()
    first = append(actor=user, action="enterprise.updated", obj=world.enterprises["factory_a"], payload={"name": "新名称"})
    second = append(actor=None, action="user.locked", obj=("core.user", 7), payload={"b": 1, "a": [1, 2]})
    assert (first.seq, second.seq) == (start, start + 1)
    stored = Event.objects.get(seq=first.seq)
    assert stored.actor_id == user.pk and stored.actor_label == str(user)
    assert (stored.object_type, stored.object_id) == ("registry.enterprise", str(world.enterprises["factory_a"].pk))
    expected = leaf_bytes(
        seq=stored.seq,
        recorded_at=stored.recorded_at,
        actor_id=stored.actor_id,
        actor_label=stored.actor_label,
        action=stored.action,
        object_type=stored.object_type,
        object_id=stored.object_id,
        payload=json.loads(stored.payload),
    )
    assert stored.leaf_hash == merkle.hash_leaf(expected).hex()
    assert Event.objects.get(seq=second.seq).actor_label == "系统"
    assert Event.objects.get(seq=second.seq).payload == '{"a":[1,2],"b":1}'


def test_fast_leaf_text_equals_the_canonical_json_of_the_event():
    tricky = 'quote " backslash \\ newline \n tab \t nul \x00 bell \x07 del \x7f 中文 😀 \u2028'
    payload = canonical_json({"text": tricky, "n": 1.5, "none": None})
    at = datetime(2026, 11, 23, 9, 0, 0, 1, tzinfo=UTC)
    for actor_id in (None, 42):
        built = leaf_text(7, at.isoformat(), actor_id, tricky, "case.closed", "cases.case", "12", payload)
        reference = canonical_json(
            {
                "seq": 7,
                "time": at.isoformat(),
                "actor_id": actor_id,
                "actor": tricky,
                "action": "case.closed",
                "object_type": "cases.case",
                "object_id": "12",
                "payload": json.loads(payload),
            }
        )
        assert built == reference


def test_payload_is_stored_canonically(db):
    event = append(
        actor="数据接口: 税务局",
        action="x.y",
        obj=("demo", 1),
        payload={"z": Decimal("12.50"), 2: "two", "at": datetime(2026, 1, 2, tzinfo=UTC), "list": ("a", "b")},
    )
    assert event.payload == '{"2":"two","at":"2026-01-02T00:00:00+00:00","list":["a","b"],"z":"12.50"}'
    assert event.actor_label == "数据接口: 税务局" and event.actor_id is None


def test_event_is_rolled_back_with_the_change(db):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        event_append(actor=None, action="x.y", obj=("demo", 1), payload={})
        1 / 0  # noqa: B018 - the change that fails after its event was appended
    assert not Event.objects.exists()
    assert append(actor=None, action="x.y", obj=("demo", 1), payload={}).seq == 0


def test_stored_rows_rehash_to_their_leaf_hash_with_microseconds_and_without(db):
    append(actor=None, action="x.y", obj=("demo", 1), payload={"k": "v"})
    # A row recorded exactly on the second: isoformat() drops the fraction; so must the verifier.
    at = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
    text = leaf_text(1, at.isoformat(), None, "系统", "x.y", "demo", "2", "{}")
    Event.objects.create(
        seq=1,
        recorded_at=at,
        actor_label="系统",
        action="x.y",
        object_type="demo",
        object_id="2",
        payload="{}",
        leaf_hash=merkle.hash_leaf(text.encode()).hex(),
    )
    rows = [row for chunk in iter_event_rows() for row in chunk]
    assert [row[0] for row in rows] == [0, 1]
    assert all(row_digest(row).hex() == row[8] for row in rows)


def test_update_and_delete_are_refused_by_the_database(db):
    event = append(actor=None, action="x.y", obj=("demo", 1), payload={})
    assert guard.installed(connection)
    with pytest.raises(DatabaseError, match="防篡改历史只能追加"), transaction.atomic():
        Event.objects.filter(seq=event.seq).update(action="x.z")
    with pytest.raises(DatabaseError, match="防篡改历史只能追加"), transaction.atomic():
        Event.objects.filter(seq=event.seq).delete()
    with pytest.raises(DatabaseError, match="防篡改历史只能追加"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE history_event SET payload = %s", ['{"forged":1}'])
    assert Event.objects.get(seq=event.seq).action == "x.y"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_truncate_is_refused_on_postgresql(db):
    append(actor=None, action="x.y", obj=("demo", 1), payload={})
    with pytest.raises(DatabaseError, match="清空"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE history_event")
    assert Event.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_flush_suspends_the_guards_and_puts_them_back():
    append(actor=None, action="x.y", obj=("demo", 1), payload={})
    call_command("flush", interactive=False, verbosity=0)
    assert not Event.objects.exists()
    assert guard.installed(connection)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_contiguous_sequence_numbers():
    writers, each = 4, 15
    errors = []
    barrier = threading.Barrier(writers)

    def write(n):
        try:
            barrier.wait()
            for i in range(each):
                append(actor=None, action="x.y", obj=("demo", f"{n}-{i}"), payload={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert list(Event.objects.values_list("seq", flat=True)) == list(range(writers * each))
    rows = [row for chunk in iter_event_rows() for row in chunk]
    assert all(row_digest(row).hex() == row[8] for row in rows)


@pytest.mark.parametrize("micro", [0, 1, 1200, 100000, 999999])
def test_database_time_text_becomes_isoformat(micro):
    from wagewatch.history.tree import iso_time

    at = datetime(2026, 2, 3, 4, 5, 6, micro, tzinfo=UTC)
    postgres_style = at.strftime("%Y-%m-%d %H:%M:%S") + (f".{micro:06d}".rstrip("0") if micro else "")
    sqlite_style = str(at.replace(tzinfo=None))
    assert iso_time(postgres_style) == iso_time(sqlite_style) == at.isoformat()


def test_times_read_back_from_the_database_hash_like_at_append(db):
    for micro in (0, 1200, 999999):
        at = datetime(2026, 2, 3, 4, 5, 6, micro, tzinfo=UTC)
        seq = Event.objects.count()
        text = leaf_text(seq, at.isoformat(), None, "系统", "x.y", "demo", "1", "{}")
        Event.objects.create(
            seq=seq,
            recorded_at=at,
            actor_label="系统",
            action="x.y",
            object_type="demo",
            object_id="1",
            payload="{}",
            leaf_hash=merkle.hash_leaf(text.encode()).hex(),
        )
    rows = [row for chunk in iter_event_rows() for row in chunk]
    assert len(rows) == 3 and all(row_digest(row).hex() == row[8] for row in rows)


def test_events_append_writes_a_contiguous_batch_that_hashes_like_single_appends(world):
    from wagewatch.history.services import events_append

    start = Event.objects.count()
    with transaction.atomic():
        events = events_append(
            actor=world.users["office_staff"],
            entries=[("enterprise.updated", world.enterprises["factory_a"], {"n": i}) for i in range(5)],
        )
        single = event_append(actor=None, action="x.y", obj=("demo", 1), payload={})
    assert [e.seq for e in events] == list(range(start, start + 5))
    assert single.seq == start + 5
    for row in iter_event_rows(start, start + 6):
        for r in row:
            assert row_digest(r) == bytes.fromhex(Event.objects.get(seq=r[0]).leaf_hash)
    with transaction.atomic():
        assert events_append(actor=None, entries=[]) == []


def test_events_append_rolls_back_with_the_caller(world):
    from wagewatch.history.services import events_append

    start = Event.objects.count()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events_append(actor=None, entries=[("x.y", ("demo", i), {}) for i in range(3)])
        1 / 0  # noqa: B018
    assert Event.objects.count() == start
    with transaction.atomic():
        assert events_append(actor=None, entries=[("x.y", ("demo", 9), {})])[0].seq == start
