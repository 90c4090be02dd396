"""verify_history against rows changed directly in the database, around the triggers."""

import base64
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings

from wagewatch.history import guard, merkle, signing
from wagewatch.history.models import Event
from wagewatch.history.services import tree_head_publish
from wagewatch.history.tree import iter_event_rows, row_digest

from .helpers import append_events

OTHER_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()


@contextmanager
def tampering():
    """What someone with database access does: switch the triggers off, change rows, switch them on."""
    with transaction.atomic(), guard.suspended(connection), connection.cursor() as cursor:
        yield cursor


def rehash(cursor, seq):
    """Recompute a row's leaf_hash from its (forged) contents, as a careful forger would."""
    row = next(r for chunk in iter_event_rows(seq, seq + 1) for r in chunk)
    cursor.execute("UPDATE history_event SET leaf_hash = %s WHERE seq = %s", [row_digest(row).hex(), seq])


def verify(*args):
    """Run the command; return (first bad seq named in the error or None, stderr text)."""
    from io import StringIO

    err = StringIO()
    try:
        call_command("verify_history", *args, stdout=StringIO(), stderr=err)
    except CommandError as exc:
        assert exc.returncode == 1
        text = str(exc)
        return (int(text.rsplit(" ", 1)[1]) if "序号为" in text else "heads"), err.getvalue()
    return None, err.getvalue()


@pytest.fixture
def history(db):
    """20 events under two signed tree heads (sizes 10 and 20) and 5 more not yet published."""
    append_events(10)
    tree_head_publish()
    append_events(10, start=10)
    tree_head_publish()
    append_events(5, start=20)


def test_untouched_history_verifies(history, capsys):
    call_command("verify_history", "--nodes")
    out = capsys.readouterr().out
    assert "已核对 25 条事件、2 个签名树头" in out and "未发现篡改" in out


