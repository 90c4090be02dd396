import logging
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from wagewatch.notify.models import SmsCode
from wagewatch.notify.ratelimit import rate_limit_count
from wagewatch.notify.services import sms_code_issue, sms_code_verify
from wagewatch.notify.testing import last_sms_code

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


@pytest.fixture
def issue(django_capture_on_commit_callbacks, sms_memory, frozen):
    def _issue(phone=PHONE, purpose="track", client_ip="10.1.2.3"):
        with django_capture_on_commit_callbacks(execute=True):
            sms_code_issue(phone=phone, purpose=purpose, client_ip=client_ip)
        return last_sms_code(phone)

    return _issue


def test_issue_sends_the_code_in_the_agreed_wording_and_stores_no_clear_value(issue, sms_memory):
    code = issue()
    assert re.fullmatch(r"\d{6}", code)
    assert len(sms_memory) == 1
    assert sms_memory[0].phone == PHONE
    assert sms_memory[0].text == f"【根治欠薪】您的验证码为{code},5分钟内有效。如非本人操作请忽略。"
    row = SmsCode.objects.get()
    stored = " ".join(str(v) for v in SmsCode.objects.values().get().values())
    assert PHONE not in stored and code not in row.code_hash
    assert (row.expires_at - row.created_at).total_seconds() == 300


def test_the_right_code_verifies_once(issue):
    code = issue()
    assert sms_code_verify(phone=PHONE, purpose="track", code=code) is True
    assert sms_code_verify(phone=PHONE, purpose="track", code=code) is False


def test_a_code_is_bound_to_its_phone_and_purpose(issue):
    code = issue()
    assert sms_code_verify(phone="13900139000", purpose="track", code=code) is False
    assert sms_code_verify(phone=PHONE, purpose="complaint", code=code) is False
    assert sms_code_verify(phone="138 0013 8000", purpose="track", code=code) is True  # same number, spaced


def test_five_wrong_attempts_kill_the_code(issue):
    code = issue()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        assert sms_code_verify(phone=PHONE, purpose="track", code=wrong) is False
    assert SmsCode.objects.get().attempts == 4
    assert sms_code_verify(phone=PHONE, purpose="track", code="abc") is False  # fifth wrong try
    assert sms_code_verify(phone=PHONE, purpose="track", code=code) is False
    assert SmsCode.objects.get().used_at is None


def test_four_wrong_attempts_still_leave_the_right_code_good(issue):
    code = issue()
    for _ in range(4):
        sms_code_verify(phone=PHONE, purpose="track", code="000000" if code != "000000" else "111111")
    assert sms_code_verify(phone=PHONE, purpose="track", code=code) is True


def test_a_code_expires_after_five_minutes(issue, frozen):
    code = issue()
    frozen.advance(minutes=4, seconds=59)
    assert sms_code_verify(phone=PHONE, purpose="track", code=code) is True
    code = issue(purpose="complaint")  # not limited: 4:59 since the last code
    frozen.advance(minutes=5)
    assert sms_code_verify(phone=PHONE, purpose="complaint", code=code) is False


def test_a_new_code_replaces_the_older_one(issue, frozen):
    first = issue()
    frozen.advance(seconds=61)
    second = issue()
    if first != second:
        assert sms_code_verify(phone=PHONE, purpose="track", code=first) is False
    assert sms_code_verify(phone=PHONE, purpose="track", code=second) is True


def test_one_code_per_phone_per_minute(issue, frozen, sms_memory):
    issue()
    frozen.advance(seconds=30)  # also crosses into the next fixed minute window
    with pytest.raises(ValidationError) as info:
        issue(purpose="complaint")
    assert "30秒后" in info.value.messages[0]
    assert len(sms_memory) == 1
    frozen.advance(seconds=30)
    issue(purpose="complaint")
    assert len(sms_memory) == 2


def test_ten_codes_per_phone_per_day_then_refused_until_midnight(issue, frozen, sms_memory):
    for _ in range(10):
        issue()
        frozen.advance(seconds=61)
    with pytest.raises(ValidationError) as info:
        issue()
    assert "今天获取验证码已达10次" in info.value.messages[0]
    assert len(sms_memory) == 10
    # 10:11 Beijing time now; the next calendar day starts at 16:00 UTC.
    frozen.now = frozen.now.replace(hour=16, minute=0, second=5)
    issue()
    assert len(sms_memory) == 11


def test_thirty_codes_per_ip_per_hour(issue, frozen, sms_memory):
    phones = [f"1380000{n:04d}" for n in range(31)]
    for phone in phones[:30]:
        issue(phone=phone, client_ip="10.9.9.9")
    with pytest.raises(ValidationError) as info:
        issue(phone=phones[30], client_ip="10.9.9.9")
    assert info.value.messages[0] == "操作过于频繁,请60分钟后再试"
    issue(phone=phones[30], client_ip="10.9.9.10")  # another address is not affected
    frozen.advance(hours=1)
    issue(phone=phones[0], client_ip="10.9.9.9")
    assert len(sms_memory) == 32


def test_a_refused_request_counts_nothing(issue, frozen):
    issue()
    day_key = f"sms_code:phone_day:{SmsCode.objects.get().phone_digest}"
    assert rate_limit_count(day_key, window_seconds=86400) == 1
    with pytest.raises(ValidationError):
        issue()
    assert rate_limit_count(day_key, window_seconds=86400) == 1
    assert SmsCode.objects.count() == 1


@pytest.mark.parametrize(
    ("phone", "message"),
    [("010-12345678", "验证码只能发送到以1开头的11位手机号"), ("12345", "电话号码不正确")],
)
def test_only_a_mobile_number_gets_a_code(issue, phone, message, sms_memory):
    with pytest.raises(ValidationError) as info:
        issue(phone=phone)
    assert message in info.value.messages[0]
    assert SmsCode.objects.count() == 0 and sms_memory == []


def test_nothing_is_sent_when_the_callers_transaction_rolls_back(django_capture_on_commit_callbacks, sms_memory, frozen):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            sms_code_issue(phone=PHONE, purpose="track", client_ip="10.1.2.3")
            raise RuntimeError
    assert sms_memory == [] and SmsCode.objects.count() == 0


def test_a_failing_gateway_does_not_break_the_request_and_logs_no_clear_value(
    django_capture_on_commit_callbacks, http_sms, frozen, caplog
):
    http_sms.answers = [503]
    with caplog.at_level(logging.WARNING, logger="wagewatch.notify"), django_capture_on_commit_callbacks(execute=True):
        sms_code_issue(phone=PHONE, purpose="track", client_ip="10.1.2.3")
    code = http_sms.requests[0]["json"]["text"][len("【根治欠薪】您的验证码为") :][:6]
    assert "138****8000" in caplog.text and "HTTP 503" in caplog.text
    assert PHONE not in caplog.text and code not in caplog.text
