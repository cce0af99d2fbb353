"""Where a webhook may go: the address rule, URL parsing, vetting and the pinned connection.

Nothing here touches the network: hosts resolve from small tables, and the one test of the
connection step fakes the socket connect to see which address it is asked for.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from config.settings import Settings, SettingsError
from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.webhooks import address_refusal, ip_literal, parse_webhook_url
from forwarder_insure.services.webhook_addresses import HostNotFound, WebhookAddresses
from forwarder_insure.services.webhooks import URL_NOT_ALLOWED, pinned_transport


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.255",
        "192.0.0.192",
        "198.18.0.1",
        "198.19.255.255",
        "0.0.0.0",  # noqa: S104
        "0.1.2.3",
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "168.63.129.16",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::127.0.0.1",
        "64:ff9b::a00:1",
        "64:ff9b:1::1",
        "2002:7f00:1::",
        "2002:a9fe:a9fe::1",
        "2001::1",
        "fc00::1",
        "fd00::1",
        "fd00:ec2::254",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "100::1",
    ],
)
def test_internal_addresses_are_refused(address):
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "203.0.113.10", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::"],
)
def test_public_addresses_are_allowed(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),  # noqa: S104
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
    ],
)
def test_every_spelling_of_an_address_is_read_as_that_address(host, address):
    assert ip_literal(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "hooks.example.test", "1e3.example", "x0.1"])
def test_names_are_left_to_the_resolver(host):
    assert ip_literal(host) is None


@pytest.mark.parametrize("host", ["256.0.0.1", "1.2.3.4.5", "0x100.1", "99999999999"])
def test_numbers_no_resolver_would_read_as_an_address_are_invalid(host):
    with pytest.raises(Invalid) as caught:
        ip_literal(host)
    assert caught.value.code == "invalid_url"


def test_the_host_header_keeps_the_name_and_a_non_default_port():
    target = parse_webhook_url("https://Hooks.Example.test:8443/a/b?c=1", require_https=True)
    assert (target.host, target.port, target.path) == ("hooks.example.test", 8443, "/a/b?c=1")
    assert target.host_header == "hooks.example.test:8443"
    assert parse_webhook_url("http://[::1]/", require_https=False).host_header == "[::1]"


def table(answers: dict[str, list[str]]):
    def resolve(host: str, port: int):
        if host not in answers:
            raise HostNotFound(host)
        return [ipaddress.ip_address(a) for a in answers[host]]

    return resolve


def test_every_resolved_address_is_checked():
    addresses = WebhookAddresses(table({"h.test": ["203.0.113.1", "192.168.1.1"]}))
    with pytest.raises(Invalid) as caught:
        addresses.vet("https://h.test/")
    assert caught.value.code == "url_not_allowed"


def test_allow_private_lifts_the_address_rule_only():
    addresses = WebhookAddresses(table({"h.test": ["10.0.0.1"]}), allow_private=True)
    assert addresses.vet("http://h.test/").addresses == (ipaddress.ip_address("10.0.0.1"),)
    with pytest.raises(Invalid):
        addresses.vet("ftp://h.test/")


class RecordingConnect:
    """Stands in for the network's connect: records where it was asked to go, connects nowhere."""

    def __init__(self):
        self.asked: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], timeout: float):
        self.asked.append(address)
        raise ConnectionRefusedError(111, "Connection refused")


def test_delivery_connects_to_the_address_it_checked_so_rebinding_cannot_redirect_it():
    answers = iter([["203.0.113.7"], ["127.0.0.1"], ["127.0.0.1"]])
    lookups = []

    def rebinding(host: str, port: int):
        lookups.append(host)
        return [ipaddress.ip_address(a) for a in next(answers)]

    connect = RecordingConnect()
    send = pinned_transport(WebhookAddresses(rebinding), connect)
    answer = send("http://rebind.test:8080/hooks", b"{}", {})
    assert connect.asked == [("203.0.113.7", 8080)]  # the checked address, resolved once
    assert lookups == ["rebind.test"]
    assert answer.status is None
    assert answer.error == "delivery_failed"
    # The next attempt resolves again, gets loopback, and connects nowhere.
    assert send("http://rebind.test:8080/hooks", b"{}", {}).error == URL_NOT_ALLOWED
    assert connect.asked == [("203.0.113.7", 8080)]


def test_allow_private_is_refused_in_production(tmp_path: Path):
    env = {
        "FI_ENV": "production",
        "FI_SECRET_KEY": "s" * 40,
        "FI_DATABASE_URL": "postgresql://db/x",
        "FI_PUBLIC_URL": "https://insure.example.com",
        "FI_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    with pytest.raises(SettingsError, match="FI_WEBHOOK_ALLOW_PRIVATE"):
        Settings.from_env(env, instance_path=tmp_path)


def test_allow_private_is_off_unless_set(tmp_path: Path):
    off = Settings.from_env({"FI_ENV": "testing"}, instance_path=tmp_path)
    assert not off.webhook_allow_private
    on = Settings.from_env(
        {"FI_ENV": "testing", "FI_WEBHOOK_ALLOW_PRIVATE": "1"}, instance_path=tmp_path
    )
    assert on.webhook_allow_private
