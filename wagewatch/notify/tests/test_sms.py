import json

import pytest

from wagewatch.notify import sms
from wagewatch.notify.sms import SmsSendError, sms_send
from wagewatch.notify.testing import sms_outbox


def test_console_backend_is_the_default_and_masks_the_number(settings, capsys):
    settings.SMS_BACKEND = ""
    sms_send("138 0013 8000", "【根治欠薪】测试")
    out = capsys.readouterr().out
    assert "138****8000" in out and "【根治欠薪】测试" in out
    assert "13800138000" not in out


def test_backend_is_read_at_call_time(settings, sms_memory, tmp_path):
    sms_send("13800138000", "一")
    settings.SMS_BACKEND = "wagewatch.notify.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "out.jsonl")
    sms_send("13800138000", "二")
    assert [m.text for m in sms_outbox()] == ["一"]
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["text"] == "二"


def test_file_backend_appends_json_lines(settings, tmp_path):
    path = tmp_path / "deep" / "outbox.jsonl"
    settings.SMS_BACKEND = "wagewatch.notify.sms.FileBackend"
    settings.SMS_FILE_PATH = str(path)
    settings.SMS_SIGN = "根治欠薪"
    sms_send("13800138000", "【根治欠薪】第一条")
    sms_send("13900139000", "【根治欠薪】第二条,含“引号”")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["phone"] == "13800138000" and first["text"] == "【根治欠薪】第一条" and first["sign"] == "根治欠薪"
    assert second["text"] == "【根治欠薪】第二条,含“引号”"
    assert "第二条" in lines[1]  # Chinese kept as characters, not \u escapes
    assert first["at"].startswith("20")


def test_file_backend_default_path_is_under_the_var_dir(settings, tmp_path):
    settings.SMS_BACKEND = "wagewatch.notify.sms.FileBackend"
    settings.SMS_FILE_PATH = ""
    settings.VAR_DIR = tmp_path
    sms_send("13800138000", "默认位置")
    assert (tmp_path / "sms" / "outbox.jsonl").read_text(encoding="utf-8").count("\n") == 1


def test_http_backend_posts_json_with_token(http_sms):
    sms_send("13800138000", "【根治欠薪】您好")
    assert len(http_sms.requests) == 1
    request = http_sms.requests[0]
    assert request["path"] == "/sms/send"
    assert request["json"] == {"phone": "13800138000", "text": "【根治欠薪】您好", "sign": "根治欠薪"}
    assert request["headers"]["Authorization"] == "Bearer test-token"
    assert request["headers"]["Content-Type"].startswith("application/json")


def test_http_backend_reads_the_token_file(http_sms, settings, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n", encoding="utf-8")
    settings.SMS_GATEWAY_TOKEN = ""
    settings.SMS_GATEWAY_TOKEN_FILE = str(token_file)
    sms_send("13800138000", "x")
    assert http_sms.requests[0]["headers"]["Authorization"] == "Bearer from-file"


def test_http_backend_raises_on_an_error_answer_without_the_clear_number(http_sms):
    http_sms.answers = [500]
    with pytest.raises(SmsSendError) as info:
        sms_send("13800138000", "x")
    assert "HTTP 500" in str(info.value)
    assert "13800138000" not in str(info.value)  # the gateway echoed it; the error masks it
    assert "138****8000" in str(info.value)


def test_http_backend_raises_when_the_gateway_is_unreachable(settings):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.SMS_BACKEND = "wagewatch.notify.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{port}/"
    with pytest.raises(SmsSendError, match="无法连接短信网关"):
        sms_send("13800138000", "x")


@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "ftp://example/"])
def test_http_backend_refuses_a_missing_or_non_http_url(settings, url):
    settings.SMS_BACKEND = "wagewatch.notify.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = url
    with pytest.raises(SmsSendError, match="SMS_GATEWAY_URL"):
        sms_send("13800138000", "x")


def test_only_mobile_numbers_get_sms(sms_memory):
    with pytest.raises(SmsSendError, match="不是手机号"):
        sms_send("010-12345678", "x")
    assert sms_memory == []


def test_signed_adds_the_signature_once(settings):
    settings.SMS_SIGN = "根治欠薪"
    assert sms.sms_signed("你好") == "【根治欠薪】你好"
    assert sms.sms_signed("【根治欠薪】你好") == "【根治欠薪】你好"
