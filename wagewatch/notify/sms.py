"""Sending SMS through a pluggable backend.

The backend is named by the setting `SMS_BACKEND` (a dotted path), read at every send so tests
and operators can switch it without a restart of the import machinery:

- `wagewatch.notify.sms.ConsoleBackend` (default): prints the message to standard output, for
  `make run` and development;
- `wagewatch.notify.sms.FileBackend`: appends one JSON line per message to `SMS_FILE_PATH`
  (default `<VAR_DIR>/sms/outbox.jsonl`);
- `wagewatch.notify.sms.HttpGatewayBackend`: POSTs `{"phone", "text", "sign"}` as JSON to
  `SMS_GATEWAY_URL` with `Authorization: Bearer <SMS_GATEWAY_TOKEN or the content of
  SMS_GATEWAY_TOKEN_FILE>`, `SMS_GATEWAY_TIMEOUT` seconds (default 10); any answer outside 2xx
  raises `SmsSendError`;
- `wagewatch.notify.sms.MemoryBackend`: keeps messages in `MemoryBackend.outbox` (tests; see
  `wagewatch.notify.testing`).

Message texts carry the signature in front (`【根治欠薪】…`, the name from `SMS_SIGN`); the HTTP
gateway also receives the signature alone in `sign`, as Chinese SMS gateways ask for it.
The backends are the only place a clear phone number and a clear verification code leave the
process: never log them elsewhere.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from wagewatch.core.protected import PHONE, mask, normalise

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "wagewatch.notify.sms.ConsoleBackend"
DEFAULT_SIGN = "根治欠薪"
DEFAULT_TIMEOUT_SECONDS = 10
MOBILE_RE = re.compile(r"1[3-9]\d{9}")


class SmsSendError(Exception):
    """The message could not be handed to the gateway. The text never contains the clear phone."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    sign: str
    created_at: datetime = field(default_factory=timezone.now)


def sms_sign() -> str:
    return getattr(settings, "SMS_SIGN", "") or DEFAULT_SIGN


def sms_signed(text: str) -> str:
    """The text with the signature `【…】` in front (once)."""
    prefix = f"【{sms_sign()}】"
    return text if text.startswith(prefix) else prefix + text


def is_mobile(phone: str) -> bool:
    return bool(MOBILE_RE.fullmatch(normalise(PHONE, phone)))


def get_backend() -> BaseBackend:
    path = getattr(settings, "SMS_BACKEND", "") or DEFAULT_BACKEND
    return import_string(path)()


def sms_send(phone: str, text: str) -> None:
    """Send `text` to the mobile number `phone` through the configured backend.

    Raises SmsSendError when the number is not a mobile number or the backend fails."""
    phone = normalise(PHONE, phone)
    if not MOBILE_RE.fullmatch(phone):
        raise SmsSendError(f"不是手机号,无法发送短信({mask(PHONE, phone)})")
    get_backend().send(SmsMessage(phone=phone, text=text, sign=sms_sign()))


class BaseBackend:
    def send(self, message: SmsMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Prints each message on standard output, the number masked (development and `make run`)."""

    def send(self, message: SmsMessage) -> None:
        stream = sys.stdout
        stream.write(f"[短信] {mask(PHONE, message.phone)}: {message.text}\n")
        stream.flush()


class MemoryBackend(BaseBackend):
    """Keeps every message in the class-wide `outbox` list, for tests."""

    outbox: list[SmsMessage] = []
    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        with self._lock:
            MemoryBackend.outbox.append(message)


def sms_file_path() -> Path:
    configured = getattr(settings, "SMS_FILE_PATH", "")
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "sms" / "outbox.jsonl"


class FileBackend(BaseBackend):
    """Appends one JSON object per line: {"at", "phone", "sign", "text"}. Safe across processes:
    each line is one O_APPEND write under an exclusive lock."""

    def send(self, message: SmsMessage) -> None:
        path = sms_file_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": message.created_at.isoformat(), "phone": message.phone, "sign": message.sign, "text": message.text},
            ensure_ascii=False,
        )
        try:
            with open(path, "a", encoding="utf-8") as handle:
                try:
                    import fcntl

                    fcntl.flock(handle, fcntl.LOCK_EX)
                except (ImportError, OSError):  # not POSIX: O_APPEND alone
                    pass
                handle.write(line + "\n")
        except OSError as exc:
            raise SmsSendError(f"无法写入短信文件 {path}: {exc.strerror or exc}") from exc


def _gateway_token() -> str:
    token = getattr(settings, "SMS_GATEWAY_TOKEN", "") or ""
    if token:
        return token
    token_file = getattr(settings, "SMS_GATEWAY_TOKEN_FILE", "") or ""
    if token_file:
        try:
            return Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SmsSendError(f"无法读取短信网关令牌文件: {exc.strerror or exc}") from exc
    return ""


class HttpGatewayBackend(BaseBackend):
    """POSTs the message as JSON to the district's SMS gateway (urllib: no extra dependency)."""

    def send(self, message: SmsMessage) -> None:
        url = getattr(settings, "SMS_GATEWAY_URL", "") or ""
        if not url.lower().startswith(("http://", "https://")):
            raise SmsSendError("未配置短信网关地址(SMS_GATEWAY_URL 应以 http:// 或 https:// 开头)")
        timeout = float(getattr(settings, "SMS_GATEWAY_TIMEOUT", DEFAULT_TIMEOUT_SECONDS) or DEFAULT_TIMEOUT_SECONDS)
        body = json.dumps({"phone": message.phone, "text": message.text, "sign": message.sign}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        token = _gateway_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
                status = response.status
                answer = response.read(2000)
        except urllib.error.HTTPError as exc:
            answer = exc.read(2000) if exc.fp else b""
            raise SmsSendError(f"短信网关返回 HTTP {exc.code}: {self._excerpt(answer, message)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmsSendError(f"无法连接短信网关: {reason}") from None
        if not 200 <= status < 300:
            raise SmsSendError(f"短信网关返回 HTTP {status}: {self._excerpt(answer, message)}")

    @staticmethod
    def _excerpt(answer: bytes, message: SmsMessage) -> str:
        # A gateway may echo the request: never keep the clear number in an error we store.
        text = answer.decode("utf-8", errors="replace")[:300]
        return text.replace(message.phone, mask(PHONE, message.phone))
