"""Webhook subscriptions and delivery of the outbox to subscribers.

Delivery is at least once: an event is fanned out into one delivery row per subscribed endpoint,
then each delivery is POSTed until the endpoint answers 2xx. A delivery is claimed in one short
transaction and its outcome recorded in another, so no transaction stays open across an HTTP
call. Endpoints are served in parallel and an endpoint that fails is left alone for the rest of
the run, so a dead subscriber never holds up the others. Receivers drop duplicates by the event
``id``. Every POST goes only to an address vetted just before (:func:`pinned_transport`), never
follows a redirect, and records no network detail a reader of the history could map ports with.
"""

from __future__ import annotations

import http.client
import json
import logging
import secrets
import socket
import ssl
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from forwarder_insure.db.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from forwarder_insure.db.session import Database
from forwarder_insure.domain.clock import Clock, format_instant
from forwarder_insure.domain.errors import Invalid, NotFound
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.webhooks import (
    DeliveryStatus,
    next_attempt,
    signature_header,
    subscribed,
)
from forwarder_insure.services import webhook_addresses
from forwarder_insure.services.pagination import Page, page
from forwarder_insure.services.upsert import dialect_insert
from forwarder_insure.services.webhook_addresses import VettedTarget, WebhookAddresses

log = logging.getLogger(__name__)

#: How long a claimed delivery is reserved for the worker that claimed it.
CLAIM = timedelta(minutes=2)
TIMEOUT_SECONDS = 5
FAN_OUT_BATCH = 1000
DELIVERY_BATCH = 200
PARALLEL_ENDPOINTS = 8
USER_AGENT = "forwarder-insure-webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


#: Sends one POST: (url, body, headers) -> answer. The real one is :func:`pinned_transport`; any
#: stand-in must behave like an HTTP client (tests use a real server on loopback).
Transport = Callable[[str, bytes, dict[str, str]], Answer]

#: What a delivery records when no HTTP answer came. Deliberately one word each: the delivery
#: history is read through the API, and "refused" vs "timed out" would map ports for whoever
#: reads it. The server log has the detail.
DELIVERY_FAILED = "delivery_failed"
#: The URL is refused now (its host resolves to an internal address, or plain http in production).
URL_NOT_ALLOWED = "url_not_allowed"

#: Opens a TCP connection: ((address, port), timeout) -> socket. Tests may fake it (the network).
Connect = Callable[[tuple[str, int], float], socket.socket]

_TLS = ssl.create_default_context()


