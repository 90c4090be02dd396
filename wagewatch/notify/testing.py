"""Helpers for tests of any app that sends SMS.

    from wagewatch.notify.testing import memory_sms, sms_outbox, last_sms_code

    def test_track(settings, ...):
        with memory_sms():                       # or the pytest fixture `sms_memory` below
            sms_code_issue(phone="13800138000", purpose="track", client_ip="127.0.0.1")
        code = last_sms_code("13800138000")

Codes are sent on commit: in a pytest-django test (one transaction) wrap the call in
`django_capture_on_commit_callbacks(execute=True)`.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from django.test import override_settings

from wagewatch.core.protected import PHONE, normalise

from .sms import MemoryBackend, SmsMessage

MEMORY_BACKEND = "wagewatch.notify.sms.MemoryBackend"


def sms_outbox() -> list[SmsMessage]:
    """The messages the MemoryBackend has sent (the live list: clear it with `.clear()`)."""
    return MemoryBackend.outbox


def sms_to(phone: str) -> list[SmsMessage]:
    phone = normalise(PHONE, phone)
    return [m for m in MemoryBackend.outbox if m.phone == phone]


def last_sms_code(phone: str) -> str | None:
    """The 6-digit code in the newest message sent to `phone`, if any."""
    for message in reversed(sms_to(phone)):
        found = re.search(r"验证码为(\d{6})", message.text)
        if found:
            return found.group(1)
    return None


@contextlib.contextmanager
def memory_sms():
    """Send through the MemoryBackend, starting from an empty outbox; yields the outbox."""
    MemoryBackend.outbox.clear()
    with override_settings(SMS_BACKEND=MEMORY_BACKEND):
        yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


@pytest.fixture
def sms_memory():
    """pytest fixture: `from wagewatch.notify.testing import sms_memory` in a test module."""
    with memory_sms() as outbox:
        yield outbox
