"""The Merkle tree over the events, kept in the database.

`TreeNode` holds the hash of every perfect subtree inside the latest published tree, so a proof
for any size up to that one reads O(log n) rows in one query (see `merkle` for the arithmetic).
Rows are read with plain SQL in seq order, in chunks: the ORM's per-row cost matters at a
million events.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring

from django.db import connection

from . import merkle
from .canonical import leaf_text, time_text
from .models import Event, TreeHead, TreeNode

CHUNK = 20_000
EVENT_TABLE = Event._meta.db_table
NODE_TABLE = TreeNode._meta.db_table
# Times are read as text 'YYYY-MM-DD HH:MM:SS[.f]' in UTC and turned into isoformat() here:
# parsing a million timestamps into datetimes only to print them again, or formatting them
# with to_char on the server, costs more than hashing the events.
_TIME_SQL = {
    "postgresql": "(recorded_at AT TIME ZONE 'UTC')::text",
    "sqlite": "CAST(recorded_at AS TEXT)",
}


def iso_time(text: str) -> str:
    """'2026-01-01 08:00:00.0012' → '2026-01-01T08:00:00.001200+00:00', as datetime.isoformat()
    prints an aware UTC time (no fraction when the microseconds are zero)."""
    if len(text) == 19:
        return f"{text[:10]}T{text[11:]}+00:00"
    return f"{text[:10]}T{text[11:19]}{text[19:]:0<7}+00:00"


def row_digests(rows: list[tuple]) -> list[bytes]:
    """Leaf hashes of a chunk of raw rows: `row_digest` for each, with the per-row calls
    inlined because verification runs this a million times (equality with row_digest is tested)."""
    sha256 = hashlib.sha256
    quote = encode_basestring
    out = []
    append = out.append
    for seq, time, actor_id, actor_label, action, object_type, object_id, payload, _ in rows:
        if isinstance(time, str):
            time = f"{time[:10]}T{time[11:]}+00:00" if len(time) == 19 else f"{time[:10]}T{time[11:19]}{time[19:]:0<7}+00:00"
        else:
            time = time_text(time)
        if actor_id is None:
            actor_id = "null"
        elif not isinstance(actor_id, str):
            actor_id = str(int(actor_id))
        append(
            sha256(
                f'\x00{{"action":{quote(action)},"actor":{quote(actor_label)},"actor_id":{actor_id},'
                f'"object_id":{quote(object_id)},"object_type":{quote(object_type)},'
                f'"payload":{payload},"seq":{seq},"time":"{time}"}}'.encode()
            ).digest()
        )
    return out


def _columns() -> str:
    time_sql = _TIME_SQL.get(connection.vendor, "recorded_at")
    return (
        f"seq, {time_sql}, COALESCE(CAST(actor_id AS TEXT), 'null'), actor_label, action, object_type, object_id, "
        "payload, leaf_hash"
    )


class HistoryIntegrityError(Exception):
    """The stored history no longer matches what was recorded; `seq` names the first bad event."""

    def __init__(self, message: str, seq: int | None = None):
        super().__init__(message)
        self.seq = seq


def event_count() -> int:
    """Size of the log: one past the highest seq (gaps are verify_history's business)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(seq) FROM {EVENT_TABLE}")
        last = cursor.fetchone()[0]
    return 0 if last is None else last + 1


def latest_tree_head() -> TreeHead | None:
    return TreeHead.objects.order_by("-tree_size").first()


def iter_event_rows(
    start: int | None = None, end: int | None = None, *, chunk: int | None = None, prefetch: bool = True
) -> Iterator[list[tuple]]:
    """Chunks of raw event rows with start <= seq < end, in seq order.

    Chunks are seq ranges, not keyset pages, so on PostgreSQL the query for the next chunk can
    be sent before the current one is processed (pipeline mode): the server reads and formats
    while Python hashes. A caller that runs COPY between chunks passes prefetch=False (COPY is
    not allowed in pipeline mode). Without `start`, stray negative seqs come first so the caller
    sees them."""
    chunk = chunk or CHUNK
    if end is None:
        end = event_count()
    lo = 0 if start is None else start
    conditions: list[tuple[str, list[int]]] = []
    if start is None:
        conditions.append(("seq < %s", [0]))
    conditions += [("seq >= %s AND seq < %s", [a, min(a + chunk, end)]) for a in range(lo, end, chunk)]
    columns = _columns()
    queries = [(f"SELECT {columns} FROM {EVENT_TABLE} WHERE {where} ORDER BY seq", params) for where, params in conditions]
    if prefetch and connection.vendor == "postgresql" and len(queries) > 2:
        yield from _pipelined(queries)
        return
    for sql, params in queries:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rows:
            yield rows


def _pipelined(queries: list[tuple[str, list]]) -> Iterator[list[tuple]]:
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    pending: deque = deque()
    remaining = iter(queries)

    def send() -> None:
        query = next(remaining, None)
        if query is not None:
            cursor = psycopg.Cursor(raw)
            cursor.execute(*query)
            pending.append(cursor)

    with raw.pipeline():
        send()
        send()
        while pending:
            cursor = pending.popleft()
            rows = cursor.fetchall()
            cursor.close()
            send()
            if rows:
                yield rows


def row_digest(row: tuple) -> bytes:
    """Leaf hash recomputed from a raw row's contents (not from its stored leaf_hash)."""
    seq, time, actor_id, actor_label, action, object_type, object_id, payload, _ = row
    time = iso_time(time) if isinstance(time, str) else time_text(time)
    return merkle.hash_leaf(leaf_text(seq, time, actor_id, actor_label, action, object_type, object_id, payload).encode())


def fetch_nodes(ids: Iterable[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
    ids = set(ids)
    if not ids:
        return {}
    keys = [merkle.node_key(level, index) for level, index in ids]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT key, hash FROM {NODE_TABLE} WHERE key = ANY(%s)", [keys])
        else:
            placeholders = ",".join(["%s"] * len(keys))
            cursor.execute(f"SELECT key, hash FROM {NODE_TABLE} WHERE key IN ({placeholders})", keys)
        rows = cursor.fetchall()
    mask = (1 << merkle.INDEX_BITS) - 1
    return {(key >> merkle.INDEX_BITS, key & mask): bytes(value) for key, value in rows}


def write_nodes(nodes: list[tuple[int, int, bytes]]) -> None:
    if not nodes:
        return
    shift = merkle.INDEX_BITS
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One pre-formatted COPY text block: per-row adaptation would cost more than hashing.
            data = "".join([f"{(level << shift) | index}\t\\\\x{digest.hex()}\n" for level, index, digest in nodes])
            with cursor.cursor.copy(f"COPY {NODE_TABLE} (key, hash) FROM STDIN") as copy:
                copy.write(data)
        else:
            rows = [((level << shift) | index, digest) for level, index, digest in nodes]
            cursor.executemany(f"INSERT INTO {NODE_TABLE} (key, hash) VALUES (%s, %s)", rows)


def extend_nodes(old_size: int, new_size: int) -> bytes:
    """Store the perfect subtrees completed by events [old_size, new_size) and return the
    root of the tree of new_size. Each event is re-hashed from its contents first."""
    frontier_ids = merkle.range_ids(0, old_size)
    known = fetch_nodes(frontier_ids)
    if len(known) != len(frontier_ids):
        raise HistoryIntegrityError(f"已存储的默克尔树节点缺失(规模 {old_size}),请运行 verify_history 检查", seq=None)
    running = merkle.CompactRange(old_size, [known[i] for i in frontier_ids])
    expected = old_size
    for rows in iter_event_rows(old_size, new_size, prefetch=False):
        completed: list = []
        for row in rows:
            seq = row[0]
            if seq != expected:
                raise HistoryIntegrityError(f"事件序号不连续:缺少序号 {expected}", seq=expected)
            digest = row_digest(row)
            if digest.hex() != row[8]:
                raise HistoryIntegrityError(f"事件 #{seq} 的内容与记录的叶子哈希不符", seq=seq)
            running.append(digest, completed)
            expected += 1
        write_nodes(completed)
    if expected != new_size:
        raise HistoryIntegrityError(f"事件序号不连续:缺少序号 {expected}", seq=expected)
    return running.root()


def _nodes_or_fail(ids: set[merkle.NodeId]) -> dict[merkle.NodeId, bytes]:
    nodes = fetch_nodes(ids)
    if len(nodes) != len(ids):
        raise HistoryIntegrityError("证明所需的默克尔树节点缺失,请运行 verify_history 检查")
    return nodes


def root_at(size: int) -> bytes:
    if size == 0:
        return merkle.empty_root()
    ids = merkle.range_ids(0, size)
    nodes = _nodes_or_fail(set(ids))
    return merkle.fold([nodes[i] for i in ids])


def inclusion_proof(seq: int, tree_size: int) -> dict:
    """Leaf hash, audit path (bottom first) and root for event `seq` in the tree of
    `tree_size`; tree_size must not exceed the latest published size."""
    plan = merkle.inclusion_plan(seq, tree_size)
    root_ids = merkle.range_ids(0, tree_size)
    nodes = _nodes_or_fail({(0, seq), *root_ids, *(i for element in plan for i in element)})
    return {
        "leaf_hash": nodes[(0, seq)],
        "audit_path": [merkle.fold([nodes[i] for i in element]) for element in plan],
        "root_hash": merkle.fold([nodes[i] for i in root_ids]),
    }


def consistency_proof(first: int, second: int) -> dict:
    plan = merkle.consistency_plan(first, second)
    first_ids = merkle.range_ids(0, first)
    second_ids = merkle.range_ids(0, second)
    nodes = _nodes_or_fail({*first_ids, *second_ids, *(i for element in plan for i in element)})
    return {
        "proof": [merkle.fold([nodes[i] for i in element]) for element in plan],
        "first_root": merkle.fold([nodes[i] for i in first_ids]) if first else merkle.empty_root(),
        "second_root": merkle.fold([nodes[i] for i in second_ids]) if second else merkle.empty_root(),
    }