def pinned_transport(
    addresses: WebhookAddresses,
    connect: Connect = socket.create_connection,
    tls: ssl.SSLContext = _TLS,
) -> Transport:
    """POST to a vetted address of the URL's host, never anywhere else.

    Each attempt resolves the host once and checks every address (``addresses.vet``), then
    connects to a checked address itself, sending the original Host header; https verifies the
    certificate against the host name (SNI). ``http.client`` follows no redirect: a 3xx is a
    failed attempt like any other non-2xx answer. ``tls`` is the system's trust store unless a
    test hands in its own certificate authority.
    """

    def send(url: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            vetted = addresses.vet(url)
        except Invalid as exc:
            log.warning("webhook to %s not sent: %s", url, exc.detail)
            return Answer(None, URL_NOT_ALLOWED)
        try:
            return _post(vetted, body, headers, connect, tls)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            log.warning("webhook to %s failed: %r", url, exc)
            return Answer(None, DELIVERY_FAILED)

    return send


def _post(
    vetted: VettedTarget,
    body: bytes,
    headers: dict[str, str],
    connect: Connect,
    tls: ssl.SSLContext,
) -> Answer:
    target = vetted.target
    sock = _connect_any(vetted, connect)
    try:
        if target.scheme == "https":
            sock = tls.wrap_socket(sock, server_hostname=target.host)
        connection = http.client.HTTPConnection(target.host, target.port, timeout=TIMEOUT_SECONDS)
        connection.sock = sock  # already connected to the vetted address: never resolves again
        connection.request(
            "POST", target.path, body=body, headers={**headers, "Host": target.host_header}
        )
        status = connection.getresponse().status  # the body is not read: only the status counts
        connection.close()
    finally:
        sock.close()
    return Answer(status, None if 200 <= status < 300 else f"HTTP {status}")


def _connect_any(vetted: VettedTarget, connect: Connect) -> socket.socket:
    """A connection to the first vetted address that answers."""
    error: OSError | None = None
    for address in vetted.addresses[:4]:
        try:
            return connect((str(address), vetted.target.port), TIMEOUT_SECONDS)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


def create_endpoint(
    session: Session,
    url: str,
    events: list[str],
    description: str | None,
    now: datetime,
    addresses: WebhookAddresses = webhook_addresses.STRICT,
) -> WebhookEndpoint:
    """Subscribe ``url``; refused (``url_not_allowed``) unless its host resolves to addresses
    webhooks may go to (checked again at every delivery)."""
    addresses.vet(url)
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        url=url,
        events=events,
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        description=description,
        created_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", code="webhook_endpoint_not_found")
    return endpoint


def disable_endpoint(session: Session, endpoint_id: str, now: datetime) -> WebhookEndpoint:
    endpoint = get_endpoint(session, endpoint_id)
    if endpoint.disabled_at is None:
        endpoint.disabled_at = now
    return endpoint


def deliveries_query(endpoint_id: str) -> Select:
    return (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
    )


def deliveries_page(session: Session, endpoint_id: str, after: str | None, limit: int) -> Page:
    """A cursor page of the endpoint's deliveries, newest first (404 for an unknown endpoint);
    a cursor that is not a delivery id starts at the first page."""
    get_endpoint(session, endpoint_id)
    last = int(after) if after and after.isdigit() else None
    return page(session, deliveries_query(endpoint_id), WebhookDelivery.id, last, limit)


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Every subscription, oldest first."""
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def fan_out(session: Session, now: datetime, limit: int = FAN_OUT_BATCH) -> int:
    """Queue one delivery per subscribed endpoint for events not yet fanned out."""
    events = list(
        session.execute(
            select(OutboxEvent)
            .where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.created_at, OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not events:
        return 0
    endpoints = list(
        session.execute(
            select(WebhookEndpoint).where(WebhookEndpoint.disabled_at.is_(None))
        ).scalars()
    )
    rows = [
        {
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event in events
        for endpoint in endpoints
        if event.created_at >= endpoint.created_at and subscribed(endpoint.events, event.type)
    ]
    if rows:
        session.execute(
            dialect_insert(session, WebhookDelivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
        )
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_([e.id for e in events]))
        .values(dispatched_at=now)
        .execution_options(synchronize_session=False)
    )
    return len(rows)


@dataclass
class DeliverySummary:
    queued: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_webhooks(
    database: Database, clock: Clock, transport: Transport | None = None
) -> DeliverySummary:
    """Fan out new events, then attempt every due delivery once.

    By default each POST goes through :func:`pinned_transport` with the address vetting bound
    to ``database`` by the app (strict when none was bound).
    """
    if transport is None:
        transport = pinned_transport(webhook_addresses.for_database(database))
    summary = DeliverySummary()
    with database.unit_of_work() as session:
        summary.queued = fan_out(session, clock.now())
    claimed = _claim_due(database, clock.now())
    by_endpoint: dict[str, list[_Claimed]] = defaultdict(list)
    for item in claimed:
        by_endpoint[item.endpoint_id].append(item)
    with ThreadPoolExecutor(max_workers=PARALLEL_ENDPOINTS) as pool:
        outcomes = list(
            pool.map(lambda items: _send_in_order(items, clock, transport), by_endpoint.values())
        )
    results = [result for endpoint_results in outcomes for result in endpoint_results]
    with database.unit_of_work() as session:
        for item, answer, at in results:
            state = _record(session, item, answer, at)
            setattr(summary, state, getattr(summary, state) + 1)
    return summary


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    endpoint_id: str
    url: str
    secret: str
    attempts: int
    body: bytes


def _claim_due(database: Database, now: datetime) -> list[_Claimed]:
    """Reserve due deliveries (pushing their next attempt past the claim) in a short transaction."""
    with database.unit_of_work() as session:
        rows = session.execute(
            select(WebhookDelivery, WebhookEndpoint, OutboxEvent)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.disabled_at.is_(None),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(DELIVERY_BATCH)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        ).all()
        claimed = []
        for delivery, endpoint, event in rows:
            delivery.next_attempt_at = now + CLAIM
            claimed.append(
                _Claimed(
                    delivery_id=delivery.id,
                    endpoint_id=endpoint.id,
                    url=endpoint.url,
                    secret=endpoint.secret,
                    attempts=delivery.attempts,
                    body=envelope(event),
                )
            )
        return claimed


def envelope(event: OutboxEvent) -> bytes:
    """What a subscriber receives: ``{"id", "type", "created_at", "data"}``."""
    return json.dumps(
        {
            "id": event.id,
            "type": event.type,
            "created_at": format_instant(event.created_at),
            "data": event.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def _send_in_order(
    items: list[_Claimed], clock: Clock, transport: Transport
) -> list[tuple[_Claimed, Answer, datetime]]:
    """Send one endpoint's deliveries in order; after a failure, leave the rest for later."""
    results = []
    for item in items:
        at = clock.now()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "FI-Signature": signature_header(item.secret, item.body, at),
        }
        answer = transport(item.url, item.body, headers)
        results.append((item, answer, at))
        if not answer.ok:
            break
    return results


def _record(session: Session, item: _Claimed, answer: Answer, at: datetime) -> str:
    delivery = session.get_one(WebhookDelivery, item.delivery_id)
    delivery.attempts = item.attempts + 1
    delivery.last_attempt_at = at
    delivery.last_status_code = answer.status
    delivery.last_error = answer.error
    if answer.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = at
        return DeliveryStatus.DELIVERED
    retry_at = next_attempt(delivery.attempts, at)
    if retry_at is None:
        delivery.status = DeliveryStatus.FAILED
        return DeliveryStatus.FAILED
    delivery.next_attempt_at = retry_at
    return "retrying"
