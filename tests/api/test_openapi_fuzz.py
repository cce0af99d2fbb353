"""Schemathesis over the whole OpenAPI document, in-process, as every role, with every check.

The stateless phases (examples, coverage, fuzzing) run for every operation and role; the
stateful phase follows the document's OpenAPI links (``blueprints/openapi_links.py``): a quote
becomes a coverage, the coverage a claim, the claim documents and steps, so the paths behind an
id meet real ids and not only 404s. Every check schemathesis has is on (its default set: server
errors, status codes, content types, headers, response schemas, negative data rejected, positive
data accepted, missing auth, use after free, ...), not just "no 5xx".

Where the API rightly refuses data that its schema cannot call invalid, the allowance is below,
per operation and with its reason; nothing else is relaxed.

Budget: about a minute of CPU per database backend (measured: ~64 s on SQLite), set by
``STATELESS_EXAMPLES``, ``COVERAGE_ROLES`` and the stateful ``max_examples`` and
``stateful_step_count``. Every call is an in-process WSGI call into the app: no socket is
opened, and a webhook URL is only stored (delivery is a job the fuzzer never runs).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from forwarder_insure.domain.access import Role
from tests.fixtures.app import issue_key
from tests.fixtures.insurance import add_underwriter, package

SELLER_ID = "S-1001"
STATELESS_EXAMPLES = 4
POSITIVE_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
NEGATIVE_DEFAULT = ["400", "401", "403", "404", "406", "409", "413", "415", "422", "428", "5xx"]


def _allow(name_regex: str, check: str, extra: list[str], why: str) -> dict:
    """``name_regex`` matches "METHOD /path" (one regex: schemathesis ORs separate filters)."""
    base = POSITIVE_DEFAULT if check == "positive_data_acceptance" else NEGATIVE_DEFAULT
    return {
        "include-name-regex": name_regex,
        "checks": {check: {"expected-statuses": [*base, *extra]}},
    }


#: Data the schema allows but the API rightly refuses, each with why the document cannot say.
ALLOWANCES = [
    _allow(
        "^POST /api/v1/coverages$", "positive_data_acceptance", ["422"],
        "a quote token is valid only if this API signed it (the stateful phase binds real ones)",
    ),
    _allow(
        "^POST /api/v1/claims/[^/]+/documents/uploaded$", "positive_data_acceptance", ["422"],
        "an upload ticket is valid only if this API signed it",
    ),
    _allow(
        "^POST /api/v1/quotes$", "positive_data_acceptance", ["422"],
        "categories, carriers and currencies come from the loaded rate card (GET /rates)",
    ),
    _allow(
        "^GET /api/v1/(coverages|claims|inquiries|payouts|recovery-tasks"
        "|webhook-endpoints/[^/]+/deliveries)$",
        "positive_data_acceptance", ["422"],
        "a cursor is opaque: only a next_cursor this API returned is one",
    ),
    _allow(
        "^POST /api/v1/claims(/[^/]+/(approve|insurer-settlement|carrier-recovery))?$",
        "positive_data_acceptance", ["422"],
        "an amount must fit its currency's minor units, a size limit and the ISO 4217 list",
    ),
    _allow(
        "^POST /api/v1/webhook-endpoints$", "positive_data_acceptance", ["422"],
        "a URL must have an http(s) scheme and a host, stricter than a JSON string can say",
    ),
    _allow(
        "^(POST /api/v1/underwriters|PATCH /api/v1/underwriters/[^/]+)$",
        "positive_data_acceptance", ["422"],
        "country, jurisdiction and currency codes are checked against the ISO 3166 and 4217 lists",
    ),
    _allow(
        "^PUT /api/v1/exchange-rates$", "positive_data_acceptance", ["422"],
        "a rate must be above zero, which a decimal string's pattern cannot say",
    ),
    _allow(
        "^PATCH /api/v1/coverages/[^/]+$", "positive_data_acceptance", ["422"],
        "last_mile_carrier comes with last_mile_tracking_number (OpenAPI 3.0 has no "
        "dependentRequired), and a carrier must be the one quoted",
    ),
    _allow(
        "^POST /api/v1/tracking/events$", "negative_data_rejection", ["202"],
        "a batch is accepted event by event: an invalid event is listed under 'rejected'",
    ),
]  # fmt: skip


#: The coverage phase (boundary values, every method on every path) is role-blind past the
#: role check, so it runs for the roles with distinct operations; handler and supervisor call
#: a subset of the admin's and get the examples, fuzzing and stateful phases.
COVERAGE_ROLES = {Role.SELLER, Role.WAREHOUSE, Role.TRACKING, Role.ADMIN}


def config(key: str, role: Role) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            # The document's own security scheme, so schemathesis knows this auth is valid.
            "auth": {"openapi": {"bearerAuth": {"bearer": key}}},
            "phases": {"coverage": {"enabled": role in COVERAGE_ROLES}},
            # The API refuses NUL in any text with 400 by design (PostgreSQL cannot store it).
            "generation": {"allow-x00": False},
            "operations": ALLOWANCES,
        }
    )


def load_schema(app, role: Role) -> tuple[Any, dict[str, str]]:
    """The app's document, loaded with a fresh key of ``role`` as its auth, and that auth."""
    add_underwriter(app)
    key = issue_key(app, role, SELLER_ID if role is Role.SELLER else None)
    headers = {"Authorization": f"Bearer {key}"}
    return schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app, config=config(key, role)
    ), headers


