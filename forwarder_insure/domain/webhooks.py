"""Webhook rules: who gets which event, how a delivery is signed, when a failure is retried.

Signature (API.md): ``FI-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
The timestamp is signed with the body so a receiver can refuse replays of old deliveries.
Retries back off exponentially from one minute to a day; after :data:`MAX_ATTEMPTS` the delivery
is marked failed (still visible, and it can be retried by hand).

Where a webhook may go (:func:`parse_webhook_url`, :func:`address_refusal`): http(s) only, no
user information, and never to a loopback, private, link-local, multicast, reserved or
cloud-metadata address, however it is spelt.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from forwarder_insure.domain.errors import Invalid


class DeliveryStatus(StrEnum):
    """One event to one endpoint: pending until a 2xx answer, or failed after the last retry."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=24)


def subscribed(patterns: Iterable[str], event_type: str) -> bool:
    """Whether an endpoint with these patterns (``claim.*``, ``inquiry.opened``, ``*``) wants it."""
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


def signature_header(secret: str, body: bytes, at: datetime) -> str:
    timestamp = int(at.timestamp())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, body: bytes, header: str, now: datetime, tolerance: timedelta
) -> bool:
    """What a receiver does (and what our tests do): check the MAC and the timestamp's age."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    fresh = abs(now.timestamp() - timestamp) <= tolerance.total_seconds()
    return fresh and hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


def next_attempt(attempts_made: int, now: datetime) -> datetime | None:
    """When to retry after ``attempts_made`` failed attempts; None when it is time to give up."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = min(FIRST_RETRY * (2 ** (attempts_made - 1)), LONGEST_RETRY)
    return now + delay


# --- where a webhook may be sent ------------------------------------------------------------------
#
# A subscriber's URL is chosen by an admin, so without a rule the service would POST (signed) to
# whatever it names: the cloud metadata service, a database on 10/8, an admin port on loopback.
# The rule below says which addresses are refused; resolving a name is I/O and lives in
# services/webhook_addresses.py, which checks every address a host resolves to and then connects
# to the checked address itself.

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Refused on top of what ``ipaddress`` calls private, loopback, link-local, multicast, reserved
#: or unspecified (explicit, so a change of those flags between Python versions opens nothing).
REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT; Alibaba's metadata service is 100.100.100.200
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local: AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments; Oracle Cloud metadata is 192.0.0.192
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",
        "240.0.0.0/4",
        "168.63.129.16/32",  # Azure's platform endpoint (wireserver), a public address
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible (deprecated)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, Teredo
        "fc00::/7",  # unique local; AWS IPv6 metadata is fd00:ec2::254
        "fe80::/10",
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",
    )
)

#: Documentation ranges (RFC 5737, RFC 3849) are let through although ``ipaddress`` calls them
#: private: they are assigned to no host, so they reach nothing internal, and examples and tests
#: use them to stand for a public server.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)

#: IPv6 prefixes that carry an IPv4 address in their low 32 bits (NAT64, RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_NUMERIC_PART = re.compile(r"0x[0-9a-f]*|[0-9]+", re.IGNORECASE)


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook URL taken apart: where to connect and what to ask for."""

    scheme: str
    host: str
    port: int
    #: Path and query, as sent on the request line.
    path: str
    #: The Host header (the host as written, with the port when it is not the default).
    host_header: str
    #: The host when it is written as an address (in any spelling a resolver accepts).
    literal: IPAddress | None


def parse_webhook_url(url: str, *, require_https: bool) -> WebhookTarget:
    """Take a subscriber URL apart, refusing what may never be a webhook target.

    Refused (``url_not_allowed``): schemes other than http(s), plain http when ``require_https``
    (production: the body carries claim data, and a signature protects it from change, not from
    being read), user information (``user:pass@``, also a way to disguise the host). A URL that
    cannot be parsed is ``invalid_url``.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise Invalid("the webhook URL cannot be parsed", code="invalid_url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Invalid("a webhook URL is http:// or https://", code="url_not_allowed")
    if require_https and scheme != "https":
        raise Invalid("a webhook URL must be https:// in production", code="url_not_allowed")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Invalid("a webhook URL may not carry user information", code="url_not_allowed")
    if not host or any(ch.isspace() or ch in "\\%" for ch in host):
        raise Invalid("the webhook URL has no valid host", code="invalid_url")
    if port == 0:
        raise Invalid("the webhook URL has no valid port", code="invalid_url")
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    literal = ip_literal(host)
    written = f"[{literal}]" if isinstance(literal, ipaddress.IPv6Address) else host
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return WebhookTarget(
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        host_header=written if port == default_port else f"{written}:{port}",
        literal=literal,
    )


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names by itself, or None for a name that needs resolving.

    Besides the usual forms this reads what ``inet_aton`` reads, because resolvers do:
    ``2130706433``, ``0x7f.1``, ``127.1`` and ``0177.0.0.1`` all mean 127.0.0.1.
    """
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise Invalid("the webhook URL has no valid host", code="invalid_url") from None
    parts = host.removesuffix(".").split(".")
    if not all(_NUMERIC_PART.fullmatch(p) for p in parts):
        return None
    if len(parts) > 4:
        raise Invalid("the webhook URL has no valid host", code="invalid_url")
    try:
        values = [_inet_aton_number(p) for p in parts]
    except ValueError:
        raise Invalid("the webhook URL has no valid host", code="invalid_url") from None
    *leading, last = values
    if any(v > 0xFF for v in leading) or last >= 1 << (8 * (4 - len(leading))):
        raise Invalid("the webhook URL has no valid host", code="invalid_url")
    number = last
    for index, value in enumerate(leading):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def _inet_aton_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part, 10)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: mapped (``::ffff:a.b.c.d``), 6to4, NAT64."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why a webhook may not be sent to ``address`` (a short reason), or None when it may.

    An IPv6 address carrying an IPv4 one is judged by the IPv4 address it reaches.
    """
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_refusal(inner)
    if any(address in net for net in DOCUMENTATION_NETWORKS):
        return None
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link_local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "private"
    if any(address in net for net in REFUSED_NETWORKS if net.version == address.version):
        return "reserved"
    return None
