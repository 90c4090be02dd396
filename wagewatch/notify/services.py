"""Writes of the notify app: verification codes, messages to workers, staff notifications.

None of these is a state change of the register, so none appends a history event; each still
validates first and writes in one transaction (joining the caller's when there is one). Clear
phone numbers and codes go only to the SMS backend, never to logs, errors or history.
"""

from __future__ import annotations

import hmac
import logging
import math
import re
import secrets
from datetime import timedelta
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from wagewatch.core.protected import PHONE, lookup_digest, mask, validate_phone

from . import clock
from .models import Notification, SmsCode, WorkerMessage
from .ratelimit import rate_limit_hit, wait_message, window_bounds
from .sms import is_mobile, sms_send, sms_signed
from .worker_texts import worker_message_text

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------------ verification codes

CODE_TTL = timedelta(minutes=5)
CODE_MAX_WRONG_ATTEMPTS = 5
CODE_PHONE_INTERVAL_SECONDS = 60
CODE_PHONE_DAILY_LIMIT = 10
CODE_IP_HOURLY_LIMIT = 30
CODE_TEXT = "您的验证码为{code},5分钟内有效。如非本人操作请忽略。"
CODE_INVALID_MESSAGE = "验证码不正确或已失效,请重新获取"
PURPOSE_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _mobile_or_error(phone: str) -> str:
    phone = validate_phone(phone)
    if not is_mobile(phone):
        raise ValidationError("请填写手机号:验证码只能发送到以1开头的11位手机号")
    return phone


def _code_hash(salt: str, code: str) -> str:
    return lookup_digest("sms_code", f"{salt}:{code}")


