"""The console's money page: advances still owed to us by underwriters, settlements the insurer
is late with, and the books per account and currency.

Read-only, over the services behind the API's ``/payouts?awaiting_insurer=true``,
``/claims?settlement_overdue=true`` and ``/ledger/balances``, for the same roles.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import render_template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from blueprints.console.base import blp, requires, staff_caller
from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.db.models import Claim, Payout
from forwarder_insure.domain.ledger import ACCOUNT_NAMES
from forwarder_insure.domain.money import Money, total
from forwarder_insure.domain.permissions import Action
from forwarder_insure.services import claims, ledger, payouts
from forwarder_insure.services.ledger import Balance

#: Advances listed at the most; the totals count them all.
LIST_LIMIT = 200


@dataclass(frozen=True)
class Outstanding:
    """What the underwriters still owe us in one currency, on advances awaiting settlement."""

    currency: str
    advances: int
    advanced: Money
    underwriter_part: Money
    overdue: Money


@dataclass(frozen=True)
class Books:
    """One currency's balances; ``total`` is zero when the books balance."""

    currency: str
    balances: list[Balance]
    total: Money

    @property
    def balanced(self) -> bool:
        return self.total.is_zero


def _outstanding(overdue_claims: list[Claim]) -> list[Outstanding]:
    """Totals per currency of every advance awaiting the insurer, with the overdue share."""
    awaiting = (
        payouts.list_query(staff_caller(), status=None, awaiting_insurer=True)
        .order_by(None)
        .subquery()
    )
    sums = db_session().execute(
        select(
            awaiting.c.currency,
            func.count(),
            func.sum(awaiting.c.amount_minor),
            func.sum(awaiting.c.underwriter_part_minor),
        )
        .group_by(awaiting.c.currency)
        .order_by(awaiting.c.currency)
    )
    overdue: dict[str, list[Money]] = defaultdict(list)
    for claim in overdue_claims:
        if claim.payout is not None and claim.payout.insurer_paid_at is None:
            overdue[claim.payout.currency].append(claim.payout.underwriter_part)
    return [
        Outstanding(
            currency=currency,
            advances=count,
            advanced=Money.from_minor(int(advanced), currency),
            underwriter_part=Money.from_minor(int(owed), currency),
            overdue=total(overdue[currency], currency),
        )
        for currency, count, advanced, owed in sums
    ]


def _books() -> list[Books]:
    """The ledger's balances grouped by currency, each with its sum."""
    by_currency: dict[str, list[Balance]] = defaultdict(list)
    for balance in ledger.balances(db_session()):
        by_currency[balance.balance.currency].append(balance)
    return [
        Books(currency, rows, total([b.balance for b in rows], currency))
        for currency, rows in sorted(by_currency.items())
    ]


@blp.get("/money")
@requires(Action.READ_MONEY)
def money_page() -> Any:
    """Advances awaiting the insurer, overdue settlements, totals, and the ledger."""
    caller = staff_caller()
    awaiting = db_session().execute(
        payouts.list_query(caller, status=None, awaiting_insurer=True)
        .add_columns(Claim)
        .join(Claim, Claim.id == Payout.claim_id)
        .order_by(None)
        .order_by(Payout.advanced_at.asc(), Payout.id.asc())
        .limit(LIST_LIMIT)
    )
    overdue_claims = list(
        db_session().scalars(
            claims.list_query(
                caller,
                status=None,
                seller_id=None,
                rules=runtime().claim_rules,
                now=request_now(),
                settlement_overdue=True,
            )
            .options(selectinload(Claim.payout))
            .order_by(None)
            .order_by(Claim.settlement_due_at.asc(), Claim.id.asc())
        )
    )
    outstanding = _outstanding(overdue_claims)
    return render_template(
        "console/money.html",
        awaiting=awaiting.all(),
        awaiting_count=sum(o.advances for o in outstanding),
        overdue_claims=overdue_claims,
        overdue_ids={claim.id for claim in overdue_claims},
        outstanding=outstanding,
        books=_books(),
        account_names={account.value: name for account, name in ACCOUNT_NAMES.items()},
        list_limit=LIST_LIMIT,
    )
