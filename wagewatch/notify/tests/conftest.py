import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wagewatch.notify import clock
from wagewatch.notify.testing import sms_memory  # noqa: F401 - fixture


class FrozenClock:
    def __init__(self, moment: datetime):
        self.now = moment

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def frozen(monkeypatch):
    """Time stands at 2026-11-23 10:00:30 Beijing time until the test moves it."""
    c = FrozenClock(datetime(2026, 11, 23, 2, 0, 30, tzinfo=UTC))
    monkeypatch.setattr(clock, "now", lambda: c.now)
    return c


class StubCase:
    """The contract the cases app gives receivers of case_transitioned."""

    def __init__(self, number="AJ2026112300012", state_display="已转办", phones=("13800138000", "13900139000"), deadline="2026年11月30日前办结"):
        self.number = number
        self._state_display = state_display
        self._phones = list(phones)
        self._deadline = deadline

    def get_state_display(self):
        return self._state_display

    def complainant_phones(self):
        return list(self._phones)

    def next_deadline_text(self):
        return self._deadline


@pytest.fixture
def stub_case():
    return StubCase()


class Gateway:
    """A local SMS gateway: answers the statuses queued in `answers` (then 200), records requests."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.server = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/sms/send"


@pytest.fixture
def gateway():
    gw = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            gw.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body.decode("utf-8"))})
            status = gw.answers.pop(0) if gw.answers else 200
            answer = json.dumps({"ok": status < 300, "echo": gw.requests[-1]["json"]["phone"]}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    gw.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=gw.server.serve_forever, daemon=True)
    thread.start()
    yield gw
    gw.server.shutdown()
    gw.server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def http_sms(settings, gateway):
    settings.SMS_BACKEND = "wagewatch.notify.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = "test-token"
    settings.SMS_GATEWAY_TIMEOUT = 5
    return gateway
