"""The rate card: versioned pricing data loaded from TOML (``config/rates/*.toml``).

Parsing validates everything at start-up, so a bad card stops the app with a message naming the
key, instead of mis-pricing parcels later. The card itself only holds data; the premium formula
is in :mod:`forwarder_insure.domain.pricing`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from forwarder_insure.domain.config_tables import ConfigFileError, Table, load_toml
from forwarder_insure.domain.countries import is_country
from forwarder_insure.domain.money import Money, MoneyError, check_currency

CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


@dataclass(frozen=True)
class CurrencyTerms:
    min_premium: Money
    max_insured_value: Money
    deductible: Money


@dataclass(frozen=True)
class RateCard:
    version: str
    quote_lifetime: timedelta
    commission_rate: Decimal
    base_rates: dict[str, Decimal]
    prohibited_categories: frozenset[str]
    risk_multipliers: dict[str, Decimal]
    country_risk_group: dict[str, str]
    default_risk_group: str
    carrier_multipliers: dict[str, Decimal]
    default_carrier_multiplier: Decimal
    currencies: dict[str, CurrencyTerms]

    @property
    def categories(self) -> list[str]:
        """Every category a quote may name: priced ones and prohibited ones (which are declined)."""
        return sorted(set(self.base_rates) | self.prohibited_categories)

    def knows(self, category: str) -> bool:
        """Whether a quote may name ``category`` (it is in :attr:`categories`)."""
        return category in self.base_rates or category in self.prohibited_categories

    def risk_group(self, destination_country: str) -> str:
        return self.country_risk_group.get(destination_country, self.default_risk_group)

    def carrier_multiplier(self, carrier: str) -> Decimal:
        return self.carrier_multipliers.get(carrier, self.default_carrier_multiplier)


def load_rate_card(path: Path) -> RateCard:
    return parse_rate_card(load_toml(path), path.name)


def parse_rate_card(data: dict[str, Any], source: str) -> RateCard:
    """Validate a decoded rate card; raises ConfigFileError naming the offending key."""
    root = Table(data, source)
    version = root.string("version")
    lifetime = root.integer("quote_lifetime_seconds", 1800, minimum=10)
    commission = root.decimal("commission_rate")
    if not 0 <= commission < 1:
        raise root.fail("commission_rate", f"must be at least 0 and below 1, not {commission}")

    rates_table = root.table("base_rates")
    base_rates = {name: rates_table.positive_decimal(name) for name in rates_table.data}
    if not base_rates:
        raise root.fail("base_rates", "must price at least one category")
    prohibited = frozenset(root.strings("prohibited_categories", []))
    for key, names in (("base_rates", set(base_rates)), ("prohibited_categories", prohibited)):
        for name in sorted(names):
            if not CATEGORY.match(name):
                raise root.fail(key, f"{name!r} is not a category name (lower_snake_case)")
    both = set(base_rates) & prohibited
    if both:
        raise root.fail("prohibited_categories", f"{sorted(both)} are also priced in base_rates")

    risk = root.table("destination_risk")
    multipliers: dict[str, Decimal] = {}
    country_group: dict[str, str] = {}
    for group, table in risk.table("groups").tables():
        multipliers[group] = table.positive_decimal("multiplier")
        for country in table.strings("countries", []):
            if not is_country(country):
                raise table.fail("countries", f"{country!r} is not an ISO 3166 alpha-2 code")
            if country in country_group:
                raise table.fail(
                    "countries", f"{country} is already in group {country_group[country]}"
                )
            country_group[country] = group
    default_group = risk.string("default_group")
    if default_group not in multipliers:
        raise risk.fail("default_group", f"{default_group!r} is not one of the groups")

    carriers = root.table("carrier_multipliers")
    carrier_multipliers = {name: carriers.positive_decimal(name) for name in carriers.data}
    default_carrier = carrier_multipliers.pop("default", None)
    if default_carrier is None:
        raise carriers.fail("default", "is required (the multiplier for unlisted carriers)")

    currencies: dict[str, CurrencyTerms] = {}
    for code, table in root.table("currencies").tables():
        try:
            check_currency(code)
        except MoneyError:
            raise root.fail(f"currencies.{code}", "is not an ISO 4217 currency code") from None
        currencies[code] = _currency_terms(table, code)
    if not currencies:
        raise root.fail("currencies", "must list at least one currency")

    return RateCard(
        version=version,
        quote_lifetime=timedelta(seconds=lifetime),
        commission_rate=commission,
        base_rates=base_rates,
        prohibited_categories=prohibited,
        risk_multipliers=multipliers,
        country_risk_group=country_group,
        default_risk_group=default_group,
        carrier_multipliers=carrier_multipliers,
        default_carrier_multiplier=default_carrier,
        currencies=currencies,
    )


def _currency_terms(table: Table, code: str) -> CurrencyTerms:
    def money(name: str) -> Money:
        try:
            return Money.of(table.decimal(name), code)
        except MoneyError as exc:
            raise table.fail(name, str(exc)) from None

    terms = CurrencyTerms(
        min_premium=money("min_premium"),
        max_insured_value=money("max_insured_value"),
        deductible=money("deductible"),
    )
    for name in ("min_premium", "deductible"):
        if getattr(terms, name).amount < 0:
            raise table.fail(name, "must not be negative")
    if terms.max_insured_value.amount <= 0:
        raise table.fail("max_insured_value", "must be greater than zero")
    if terms.deductible >= terms.max_insured_value:
        raise table.fail("deductible", "must be below max_insured_value")
    if terms.min_premium >= terms.max_insured_value:
        raise table.fail("min_premium", "must be below max_insured_value")
    return terms


__all__ = ["ConfigFileError", "CurrencyTerms", "RateCard", "load_rate_card", "parse_rate_card"]
