"""Publishing signed tree heads, the stored nodes behind proofs, the periodic job and command."""

import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from wagewatch.history import guard, merkle, signing, tree
from wagewatch.history.models import Event, TreeHead, TreeNode
from wagewatch.history.services import HistoryIntegrityError, tree_head_publish
from wagewatch.history.tasks import publish_tree_head

from . import rfc6962
from .helpers import append_events


def leaf_hashes():
    return [bytes.fromhex(h) for h in Event.objects.order_by("seq").values_list("leaf_hash", flat=True)]


def test_publish_signs_the_rfc6962_root_and_skips_when_nothing_changed(db):
    assert tree_head_publish() is None  # no events yet
    append_events(5)
    head = tree_head_publish()
    assert head.tree_size == 5
    assert head.root_hash == rfc6962.mth(leaf_hashes()).hex()
    assert head.public_key == signing.public_key_bytes().hex()
    assert head.published_by == "定时任务"
    assert signing.verify_tree_head(
        public_key=bytes.fromhex(head.public_key),
        signature=bytes.fromhex(head.signature),
        timestamp_ms=head.timestamp_ms,
        tree_size=5,
        root_hash=bytes.fromhex(head.root_hash),
    )
    assert not signing.verify_tree_head(
        public_key=bytes.fromhex(head.public_key),
        signature=bytes.fromhex(head.signature),
        timestamp_ms=head.timestamp_ms,
        tree_size=6,
        root_hash=bytes.fromhex(head.root_hash),
    )
    assert tree_head_publish() is None
    assert TreeHead.objects.count() == 1


def test_incremental_publishes_store_every_perfect_subtree_once(db):
    for n in (3, 1, 4, 8, 13):
        append_events(n, start=Event.objects.count())
        tree_head_publish()
    size = Event.objects.count()
    leaves = leaf_hashes()
    running = merkle.CompactRange()
    expected = []
    for leaf in leaves:
        running.append(leaf, expected)
    stored = {(n.level, n.index): bytes(n.hash) for n in TreeNode.objects.all()}
    assert stored == {(level, index): digest for level, index, digest in expected}
    assert [h.tree_size for h in TreeHead.objects.order_by("tree_size")] == [3, 4, 8, 16, 29]
    assert tree.root_at(size).hex() == TreeHead.objects.get(tree_size=size).root_hash


def test_db_proofs_equal_the_rfc_recursion_for_every_published_size_up_to_70(db):
    for size in range(1, 71):
        append_events(1, start=size - 1)
        tree_head_publish()
    leaves = leaf_hashes()
    for size in range(1, 71):
        root = rfc6962.mth(leaves[:size])
        assert tree.root_at(size) == root
        for seq in range(size):
            proof = tree.inclusion_proof(seq, size)
            assert proof["leaf_hash"] == leaves[seq]
            assert proof["audit_path"] == rfc6962.path(seq, leaves[:size])
            assert proof["root_hash"] == root
    rng = random.Random(1)
    for _ in range(200):
        second = rng.randrange(1, 71)
        first = rng.randrange(1, second + 1)
        proof = tree.consistency_proof(first, second)
        assert proof["proof"] == (rfc6962.proof(first, leaves[:second]) if first < second else [])
        assert merkle.verify_consistency(first, second, proof["first_root"], proof["second_root"], proof["proof"])


def test_proofs_for_sizes_between_published_heads(db):
    append_events(40)
    tree_head_publish()
    leaves = leaf_hashes()
    for size in (1, 7, 16, 23, 33, 39):
        seq = size // 2
        assert tree.inclusion_proof(seq, size)["audit_path"] == rfc6962.path(seq, leaves[:size])


def test_publish_refuses_to_sign_an_altered_event(db):
    append_events(4)
    with transaction.atomic():
        guard.uninstall(connection)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE history_event SET payload = %s WHERE seq = 2", ['{"i":99}'])
        guard.install(connection)
    with pytest.raises(HistoryIntegrityError) as caught:
        tree_head_publish()
    assert caught.value.seq == 2
    assert not TreeHead.objects.exists() and not TreeNode.objects.exists()


def test_periodic_task_publishes_and_skips(db):
    assert publish_tree_head() is None
    append_events(3)
    assert publish_tree_head() == 3
    assert publish_tree_head() is None


def test_publish_command(db, capsys):
    call_command("publish_tree_head")
    assert "没有新事件" in capsys.readouterr().out
    append_events(2)
    call_command("publish_tree_head")
    assert "规模 2" in capsys.readouterr().out
    assert TreeHead.objects.get().published_by == "命令行"


def test_publish_command_fails_on_tampering(db):
    append_events(2)
    with transaction.atomic():
        guard.uninstall(connection)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM history_event WHERE seq = 0")
        guard.install(connection)
    with pytest.raises(CommandError, match="序号 0"):
        call_command("publish_tree_head")


def test_tree_heads_and_nodes_are_append_only(db):
    from django.db import DatabaseError

    append_events(2)
    head = tree_head_publish()
    with pytest.raises(DatabaseError), transaction.atomic():
        TreeHead.objects.filter(pk=head.pk).update(root_hash="00" * 32)
    with pytest.raises(DatabaseError), transaction.atomic():
        TreeNode.objects.all().delete()
