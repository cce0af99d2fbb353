"""What the console's money page shows: advances still owed to us by underwriters, with totals
per currency and the overdue share, settlements the insurer is late with, and the books per
account and currency. Read-only, over the same queries as the API's
``/payouts?awaiting_insurer=true``, ``/claims?settlement_overdue=true`` and ``/ledger/balances``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forwarder_insure.db.models import Claim, Payout
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.money import Money, total
from forwarder_insure.services import claims, ledger, payouts
from forwarder_insure.services.ledger import Balance


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


@dataclass(frozen=True)
class MoneyView:
    """The money page: ``awaiting`` holds (payout, claim) pairs, the oldest advance first, at
    most the limit asked for; ``outstanding`` counts them all."""

    awaiting: list[Any]
    overdue_claims: list[Claim]
    outstanding: list[Outstanding]
    books: list[Books]

    @property
    def awaiting_count(self) -> int:
        return sum(o.advances for o in self.outstanding)


def money_view(
    session: Session, caller: Caller, *, rules: ClaimRules, now: datetime, limit: int
) -> MoneyView:
    """Everything the money page shows, for ``caller`` (staff)."""
    awaiting = session.execute(
        payouts.list_query(caller, status=None, awaiting_insurer=True)
        .add_columns(Claim)
        .join(Claim, Claim.id == Payout.claim_id)
        .order_by(None)
        .order_by(Payout.advanced_at.asc(), Payout.id.asc())
        .limit(limit)
    ).all()
    overdue_claims = list(
        session.scalars(
            claims.list_query(
                caller,
                status=None,
                seller_id=None,
                rules=rules,
                now=now,
                settlement_overdue=True,
            )
            .options(selectinload(Claim.payout))
            .order_by(None)
            .order_by(Claim.settlement_due_at.asc(), Claim.id.asc())
        )
    )
    return MoneyView(
        awaiting=list(awaiting),
        overdue_claims=overdue_claims,
        outstanding=_outstanding(session, caller, overdue_claims),
        books=_books(session),
    )


def _outstanding(
    session: Session, caller: Caller, overdue_claims: list[Claim]
) -> list[Outstanding]:
    """Totals per currency of every advance awaiting the insurer, with the overdue share."""
    awaiting = (
        payouts.list_query(caller, status=None, awaiting_insurer=True).order_by(None).subquery()
    )
    sums = session.execute(
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


def _books(session: Session) -> list[Books]:
    """The ledger's balances grouped by currency, each with its sum."""
    by_currency: dict[str, list[Balance]] = defaultdict(list)
    for balance in ledger.balances(session):
        by_currency[balance.balance.currency].append(balance)
    return [
        Books(currency, rows, total([b.balance for b in rows], currency))
        for currency, rows in sorted(by_currency.items())
    ]