def _schema_as(role: Role) -> Any:
    """A fixture: the app's document as ``role`` sees it."""

    @pytest.fixture
    def fixture(app):
        return load_schema(app, role)[0]

    return fixture


STATELESS = settings(
    max_examples=STATELESS_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
STATEFUL = settings(
    max_examples=25,
    stateful_step_count=10,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def stays_on_this_machine(monkeypatch):
    """Proof that fuzzing sends nothing off this machine: every name lookup and connection the
    app's Python code makes is recorded, and any to a host that is not loopback fails the test
    (webhook registration only stores the URL; on a branch with the address check, a resolver
    stand-in answers for the app)."""
    elsewhere: list[str] = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def local(host: object) -> bool:
        try:
            return ipaddress.ip_address(str(host)).is_loopback
        except ValueError:
            return str(host) == "localhost"

    def getaddrinfo(host, *args, **kwargs):
        if not local(host):
            elsewhere.append(f"lookup {host}")
            raise socket.gaierror(socket.EAI_NONAME, "the fuzz tests may not leave this machine")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if isinstance(address, tuple) and not local(address[0]):
            elsewhere.append(f"connect {address}")
            raise OSError("the fuzz tests may not leave this machine")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield
    assert not elsewhere, elsewhere


def _every_operation_as(role: Role) -> Any:
    @schemathesis.pytest.from_fixture(f"{role.value}_schema").parametrize()
    @STATELESS
    def test(case):
        case.call_and_validate()

    test.__doc__ = f"Every operation, called as a {role.value}, passes every check."
    return test


def steer_into_the_domain(api_schema: Any, role: Role) -> None:
    """Start the chains inside the domain, so the links lead somewhere: a positive quote asks
    for packages the rate card covers (a random category is refused, and no coverage would
    ever be bound), a positive claim for an amount within the cover. Pure functions of the
    generated case (hypothesis replays them); negative cases are left as generated."""

    @api_schema.hook
    def map_case(context, case):
        body = case.body
        positive = case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE
        if not positive or not isinstance(body, dict):
            return case
        label = f"{case.operation.method.upper()} {case.operation.path}"
        if label == "POST /api/v1/quotes":
            case.body = {"packages": [package(reference="FUZZ-1")]}
            if role is not Role.SELLER:
                case.body["seller_id"] = SELLER_ID
        elif label == "POST /api/v1/claims":
            case.body = {**body, "amount_claimed": {"amount": "40.00", "currency": "USD"}}
            case.body.pop("invoice_amount", None)
        return case


def _linked_sequences_as(role: Role) -> Any:
    def test(app):
        api_schema = load_schema(app, role)[0]
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
