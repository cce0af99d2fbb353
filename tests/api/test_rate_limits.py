"""Rate limits: certificate checks per address, console logins per address and per account, and
every API key over all endpoints answer 429 problem+json with Retry-After once spent.

Counters are in memory here (the default), one set per app; the Redis-shared count is proven in
tests/integration/test_rate_limits_redis.py.
"""

from __future__ import annotations

import pytest
from flask import Flask

from config.settings import Settings
from forwarder_insure import create_app
from forwarder_insure.domain.access import Role
from tests.console.conftest import add_staff, log_in
from tests.fixtures.app import build_app, issue_key

CERTIFICATE = "/api/v1/certificates/HMC-0000-0000-0000"


@pytest.fixture
def limited_app(settings, clock, database):
    """The app with small limits, so a test can spend them."""

    def make(**limits: object) -> Flask:
        return build_app(settings.with_overrides(**limits), clock, database)

    return make


def from_address(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def assert_rate_limited(response) -> int:
    """A 429 problem with code rate_limited and a Retry-After of whole seconds; returns them."""
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "rate_limited"
    assert body["status"] == 429
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 61
    return seconds


def test_the_defaults_count_in_memory_and_are_generous_for_api_keys():
    defaults = Settings.from_env({"FI_ENV": "testing"})
    assert defaults.rate_limit_storage_url == "memory://"
    assert defaults.rate_limit_api_key == "6000/minute"
    assert defaults.rate_limit_certificates == "60/minute"


def test_the_limits_are_settings(tmp_path):
    env = {
        "FI_ENV": "testing",
        "FI_RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
        "FI_RATE_LIMIT_CERTIFICATES": "5/second",
        "FI_RATE_LIMIT_LOGIN_PER_ADDRESS": "3/minute",
        "FI_RATE_LIMIT_LOGIN_PER_ACCOUNT": "2/minute",
        "FI_RATE_LIMIT_API_KEY": "100/second",
        "FI_RATE_LIMIT_KEY_PREFIX": "staging",
        "FI_RATE_LIMIT_PROXY_HOPS": "1",
    }
    settings = Settings.from_env(env, instance_path=tmp_path)
    assert settings.rate_limit_storage_url == "redis://127.0.0.1:6379/0"
    assert settings.rate_limit_certificates == "5/second"
    assert settings.rate_limit_login_per_address == "3/minute"
    assert settings.rate_limit_login_per_account == "2/minute"
    assert settings.rate_limit_api_key == "100/second"
    assert settings.rate_limit_key_prefix == "staging"
    assert settings.rate_limit_proxy_hops == 1


def test_an_unreadable_limit_stops_the_start(settings, clock, database):
    with pytest.raises(ValueError, match="FI_RATE_LIMIT_CERTIFICATES"):
        create_app(
            settings.with_overrides(rate_limit_certificates="lots"), clock=clock, database=database
        )


def test_a_burst_of_certificate_checks_is_refused_with_retry_after(limited_app):
    client = limited_app(rate_limit_certificates="3/minute").test_client()
    for _ in range(3):
        assert client.get(CERTIFICATE).status_code == 404  # under the limit: answered
    assert_rate_limited(client.get(CERTIFICATE))
    # Another address still has its own allowance.
    assert client.get(CERTIFICATE, **from_address("192.0.2.7")).status_code == 404


def test_behind_a_proxy_each_forwarded_client_counts_apart(limited_app):
    client = limited_app(rate_limit_certificates="2/minute", rate_limit_proxy_hops=1).test_client()

    def via_proxy(client_address: str):
        return client.get(CERTIFICATE, headers={"X-Forwarded-For": f"{client_address}"})

    assert [via_proxy("198.51.100.1").status_code for _ in range(2)] == [404, 404]
    assert_rate_limited(via_proxy("198.51.100.1"))
    assert via_proxy("198.51.100.2").status_code == 404
    # A client cannot escape by writing its own X-Forwarded-For: the proxy appends the peer it
    # saw, and only that last entry counts.
    assert_rate_limited(via_proxy("203.0.113.9, 198.51.100.1"))


def test_login_spraying_across_accounts_from_one_address_is_refused(limited_app):
    app = limited_app(
        rate_limit_login_per_address="3/minute", rate_limit_login_per_account="100/minute"
    )
    client = app.test_client()
    for n in range(3):
        assert log_in(client, f"user{n}@example.com", "Winter2026!").status_code == 401
    refused = log_in(client, "user3@example.com", "Winter2026!")
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"  # the console's own login page
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many requests" in refused.get_data(as_text=True)
    assert refused.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # The form itself still opens (only attempts are counted).
    assert client.get("/ops/login").status_code == 200


def test_one_account_tried_from_many_addresses_is_refused(limited_app):
    app = limited_app(
        rate_limit_login_per_address="100/minute", rate_limit_login_per_account="3/minute"
    )
    add_staff(app, "handler@example.com", Role.HANDLER)
    for n in range(3):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        assert log_in(client, "handler@example.com", "guess-number-one").status_code == 401
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.200"
    # Spelled differently, still the same account.
    assert log_in(client, " Handler@Example.com", "guess-number-one").status_code == 429
    # Other accounts from that address are not held up.
    assert log_in(client, "someone-else@example.com", "guess").status_code == 401


def test_every_api_key_has_one_allowance_over_all_endpoints(limited_app):
    app = limited_app(rate_limit_api_key="4/minute")
    seller = {"Authorization": f"Bearer {issue_key(app, Role.SELLER, 'S-1001')}"}
    client = app.test_client()
    assert client.get("/api/v1/me", headers=seller).status_code == 200
    assert client.get("/api/v1/rates", headers=seller).status_code == 200
    assert client.get("/api/v1/me", headers=seller).status_code == 200
    assert client.get("/api/v1/rates", headers=seller).status_code == 200
    assert_rate_limited(client.get("/api/v1/me", headers=seller))

    other = {"Authorization": f"Bearer {issue_key(app, Role.SELLER, 'S-1002')}"}
    assert client.get("/api/v1/me", headers=other).status_code == 200
    for _ in range(10):  # probes are never limited, whatever they carry
        assert client.get("/healthz", headers=seller).status_code == 200


def test_the_certificate_limit_is_in_the_openapi_document(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    responses = document["paths"]["/api/v1/certificates/{certificate_number}"]["get"]["responses"]
    assert "429" in responses
