"""Money moves once on PostgreSQL, however many approvals, uploads and job runs race for it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from forwarder_insure.db.models import Claim, LedgerTransaction, OutboxEvent, Payout
from forwarder_insure.domain.access import Role
from forwarder_insure.services.payouts import advance_due
from tests.api.test_claim_documents import submitted_claim, upload
from tests.fixtures.app import KeyedClient, issue_key
from tests.fixtures.books import assert_books_balance
from tests.fixtures.insurance import add_underwriter
from tests.storage.test_local_store import png_bytes

pytestmark = pytest.mark.postgres_only


def client(app, role: Role) -> KeyedClient:
    seller_id = "S-1001" if role is Role.SELLER else None
    return KeyedClient(app.test_client(), issue_key(app, role, seller_id), role, seller_id)


def count(database, model, *where) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_twenty_approvals_at_once_pay_once(committing_app, clock, backend):
    add_underwriter(committing_app)
    seller, handler = client(committing_app, Role.SELLER), client(committing_app, Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "RACE-PAY-1")
    upload(seller, claim["id"], "dispute_screenshot", png_bytes(901))
    upload(handler, claim["id"], "carrier_loss_letter", png_bytes(902))
    handlers = [client(committing_app, Role.HANDLER) for _ in range(20)]
    start = threading.Barrier(20)

    def approve(staff: KeyedClient) -> int:
        start.wait(10)
        return staff.post(
            f"/api/v1/claims/{claim['id']}/approve",
            json={"amount": {"amount": "150.00", "currency": "USD"}},
        ).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(pool.map(approve, handlers))
    assert statuses == [200] + [409] * 19
    database = committing_app.extensions["forwarder_insure"].database
    assert count(database, Payout) == 1
    assert count(database, LedgerTransaction, LedgerTransaction.kind == "claim_payout") == 1
    assert count(database, OutboxEvent, OutboxEvent.type == "payout.advanced") == 1
    assert_books_balance(database)


def test_the_job_and_the_api_racing_pay_once(committing_app, clock, backend):
    add_underwriter(committing_app)
    seller, handler = client(committing_app, Role.SELLER), client(committing_app, Role.HANDLER)
    database = committing_app.extensions["forwarder_insure"].database
    claims = []
    for n in range(6):
        claim = submitted_claim(seller, handler, clock, f"RACE-PAY-J{n}")
        approved = handler.post(
            f"/api/v1/claims/{claim['id']}/approve",
            json={"amount": {"amount": "150.00", "currency": "USD"}},
        )
        assert approved.get_json()["status"] == "approved"  # grace documents still missing
        claims.append(claim["id"])
    # Payable but not yet paid: the state a crash between approval and advance would leave.
    with database.unit_of_work() as session:
        session.execute(
            update(Claim).where(Claim.id.in_(claims)).values(checklist_complete_at=clock.now())
        )
    uploaders = [client(committing_app, Role.SELLER) for _ in claims]
    start = threading.Barrier(len(claims) + 4)

    def api(pair) -> int:
        claim_id, uploader = pair
        start.wait(10)
        return upload(uploader, claim_id, "dispute_screenshot", png_bytes(950 + len(claim_id)))

    def job(_) -> int:
        start.wait(10)
        with database.unit_of_work() as session:
            return advance_due(session, clock.now() + timedelta(minutes=10)).advanced

    with ThreadPoolExecutor(len(claims) + 4) as pool:
        api_runs = [pool.submit(api, pair) for pair in zip(claims, uploaders, strict=True)]
        job_runs = [pool.submit(job, n) for n in range(4)]
        assert all(r.result().status_code == 201 for r in api_runs)
        job_paid = sum(r.result() for r in job_runs)
    assert count(database, Payout) == len(claims)
    assert count(database, LedgerTransaction, LedgerTransaction.kind == "claim_payout") == len(
        claims
    )
    assert count(database, OutboxEvent, OutboxEvent.type == "payout.advanced") == len(claims)
    assert job_paid <= len(claims)
    assert_books_balance(database)
