"""The notify app's clock: one place for tests to freeze or move time.

Code issue, code expiry and rate-limit windows all read `now()`, so a test that replaces it
(`monkeypatch.setattr(clock, "now", lambda: moment)`) moves all of them together.
"""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
