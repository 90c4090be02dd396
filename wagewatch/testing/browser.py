"""Browser tests with Debian's Chromium through Playwright (never a downloaded browser build).
The `browser` fixture is in wagewatch/conftest.py; a test module marks itself with
`pytestmark = [pytest.mark.browser, needs_chromium]`."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium 未安装")