def test_altered_row_is_named(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_event SET payload = %s WHERE seq = 13", ['{"i":13,"单位":"西城街道"}'])
    assert verify()[0] == 13


def test_altered_unpublished_row_is_named(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_event SET actor_label = %s WHERE seq = 22", ["某人"])
    assert verify()[0] == 22


def test_row_rewritten_with_its_leaf_hash_is_found_through_the_signed_root(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_event SET payload = %s WHERE seq = 4", ['{"i":4000}'])
        rehash(cursor, 4)
    seq, err = verify()
    assert seq == 4
    assert "规模 10" in err


def test_rewrite_of_row_hash_and_node_copy_is_narrowed_to_the_range_between_heads(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_event SET payload = %s WHERE seq = 15", ['{"i":1500}'])
        rehash(cursor, 15)
        cursor.execute("SELECT leaf_hash FROM history_event WHERE seq = 15")
        forged = bytes.fromhex(cursor.fetchone()[0])
        cursor.execute("UPDATE history_treenode SET hash = %s WHERE key = %s", [forged, merkle.node_key(0, 15)])
    seq, err = verify()
    assert seq == 10
    assert "序号 10 至 19" in err


def test_removed_row_is_named(history):
    with tampering() as cursor:
        cursor.execute("DELETE FROM history_event WHERE seq = 7")
    seq, err = verify()
    assert seq == 7
    assert "缺少序号 7" in err


def test_removed_tail_is_named(history):
    with tampering() as cursor:
        cursor.execute("DELETE FROM history_event WHERE seq >= 18")
    seq, err = verify()
    assert seq == 18
    assert "树头规模 20 超过现有事件数 18" in err


def test_reordered_rows_are_named(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_event SET seq = -1 WHERE seq = 3")
        cursor.execute("UPDATE history_event SET seq = 3 WHERE seq = 11")
        cursor.execute("UPDATE history_event SET seq = 11 WHERE seq = -1")
    assert verify()[0] == 3


def test_reordered_rows_with_rehashed_leaves_are_named(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_event SET seq = -1 WHERE seq = 5")
        cursor.execute("UPDATE history_event SET seq = 5 WHERE seq = 6")
        cursor.execute("UPDATE history_event SET seq = 6 WHERE seq = -1")
        rehash(cursor, 5)
        rehash(cursor, 6)
    assert verify()[0] == 5


def test_inserted_row_is_named(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_event SET seq = seq + 1000 WHERE seq >= 12")
        cursor.execute("UPDATE history_event SET seq = seq - 999 WHERE seq >= 1000")
        cursor.execute(
            "INSERT INTO history_event (seq, recorded_at, actor_id, actor_label, action, object_type, object_id, payload, leaf_hash) "
            "SELECT 12, recorded_at, actor_id, actor_label, action, object_type, object_id, payload, leaf_hash "
            "FROM history_event WHERE seq = 11"
        )
        rehash(cursor, 12)
    assert verify()[0] == 12


def test_row_inserted_with_a_negative_seq_is_named(history):
    with tampering() as cursor:
        cursor.execute(
            "INSERT INTO history_event (seq, recorded_at, actor_id, actor_label, action, object_type, object_id, payload, leaf_hash) "
            "SELECT -1, recorded_at, actor_id, actor_label, action, object_type, object_id, payload, leaf_hash "
            "FROM history_event WHERE seq = 0"
        )
    assert verify()[0] == -1


def test_altered_tree_head_fails_its_signature(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_treehead SET root_hash = %s WHERE tree_size = 10", ["00" * 32])
    seq, err = verify()
    assert "签名无效" in err
    assert seq == "heads"  # the forged head is refused; it does not cast doubt on the rows


def test_heads_signed_with_another_key_are_refused_unless_trusted(history):
    trusted = signing.public_key_bytes().hex()
    with override_settings(HISTORY_SIGNING_KEY=OTHER_KEY):
        seq, err = verify()
        assert seq == "heads" and "不是由受信任的密钥签名" in err
        assert verify("--trusted-key", trusted) == (None, "")


def test_forged_node_is_found_with_nodes_option(history):
    with tampering() as cursor:
        cursor.execute("UPDATE history_treenode SET hash = %s WHERE key = %s", [b"\x00" * 32, merkle.node_key(2, 1)])
    assert verify()[0] is None  # rows and signed roots are intact; proofs would fail for clients
    seq, err = verify("--nodes")
    assert seq == 4 and "层 2" in err


def test_verification_passes_again_after_a_publish_following_appends(history):
    tree_head_publish()
    append_events(3, start=25)
    assert verify() == (None, "")
    assert Event.objects.count() == 28


@pytest.fixture
def small_chunks(monkeypatch):
    """Many chunks, so PostgreSQL reads run pipelined as they do at a million events."""
    from wagewatch.history import tree

    monkeypatch.setattr(tree, "CHUNK", 4)


def test_chunked_and_pipelined_reads_verify_and_locate(history, small_chunks):
    tree_head_publish()
    assert verify("--nodes") == (None, "")
    with tampering() as cursor:
        cursor.execute("UPDATE history_event SET payload = %s WHERE seq = 17", ['{"i":1700}'])
        rehash(cursor, 17)
    assert verify("--nodes")[0] == 17
    assert verify()[0] == 17


def test_fast_chunk_digests_equal_row_digest(world):
    from django.db import transaction

    from wagewatch.history import tree
    from wagewatch.history.services import event_append

    with transaction.atomic():
        event_append(actor=world.users["office_staff"], action="a.b", obj=("x.y", 1), payload={"名": '东城\n"引号"\t\\', "n": [1, 2.5]})
        event_append(actor=None, action="c.d", obj=("x.y", "ab"), payload={})
        event_append(actor="数据接口: 税务局", action="e.f", obj=("x.y", 3), payload={"t": None})
    rows = [row for chunk in tree.iter_event_rows() for row in chunk]
    assert len(rows) >= 3
    assert tree.row_digests(rows) == [tree.row_digest(row) for row in rows]
    assert [d.hex() for d in tree.row_digests(rows)] == [row[8] for row in rows]
