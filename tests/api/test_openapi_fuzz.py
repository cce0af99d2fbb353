"""Schemathesis over the whole OpenAPI document, in-process, as every role, with every check.

The stateless phases (examples, coverage, fuzzing) run for every operation and role; the
stateful phase follows the document's OpenAPI links (``blueprints/openapi_links.py``): a quote
becomes a coverage, the coverage a claim, the claim documents and steps, so the paths behind an
id meet real ids and not only 404s. Every check schemathesis has is on (its default set: server
errors, status codes, content types, headers, response schemas, negative data rejected, positive
data accepted, missing auth, use after free, ...), not just "no 5xx".

Where the API rightly refuses data that its schema cannot call invalid, the allowance is below,
per operation and with its reason; nothing else is relaxed.

Budget: about a minute per database backend, set by ``STATELESS_EXAMPLES`` and the stateful
``max_examples`` and ``stateful_step_count``. Everything runs against 127.0.0.1-free in-process
WSGI calls: no socket is opened, and webhook URLs are only stored (delivery is a job the fuzzer
never runs).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from forwarder_insure.domain.access import Role
from tests.fixtures.app import issue_key
from tests.fixtures.insurance import add_underwriter, package

SELLER_ID = "S-1001"
STATELESS_EXAMPLES = 4
POSITIVE_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
NEGATIVE_DEFAULT = ["400", "401", "403", "404", "406", "409", "413", "415", "422", "428", "5xx"]


def _allow(method: str, path_regex: str, check: str, extra: list[str], why: str) -> dict:
    base = POSITIVE_DEFAULT if check == "positive_data_acceptance" else NEGATIVE_DEFAULT
    return {
        "include-method": method,
        "include-path-regex": path_regex,
        "checks": {check: {"expected-statuses": [*base, *extra]}},
    }


#: Data the schema allows but the API rightly refuses, each with why the document cannot say.
ALLOWANCES = [
    _allow(
        "POST", "^/api/v1/coverages$", "positive_data_acceptance", ["422"],
        "a quote token is valid only if this API signed it (the stateful phase binds real ones)",
    ),
    _allow(
        "POST", "/documents/uploaded$", "positive_data_acceptance", ["422"],
        "an upload ticket is valid only if this API signed it",
    ),
    _allow(
        "POST", "^/api/v1/quotes$", "positive_data_acceptance", ["422"],
        "categories, carriers and currencies come from the loaded rate card (GET /rates)",
    ),
    _allow(
        "GET", "^/api/v1/(coverages|claims|inquiries|payouts|recovery-tasks)$|/deliveries$",
        "positive_data_acceptance", ["422"],
        "a cursor is opaque: only a next_cursor this API returned is one",
    ),
    _allow(
        "PATCH|POST", "^/api/v1/underwriters", "positive_data_acceptance", ["422"],
        "country, jurisdiction and currency codes are checked against the ISO 3166 and 4217 lists",
    ),
    _allow(
        "PUT", "^/api/v1/exchange-rates$", "positive_data_acceptance", ["422"],
        "a rate must be above zero, which a decimal string's pattern cannot say",
    ),
    _allow(
        "POST", "^/api/v1/tracking/events$", "negative_data_rejection", ["202"],
        "a batch is accepted event by event: an invalid event is listed under 'rejected'",
    ),
]  # fmt: skip


def config(headers: dict[str, str]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "headers": headers,
            # The API refuses NUL in any text with 400 by design (PostgreSQL cannot store it).
            "generation": {"allow-x00": False},
            "operations": ALLOWANCES,
        }
    )


def _schema_as(role: Role) -> Any:
    """A fixture: the app's document, loaded with a fresh key of ``role`` as its auth."""

    @pytest.fixture
    def fixture(app):
        add_underwriter(app)
        key = issue_key(app, role, SELLER_ID if role is Role.SELLER else None)
        return schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", app, config=config({"Authorization": f"Bearer {key}"})
        )

    return fixture


STATELESS = settings(
    max_examples=STATELESS_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
STATEFUL = settings(
    max_examples=6,
    stateful_step_count=10,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _every_operation_as(role: Role) -> Any:
    @schemathesis.pytest.from_fixture(f"{role.value}_schema").parametrize()
    @STATELESS
    def test(case):
        case.call_and_validate()

    test.__doc__ = f"Every operation, called as a {role.value}, passes every check."
    return test


def steer_into_the_domain(api_schema: Any, role: Role) -> None:
    """Keep the bodies that start the chains inside the rate card and the claim limits, so the
    links lead somewhere: a random category is refused and no coverage would ever be bound."""

    @api_schema.hook
    def map_body(context, body):
        label = f"{context.operation.method.upper()} {context.operation.path}"
        if not isinstance(body, dict):
            return body
        if label == "POST /api/v1/quotes" and isinstance(body.get("packages"), list):
            body = {"packages": [package(reference=f"FUZZ-{n}") for n in range(2)]}
            if role is not Role.SELLER:
                body["seller_id"] = SELLER_ID
        elif label == "POST /api/v1/claims":
            body = {**body, "amount_claimed": {"amount": "40.00", "currency": "USD"}}
            body.pop("invoice_amount", None)
        return body


def _linked_sequences_as(role: Role) -> Any:
    def test(request, app):
        api_schema = request.getfixturevalue(f"{role.value}_schema")
        steer_into_the_domain(api_schema, role)
        api_schema.as_state_machine().run(settings=STATEFUL)

    test.__doc__ = f"Sequences along the document's links, as a {role.value}, pass every check."
    return test


seller_schema = _schema_as(Role.SELLER)
warehouse_schema = _schema_as(Role.WAREHOUSE)
tracking_schema = _schema_as(Role.TRACKING)
handler_schema = _schema_as(Role.HANDLER)
supervisor_schema = _schema_as(Role.SUPERVISOR)
admin_schema = _schema_as(Role.ADMIN)

test_every_operation_as_a_seller = _every_operation_as(Role.SELLER)
test_every_operation_as_a_warehouse = _every_operation_as(Role.WAREHOUSE)
test_every_operation_as_tracking = _every_operation_as(Role.TRACKING)
test_every_operation_as_a_handler = _every_operation_as(Role.HANDLER)
test_every_operation_as_a_supervisor = _every_operation_as(Role.SUPERVISOR)
test_every_operation_as_an_admin = _every_operation_as(Role.ADMIN)

test_linked_sequences_as_a_seller = _linked_sequences_as(Role.SELLER)
test_linked_sequences_as_a_warehouse = _linked_sequences_as(Role.WAREHOUSE)
test_linked_sequences_as_tracking = _linked_sequences_as(Role.TRACKING)
test_linked_sequences_as_a_handler = _linked_sequences_as(Role.HANDLER)
test_linked_sequences_as_a_supervisor = _linked_sequences_as(Role.SUPERVISOR)
test_linked_sequences_as_an_admin = _linked_sequences_as(Role.ADMIN)


def test_every_role_is_fuzzed():
    """A role added later must get its two tests here."""
    names = {name for name in globals() if name.startswith("test_")}
    for role in Role:
        assert any(name.endswith(role.value) for name in names if "every_operation" in name)
        assert any(name.endswith(role.value) for name in names if "linked_sequences" in name)
