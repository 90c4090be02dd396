"""Messages to workers (SMS), verification codes, staff notifications and rate-limit counters."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from wagewatch.core.protected import PHONE, DigestField, ProtectedField
from wagewatch.core.redact import RedactedTextField


class SmsCode(models.Model):
    """A verification code sent by SMS to confirm a phone number.

    Neither the number nor the code is stored in clear: the number as its keyed digest
    (`lookup_digest("phone", …)`), the code as a keyed hash with a per-code salt. A code lives
    five minutes, is good once, and dies after five wrong attempts."""

    phone_digest = models.CharField("手机号摘要", max_length=64)
    purpose = models.CharField("用途", max_length=32)
    code_hash = models.CharField(max_length=64)
    salt = models.CharField(max_length=32)
    created_at = models.DateTimeField("发送时间")
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [
            models.Index(fields=["phone_digest", "purpose", "-created_at"], name="notify_code_phone_purpose"),
            models.Index(fields=["phone_digest", "-created_at"], name="notify_code_phone_created"),
            models.Index(fields=["expires_at"], name="notify_code_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class WorkerMessage(models.Model):
    """An SMS telling a complainant that their case changed state. Written in the transaction of
    the change; sent by a Celery task after commit, retried until sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        UNDELIVERABLE = "undeliverable", "无法发送(非手机号)"
        SUPERSEDED = "superseded", "已合并(由后一条短信代替)"

    phone = ProtectedField("手机号", kind=PHONE)
    phone_digest = DigestField(source="phone", kind=PHONE)
    case_number = models.CharField("案件编号", max_length=32, db_index=True)
    to_state = models.CharField("新状态", max_length=32, blank=True)
    text = models.TextField("短信内容")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = RedactedTextField("最近错误", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    # Changes of one case that come minutes apart reach the worker as one SMS with the latest
    # news: a message waits until then, and a newer one for the same phone and case replaces it.
    send_after = models.DateTimeField("最早发送时间", null=True, blank=True)
    first_news_at = models.DateTimeField("所含最早变化时间", null=True, blank=True)
    last_attempt_at = models.DateTimeField("最近发送尝试", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "群众短信"
        verbose_name_plural = "群众短信"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="notify_msg_status_created")]

    def __str__(self) -> str:
        return f"{self.case_number} {self.get_status_display()}"


class Notification(models.Model):
    """A message to staff: to one user, to everyone of an organisation, or both."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "到期提醒"
        OVERDUE = "overdue", "逾期"
        ESCALATION = "escalation", "升级处理"
        DISPATCH = "dispatch", "转办"
        OTHER = "other", "其他"

    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    recipient_organisation = models.ForeignKey(
        "core.Organisation", verbose_name="接收单位", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=500, blank=True)
    case_number = models.CharField("案件编号", max_length=32, blank=True, db_index=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices, default=Kind.OTHER)
    # What the notice asks someone to act on ("escalation:12", "dispatch:34:5"): when that is
    # done (by anyone), `notifications_close_subject` marks the open notices of it read.
    subject = models.CharField("事项", max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "工作通知"
        verbose_name_plural = "工作通知"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient_user__isnull=False) | models.Q(recipient_organisation__isnull=False),
                name="notify_notification_has_recipient",
            )
        ]
        indexes = [
            models.Index(fields=["recipient_user", "read_at"], name="notify_notif_user_read"),
            models.Index(fields=["recipient_organisation", "read_at"], name="notify_notif_org_read"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class RateLimitWindow(models.Model):
    """Hits counted for one key in one fixed window. Times are epoch seconds so the atomic upsert
    in `ratelimit.py` needs no database-specific date handling."""

    key = models.CharField("键", max_length=200)
    window_start = models.BigIntegerField("窗口起点")
    window_seconds = models.PositiveIntegerField("窗口长度(秒)")
    count = models.PositiveIntegerField("次数", default=0)
    expires_ts = models.BigIntegerField("窗口结束", db_index=True)

    class Meta:
        verbose_name = "频率限制计数"
        verbose_name_plural = "频率限制计数"
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start", "window_seconds"], name="notify_ratelimit_key_window")
        ]

    def __str__(self) -> str:
        return f"{self.key} @{self.window_start}: {self.count}"
