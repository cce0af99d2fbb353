"""Every error is RFC 9457 problem+json with the right status, and bad input writes nothing."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from forwarder_insure.db.models import Seller
from forwarder_insure.domain.access import Role

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def seller_count(app) -> int:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return session.execute(select(func.count()).select_from(Seller)).scalar_one()


def test_unknown_api_path_is_a_404_problem(app):
    body = assert_problem(app.test_client().get("/api/v1/no-such-thing"), 404)
    assert body["type"] == "about:blank"


def test_unknown_non_api_path_is_a_problem_too_never_html(app):
    assert_problem(app.test_client().get("/nowhere"), 404)


def test_wrong_method_is_a_405_problem_with_allow_header(app):
    response = app.test_client().delete("/healthz")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_missing_key_is_401_with_bearer_challenge(app):
    response = app.test_client().get("/api/v1/me")
    body = assert_problem(response, 401)
    assert body["code"] == "missing_api_key"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer fik_nope_nope", "Basic dXNlcjpwYXNz", "Bearer", "fik_x", "Bearer a b"]
)
def test_bad_or_malformed_key_is_401(app, header):
    response = app.test_client().get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401)


def test_role_not_allowed_is_403(as_role):
    tracking = as_role(Role.TRACKING)
    body = assert_problem(tracking.get("/api/v1/sellers/S-1001"), 403)
    assert body["code"] == "role_not_allowed"


def test_malformed_json_is_400_and_writes_nothing(app, as_role):
    warehouse = as_role(Role.WAREHOUSE)
    before = seller_count(app)
    response = warehouse.put(
        "/api/v1/sellers/S-2001", data="{not json", content_type="application/json"
    )
    assert_problem(response, 400)
    assert seller_count(app) == before


def test_unknown_and_wrongly_typed_fields_are_listed_under_errors(app, as_role):
    warehouse = as_role(Role.WAREHOUSE)
    before = seller_count(app)
    response = warehouse.put("/api/v1/sellers/S-2001", json={"name": 42, "colour": "red"})
    body = assert_problem(response, 422)
    assert body["code"] == "validation_error"
    pointers = {(e["location"], e["pointer"]) for e in body["errors"]}
    assert ("json", "#/name") in pointers
    assert ("json", "#/colour") in pointers
    assert seller_count(app) == before


def test_missing_required_field_is_422(as_role):
    body = assert_problem(as_role(Role.WAREHOUSE).put("/api/v1/sellers/S-2001", json={}), 422)
    assert body["errors"][0]["pointer"] == "#/name"


def test_a_body_that_is_not_json_is_415(app, as_role):
    before = seller_count(app)
    response = as_role(Role.WAREHOUSE).put(
        "/api/v1/sellers/S-2001", data="name=x", content_type="text/plain"
    )
    assert_problem(response, 415)
    assert seller_count(app) == before


def test_an_oversized_json_body_is_413(app, as_role):
    limit = app.extensions["forwarder_insure"].settings.max_json_bytes
    payload = json.dumps({"name": "x" * (limit + 10)})
    response = as_role(Role.WAREHOUSE).put(
        "/api/v1/sellers/S-2001", data=payload, content_type="application/json"
    )
    assert_problem(response, 413)


def test_domain_rule_breaks_are_422_with_their_code(as_role):
    body = assert_problem(
        as_role(Role.WAREHOUSE).put("/api/v1/sellers/S-2001", json={"name": "   "}), 422
    )
    assert body["code"] == "blank_name"
    assert body["type"] == "/problems/blank-name"


def test_invalid_seller_id_is_422(as_role):
    response = as_role(Role.WAREHOUSE).put("/api/v1/sellers/%20bad%20id", json={"name": "A"})
    assert assert_problem(response, 422)["code"] == "invalid_seller_id"


def test_unexpected_exception_is_a_500_problem_with_an_error_id_and_no_traceback(app, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = assert_problem(response, 500)
    assert body["error_id"].startswith("err_")
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["error_id"] in caplog.text


def _answers_of_every_kind(app, as_role):
    @app.get("/api/v1/test-slow-down")
    def slow_down():
        from flask_smorest import abort

        abort(429, message="Slow down.", headers={"Retry-After": "1"})

    @app.get("/api/v1/test-boom")
    def boom():
        raise RuntimeError("boom")

    client, handler, warehouse = app.test_client(), as_role(Role.HANDLER), as_role(Role.WAREHOUSE)
    limit = app.extensions["forwarder_insure"].settings.max_json_bytes
    return {
        "200": handler.get("/api/v1/me"),
        "openapi": client.get("/api/v1/openapi.json"),
        "docs": client.get("/api/v1/docs"),
        "docs asset": client.get("/api/v1/docs/swagger-ui.css", buffered=True),
        "400": warehouse.put("/api/v1/sellers/S-1", data="{", content_type="application/json"),
        "401": client.get("/api/v1/me"),
        "403": as_role(Role.TRACKING).get("/api/v1/sellers/S-1001"),
        "404": client.get("/api/v1/no-such-thing"),
        "405": client.delete("/api/v1/quotes"),
        "413": warehouse.put(
            "/api/v1/sellers/S-1",
            data=json.dumps({"name": "x" * (limit + 10)}),
            content_type="application/json",
        ),
        "415": warehouse.put("/api/v1/sellers/S-1", data="x", content_type="text/plain"),
        "422": warehouse.put("/api/v1/sellers/S-1", json={}),
        "429": client.get("/api/v1/test-slow-down"),
        "500": client.get("/api/v1/test-boom"),
    }


def test_every_api_answer_is_uncacheable_and_unsniffable(app, as_role):
    for kind, response in _answers_of_every_kind(app, as_role).items():
        if kind.isdigit():
            assert response.status_code == int(kind), kind
        assert response.headers.get("Cache-Control") == "no-store", kind
        assert response.headers.get("X-Content-Type-Options") == "nosniff", kind


def test_the_docs_page_loads_only_from_its_own_origin(app):
    client = app.test_client()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not re.search(r"https?://", html), "the page names another host"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "http" not in policy
    assert "unsafe" not in policy
    assert "<script>" not in html  # no inline script: every <script> has a src
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/api/v1/docs/"), asset
        response = client.get(asset, buffered=True)
        assert response.status_code == 200, asset
        assert response.get_data(), asset
    spec_url = re.search(r'data-spec-url="([^"]+)"', html).group(1)
    assert client.get(spec_url).get_json()["openapi"].startswith("3.")
    assert client.get("/api/v1/docs/index.html").status_code == 404
    assert client.get("/api/v1/docs/..%2f__init__.py").status_code == 404


def _documented_paths(app) -> list[tuple[str, set[str]]]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    verbs = {"get", "put", "post", "delete", "patch"}
    return [
        (path, {verb.upper() for verb in operations if verb in verbs})
        for path, operations in spec["paths"].items()
    ]


def test_options_allows_exactly_what_the_openapi_document_lists(app):
    """The rule: the document's methods for the path, OPTIONS, and HEAD where GET is."""
    client = app.test_client()
    paths = _documented_paths(app)
    assert len(paths) > 30
    for path, methods in paths:
        url = re.sub(r"\{[^}]+\}", "x_1", path)
        response = client.options(url)
        assert response.status_code == 200, path
        expected = methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        assert set(response.allow) == expected, path
        assert response.headers["Cache-Control"] == "no-store"


def test_a_405_allows_what_the_document_and_options_allow(app):
    client = app.test_client()
    for path, methods in _documented_paths(app):
        url = re.sub(r"\{[^}]+\}", "x_1", path)
        unused = sorted({"PUT", "PATCH", "DELETE", "POST", "GET"} - methods)
        if not unused:
            continue
        response = client.open(url, method=unused[0])
        assert_problem(response, 405)
        expected = methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        assert set(response.allow) == expected, path
