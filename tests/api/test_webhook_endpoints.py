"""Registering a webhook: URLs that reach inside the network are refused (422 url_not_allowed).

Hosts resolve through the test resolver's fixed table (tests/fixtures/app.py), so nothing here
queries DNS or sends a request.
"""

from __future__ import annotations

import pytest

from forwarder_insure.domain.access import Role


def register(as_role, url: str):
    return as_role(Role.ADMIN).post("/api/v1/webhook-endpoints", json={"url": url, "events": ["*"]})


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hooks",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://127.0.0.1:5432/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:7f00:1::]/",
        "http://[fd00::1]/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://[::]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://0.0.0.0:8080/",
        "http://0/",
        "http://100.64.0.1/",
        "http://100.100.100.200/latest/meta-data/",
        "http://192.0.0.192/",
        "http://198.18.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://168.63.129.16/",
        "http://internal.example.test/hooks",
        "http://metadata.example.test/",
        "http://mapped.example.test/",
        "https://multi.example.test/",  # one public and one private answer: refused
    ],
)
def test_urls_reaching_internal_addresses_are_refused(as_role, url):
    response = register(as_role, url)
    assert response.status_code == 422, url
    assert response.get_json()["code"] == "url_not_allowed", url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.test/",
        "file:///etc/passwd",
        "gopher://hooks.example.test/",
        "http://user:pass@hooks.example.test/",
        "http://hooks.example.test@127.0.0.1/",
        "http://127.0.0.1#@hooks.example.test/",
    ],
)
def test_other_schemes_and_user_information_are_refused(as_role, url):
    response = register(as_role, url)
    assert response.status_code == 422, url
    assert response.get_json()["code"] in {"url_not_allowed", "invalid_url"}, url
    assert not as_role(Role.ADMIN).get("/api/v1/webhook-endpoints").get_json()["items"]


def test_an_unknown_host_is_refused_without_asking_real_dns(as_role, resolver):
    response = register(as_role, "https://no-such-host.invalid/hooks")
    assert response.status_code == 422
    assert response.get_json()["code"] == "url_not_allowed"
    assert resolver.asked == []  # the table has no such name: nothing resolved


@pytest.mark.parametrize("url", ["http://[::1", "http://hooks.example.test:99999/", "http://:80/"])
def test_a_malformed_url_is_a_422_not_a_500(as_role, url):
    response = register(as_role, url)
    assert response.status_code == 422, url


def test_a_host_resolving_to_public_addresses_is_accepted(as_role):
    response = register(as_role, "https://hooks.example.test/forwarder")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["url"] == "https://hooks.example.test/forwarder"
    assert register(as_role, "http://203.0.113.20:8080/x").status_code == 201


def test_allow_private_lets_loopback_through_for_development(app, settings, clock, database):
    from tests.fixtures.app import KeyedClient, build_app, issue_key

    allowed = build_app(settings.with_overrides(webhook_allow_private=True), clock, database)
    admin = KeyedClient(allowed.test_client(), issue_key(allowed, Role.ADMIN), Role.ADMIN, None)
    response = admin.post(
        "/api/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/x", "events": ["*"]}
    )
    assert response.status_code == 201, response.get_json()


def test_plain_http_is_refused_in_production(settings, clock, database):
    from tests.fixtures.app import KeyedClient, build_app, issue_key

    production = build_app(settings.with_overrides(env="production"), clock, database)
    admin = KeyedClient(
        production.test_client(), issue_key(production, Role.ADMIN), Role.ADMIN, None
    )
    plain = admin.post(
        "/api/v1/webhook-endpoints", json={"url": "http://hooks.example.test/", "events": ["*"]}
    )
    assert plain.status_code == 422
    assert plain.get_json()["code"] == "url_not_allowed"
    secure = admin.post(
        "/api/v1/webhook-endpoints", json={"url": "https://hooks.example.test/", "events": ["*"]}
    )
    assert secure.status_code == 201
