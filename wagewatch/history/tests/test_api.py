"""/api/v1/history/: tree heads, public key, events by role, proofs a client can verify."""

import hashlib

import pytest

from wagewatch.history import merkle, signing
from wagewatch.history.models import TreeHead
from wagewatch.history.services import tree_head_publish

from .helpers import append_events

BASE = "/api/v1/history"


@pytest.fixture
def published(world):
    append_events(11)
    tree_head_publish()
    append_events(2, start=11)  # not yet covered by a tree head
    return world


def as_user(client, world, key):
    client.force_login(world.users[key])
    return client


def test_requires_authentication(client, db):
    answer = client.get(f"{BASE}/tree-heads/latest")
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthenticated"


def test_latest_tree_head_and_its_signature(client, published):
    as_user(client, published, "street_a_handler")
    head = client.get(f"{BASE}/tree-heads/latest").json()
    key = client.get(f"{BASE}/public-key").json()
    assert head["tree_size"] == 11 and len(head["root_hash"]) == 64
    assert key["algorithm"] == "Ed25519" and key["public_key_hex"] == head["public_key"]
    assert head["key_id"] == key["key_id"]
    assert signing.verify_tree_head(
        public_key=bytes.fromhex(key["public_key_hex"]),
        signature=bytes.fromhex(head["signature"]),
        timestamp_ms=head["timestamp_ms"],
        tree_size=head["tree_size"],
        root_hash=bytes.fromhex(head["root_hash"]),
    )


def test_no_tree_head_yet(client, world):
    as_user(client, world, "office_staff")
    assert client.get(f"{BASE}/tree-heads/latest").status_code == 404
    answer = client.get(f"{BASE}/proofs/inclusion", {"seq": 0})
    assert answer.status_code == 409 and "尚未发布" in answer.json()["message"]


def test_publish_on_demand_is_for_office_and_administrators(client, published):
    as_user(client, published, "street_a_handler")
    answer = client.post(f"{BASE}/tree-heads")
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    as_user(client, published, "office_leader")
    answer = client.post(f"{BASE}/tree-heads")
    assert answer.status_code == 201
    assert answer.json()["created"] is True and answer.json()["tree_head"]["tree_size"] == 13
    assert TreeHead.objects.get(tree_size=13).published_by == str(published.users["office_leader"])
    answer = client.post(f"{BASE}/tree-heads")
    assert answer.status_code == 200 and answer.json()["created"] is False
    sizes = [h["tree_size"] for h in client.get(f"{BASE}/tree-heads").json()]
    assert sizes == [13, 11]
    assert client.get(f"{BASE}/tree-heads", {"limit": 0}).status_code == 422


def test_events_are_for_office_inspectors_and_administrators(client, published):
    as_user(client, published, "grid_a_worker")
    assert client.get(f"{BASE}/events/3").status_code == 403
    for key in ("inspector", "office_staff", "admin"):
        as_user(client, published, key)
        event = client.get(f"{BASE}/events/3").json()
        assert event["seq"] == 3 and event["action_label"] == "转办"
        assert event["payload"] == {"i": 3, "单位": "东城街道"}
        leaf = hashlib.sha256(b"\x00" + event["leaf_data"].encode()).hexdigest()
        assert leaf == event["leaf_hash"]
    assert client.get(f"{BASE}/events/999").status_code == 404
    listed = client.get(f"{BASE}/events", {"object_type": "cases.case", "object_id": "2"}).json()
    assert [e["seq"] for e in listed] == [2, 7, 12]


def test_inclusion_proof_verifies_against_the_signed_head(client, published):
    as_user(client, published, "street_b_handler")
    head = client.get(f"{BASE}/tree-heads/latest").json()
    for seq in range(11):
        proof = client.get(f"{BASE}/proofs/inclusion", {"seq": seq}).json()
        assert proof["tree_size"] == 11 and proof["root_hash"] == head["root_hash"]
        assert proof["tree_head"]["signature"] == head["signature"]
        assert merkle.verify_inclusion(
            seq,
            11,
            bytes.fromhex(proof["leaf_hash"]),
            [bytes.fromhex(h) for h in proof["audit_path"]],
            bytes.fromhex(head["root_hash"]),
        )
    smaller = client.get(f"{BASE}/proofs/inclusion", {"seq": 2, "tree_size": 5}).json()
    assert smaller["tree_head"] is None and len(smaller["audit_path"]) == 3


def test_inclusion_proof_errors_name_the_field(client, published):
    as_user(client, published, "office_staff")
    answer = client.get(f"{BASE}/proofs/inclusion", {"seq": 12})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "seq" and "下一次发布树头" in answer.json()["errors"][0]["message"]
    answer = client.get(f"{BASE}/proofs/inclusion", {"seq": 0, "tree_size": 12})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "tree_size"
    answer = client.get(f"{BASE}/proofs/inclusion", {"seq": "x"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "seq"


def test_consistency_proof_between_heads(client, published):
    tree_head_publish()
    as_user(client, published, "office_staff")
    proof = client.get(f"{BASE}/proofs/consistency", {"first": 11, "second": 13}).json()
    assert proof["first_root"] == proof["first_tree_head"]["root_hash"]
    assert proof["second_root"] == proof["second_tree_head"]["root_hash"]
    assert merkle.verify_consistency(
        11,
        13,
        bytes.fromhex(proof["first_root"]),
        bytes.fromhex(proof["second_root"]),
        [bytes.fromhex(h) for h in proof["proof"]],
    )
    answer = client.get(f"{BASE}/proofs/consistency", {"first": 14, "second": 13})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "first"
