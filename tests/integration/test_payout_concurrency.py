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
        letter = upload(handler, claim["id"], "carrier_loss_letter", png_bytes(970 + n))
        assert letter.status_code == 201
        claims.append(claim["id"])
    # Payable but not yet paid: the state a crash between approval and advance would leave.
    # The racing upload is the checklist's last document, so whichever of it and the job takes
    # the claim first pays it, and the other must see it paid (before, the upload left an item
    # missing and cleared the completion the job looks for, so the count depended on timing).
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


FAIL_PAYOUT_EVENT = """
CREATE FUNCTION test_refuse_payout_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.type = 'payout.advanced' THEN
        RAISE EXCEPTION 'the outbox is down';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_refuse_payout_event BEFORE INSERT ON outbox_events
    FOR EACH ROW EXECUTE FUNCTION test_refuse_payout_event();
"""


def test_a_failure_after_the_payout_row_leaves_no_payout_behind(committing_app, clock, backend):
    """The payout, its postings and its event are one transaction: if the event cannot be
    written (here the database refuses it), no money has moved and the claim can be paid later."""
    add_underwriter(committing_app)
    seller, handler = client(committing_app, Role.SELLER), client(committing_app, Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "CRASH-1")
    upload(seller, claim["id"], "dispute_screenshot", png_bytes(971))
    upload(handler, claim["id"], "carrier_loss_letter", png_bytes(972))
    database = committing_app.extensions["forwarder_insure"].database
    with database.engine.begin() as conn:
        conn.exec_driver_sql(FAIL_PAYOUT_EVENT)
    try:
        failed = handler.post(
            f"/api/v1/claims/{claim['id']}/approve",
            json={"amount": {"amount": "150.00", "currency": "USD"}},
        )
    finally:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER test_refuse_payout_event ON outbox_events")
            conn.exec_driver_sql("DROP FUNCTION test_refuse_payout_event()")
    assert failed.status_code >= 500
    assert count(database, Payout) == 0
    assert count(database, LedgerTransaction, LedgerTransaction.kind == "claim_payout") == 0
    assert seller.get(f"/api/v1/claims/{claim['id']}").get_json()["status"] == "submitted"
    retried = handler.post(
        f"/api/v1/claims/{claim['id']}/approve",
        json={"amount": {"amount": "150.00", "currency": "USD"}},
    )
    assert retried.get_json()["status"] == "payout_advanced"
    assert count(database, Payout) == 1
    assert_books_balance(database)
