"""Webhook delivery to a real HTTP receiver on loopback: signed, retried, at least once."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.domain.webhooks import verify_signature
from jobs.registry import run_job
from tests.fixtures.insurance import bound


class Receiver:
    """A loopback HTTP server that records what it is sent and answers as it is told."""

    def __init__(self):
        self.received: list[dict] = []
        self.answers: list[int | str] = []  # an int status, or "hang" to time out
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {"body": body, "signature": self.headers.get("FI-Signature"), "path": self.path}
                )
                answer = receiver.answers.pop(0) if receiver.answers else 200
                if answer == "hang":
                    time.sleep(6)
                    answer = 200
                self.send_response(answer)
                self.end_headers()

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
    assert attempted[0]["last_error"]


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
