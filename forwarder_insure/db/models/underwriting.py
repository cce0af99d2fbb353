"""Underwriters (the insurers who carry the risk) and the exchange rates used at binding."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forwarder_insure.db.base import Base, DecimalText, JSONDocument
from forwarder_insure.domain.underwriting import UnderwriterTerms


class Underwriter(Base):
    __tablename__ = "underwriters"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    licence_number: Mapped[str] = mapped_column(String(64))
    #: ISO country codes it is licensed in, or ["*"] for worldwide.
    jurisdictions: Mapped[list[str]] = mapped_column(JSONDocument)
    #: Goods categories it accepts, or ["*"] for all.
    lines: Mapped[list[str]] = mapped_column(JSONDocument)
    #: Country whose working-day calendar governs its settlement deadlines.
    country: Mapped[str] = mapped_column(String(2))
    #: Currency it settles in.
    currency: Mapped[str] = mapped_column(String(3))
    active_from: Mapped[date] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime]

    def terms(self) -> UnderwriterTerms:
        return UnderwriterTerms(
            id=self.id,
            name=self.name,
            licence_number=self.licence_number,
            jurisdictions=frozenset(self.jurisdictions),
            lines=frozenset(self.lines),
            country=self.country,
            currency=self.currency,
            active_from=self.active_from,
            active_to=self.active_to,
            priority=self.priority,
        )


class ExchangeRate(Base):
    """One ``base_currency`` buys ``rate`` of ``quote_currency``, from ``effective_date`` on."""

    __tablename__ = "exchange_rates"
    # The unique constraint's index also serves the "latest rate on or before a day" lookup.
    __table_args__ = (UniqueConstraint("base_currency", "quote_currency", "effective_date"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    base_currency: Mapped[str] = mapped_column(String(3))
    quote_currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(DecimalText)
    effective_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
