"""Recompute the whole history and compare it with what is stored and signed.

Checks, in one pass in seq order: sequence numbers run 0, 1, 2, … without gaps; every leaf hash
recomputed from the row's contents equals the stored one; the root of every stored tree head
equals the root recomputed from the rows; every tree head carries a valid signature by a
trusted key. When a tree head's root differs although every row matches its own leaf hash (a
row was rewritten together with its hash), the published copy of the leaf hashes in
`TreeNode` pinpoints the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import merkle, signing, tree
from .models import TreeHead


@dataclass
class Problem:
    message: str
    seq: int | None = None


@dataclass
class Report:
    events: int = 0
    tree_heads: int = 0
    nodes_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [p.seq for p in self.problems if p.seq is not None]
        return min(seqs) if seqs else None


def _locate_rewritten_row(start: int, end: int) -> Problem:
    """The first row in [start, end) whose recomputed leaf hash differs from the leaf hash
    copied into TreeNode when the tree head was published."""
    for rows in tree.iter_event_rows(start, end):
        published = tree.fetch_nodes((0, row[0]) for row in rows)
        for row in rows:
            if published.get((0, row[0])) != tree.row_digest(row):
                return Problem(f"事件 #{row[0]} 与发布树头时的记录不同(内容与叶子哈希被一并改写)", row[0])
    return Problem(f"序号 {start} 至 {end - 1} 之间的事件被改写(树节点也被改写,无法精确定位)", start)


def verify_history(*, trusted_keys: list[bytes] | None = None, check_nodes: bool = False) -> Report:
    report = Report()
    trusted = set(trusted_keys) if trusted_keys else {signing.public_key_bytes()}
    all_heads = list(TreeHead.objects.order_by("tree_size"))
    report.tree_heads = len(all_heads)
    heads = []  # only heads whose signature holds say anything about the rows
    for head in all_heads:
        try:
            key, signature, root = bytes.fromhex(head.public_key), bytes.fromhex(head.signature), bytes.fromhex(head.root_hash)
        except ValueError:
            report.problems.append(Problem(f"树头(规模 {head.tree_size})的签名或哈希格式错误"))
            continue
        if key not in trusted:
            report.problems.append(Problem(f"树头(规模 {head.tree_size})不是由受信任的密钥签名的"))
        elif not signing.verify_tree_head(
            public_key=key, signature=signature, timestamp_ms=head.timestamp_ms, tree_size=head.tree_size, root_hash=root
        ):
            report.problems.append(Problem(f"树头(规模 {head.tree_size})的签名无效"))
        else:
            heads.append(head)

    head_sizes = [h.tree_size for h in heads]
    head_roots = [h.root_hash for h in heads]
    published_size = all_heads[-1].tree_size if all_heads else 0  # TreeNode covers this many leaves
    next_head = 0
    next_size = head_sizes[0] if heads else -1
    first_bad_head: tuple[int, int] | None = None  # (start, end) of the range that changed
    previous_good = 0
    gap_seen = leaf_seen = node_seen = False

    running = merkle.CompactRange()
    expected = 0
    for rows in tree.iter_event_rows():
        completed: list | None = [] if check_nodes and running.size < published_size else None
        for row, digest in zip(rows, tree.row_digests(rows), strict=True):
            seq = row[0]
            if seq != expected:
                if not gap_seen:
                    gap_seen = True
                    what = f"缺少序号 {expected}" if seq > expected else f"出现重复或插入的序号 {seq}"
                    report.problems.append(Problem(f"事件序号不连续:{what}(下一条记录的序号为 {seq})", min(seq, expected)))
                expected = seq
            if not leaf_seen and digest.hex() != row[8]:
                leaf_seen = True
                report.problems.append(Problem(f"事件 #{seq} 的内容与记录的叶子哈希不符(被修改、调换或插入)", seq))
            if completed is not None and running.size < published_size:
                running.append(digest, completed)
            else:
                running.append(digest)
            expected += 1
            while running.size == next_size:
                if running.root().hex() == head_roots[next_head]:
                    if first_bad_head is None:
                        previous_good = next_size
                elif first_bad_head is None:
                    first_bad_head = (previous_good, next_size)
                next_head += 1
                next_size = head_sizes[next_head] if next_head < len(head_sizes) else -1
        report.events += len(rows)
        if completed:
            stored = tree.fetch_nodes((level, index) for level, index, _ in completed)
            report.nodes_checked += len(completed)
            for level, index, digest in completed:
                if not node_seen and stored.get((level, index)) != digest:
                    node_seen = True
                    report.problems.append(Problem(f"默克尔树节点(层 {level},序 {index})与事件不符", index << level))

    if next_head < len(head_sizes):
        report.problems.append(
            Problem(
                f"树头规模 {head_sizes[next_head]} 超过现有事件数 {running.size}:序号 {running.size} 起的事件被删除",
                running.size,
            )
        )
    if first_bad_head is not None:
        start, end = first_bad_head
        report.problems.append(Problem(f"树头(规模 {end})的根哈希与重新计算的不符"))
        if not gap_seen:  # a gap already explains every later root; there is no row to pinpoint
            report.problems.append(_locate_rewritten_row(start, end))
    return report