def sms_code_issue(*, phone: str, purpose: str, client_ip: str | None) -> None:
    """Make a 6-digit code for `phone` and `purpose` and send it by SMS after commit.

    Refuses with a Chinese ValidationError when the number is not a mobile number or when rate
    limited: one code per number per 60 seconds, 10 per number per calendar day, 30 per client
    IP per hour (no IP limit when `client_ip` is empty). A refused request counts nothing.
    A newer code replaces older ones of the same number and purpose."""
    phone = _mobile_or_error(phone)
    if not PURPOSE_RE.fullmatch(purpose or ""):
        raise ValueError(f"invalid purpose {purpose!r}")
    digest = lookup_digest(PHONE, phone)
    now = clock.now()
    with transaction.atomic():
        last = SmsCode.objects.filter(phone_digest=digest).order_by("-created_at").values_list("created_at", flat=True).first()
        if last is not None and (now - last).total_seconds() < CODE_PHONE_INTERVAL_SECONDS:
            wait = math.ceil(CODE_PHONE_INTERVAL_SECONDS - (now - last).total_seconds())
            raise ValidationError(f"验证码已发送,请{wait}秒后再重新获取")
        if not rate_limit_hit(f"sms_code:phone_minute:{digest}", limit=1, window_seconds=CODE_PHONE_INTERVAL_SECONDS, now=now):
            _, end = window_bounds(CODE_PHONE_INTERVAL_SECONDS, now)
            raise ValidationError(f"验证码已发送,请{max(1, end - int(now.timestamp()))}秒后再重新获取")
        if not rate_limit_hit(f"sms_code:phone_day:{digest}", limit=CODE_PHONE_DAILY_LIMIT, window_seconds=86400, now=now):
            raise ValidationError(f"该手机号今天获取验证码已达{CODE_PHONE_DAILY_LIMIT}次,请明天再试")
        if client_ip:
            ip_key = lookup_digest("ip", client_ip)[:32]
            if not rate_limit_hit(f"sms_code:ip_hour:{ip_key}", limit=CODE_IP_HOURLY_LIMIT, window_seconds=3600, now=now):
                _, end = window_bounds(3600, now)
                raise ValidationError(wait_message(end - int(now.timestamp())))
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        SmsCode.objects.create(
            phone_digest=digest,
            purpose=purpose,
            code_hash=_code_hash(salt, code),
            salt=salt,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        transaction.on_commit(partial(_code_send, phone, sms_signed(CODE_TEXT.format(code=code))))


def _code_send(phone: str, text: str) -> None:
    # After commit: a failing gateway must not turn the page into an error after the code is
    # stored; the person asks again after the interval. The log names the number masked only.
    try:
        sms_send(phone, text)
    except Exception as exc:  # noqa: BLE001 - any backend failure is logged the same way
        logger.warning("验证码短信发送失败 %s: %s", mask(PHONE, phone), exc)


def sms_code_verify(*, phone: str, purpose: str, code: str) -> bool:
    """True when `code` is the newest code sent to `phone` for `purpose`, unexpired, unused and
    with fewer than five wrong attempts; the code is then used up. A wrong code counts an
    attempt. Both are written in the caller's transaction when there is one: call this outside
    a transaction that may roll back, or the count of wrong attempts rolls back with it."""
    try:
        phone = validate_phone(phone)
    except ValidationError:
        return False
    digest = lookup_digest(PHONE, phone)
    code = (code or "").strip()
    now = clock.now()
    with transaction.atomic():
        row = SmsCode.objects.select_for_update().filter(phone_digest=digest, purpose=purpose).order_by("-created_at", "-pk").first()
        if row is None or row.used_at is not None or row.expires_at <= now or row.attempts >= CODE_MAX_WRONG_ATTEMPTS:
            return False
        if re.fullmatch(r"\d{6}", code) and hmac.compare_digest(_code_hash(row.salt, code), row.code_hash):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return True
        row.attempts += 1
        row.save(update_fields=["attempts"])
        return False


def sms_codes_purge(*, older_than: timedelta = timedelta(days=2)) -> int:
    """Delete codes that expired more than `older_than` ago (the day limit needs only one day)."""
    deleted, _ = SmsCode.objects.filter(expires_at__lt=clock.now() - older_than).delete()
    return deleted


# ------------------------------------------------------------------------ messages to workers

WORKER_MESSAGE_MAX_ATTEMPTS = 10
WORKER_MESSAGE_RESEND_AFTER = timedelta(minutes=5)
# A complainant got 6 SMS in 2 minutes (registered, dispatched, accepted, verifying...): a message
# waits this long for a newer one of the same case, which replaces it; never longer than the cap
# after the first news it stands for.
WORKER_MESSAGE_COALESCE = timedelta(minutes=3)
WORKER_MESSAGE_COALESCE_CAP = timedelta(minutes=15)


def worker_messages_for_transition(*, case, from_state: str, to_state: str) -> list[WorkerMessage]:
    """One message per complainant phone of `case` telling them of the change to `to_state`,
    written in the caller's transaction; each is queued for sending when it commits."""
    if from_state == to_state:
        return []
    phones = [p for p in dict.fromkeys(case.complainant_phones() or []) if p]
    if not phones:
        return []
    text = worker_message_text(case, to_state)
    messages = []
    now = clock.now()
    # No savepoint: this runs inside the transition's transaction, whose failure undoes it anyway.
    with transaction.atomic(savepoint=False):
        for phone in phones:
            deliverable = is_mobile(phone)
            send_after = now + WORKER_MESSAGE_COALESCE
            first = now
            if deliverable:
                waiting = list(
                    WorkerMessage.objects.select_for_update()
                    .filter(
                        phone_digest=lookup_digest(PHONE, phone), case_number=case.number,
                        status=WorkerMessage.Status.PENDING, attempts=0,
                    )
                    .values_list("pk", "first_news_at", "created_at")
                )
                first = min((news or created for _, news, created in waiting), default=now)
                if waiting:
                    send_after = max(now, min(send_after, first + WORKER_MESSAGE_COALESCE_CAP))
                    WorkerMessage.objects.filter(pk__in=[pk for pk, _, _ in waiting]).update(
                        status=WorkerMessage.Status.SUPERSEDED, last_error=""
                    )
            message = WorkerMessage.objects.create(
                phone=phone,
                case_number=case.number,
                to_state=to_state,
                text=text,
                status=WorkerMessage.Status.PENDING if deliverable else WorkerMessage.Status.UNDELIVERABLE,
                last_error="" if deliverable else "不是手机号,无法发送短信",
                created_at=now,
                send_after=send_after if deliverable else None,
                first_news_at=first if deliverable else None,
            )
            messages.append(message)
            if deliverable:
                transaction.on_commit(partial(_worker_message_enqueue, message.pk, max((send_after - now).total_seconds(), 0)))
    return messages


def _worker_message_enqueue(message_id: int, countdown: float = 0) -> None:
    from .tasks import worker_message_send

    try:
        worker_message_send.apply_async((message_id,), countdown=countdown)
    except Exception as exc:  # noqa: BLE001 - broker down: the resend job picks the message up
        logger.warning("群众短信 %s 未能排入发送队列,稍后由补发任务发送: %s", message_id, exc)


def worker_message_deliver(*, message_id: int) -> str:
    """Try once to send a pending or failed message; returns its status afterwards.

    The attempt is claimed with a conditional update first, so a task and the resend job never
    send the same message at the same moment."""
    message = WorkerMessage.objects.filter(pk=message_id).first()
    if message is None:
        return ""
    if message.status not in {WorkerMessage.Status.PENDING, WorkerMessage.Status.FAILED}:
        return message.status
    if message.attempts >= WORKER_MESSAGE_MAX_ATTEMPTS:
        return message.status
    now = clock.now()
    if message.send_after is not None and now < message.send_after:
        return message.status  # still waiting for newer news; the resend job sends it after
    claimed = WorkerMessage.objects.filter(
        pk=message.pk, status=message.status, attempts=message.attempts
    ).update(attempts=message.attempts + 1, last_attempt_at=now)
    if not claimed:
        return WorkerMessage.objects.values_list("status", flat=True).get(pk=message.pk)
    try:
        sms_send(message.phone, message.text)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
        error = str(exc).replace(message.phone, mask(PHONE, message.phone))[:1000] or exc.__class__.__name__
        WorkerMessage.objects.filter(pk=message.pk).update(status=WorkerMessage.Status.FAILED, last_error=error)
        logger.warning("群众短信 %s 发送失败(第%s次): %s", message.pk, message.attempts + 1, error)
        return WorkerMessage.Status.FAILED
    WorkerMessage.objects.filter(pk=message.pk).update(status=WorkerMessage.Status.SENT, sent_at=clock.now(), last_error="")
    return WorkerMessage.Status.SENT


def worker_messages_due(*, limit: int = 500) -> list[int]:
    """Ids of messages still to send that no task has tried in the last few minutes."""
    now = clock.now()
    cutoff = now - WORKER_MESSAGE_RESEND_AFTER
    return list(
        WorkerMessage.objects.filter(
            status__in=[WorkerMessage.Status.PENDING, WorkerMessage.Status.FAILED],
            attempts__lt=WORKER_MESSAGE_MAX_ATTEMPTS,
            created_at__lt=cutoff,
        )
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=cutoff))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


