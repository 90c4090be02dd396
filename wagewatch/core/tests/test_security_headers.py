"""Every answer carries the Content Security Policy; answers that may show personal data say
`Cache-Control: no-store`; no template needs inline script or style (the CSP would block it)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from wagewatch.core.auth import api_token_create

REQUIRED = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'self'",
]


def csp_of(response) -> str:
    return response.get("Content-Security-Policy", "")


def assert_policy(response):
    policy = csp_of(response)
    for directive in REQUIRED:
        assert directive in policy, (directive, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("path", ["/login/", "/w/", "/api/v1/docs", "/api/v1/openapi.json", "/no-such-page/"])
def test_every_answer_has_the_policy_anonymous(client, db, path):
    assert_policy(client.get(path))


def test_signed_in_pages_have_the_policy_and_no_store(world, client):
    client.force_login(world.users["office_staff"])
    for name in ("core:home", "core:user_list", "core:organisation_list"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert_policy(response)
        assert response["Cache-Control"] == "no-store", name
    user_page = client.get(reverse("core:user_detail", args=[world.users["clerk"].pk]))
    assert user_page["Cache-Control"] == "no-store"


def test_worker_pages_are_never_stored(client, db):
    response = client.get("/w/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


def test_api_answers_are_never_stored(world, client):
    token = api_token_create(user=world.users["office_staff"])
    response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert_policy(response)
    assert client.get("/api/v1/users")["Cache-Control"] == "no-store"  # the 401 too


def test_a_signed_in_excel_export_is_not_stored(world, client):
    client.force_login(world.users["office_staff"])
    response = client.get(reverse("core:user_list"), {"export": "xlsx"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "wagewatch"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
JS_URL = re.compile(r"href\s*=\s*[\"']\s*javascript:", re.I)


def test_no_template_needs_inline_script_or_style():
    """The CSP (script-src 'self'; style-src 'self') blocks all of these; a page that needed one
    would break silently in the browser. The browser test checks the rendered pages as well."""
    found = []
    for root in TEMPLATE_DIRS:
        for path in root.rglob("templates/**/*.html"):
            text = path.read_text(encoding="utf-8")
            for name, pattern in (("script", INLINE_SCRIPT), ("handler", HANDLER), ("style", INLINE_STYLE), ("js-url", JS_URL)):
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{path.relative_to(settings.BASE_DIR)}:{line}: {name}")
    assert found == []
