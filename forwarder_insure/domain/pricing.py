"""The premium of one package, and why a package is declined.

The formula, in one place::

    excess     = max(0, declared value - carrier base cover in the same currency)
    raw        = excess * base_rate[category] * risk_multiplier[destination group]
                        * carrier_multiplier[carrier]
    premium    = max(min_premium[currency], round_half_up(raw, currency minor unit))
    insured    = declared value            (the whole value is insured; the carrier's base cover
                                            pays first, the underwriter the rest)
    deductible = deductible[currency], never more than the insured value

Declines are checked in this order, and the first that applies is given: ``unsupported_currency``
(the card has no terms for it), ``prohibited_category``, ``value_above_maximum``,
``no_underwriter``. The minimum premium applies even when the carrier covers everything: the
seller still buys our claims handling and the underwriter's backing above the carrier's limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from forwarder_insure.domain.carriers import CarrierProfiles, LaneProfile
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.rate_card import RateCard
from forwarder_insure.domain.underwriting import UnderwriterTerms, choose_underwriter

DECLINE_CODES = (
    "prohibited_category",
    "value_above_maximum",
    "unsupported_currency",
    "no_underwriter",
)


@dataclass(frozen=True)
class PackageToPrice:
    reference: str
    declared_value: Money
    category: str
    origin_country: str
    destination_country: str
    carrier: str
    service: str | None
    weight_kg: Decimal


@dataclass(frozen=True)
class Offer:
    premium: Money
    insured_value: Money
    deductible: Money
    carrier_base_cover: Money | None
    underwriter: UnderwriterTerms
    rate_card_version: str
    #: The factors that made the premium, for explaining it to a seller or an auditor.
    base_rate: Decimal
    risk_group: str
    risk_multiplier: Decimal
    carrier_multiplier: Decimal


@dataclass(frozen=True)
class Decline:
    code: str
    detail: str


def price_package(
    package: PackageToPrice,
    card: RateCard,
    carriers: CarrierProfiles,
    underwriters: Iterable[UnderwriterTerms],
    on: date,
) -> Offer | Decline:
    """An offer for ``package`` under ``card`` on day ``on``, or the reason there is none."""
    return Pricer(card, carriers, underwriters, on).price(package)


class Pricer:
    """Prices packages under one card and underwriter list on one day.

    Packages mostly share their lanes, so the underwriter and carrier lane of each distinct lane
    are looked up once (and forgotten past :data:`MEMO_LIMIT` lanes).
    """

    MEMO_LIMIT = 50_000

    def __init__(
        self,
        card: RateCard,
        carriers: CarrierProfiles,
        underwriters: Iterable[UnderwriterTerms],
        on: date,
    ):
        self.card = card
        self.carriers = carriers
        self.underwriters = tuple(underwriters)
        self.on = on
        self._underwriter: dict[tuple[str, str, str], UnderwriterTerms | None] = {}
        self._lane: dict[tuple[str, str | None, str, str], LaneProfile] = {}

    def price(self, package: PackageToPrice) -> Offer | Decline:
        card, value = self.card, package.declared_value
        terms = card.currencies.get(value.currency)
        if terms is None:
            return Decline(
                "unsupported_currency",
                f"{value.currency} is not insured; currencies are "
                f"{', '.join(sorted(card.currencies))}",
            )
        if package.category in card.prohibited_categories:
            return Decline("prohibited_category", f"{package.category} goods cannot be insured")
        if value > terms.max_insured_value:
            return Decline(
                "value_above_maximum",
                f"the declared value {value} is above the maximum of {terms.max_insured_value}",
            )
        origin, destination = package.origin_country, package.destination_country
        underwriter = self._underwriter_for(origin, destination, package.category)
        if underwriter is None:
            return Decline(
                "no_underwriter",
                f"no underwriter is licensed for {origin} to {destination} "
                f"({package.category}) on {self.on.isoformat()}",
            )

        lane = self._lane_for(package.carrier, package.service, origin, destination)
        base_cover = lane.base_cover_in(value.currency)
        covered = min(base_cover, value) if base_cover is not None else None
        excess = value - covered if covered is not None else value
        base_rate = card.base_rates[package.category]
        group = card.risk_group(destination)
        risk = card.risk_multipliers[group]
        carrier = card.carrier_multiplier(package.carrier)
        premium = max(excess.times(base_rate * risk * carrier), terms.min_premium)
        return Offer(
            premium=premium,
            insured_value=value,
            deductible=min(terms.deductible, value),
            carrier_base_cover=covered,
            underwriter=underwriter,
            rate_card_version=card.version,
            base_rate=base_rate,
            risk_group=group,
            risk_multiplier=risk,
            carrier_multiplier=carrier,
        )

    def _underwriter_for(
        self, origin: str, destination: str, category: str
    ) -> UnderwriterTerms | None:
        key = (origin, destination, category)
        if key not in self._underwriter:
            if len(self._underwriter) >= self.MEMO_LIMIT:
                self._underwriter.clear()
            self._underwriter[key] = choose_underwriter(
                self.underwriters, origin, destination, category, self.on
            )
        return self._underwriter[key]

    def _lane_for(
        self, carrier: str, service: str | None, origin: str, destination: str
    ) -> LaneProfile:
        key = (carrier, service, origin, destination)
        if key not in self._lane:
            if len(self._lane) >= self.MEMO_LIMIT:
                self._lane.clear()
            self._lane[key] = self.carriers.for_parcel(carrier, service, origin, destination)
        return self._lane[key]