# ------------------------------------------------------------------------ staff notifications

LINK_RE = re.compile(r"/(?![/\\])[^\s]*")


def notification_create(
    *,
    organisation=None,
    user=None,
    title: str,
    body: str = "",
    link: str = "",
    case_number: str = "",
    kind: str = Notification.Kind.OTHER,
    subject: str = "",
) -> Notification:
    """A notification to `user`, to everyone of `organisation`, or both; in the caller's transaction."""
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    link = (link or "").strip()
    if organisation is None and user is None:
        errors.setdefault("recipient", []).append("请指定接收人或接收单位")
    if not title:
        errors.setdefault("title", []).append("请填写通知标题")
    elif len(title) > 200:
        errors.setdefault("title", []).append("通知标题不能超过200字")
    if link and (len(link) > 500 or not LINK_RE.fullmatch(link)):
        errors.setdefault("link", []).append("链接应为本站以“/”开头的路径")
    if kind not in Notification.Kind.values:
        errors.setdefault("kind", []).append("通知类型不正确")
    if len(case_number or "") > 32:
        errors.setdefault("case_number", []).append("案件编号不能超过32个字符")
    if len(subject or "") > 64:
        errors.setdefault("subject", []).append("事项标识不能超过64个字符")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return Notification.objects.create(
            recipient_user=user,
            recipient_organisation=organisation,
            title=title,
            body=body or "",
            link=link,
            case_number=case_number or "",
            kind=kind,
            subject=subject or "",
            created_at=clock.now(),
        )


def notifications_close_subject(*, subject: str, organisation=None) -> int:
    """The matter `subject` was dealt with (an approval decided, a case signed for): its open
    notices are marked read for everyone they were addressed to (only those addressed to
    `organisation` when given). In the caller's transaction; returns how many."""
    if not subject:
        return 0
    notices = Notification.objects.filter(subject=subject, read_at__isnull=True)
    if organisation is not None:
        notices = notices.filter(recipient_organisation=organisation)
    with transaction.atomic(savepoint=False):
        return notices.update(read_at=clock.now())


def _addressed_to(actor, notification: Notification) -> bool:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if notification.recipient_user_id is not None and notification.recipient_user_id == actor.pk:
        return True
    return notification.recipient_organisation_id is not None and notification.recipient_organisation_id == actor.organisation_id


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    """Mark read for its addressee (for an organisation's notification: for the whole organisation)."""
    if not _addressed_to(actor, notification):
        raise PermissionDenied("这条通知不是发给您或您所在单位的")
    if notification.read_at is None:
        with transaction.atomic():
            now = clock.now()
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
            notification.read_at = now
    return notification


def notifications_mark_all_read(*, actor) -> int:
    """Mark every unread notification addressed to `actor` or their organisation; returns how many."""
    from .selectors import notifications_for

    with transaction.atomic():
        return notifications_for(actor).filter(read_at__isnull=True).update(read_at=clock.now())
