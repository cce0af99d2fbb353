"""Quoting: price every package of an order and sign each offer. Reads no rows, writes none."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from forwarder_insure.domain.carriers import CarrierProfiles
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.pricing import Decline, Offer, PackageToPrice, Pricer
from forwarder_insure.domain.rate_card import RateCard
from forwarder_insure.domain.underwriting import UnderwriterTerms
from forwarder_insure.services.quote_tokens import QuotedTerms, QuoteSigner

#: Quote ids only need to be unique: a random per-process prefix and a counter are, and cost
#: nothing per package (a quote token is signed, so its id cannot be forged anyway).
_PROCESS = new_id("quo")[4:20]
_COUNTER = itertools.count(1)


def next_quote_id() -> str:
    return f"quo_{_PROCESS}{next(_COUNTER):x}"


@dataclass(frozen=True)
class Quote:
    reference: str
    offer: Offer | None
    decline: Decline | None
    token: str | None
    expires_at: datetime | None


class QuoteDesk:
    """Quoting for one process: the card, carrier profiles, signer and underwriter registry, and
    a :class:`Pricer` kept while the registry copy and the day stay the same, so the lanes an
    order-entry screen asks about again and again are looked up once."""

    def __init__(
        self,
        card: RateCard,
        carriers: CarrierProfiles,
        signer: QuoteSigner,
        underwriters: Callable[[], tuple[UnderwriterTerms, ...]],
    ):
        self.card = card
        self.carriers = carriers
        self.signer = signer
        self._underwriters = underwriters
        self._pricer: tuple[tuple[UnderwriterTerms, ...], date, Pricer] | None = None

    def quote(
        self, seller_id: str, packages: Sequence[PackageToPrice], now: datetime
    ) -> list[Quote]:
        return quote_packages(
            seller_id, packages, pricer=self._pricer_for(now.date()), signer=self.signer, now=now
        )

    def _pricer_for(self, day: date) -> Pricer:
        underwriters = self._underwriters()
        cached = self._pricer
        if cached is not None and cached[0] is underwriters and cached[1] == day:
            return cached[2]
        pricer = Pricer(self.card, self.carriers, underwriters, day)
        self._pricer = (underwriters, day, pricer)
        return pricer


def quote_packages(
    seller_id: str,
    packages: Sequence[PackageToPrice],
    *,
    pricer: Pricer,
    signer: QuoteSigner,
    now: datetime,
) -> list[Quote]:
    """One quote per package, in order: an offer with its signed token, or a decline."""
    expires_at = now + pricer.card.quote_lifetime
    quotes = []
    for package in packages:
        result = pricer.price(package)
        if isinstance(result, Decline):
            quotes.append(Quote(package.reference, None, result, None, None))
            continue
        token = signer.sign(
            QuotedTerms(
                quote_id=next_quote_id(),
                seller_id=seller_id,
                package=package,
                premium=result.premium,
                insured_value=result.insured_value,
                deductible=result.deductible,
                carrier_base_cover=result.carrier_base_cover,
                underwriter_id=result.underwriter.id,
                rate_card_version=result.rate_card_version,
                expires_at=expires_at,
            )
        )
        quotes.append(Quote(package.reference, result, None, token, expires_at))
    return quotes
