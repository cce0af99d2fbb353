"""Input built to break the parsers rather than the rules: each is refused as a client error
(400/413/422 problem+json), never a 500, on every backend."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprints.request_scope import json_nests_deeper_than
from forwarder_insure.domain.access import Role
from tests.api.test_problems import assert_problem
from tests.fixtures.insurance import package

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
