"""Webhook delivery to a real HTTP receiver on loopback: signed, retried, at least once.

The receivers listen on loopback, so these apps run with FI_WEBHOOK_ALLOW_PRIVATE (through
Settings); the tests at the end show what happens without it, and that redirects and network
errors give nothing away.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.domain.webhooks import verify_signature
from jobs.registry import run_job
from tests.fixtures.app import build_app
from tests.fixtures.insurance import bound


@pytest.fixture
def settings(settings):
    """Loopback receivers are allowed here (development and tests only)."""
    return settings.with_overrides(webhook_allow_private=True)


class Receiver:
    """A loopback HTTP server that records what it is sent and answers as it is told."""

    def __init__(self):
        self.received: list[dict] = []
        # An int status, "hang" to time out, or (3xx status, Location) to redirect.
        self.answers: list[int | str | tuple[int, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(
                    {
                        "method": self.command,
                        "body": body,
                        "signature": self.headers.get("FI-Signature"),
                        "path": self.path,
                        "host": self.headers.get("Host"),
                    }
                )
                answer = receiver.answers.pop(0) if receiver.answers else 200
                if answer == "hang":
                    time.sleep(6)
                    answer = 200
                if isinstance(answer, tuple):
                    answer, location = answer
                    self.send_response(answer)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(answer)
                self.end_headers()

            do_GET = do_POST
            do_PUT = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def second_receiver():
    r = Receiver()
    yield r
    r.close()


def subscribe(admin, url: str, events: list[str]) -> dict:
    response = admin.post("/api/v1/webhook-endpoints", json={"url": url, "events": events})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliver(app, clock) -> dict:
    return run_job(app.extensions["forwarder_insure"].database, "deliver-webhooks", clock.now())


def test_events_reach_subscribers_signed_with_their_secret(
    app, clock, as_role, underwriter, receiver
):
    endpoint = subscribe(as_role(Role.ADMIN), receiver.url, ["coverage.*"])
    assert endpoint["secret"].startswith("whsec_")
    coverage = bound(as_role(Role.SELLER), "WH-1")
    warehouse = as_role(Role.WAREHOUSE)
    warehouse.patch(f"/api/v1/coverages/{coverage['id']}", json={"tracking_number": "WH-1B"})
    assert deliver(app, clock)["delivered"] == 2
    bodies = [json.loads(r["body"]) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["coverage.bound", "coverage.tracking_attached"]
    assert bodies[0]["data"]["coverage_id"] == coverage["id"]
    assert bodies[0]["created_at"] == format_instant(clock.now())
    assert set(bodies[0]) == {"id", "type", "created_at", "data"}
    for request in receiver.received:
        assert verify_signature(
            endpoint["secret"],
            request["body"],
            request["signature"],
            clock.now(),
            timedelta(minutes=5),
        )
        assert not verify_signature(
            "whsec_wrong", request["body"], request["signature"], clock.now(), timedelta(minutes=5)
        )
    assert len({b["id"] for b in bodies}) == len(bodies)
    assert deliver(app, clock)["delivered"] == 0


def test_only_subscribed_event_types_are_sent(app, clock, as_role, underwriter, receiver):
    subscribe(as_role(Role.ADMIN), receiver.url, ["inquiry.opened"])
    bound(as_role(Role.SELLER), "WH-2")
    assert deliver(app, clock)["delivered"] == 0
    clock.advance(days=15)
    run_job(app.extensions["forwarder_insure"].database, "tracking-sweep", clock.now())
    assert deliver(app, clock)["delivered"] == 1
    assert json.loads(receiver.received[0]["body"])["type"] == "inquiry.opened"


def test_a_failing_receiver_gets_retries_with_backoff_and_nothing_is_lost(
    app, clock, as_role, underwriter, receiver
):
    admin = as_role(Role.ADMIN)
    endpoint = subscribe(admin, receiver.url, ["coverage.bound"])
    bound(as_role(Role.SELLER), "WH-3")
    receiver.answers = [500, 503]
    assert deliver(app, clock)["retrying"] == 1
    assert deliver(app, clock)["retrying"] == 0  # not due yet: backoff
    clock.advance(minutes=1)
    assert deliver(app, clock)["retrying"] == 1
    clock.advance(minutes=1)
    assert deliver(app, clock)["delivered"] == 0  # second retry waits 2 minutes
    clock.advance(minutes=1)
    assert deliver(app, clock)["delivered"] == 1
    history = admin.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries").get_json()[
        "items"
    ]
    assert history[0]["status"] == "delivered"
    assert history[0]["attempts"] == 3
    assert len(receiver.received) == 3
    assert len({json.loads(r["body"])["id"] for r in receiver.received}) == 1


def test_a_dead_endpoint_never_blocks_the_others(app, clock, as_role, underwriter, receiver):
    admin = as_role(Role.ADMIN)
    dead = subscribe(admin, "http://127.0.0.1:9/nobody-listens", ["coverage.bound"])
    subscribe(admin, receiver.url, ["coverage.bound"])
    seller = as_role(Role.SELLER)
    for n in range(3):
        bound(seller, f"WH-4{n}")
    summary = deliver(app, clock)
    assert summary["delivered"] == 3
    assert summary["retrying"] == 1  # the dead endpoint: one attempt, the rest wait
    history = admin.get(f"/api/v1/webhook-endpoints/{dead['id']}/deliveries").get_json()["items"]
    assert len(history) == 3
    attempted = [d for d in history if d["attempts"] == 1]
    assert len(attempted) == 1
    assert attempted[0]["last_status_code"] is None
    assert attempted[0]["last_error"] == "delivery_failed"


def test_a_receiver_that_times_out_is_retried(app, clock, as_role, underwriter, receiver):
    subscribe(as_role(Role.ADMIN), receiver.url, ["coverage.bound"])
    bound(as_role(Role.SELLER), "WH-5")
    receiver.answers = ["hang"]
    assert deliver(app, clock)["retrying"] == 1
    clock.advance(minutes=1)
    assert deliver(app, clock)["delivered"] == 1


def test_only_admins_manage_subscriptions_and_urls_are_checked(as_role):
    assert (
        as_role(Role.HANDLER)
        .post("/api/v1/webhook-endpoints", json={"url": "http://127.0.0.1/x", "events": ["*"]})
        .status_code
        == 403
    )
    admin = as_role(Role.ADMIN)
    for bad in (
        {"url": "ftp://x", "events": ["*"]},
        {"url": "http://x", "events": []},
        {"url": "http://x", "events": ["Claim!"]},
    ):
        assert admin.post("/api/v1/webhook-endpoints", json=bad).status_code == 422, bad


def history_of(admin, endpoint: dict) -> list[dict]:
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    return admin.get(url).get_json()["items"]


def test_a_loopback_receiver_stored_while_allowed_is_not_contacted_once_it_is_not(
    app, settings, clock, database, as_role, underwriter, receiver
):
    admin = as_role(Role.ADMIN)
    endpoint = subscribe(admin, receiver.url, ["coverage.bound"])
    bound(as_role(Role.SELLER), "WH-6")
    # The same database served by an app without FI_WEBHOOK_ALLOW_PRIVATE: delivery re-checks.
    strict = build_app(settings.with_overrides(webhook_allow_private=False), clock, database)
    summary = deliver(strict, clock)
    assert summary["delivered"] == 0
    assert summary["retrying"] == 1
    assert receiver.received == []
    [delivery] = history_of(admin, endpoint)
    assert delivery["last_status_code"] is None
    assert delivery["last_error"] == "url_not_allowed"


def test_a_name_that_rebinds_to_loopback_after_registration_is_not_contacted(
    app, settings, clock, database, as_role, underwriter, receiver
):
    strict = build_app(settings.with_overrides(webhook_allow_private=False), clock, database)
    admin = as_role(Role.ADMIN)
    port = receiver.server.server_address[1]
    response = strict.test_client().post(
        "/api/v1/webhook-endpoints",
        json={"url": f"http://rebind.example.test:{port}/hooks", "events": ["coverage.bound"]},
        headers={"Authorization": f"Bearer {admin.key}"},
    )
    assert response.status_code == 201, response.get_json()  # first answer: a public address
    bound(as_role(Role.SELLER), "WH-7")
    assert deliver(strict, clock)["retrying"] == 1  # now it answers 127.0.0.1
    assert receiver.received == []
    assert history_of(admin, response.get_json())[0]["last_error"] == "url_not_allowed"


def test_delivery_connects_to_the_resolved_address_with_the_original_host_header(
    app, clock, as_role, underwriter, receiver, resolver
):
    port = receiver.server.server_address[1]
    subscribe(as_role(Role.ADMIN), f"http://receiver.example.test:{port}/hooks", ["coverage.*"])
    bound(as_role(Role.SELLER), "WH-8")
    assert deliver(app, clock)["delivered"] == 1
    assert receiver.received[0]["host"] == f"receiver.example.test:{port}"
    assert receiver.received[0]["path"] == "/hooks"
    assert resolver.asked == ["receiver.example.test", "receiver.example.test"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_never_followed(
    app, clock, as_role, underwriter, receiver, second_receiver, status
):
    admin = as_role(Role.ADMIN)
    endpoint = subscribe(admin, receiver.url, ["coverage.bound"])
    bound(as_role(Role.SELLER), "WH-9")
    receiver.answers = [(status, second_receiver.url)]
    assert deliver(app, clock)["retrying"] == 1
    assert len(receiver.received) == 1
    assert second_receiver.received == []
    [delivery] = history_of(admin, endpoint)
    assert delivery["last_status_code"] == status
    assert delivery["status"] == "pending"


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_a_closed_port_and_a_timeout_read_the_same_to_an_admin(
    app, clock, as_role, underwriter, receiver
):
    admin = as_role(Role.ADMIN)
    closed = subscribe(admin, f"http://127.0.0.1:{closed_port()}/hooks", ["coverage.bound"])
    hanging = subscribe(admin, receiver.url, ["coverage.bound"])
    bound(as_role(Role.SELLER), "WH-10")
    receiver.answers = ["hang"]
    assert deliver(app, clock)["retrying"] == 2

    def seen(endpoint: dict) -> dict:
        [delivery] = history_of(admin, endpoint)
        return {key: value for key, value in delivery.items() if key not in {"id", "event_id"}}

    assert seen(closed) == seen(hanging)
    assert seen(closed)["last_error"] == "delivery_failed"
    assert seen(closed)["last_status_code"] is None
