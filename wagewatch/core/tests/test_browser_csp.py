"""The platform's own pages pass its Content Security Policy in a real browser: any inline script,
inline style or eval a page needed would be refused and reported on the console, and fails here.
Office pages at a desk's width, worker pages on a phone, the admin and the API docs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wagewatch.testing.browser import needs_chromium
from wagewatch.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]


def watch(page) -> list[str]:
    """Console messages and page errors that report a refused resource or script."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}") if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    return problems


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def visit(page, base, paths) -> dict[str, int]:
    statuses = {}
    for path in paths:
        response = page.goto(base + path)
        page.wait_for_load_state("networkidle")
        statuses[path] = response.status if response else 0
    return statuses


def office_paths(world) -> list[str]:
    project = world.projects["road_a"]
    return [
        "/",
        reverse("core:user_list"),
        reverse("core:user_detail", args=[world.users["clerk"].pk]),
        reverse("core:organisation_list"),
        reverse("core:territory_list"),
        reverse("core:calendar"),
        reverse("core:time_limits"),
        reverse("registry:enterprise_list"),
        reverse("registry:project_list"),
        reverse("registry:project_detail", args=[project.pk]),
        reverse("intake:register"),
        reverse("intake:import"),
        reverse("cases:list"),
        reverse("cases:overdue_board"),
        reverse("notify:list"),
        reverse("payroll:project_list"),
        reverse("payroll:project", args=[project.pk]),
        reverse("payroll:reconciliation"),
        reverse("core:password_change"),
    ]


def test_office_pages_pass_the_policy(world, live_server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems = watch(page)
    sign_in(page, live_server.url, "office_staff")
    statuses = visit(page, live_server.url, office_paths(world))
    assert all(status == 200 for status in statuses.values()), statuses
    # An htmx request (the register form's duplicate check) under the same policy.
    page.goto(live_server.url + reverse("intake:register"))
    page.fill("#id_employer_name", "东花服装厂")
    page.dispatch_event("#id_employer_name", "change")
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_admin_and_api_docs_pass_the_policy(world, live_server, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    problems = watch(page)
    sign_in(page, live_server.url, "admin")
    statuses = visit(page, live_server.url, ["/admin/", "/admin/core/user/", f"/admin/core/user/{world.users['clerk'].pk}/change/"])
    assert all(status == 200 for status in statuses.values()), statuses
    page.goto(live_server.url + "/api/v1/docs")
    # Swagger UI's script ran and drew its page (whether the spec itself parses is the API's own test).
    page.wait_for_selector("#swagger-ui .swagger-ui", state="attached", timeout=20000)
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_worker_pages_on_a_phone_pass_the_policy(world, live_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    problems = watch(page)
    statuses = visit(page, live_server.url, ["/w/", "/w/complain/", "/w/track/", "/w/pay/", "/login/"])
    assert all(status == 200 for status in statuses.values()), statuses
    assert problems == []
