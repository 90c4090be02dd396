"""The append-only event log. Rows are never updated or deleted (database triggers refuse it)."""

from django.db import models


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
