"""Input built to break the parsers rather than the rules: each is refused as a client error
(400/413/422 problem+json), never a 500, on every backend."""

from __future__ import annotations

import io
import json
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprints.request_scope import json_nests_deeper_than
from forwarder_insure.domain.access import Role
from tests.api.test_problems import assert_problem
from tests.fixtures.insurance import bound, package, quote

DEEP_BODIES = {
    "arrays": "[" * 990 + "]" * 990,
    "unclosed arrays": "[" * 990,
    "objects": '{"a":' * 990 + "1" + "}" * 990,
    "inside a field": '{"name": ' + "[" * 990 + "]" * 990 + "}",
}


@pytest.mark.parametrize("shape", DEEP_BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/quotes"),  # the fast reader's path
        ("PUT", "/api/v1/sellers/S-2001"),  # webargs' path
        ("POST", "/api/v1/tracking/events"),
    ],
)
def test_deeply_nested_json_is_a_400_problem_on_every_json_endpoint(as_role, shape, method, path):
    response = as_role(Role.WAREHOUSE).open(
        method, path, data=DEEP_BODIES[shape], content_type="application/json"
    )
    assert assert_problem(response, 400)["code"] == "json_too_deep"


def test_nesting_a_parser_can_take_is_judged_by_the_schema_as_before(as_role):
    body = '{"name": ' + "[" * 60 + "]" * 60 + "}"
    response = as_role(Role.WAREHOUSE).put(
        "/api/v1/sellers/S-2001", data=body, content_type="application/json"
    )
    assert assert_problem(response, 422)["code"] == "validation_error"


def test_brackets_inside_strings_do_not_count_as_nesting(as_role, underwriter):
    reference = "[{" * 60 + '\\"' + "[" * 60
    response = as_role(Role.SELLER).post(
        "/api/v1/quotes",
        data='{"packages": [' + _package_json(reference=reference) + "]}",
        content_type="application/json",
    )
    assert response.status_code == 422  # too long a reference, read by the schema
    assert "reference" in str(response.get_json()["errors"])


def _package_json(**overrides) -> str:
    return json.dumps(package(**overrides))


def _depth(value) -> int:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


TRICKY_TEXT = st.text(alphabet='[]{}"\\\\ab\u00e9\u2028', max_size=8)
DOCUMENTS = st.recursive(
    st.none() | st.integers() | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
    max_leaves=40,
)


@given(DOCUMENTS, st.sampled_from([0, 1, 2, 3, 5]), st.sampled_from(["utf-8", "utf-16"]))
def test_the_depth_scan_agrees_with_the_parsed_document(document, limit, encoding):
    text = json.dumps(document, ensure_ascii=encoding != "utf-8").encode(encoding)
    assert json_nests_deeper_than(text, limit) == (_depth(document) > limit)


LONE = "\\ud800"  # as JSON spells it: half of a UTF-16 pair, not a character


@pytest.mark.parametrize(
    ("escape", "pointer"),
    [(LONE, "#/name"), ("\\udfff", "#/name"), ("\\udc00\\ud800", "#/name")],
)
def test_a_lone_surrogate_in_a_stored_text_field_is_a_422_naming_the_field(
    as_role, escape, pointer
):
    response = as_role(Role.WAREHOUSE).put(
        "/api/v1/sellers/S-2001",
        data='{"name": "Acme ' + escape + '"}',
        content_type="application/json",
    )
    body = assert_problem(response, 422)
    assert body["code"] == "validation_error"
    assert [(e["location"], e["pointer"]) for e in body["errors"]] == [("json", pointer)]


def test_a_lone_surrogate_deep_in_a_quote_names_its_package_and_field(as_role, underwriter):
    first, second = _package_json(reference="A"), _package_json(reference="B@").replace("@", LONE)
    response = as_role(Role.SELLER).post(
        "/api/v1/quotes",
        data='{"packages": [' + first + ", " + second + "]}",
        content_type="application/json",
    )
    body = assert_problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["#/packages/1/reference"]


def test_a_lone_surrogate_in_a_field_name_is_named_too(as_role, underwriter):
    response = as_role(Role.WAREHOUSE).post(
        "/api/v1/tracking/events",
        data='{"events": [{"a' + LONE + '": 1}]}',
        content_type="application/json",
    )
    body = assert_problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["#/events/0/a\ufffd"]


