"""The Idempotency-Key mechanism, exercised through a real view built with ApiBlueprint.

The probe view below is test scaffolding only in that it is registered by the test: it runs the
real decorators, the real request scope and the real outbox service against the real database.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import marshmallow as ma
import pytest
from flask.views import MethodView
from sqlalchemy import func, select

from blueprints.api_blueprint import ApiBlueprint
from blueprints.request_scope import db_session, key_holder, request_now
from forwarder_insure.db.models import OutboxEvent
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services.events import emit
from tests.fixtures.app import KeyedClient, issue_key


class ProbeSchema(ma.Schema):
    note = ma.fields.String(required=True)
    refuse = ma.fields.Boolean(load_default=False)
    pause = ma.fields.Float(load_default=0.0)


class Gate:
    """Lets a test hold a request inside the view while it sends another."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.hold = False


def probe_blueprint(gate: Gate) -> ApiBlueprint:
    blp = ApiBlueprint("probe", __name__)

    @blp.route("/probes")
    class Probes(MethodView):
        @blp.requires(Action.BIND_COVERAGE)  # sellers and warehouses, as a bind
        @blp.idempotent
        @blp.arguments(ProbeSchema)
        @blp.response(201)
        def post(self, data):
            gate.entered.set()
            if gate.hold:
                assert gate.release.wait(10)
            if data["pause"]:
                threading.Event().wait(data["pause"])
            if data["refuse"]:
                raise Invalid("refused on request", code="probe_refused")
            event = emit(
                db_session(),
                "probe.created",
                subject_type="probe",
                subject_id=data["note"],
                data={"note": data["note"]},
                actor=key_holder().caller,
                now=request_now(),
            )
            return {"event_id": event.id, "note": data["note"]}

    return blp


def with_probe(app) -> Gate:
    gate = Gate()
    app.register_blueprint(probe_blueprint(gate), url_prefix="/api/v1")
    return gate


def events(app) -> int:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return session.execute(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "probe.created")
        ).scalar_one()


def client_for(app, role=Role.WAREHOUSE, seller_id=None) -> KeyedClient:
    return KeyedClient(app.test_client(), issue_key(app, role, seller_id), role, seller_id)


def test_missing_key_is_400_and_runs_nothing(app):
    with_probe(app)
    response = client_for(app).post("/api/v1/probes", json={"note": "a"})
    assert response.status_code == 400
    assert response.get_json()["code"] == "idempotency_key_missing"
    assert events(app) == 0


@pytest.mark.parametrize("key", ["", " padded ", "x" * 256, "tab\there"])
def test_malformed_key_is_400(app, key):
    with_probe(app)
    response = client_for(app).post(
        "/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": key}
    )
    assert response.status_code == 400
    assert events(app) == 0


def test_same_key_and_body_replays_the_first_answer(app):
    with_probe(app)
    client = client_for(app)
    first = client.post("/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    # Same object, other key order and spacing: still the same request.
    again = client.post(
        "/api/v1/probes",
        data='{ "note" :  "a" }',
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.mimetype == "application/json"
    assert events(app) == 1


def test_same_key_with_another_body_is_422(app):
    with_probe(app)
    client = client_for(app)
    client.post("/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": "k1"})
    response = client.post("/api/v1/probes", json={"note": "b"}, headers={"Idempotency-Key": "k1"})
    assert response.status_code == 422
    assert response.get_json()["code"] == "idempotency_key_reused"
    assert events(app) == 1


def test_keys_are_scoped_to_the_api_key_that_sent_them(app):
    with_probe(app)
    one, two = client_for(app), client_for(app)
    a = one.post("/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": "shared"})
    b = two.post("/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201
    assert a.get_json()["event_id"] != b.get_json()["event_id"]
    assert events(app) == 2


def test_a_refused_request_leaves_the_key_free(app):
    with_probe(app)
    client = client_for(app)
    refused = client.post(
        "/api/v1/probes", json={"note": "a", "refuse": True}, headers={"Idempotency-Key": "k2"}
    )
    assert refused.status_code == 422
    assert events(app) == 0
    fixed = client.post("/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": "k2"})
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed.headers


def test_a_stored_answer_expires_after_its_lifetime(app, clock):
    with_probe(app)
    client = client_for(app)
    first = client.post("/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": "k3"})
    clock.advance(hours=23)
    assert (
        client.post(
            "/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": "k3"}
        ).headers.get("Idempotent-Replayed")
        == "true"
    )
    clock.advance(hours=2)
    late = client.post("/api/v1/probes", json={"note": "a"}, headers={"Idempotency-Key": "k3"})
    assert late.status_code == 201
    assert "Idempotent-Replayed" not in late.headers
    assert late.get_json()["event_id"] != first.get_json()["event_id"]


def test_a_request_while_the_first_is_in_flight_is_409_then_replays(committing_app):
    gate = with_probe(committing_app)
    gate.hold = True
    client = client_for(committing_app)
    headers = {"Idempotency-Key": "slow"}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.post, "/api/v1/probes", json={"note": "a"}, headers=headers)
        assert gate.entered.wait(10)
        second = client_for_same_key(client).post(
            "/api/v1/probes", json={"note": "a"}, headers=headers
        )
        assert second.status_code == 409
        assert second.get_json()["code"] == "idempotency_key_in_flight"
        assert second.headers["Retry-After"] == "1"
        gate.release.set()
        assert first.result(10).status_code == 201
    third = client.post("/api/v1/probes", json={"note": "a"}, headers=headers)
    assert third.headers["Idempotent-Replayed"] == "true"
    assert events(committing_app) == 1


def client_for_same_key(client: KeyedClient) -> KeyedClient:
    """Another connection (test client) presenting the same API key."""
    return KeyedClient(
        client.client.application.test_client(), client.key, client.role, client.seller_id
    )


@pytest.mark.postgres_only
def test_ten_concurrent_requests_with_one_key_run_once(committing_app, backend):
    with_probe(committing_app)
    client = client_for(committing_app)
    start = threading.Barrier(10)

    def send(_):
        start.wait(10)
        return client_for_same_key(client).post(
            "/api/v1/probes", json={"note": "a", "pause": 0.3}, headers={"Idempotency-Key": "race"}
        )

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(send, range(10)))
    statuses = sorted(r.status_code for r in responses)
    created = [r for r in responses if r.status_code == 201]
    assert set(statuses) <= {201, 409}
    assert len({r.get_json()["event_id"] for r in created}) == 1
    assert sum(1 for r in created if "Idempotent-Replayed" not in r.headers) == 1
    assert events(committing_app) == 1
