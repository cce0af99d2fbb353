"""Resolving a webhook's host and vetting every address it resolves to.

The rule (which addresses are refused) is pure and lives in ``domain/webhooks.py``; this module
does the I/O around it. A host is resolved once per check, every address is checked, and the
checked addresses are handed back so the sender connects to one of them itself: a DNS answer that
changes between the check and the connection (rebinding) is never looked up a second time.

The resolver is injectable (``create_app(resolver=...)``) so tests answer from a fixed table and
never query real DNS. ``FI_WEBHOOK_ALLOW_PRIVATE`` lifts the address rule for development and
tests; production refuses to start with it, and requires https.

Delivery jobs are called with the database only, so :func:`bind` ties an app's vetting to its
:class:`Database`, and :func:`for_database` finds it again (the strict default when nothing was
bound).
"""

from __future__ import annotations

import ipaddress
import socket
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from forwarder_insure.db.session import Database
from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.webhooks import (
    IPAddress,
    WebhookTarget,
    address_refusal,
    parse_webhook_url,
)


class HostNotFound(Exception):
    """The host has no address (or the resolver could not say)."""


#: Resolves a host name to its addresses (``(host, port) -> addresses``) or raises HostNotFound.
Resolver = Callable[[str, int], Sequence[IPAddress]]


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for ``host`` (TCP only)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError) as exc:
        raise HostNotFound(host) from exc
    addresses: list[IPAddress] = []
    for family, *_rest, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostNotFound(host)
    return addresses


@dataclass(frozen=True)
class VettedTarget:
    """A webhook URL and the addresses it may be delivered to (all checked)."""

    target: WebhookTarget
    addresses: tuple[IPAddress, ...]


def _not_allowed(detail: str) -> Invalid:
    return Invalid(detail, code="url_not_allowed")


@dataclass(frozen=True)
class WebhookAddresses:
    """How one app vets webhook URLs: its resolver and its settings."""

    resolver: Resolver = field(default=system_resolver)
    #: FI_WEBHOOK_ALLOW_PRIVATE: loopback and private receivers allowed (development, tests).
    allow_private: bool = False
    #: Production: plain http is refused.
    require_https: bool = False

    def vet(self, url: str) -> VettedTarget:
        """Parse ``url``, resolve its host and check every address; raises Invalid when any
        address is refused (``url_not_allowed``) or the host does not resolve."""
        target = parse_webhook_url(url, require_https=self.require_https)
        if target.literal is not None:
            addresses: Sequence[IPAddress] = [target.literal]
        else:
            try:
                addresses = list(self.resolver(target.host, target.port))
            except HostNotFound:
                raise _not_allowed("the webhook URL's host does not resolve") from None
            if not addresses:
                raise _not_allowed("the webhook URL's host does not resolve")
        if not self.allow_private:
            for address in addresses:
                reason = address_refusal(address)
                if reason is not None:
                    raise _not_allowed(
                        f"the webhook URL's host resolves to a {reason.replace('_', '-')} "
                        "address; webhooks go to public addresses only"
                    )
        return VettedTarget(target, tuple(addresses))


STRICT = WebhookAddresses()

_BOUND: weakref.WeakKeyDictionary[Database, WebhookAddresses] = weakref.WeakKeyDictionary()


def bind(database: Database, addresses: WebhookAddresses) -> None:
    """Deliveries run against ``database`` vet with ``addresses`` (the app factory calls this)."""
    _BOUND[database] = addresses


def for_database(database: Database) -> WebhookAddresses:
    """The vetting bound to ``database``; strict, with the system resolver, if none was."""
    return _BOUND.get(database, STRICT)
