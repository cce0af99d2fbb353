"""``forwarder-insure ledger check``: a JSON summary as the last line; exit 1 on broken books."""

from __future__ import annotations

import json

from sqlalchemy import insert

from forwarder_insure.db.models import LedgerPosting, LedgerTransaction
from forwarder_insure.domain.access import Role
from tests.fixtures.insurance import bind, offered_token


def check(app):
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return result, summary


def test_an_empty_ledger_checks_ok(app):
    result, summary = check(app)
    assert result.exit_code == 0, result.output
    assert summary == {
        "ok": True,
        "transactions": 0,
        "postings": 0,
        "currencies": [],
        "problems": [],
    }
    assert result.stderr == ""


def test_the_books_of_bound_coverages_check_ok(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    for _ in range(2):
        assert bind(seller, offered_token(seller)).status_code == 201
    result, summary = check(app)
    assert result.exit_code == 0, result.output
    assert summary["ok"] is True
    assert summary["transactions"] == 2
    assert summary["postings"] == 6
    assert summary["currencies"] == ["USD"]
    assert summary["problems"] == []


def test_broken_books_exit_1_and_name_each_problem(app, clock):
    # Written behind record()'s back; the test's transaction is rolled back, never committed.
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        session.execute(
            insert(LedgerTransaction).values(
                id="txn_off", kind="raw", reference="raw", created_at=clock.now()
            )
        )
        for account, minor in (("premiums_receivable", 1000), ("fee_income", -999)):
            session.execute(
                insert(LedgerPosting).values(
                    transaction_id="txn_off", account=account, currency="USD", amount_minor=minor
                )
            )
    result, summary = check(app)
    assert result.exit_code == 1
    assert summary["ok"] is False
    assert (summary["transactions"], summary["postings"]) == (1, 2)
    assert summary["problems"] == [
        {
            "kind": "unbalanced_transaction",
            "transaction_id": "txn_off",
            "currency": "USD",
            "imbalance": {"amount": "0.01", "currency": "USD"},
            "detail": "transaction 'txn_off' is off by 0.01 USD",
        },
        {
            "kind": "unbalanced_book",
            "transaction_id": None,
            "currency": "USD",
            "imbalance": {"amount": "0.01", "currency": "USD"},
            "detail": "all USD balances sum to 0.01 USD, not zero",
        },
    ]
    assert "unbalanced_transaction: transaction 'txn_off' is off by 0.01 USD" in result.stderr


def test_ledger_check_is_listed_in_the_help(app):
    result = app.test_cli_runner().invoke(args=["ledger", "--help"])
    assert result.exit_code == 0
    assert "check" in result.stdout
