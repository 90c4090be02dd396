"""The API's contract: its OpenAPI is true (one name per schema, every error status documented),
and what a client sends that the API cannot use is a 4xx in the one error shape, never a 500 or an
HTML page; an unexpected error is a JSON 500 without a stack."""

import typing

import pytest
from django.test import Client
from pydantic import BaseModel

from wagewatch.api import api
from wagewatch.core.auth import api_token_create


@pytest.fixture
def auth(world):
    return {"Authorization": f"Bearer {api_token_create(user=world.users['admin'])}"}


def _routers(items):
    for item in items:
        router = item[1] if isinstance(item, tuple) else item
        yield router
        yield from _routers(getattr(router, "_routers", None) or [])


def _operations():
    for router in _routers(api._routers):
        for path_view in router.path_operations.values():
            yield from path_view.operations


def _models(annotation, found: set) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for f in annotation.model_fields.values():
            _models(f.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _models(arg, found)


def _error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"code", "message", "errors"} and body["message"], body
    return body


# ---------------------------------------------------------------- the spec


def test_every_schema_class_has_its_own_name():
    """Two classes of one name share one component: the second one documented the first's fields
    (the history's EventOut documented the case timeline's)."""
    found: set = set()
    for operation in _operations():
        for model in operation.models:
            _models(model, found)
        for model in (operation.response_models or {}).values():
            _models(model, found)
    by_name: dict[str, list] = {}
    for model in found:
        if model.__module__.startswith("wagewatch"):
            by_name.setdefault(model.__name__, []).append(f"{model.__module__}.{model.__qualname__}")
    assert {name: paths for name, paths in by_name.items() if len(paths) > 1} == {}


def test_the_history_event_endpoint_documents_the_history_event(client, auth):
    spec = client.get("/api/v1/openapi.json").json()
    ref = spec["paths"]["/api/v1/history/events/{seq}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    properties = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    assert {"leaf_data", "leaf_hash", "object_type", "payload"} <= set(properties)


def test_every_operation_documents_the_errors_it_can_answer(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["components"]["schemas"]["Error"]["required"] == ["code", "message", "errors"]
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            needed = {"401", "403", "500"}
            if operation.get("parameters") or operation.get("requestBody"):
                needed |= {"404", "422"}
            if "{" in path:
                needed.add("400")
            if needed - codes:
                missing.append((method, path, sorted(needed - codes)))
    assert missing == []


def test_the_spec_has_no_duplicated_key_so_swagger_ui_can_read_it(client):
    """A route's own 422 (an int key in ninja) beside the documented "422" came out twice in the
    JSON: Swagger UI stopped with "duplicated mapping key" and the docs page showed no operation."""
    import json

    duplicated = []

    def pairs(items):
        keys = [key for key, _ in items]
        duplicated.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=pairs)
    assert duplicated == []


# ---------------------------------------------------------------- what a client sends


PAGED = [
    "/api/v1/territories",
    "/api/v1/organisations",
    "/api/v1/users",
    "/api/v1/enterprises",
    "/api/v1/projects",
    "/api/v1/cases",
]


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("page", ["1000000000000000000", "5746821111555170005680128"])
def test_a_page_number_past_any_page_is_refused(client, auth, path, page):
    body = _error_shape(client.get(path, {"page": page, "page_size": 44169710}, headers=auth), 422)
    assert body["errors"][0]["field"] in ("page", "page_size")


def test_an_id_past_any_row_is_refused_not_a_database_error(client, auth):
    for path in ("/api/v1/territories/9223372036854775808", "/api/v1/users/9223372036854775808"):
        _error_shape(client.get(path, headers=auth), 422)
    _error_shape(client.get("/api/v1/organisations", {"territory_id": 2**63}, headers=auth), 422)


def test_a_path_no_route_takes_is_a_json_404(client, auth):
    _error_shape(client.get("/api/v1/enterprises/null,null", headers=auth), 404)
    _error_shape(client.get("/api/v1/no-such-thing", headers=auth), 404)


def test_a_nul_in_a_path_is_refused_in_the_error_shape(client, auth, world):
    _error_shape(client.get("/api/v1/cases/AJ%00", headers=auth), 422)
    client.force_login(world.users["admin"])
    assert client.get("/cases/AJ%00/").status_code == 400  # a page: no database error either


def test_a_nul_in_a_query_is_refused_on_its_field(client, auth):
    body = _error_shape(client.get("/api/v1/enterprises", {"q": "a\x00b"}, headers=auth), 422)
    assert [e["field"] for e in body["errors"]] == ["q"]


def test_a_lone_surrogate_in_json_is_refused(client, auth, world):
    raw = b'{"name": "\\ud800", "territory_id": %d}' % world.territories["district"].pk
    body = _error_shape(client.post("/api/v1/enterprises", raw, content_type="application/json", headers=auth), 422)
    assert body["errors"][0]["field"] == "name"


def test_a_body_that_is_not_utf8_json_is_a_json_400(client, auth):
    for raw in (b'{"name": "\xff\xfe"}', b"{not json", b'{"a": 1'):
        body = _error_shape(client.post("/api/v1/enterprises", raw, content_type="application/json", headers=auth), 400)
        assert body["code"] == "unreadable"


def test_an_unexpected_error_is_a_json_500_without_a_stack(world, auth, monkeypatch, caplog):
    from wagewatch.core import selectors

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "territory_list", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/territories", headers=auth)
    body = _error_shape(response, 500)
    assert body["code"] == "server_error" and "secret internals" not in response.content.decode()
    assert "secret internals" in caplog.text  # logged, with its stack, for the administrator


def test_a_push_to_a_kind_that_is_a_number_is_a_json_404_not_a_405(client, world):
    from wagewatch.core.auth import api_token_create as token

    headers = {"Authorization": f"Bearer {token(user=world.users['admin'])}"}
    code = world.projects[next(iter(world.projects))].code
    response = client.post(f"/api/v1/payroll/projects/{code}/imports/0", [{}], content_type="application/json", headers=headers)
    _error_shape(response, 404)


def test_reading_an_import_by_something_that_is_no_number_is_a_json_404_not_a_405(client, world):
    """schemathesis: GET …/imports/null,null fell through to the push's path and answered 405."""
    from wagewatch.core.auth import api_token_create as token

    headers = {"Authorization": f"Bearer {token(user=world.users['admin'])}"}
    code = world.projects[next(iter(world.projects))].code
    for tail in ("null%2Cnull", "attendance", "abc"):
        _error_shape(client.get(f"/api/v1/payroll/projects/{code}/imports/{tail}", headers=headers), 404)
    # The push itself still works at its path.
    response = client.post(f"/api/v1/payroll/projects/{code}/imports/nonsense", [{}], content_type="application/json", headers=headers)
    _error_shape(response, 404)


def test_an_over_long_address_is_documented_as_the_web_servers_refusal(client):
    """schemathesis in CI: gunicorn answered 414 to a 4,401-byte request line, a status no operation named."""
    spec = client.get("/api/v1/openapi.json").json()
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert "414" in operation["responses"] and "content" not in operation["responses"]["414"]
