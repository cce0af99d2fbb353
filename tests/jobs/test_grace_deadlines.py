"""The grace period's end: one reminder a few days before, a lapse at the deadline, each once."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from forwarder_insure.db.models import OutboxEvent
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.services import grace_deadlines
from jobs.registry import run_job
from tests.api.test_claim_documents import submitted_claim, upload
from tests.fixtures.app import KeyedClient, issue_key
from tests.fixtures.insurance import add_underwriter, bound
from tests.storage.test_local_store import png_bytes

DAY = timedelta(days=1)


def grace_job(app, clock, days_after_submission: float, submitted_at) -> dict:
    as_of = format_instant(submitted_at + days_after_submission * DAY)
    result = app.test_cli_runner().invoke(args=["run-job", "grace-deadlines", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def outbox(app, kind: str) -> list[str]:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return list(session.scalars(select(OutboxEvent.subject_id).where(OutboxEvent.type == kind)))


def test_a_seller_is_reminded_once_then_the_claim_lapses(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "GRC-1")
    submitted_at = clock.now()

    assert grace_job(app, clock, 24.9, submitted_at) == {
        "job": "grace-deadlines", "reminded": 0, "lapsed": 0,
    }  # fmt: skip
    assert grace_job(app, clock, 25, submitted_at)["reminded"] == 1  # 5 days before
    assert grace_job(app, clock, 26, submitted_at)["reminded"] == 0  # once only
    assert outbox(app, "claim.grace_reminder") == [claim["id"]]
    reminded = seller.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert reminded["timeline"][-1]["event"] == "grace_reminder"
    assert "dispute_screenshot, carrier_loss_letter" in reminded["timeline"][-1]["detail"]

    assert grace_job(app, clock, 29.9, submitted_at)["lapsed"] == 0
    assert grace_job(app, clock, 30, submitted_at)["lapsed"] == 1
    assert grace_job(app, clock, 31, submitted_at)["lapsed"] == 0
    lapsed = seller.get(f"/api/v1/claims/{claim['id']}").get_json()
    assert lapsed["status"] == "lapsed"
    assert lapsed["timeline"][-1]["actor"] == "system"
    assert outbox(app, "claim.lapsed") == [claim["id"]]


def test_a_claim_whose_documents_came_in_time_neither_reminded_nor_lapsed(
    app, as_role, underwriter, clock
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "GRC-2")
    submitted_at = clock.now()
    upload(seller, claim["id"], "dispute_screenshot", png_bytes(301))
    upload(handler, claim["id"], "carrier_loss_letter", png_bytes(302))
    assert grace_job(app, clock, 25, submitted_at)["reminded"] == 0
    assert grace_job(app, clock, 30, submitted_at)["lapsed"] == 0
    assert seller.get(f"/api/v1/claims/{claim['id']}").get_json()["status"] == "submitted"


def test_drafts_and_decided_claims_are_left_alone(app, as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    denied = submitted_claim(seller, handler, clock, "GRC-3")
    handler.post(f"/api/v1/claims/{denied['id']}/deny", json={"reason": "not covered"})
    draft = seller.post(
        "/api/v1/claims",
        json={
            "coverage_id": bound(seller, "GRC-4")["id"],
            "kind": "lost",
            "amount_claimed": {"amount": "50.00", "currency": "USD"},
        },
        headers={"Idempotency-Key": "grace-draft"},
    ).get_json()
    summary = run_job(
        app.extensions["forwarder_insure"].database, "grace-deadlines", clock.now() + 90 * DAY
    )
    assert (summary["reminded"], summary["lapsed"]) == (0, 0)
    assert seller.get(f"/api/v1/claims/{draft['id']}").get_json()["status"] == "draft"
    assert seller.get(f"/api/v1/claims/{denied['id']}").get_json()["status"] == "denied"


@pytest.mark.postgres_only
def test_two_runs_at_once_lapse_each_claim_once(committing_app, clock, backend):
    add_underwriter(committing_app)
    seller = KeyedClient(
        committing_app.test_client(),
        issue_key(committing_app, Role.SELLER, "S-1001"),
        Role.SELLER,
        "S-1001",
    )
    handler = KeyedClient(
        committing_app.test_client(),
        issue_key(committing_app, Role.HANDLER),
        Role.HANDLER,
        None,
    )
    claims = [submitted_claim(seller, handler, clock, f"GRC-R{n}")["id"] for n in range(12)]
    database = committing_app.extensions["forwarder_insure"].database
    start = threading.Barrier(2)

    def run(_):
        start.wait(10)
        with database.unit_of_work() as session:
            return grace_deadlines.run(session, clock.now() + 31 * DAY).lapsed

    with ThreadPoolExecutor(2) as pool:
        lapsed = list(pool.map(run, range(2)))
    assert sum(lapsed) == len(claims), lapsed
    assert sorted(outbox(committing_app, "claim.lapsed")) == sorted(claims)
