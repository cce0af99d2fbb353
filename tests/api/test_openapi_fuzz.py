"""Schemathesis over the whole OpenAPI document, in-process: no 5xx, no response off its schema.

Runs as a seller and as a handler so both the tenant-scoped and the staff paths are fuzzed. It
covers every operation the document lists, so new endpoints are fuzzed as soon as they exist.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from forwarder_insure.domain.access import Role
from tests.fixtures.app import issue_key


@pytest.fixture
def seller_key(app):
    return issue_key(app, Role.SELLER, "S-1001")


@pytest.fixture
def handler_key(app):
    return issue_key(app, Role.HANDLER)


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CHECKS = [not_a_server_error, response_schema_conformance]


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_a_seller_never_errors_and_matches_its_schema(case, seller_key):
    case.call_and_validate(headers={"Authorization": f"Bearer {seller_key}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_a_handler_never_errors_and_matches_its_schema(case, handler_key):
    case.call_and_validate(headers={"Authorization": f"Bearer {handler_key}"}, checks=CHECKS)