def test_a_batch_holding_a_lone_surrogate_is_refused_whole(as_role, underwriter):
    bad = {
        "event_id": "E-1",
        "carrier": "usps",
        "tracking_number": "9400" + LONE,
        "occurred_at": "2026-11-20T10:00:00Z",
        "code": "in_transit",
    }
    text = json.dumps({"events": [bad]}).replace("\\\\ud800", "\\ud800")
    response = as_role(Role.WAREHOUSE).post(
        "/api/v1/tracking/events", data=text, content_type="application/json"
    )
    body = assert_problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["#/events/0/tracking_number"]


def test_a_surrogate_pair_is_a_character_and_stays_welcome(as_role):
    response = as_role(Role.WAREHOUSE).put(
        "/api/v1/sellers/S-2001",
        data='{"name": "Acme \\ud83d\\udce6"}',
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.get_json()
    assert response.get_json()["name"] == "Acme \U0001f4e6"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sellers/%ED%A0%80",
        "/api/v1/claims?status=%ED%A0%80",
        "/api/v1/coverages?tracking_number=%ED%A0%80",
        "/api/v1/claims/clm_%ED%A0%80",
    ],
)
def test_surrogates_encoded_in_paths_and_queries_are_no_server_error(as_role, path):
    # Not UTF-8, so they stay percent-encoded text (or U+FFFD): a search that finds nothing.
    response = as_role(Role.HANDLER).get(path)
    assert response.status_code in (200, 404, 422), response.get_data(as_text=True)


def test_a_surrogate_encoded_in_a_multipart_field_is_a_client_error(as_role):
    response = as_role(Role.SELLER).post(
        "/api/v1/claims/clm_x/documents",
        data={"kind": b"\xed\xa0\x80", "file": (io.BytesIO(b"%PDF-1.4"), "a\xed\xa0\x80.pdf")},
        content_type="multipart/form-data",
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)


def test_a_surrogate_encoded_in_a_console_form_is_a_client_error(app):
    client = app.test_client()
    page = client.get("/ops/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/ops/login",
        data="email=%ED%A0%80%40x&password=%ED%A0%80&csrf_token=" + token,
        content_type="application/x-www-form-urlencoded",
    )
    assert 200 <= response.status_code < 500


@pytest.mark.parametrize(
    "amount",
    ["\uff11\uff12.\uff15\uff10", "1_000.00", "\u0661\u0662.50", "1e2", "+12.50", " 12.50"],
)
def test_an_amount_in_anything_but_ascii_digits_is_a_422_naming_it(as_role, underwriter, amount):
    seller = as_role(Role.SELLER)
    response = quote(seller, package(declared_value={"amount": amount, "currency": "USD"}))
    body = assert_problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["#/packages/0/declared_value/amount"]
    coverage = bound(seller)
    response = seller.post(
        "/api/v1/claims",
        json={
            "coverage_id": coverage["id"],
            "kind": "lost",
            "amount_claimed": {"amount": amount, "currency": "USD"},
            "description": "Parcel never arrived",
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    body = assert_problem(response, 422)
    assert [e["pointer"] for e in body["errors"]] == ["#/amount_claimed/amount"]


def test_a_chunked_json_body_over_the_limit_is_413_like_a_sized_one(app, as_role):
    limit = app.extensions["forwarder_insure"].settings.max_json_bytes
    body = json.dumps({"name": "x" * (limit + 10)}).encode()
    response = as_role(Role.WAREHOUSE).put(
        "/api/v1/sellers/S-2001",
        input_stream=io.BytesIO(body),  # chunked: any Content-Length is ignored
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(response, 413)


def test_a_chunked_json_body_within_the_limit_is_read_whole(app, as_role):
    limit = app.extensions["forwarder_insure"].settings.max_json_bytes
    padding = limit - len(json.dumps({"name": "Acme", "pad": ""}))
    body = json.dumps({"name": "Acme", "pad": " " * padding}).encode()
    assert len(body) == limit
    response = as_role(Role.WAREHOUSE).put(
        "/api/v1/sellers/S-2001",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    body = assert_problem(response, 422)  # read whole: the unknown field is named
    assert [e["pointer"] for e in body["errors"]] == ["#/pad"]
