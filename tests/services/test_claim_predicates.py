"""Each predicate of ``services/claim_predicates.py`` and its SQL twin agree on the same rows,
on each backend: the rows are varied on purpose around every edge of each rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forwarder_insure.db.models import Claim, Coverage, Payout
from forwarder_insure.domain.access import Role
from forwarder_insure.services import claim_predicates as predicates
from tests.api.test_claim_documents import file_claim
from tests.api.test_payouts import paid_claim
from tests.fixtures.insurance import bound

HOUR = timedelta(hours=1)


@pytest.fixture
def rules(app):
    return app.extensions["forwarder_insure"].claim_rules


@pytest.fixture
def varied(app, as_role, underwriter, clock, database, rules):
    """Claims in many states around each edge, a paid claim (a payout awaiting the
    underwriter), one clawed-back payout, and parcels scanned and never scanned."""
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    paid = [paid_claim(seller, handler, clock, f"PRED-P{n}") for n in range(2)]
    drafts = [file_claim(seller, bound(seller, f"PRED-{n}")["id"]) for n in range(8)]
    now = clock.now()
    sla = rules.decision_sla
    states = [
        ("submitted", now - sla - HOUR, None, []),  # decision overdue
        ("submitted", now - sla + HOUR, None, [{"code": "new_seller", "detail": "x"}]),
        ("submitted", None, None, [{"code": "invoice_mismatch", "detail": '"code": "x"'}]),
        ("needs_info", now - sla - HOUR, None, []),  # waits on the seller, not on us
        ("insurer_accepted", None, now - HOUR, []),  # settlement overdue
        ("settled", None, now - HOUR, []),  # recorded after all
        ("insurer_accepted", None, None, []),
        ("draft", None, None, [{"code": "new_seller_x", "detail": "new_seller"}]),
    ]
    with database.unit_of_work() as session:
        for claim, (status, complete, overdue, flags) in zip(drafts, states, strict=True):
            row = session.get_one(Claim, claim["id"])
            row.status, row.checklist_complete_at = status, complete
            row.settlement_overdue_at, row.risk_flags = overdue, flags
        payout = session.scalars(select(Payout).where(Payout.claim_id == paid[1]["id"])).one()
        payout.status = "clawed_back"
        scanned = session.scalars(select(Coverage).order_by(Coverage.id)).first()
        scanned.last_event_at = now - 3 * HOUR
    return now


def agree(database, model, python, sql) -> None:
    """``python`` over every loaded row and ``sql`` in the database pick the same ids."""
    with database.unit_of_work() as session:
        rows = session.scalars(select(model)).all()
        expected = sorted(row.id for row in rows if python(row))
        found = sorted(session.scalars(select(model.id).where(sql)))
        assert found == expected
        assert 0 < len(expected) < len(rows)  # the rows really vary on this rule


def test_decision_overdue_agrees(database, varied, rules):
    agree(
        database,
        Claim,
        lambda claim: predicates.is_decision_overdue(claim, rules, varied),
        predicates.decision_overdue_sql(rules, varied),
    )


def test_decision_due_agrees_with_its_sort_key(database, varied, rules):
    with database.unit_of_work() as session:
        pairs = session.execute(select(Claim, predicates.decision_clock_sql())).all()
        for claim, clock_value in pairs:
            due = predicates.decision_due_at(claim, rules)
            assert due == (None if clock_value is None else clock_value + rules.decision_sla)
        assert any(value is not None for _, value in pairs)


def test_settlement_overdue_agrees(database, varied):
    agree(database, Claim, predicates.is_settlement_overdue, predicates.settlement_overdue_sql())


@pytest.mark.parametrize("code", ["new_seller", "invoice_mismatch"])
def test_has_flag_agrees(database, varied, code):
    agree(
        database,
        Claim,
        lambda claim: predicates.has_flag(claim, code),
        predicates.has_flag_sql(code),
    )


def test_awaiting_the_underwriter_agrees(database, varied):
    agree(
        database,
        Payout,
        predicates.awaits_underwriter,
        predicates.awaiting_underwriter_sql(),
    )


def test_silent_since_agrees(database, varied):
    with database.unit_of_work() as session:
        pairs = session.execute(select(Coverage, predicates.silent_since_sql())).all()
        assert {predicates.silent_since(c) for c, _ in pairs} == {v for _, v in pairs}
        for coverage, since in pairs:
            assert predicates.silent_since(coverage) == since
        assert any(c.last_event_at is not None for c, _ in pairs)
        assert any(c.last_event_at is None for c, _ in pairs)
