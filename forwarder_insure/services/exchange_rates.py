"""Exchange rates for converting a coverage into its underwriter's currency at binding.

Ops (admin) record rates with the day they apply from; binding uses the latest rate on or
before the binding day and freezes it on the coverage, so later rate changes never alter it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import ExchangeRate
from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.money import MoneyError, check_currency


def set_rate(
    session: Session, base: str, quote: str, rate: Decimal, effective_date: date, now: datetime
) -> ExchangeRate:
    """Record (or correct) the rate of ``base`` in ``quote`` from ``effective_date``."""
    try:
        check_currency(base)
        check_currency(quote)
    except MoneyError as exc:
        raise Invalid(str(exc), code="unknown_currency") from None
    if base == quote:
        raise Invalid("a rate needs two different currencies", code="same_currency")
    if not rate.is_finite() or rate <= 0:
        raise Invalid("a rate must be a positive number", code="invalid_rate")
    existing = session.execute(
        select(ExchangeRate).where(
            ExchangeRate.base_currency == base,
            ExchangeRate.quote_currency == quote,
            ExchangeRate.effective_date == effective_date,
        )
    ).scalar_one_or_none()
    if existing is not None:
        existing.rate = rate
        session.flush()
        return existing
    row = ExchangeRate(
        id=new_id("fx"),
        base_currency=base,
        quote_currency=quote,
        rate=rate,
        effective_date=effective_date,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def rate_on(session: Session, base: str, quote: str, day: date) -> ExchangeRate | None:
    """The rate in force on ``day``: the latest one effective on or before it."""
    return session.execute(
        select(ExchangeRate)
        .where(
            ExchangeRate.base_currency == base,
            ExchangeRate.quote_currency == quote,
            ExchangeRate.effective_date <= day,
        )
        .order_by(ExchangeRate.effective_date.desc())
        .limit(1)
    ).scalar_one_or_none()


def list_rates(session: Session) -> list[ExchangeRate]:
    return list(
        session.execute(
            select(ExchangeRate).order_by(
                ExchangeRate.base_currency, ExchangeRate.quote_currency, ExchangeRate.effective_date
            )
        ).scalars()
    )
