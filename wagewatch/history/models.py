"""The append-only event log, its stored Merkle nodes and its signed tree heads.

Rows of all three tables are never updated or deleted: database triggers refuse it (see
`guard.py`), and `verify_history` detects what someone did around the triggers anyway.
"""

import json

from django.db import models

from .labels import action_label, field_labels_of, object_type_label, payload_summary, row_name

# A timeline line shows the whole reading of an event up to this length.
TIMELINE_SUMMARY_LENGTH = 400


class Event(models.Model):
    """One recorded state change. `seq` is the 0-based leaf index in the Merkle tree;
    `leaf_hash` is SHA-256(0x00 || canonical bytes) per RFC 6962."""

    seq = models.BigIntegerField("序号", primary_key=True)
    recorded_at = models.DateTimeField("时间")
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True)
    actor_label = models.CharField("操作人", max_length=100, blank=True)
    action = models.CharField("动作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象ID", max_length=64)
    payload = models.TextField("内容(规范JSON)")
    leaf_hash = models.CharField("叶子哈希", max_length=64)

    class Meta:
        verbose_name = "历史事件"
        verbose_name_plural = "历史事件"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def object_label(self) -> str:
        """What the event is about, by name: "案件 AJ2026120200001", "企业 东花服装厂"."""
        name = row_name(self.object_type, self.object_id, self._names) if self.object_id else ""
        if name == "已删除" or not name:
            return f"{object_type_label(self.object_type)}(已删除)" if name else object_type_label(self.object_type)
        return f"{object_type_label(self.object_type)} {name}"

    @property
    def payload_data(self):
        return json.loads(self.payload)

    @property
    def payload_summary(self) -> str:
        return payload_summary(
            self.payload, limit=TIMELINE_SUMMARY_LENGTH, field_labels=field_labels_of(self.object_type), object_type=self.object_type,
            names=self._names,
        )

    @property
    def _names(self) -> dict:
        # One cache of row names per list of events (see `events_name`), else per event.
        if "_row_names" not in self.__dict__:
            self.__dict__["_row_names"] = {}
        return self.__dict__["_row_names"]


def events_name(events) -> list:
    """The events as a list sharing one cache of row names, so a timeline that names the same
    unit or file twenty times reads it once."""
    events = list(events)
    names: dict = {}
    for e in events:
        e.__dict__["_row_names"] = names
    return events


class TreeNode(models.Model):
    """Hash of one perfect subtree of the event tree: 2**level leaves starting at leaf
    index * 2**level (level 0 is a copy of the leaf hash as it was when published).

    Filled when a tree head is published, so any proof for a published size reads O(log n)
    rows. `key` packs (level, index) as level << 48 | index to keep one small integer key."""

    key = models.BigIntegerField("节点键", primary_key=True)
    hash = models.BinaryField("哈希", max_length=32)

    class Meta:
        verbose_name = "默克尔树节点"
        verbose_name_plural = "默克尔树节点"

    @property
    def level(self) -> int:
        return self.key >> 48

    @property
    def index(self) -> int:
        return self.key & ((1 << 48) - 1)


class TreeHead(models.Model):
    """A signed statement of the tree's size and root at a moment (RFC 6962 §3.5).

    The signature is Ed25519 over the RFC 6962 TreeHeadSignature structure:
    version 0 (1 byte), signature type 1 (1 byte), timestamp in milliseconds (8 bytes),
    tree size (8 bytes), root hash (32 bytes), all big-endian."""

    tree_size = models.BigIntegerField("树规模(事件数)", unique=True)
    root_hash = models.CharField("根哈希", max_length=64)
    timestamp_ms = models.BigIntegerField("签名时间戳(毫秒)")
    signed_at = models.DateTimeField("签名时间")
    signature = models.CharField("签名", max_length=128)
    public_key = models.CharField("公钥", max_length=64)
    published_by = models.CharField("发布者", max_length=100, blank=True)

    class Meta:
        verbose_name = "签名树头"
        verbose_name_plural = "签名树头"
        ordering = ["-tree_size"]

    def __str__(self) -> str:
        return f"树头 {self.tree_size} {self.root_hash[:12]}…"
