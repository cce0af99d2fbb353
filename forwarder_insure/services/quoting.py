"""Quoting: price every package of an order and sign each offer. Reads no rows, writes none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from forwarder_insure.domain.carriers import CarrierProfiles
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.pricing import Decline, Offer, PackageToPrice, price_package
from forwarder_insure.domain.rate_card import RateCard
from forwarder_insure.domain.underwriting import UnderwriterTerms
from forwarder_insure.services.quote_tokens import QuotedTerms, QuoteSigner


@dataclass(frozen=True)
class Quote:
    reference: str
    offer: Offer | None
    decline: Decline | None
    token: str | None
    expires_at: datetime | None


def quote_packages(
    seller_id: str,
    packages: Sequence[PackageToPrice],
    *,
    card: RateCard,
    carriers: CarrierProfiles,
    underwriters: Iterable[UnderwriterTerms],
    signer: QuoteSigner,
    now: datetime,
) -> list[Quote]:
    """One quote per package, in order: an offer with its signed token, or a decline."""
    underwriters = tuple(underwriters)
    expires_at = now + card.quote_lifetime
    today = now.date()
    quotes = []
    for package in packages:
        result = price_package(package, card, carriers, underwriters, today)
        if isinstance(result, Decline):
            quotes.append(Quote(package.reference, None, result, None, None))
            continue
        token = signer.sign(
            QuotedTerms(
                quote_id=new_id("quo"),
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
