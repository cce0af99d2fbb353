"""Carrier profiles: silent period, loss window and base cover, per carrier and lane.

A lane is domestic when origin and destination country are the same. Resolution goes from the
most specific to the least: the carrier's service lane, the carrier's lane, then the default lane;
each field is taken from the first level that sets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from forwarder_insure.domain.config_tables import Table, load_toml
from forwarder_insure.domain.money import Money, MoneyError, check_currency

LANES = ("domestic", "international")


@dataclass(frozen=True)
class LaneProfile:
    """What applies to one parcel: when to ask the carrier, when it is lost, what it covers."""

    silent_period: timedelta
    loss_window: timedelta
    base_cover: dict[str, Money] = field(default_factory=dict)

    def base_cover_in(self, currency: str) -> Money | None:
        return self.base_cover.get(currency)


@dataclass(frozen=True)
class _LaneOverride:
    silent_days: int | None = None
    loss_window_days: int | None = None
    base_cover: dict[str, Money] | None = None


@dataclass(frozen=True)
class CarrierProfiles:
    default: dict[str, _LaneOverride]
    carriers: dict[str, dict[str, _LaneOverride]]
    services: dict[tuple[str, str], dict[str, _LaneOverride]]
    names: dict[str, str]

    def known(self, carrier: str) -> bool:
        return carrier in self.names

    def for_parcel(
        self, carrier: str, service: str | None, origin_country: str, destination_country: str
    ) -> LaneProfile:
        lane = "domestic" if origin_country == destination_country else "international"
        levels = [
            self.services.get((carrier, service or ""), {}).get(lane),
            self.carriers.get(carrier, {}).get(lane),
            self.default[lane],
        ]

        def first(attribute: str) -> Any:
            for level in levels:
                if level is not None and getattr(level, attribute) is not None:
                    return getattr(level, attribute)
            return None

        return LaneProfile(
            silent_period=timedelta(days=first("silent_days")),
            loss_window=timedelta(days=first("loss_window_days")),
            base_cover=first("base_cover") or {},
        )


def load_carrier_profiles(path: Path) -> CarrierProfiles:
    return parse_carrier_profiles(load_toml(path), path.name)


def parse_carrier_profiles(data: dict[str, Any], source: str) -> CarrierProfiles:
    root = Table(data, source)
    default_table = root.table("default")
    default = {lane: _lane(default_table.table(lane)) for lane in LANES}
    for lane, override in default.items():
        if override.silent_days is None or override.loss_window_days is None:
            raise default_table.fail(lane, "must set silent_days and loss_window_days")
    carriers: dict[str, dict[str, _LaneOverride]] = {}
    services: dict[tuple[str, str], dict[str, _LaneOverride]] = {}
    names: dict[str, str] = {}
    for carrier, table in root.table("carriers", {}).tables():
        names[carrier] = table.string("name", carrier)
        carriers[carrier] = _lanes(table)
        for service, service_table in table.table("services", {}).tables():
            services[(carrier, service)] = _lanes(service_table)
    profiles = CarrierProfiles(default=default, carriers=carriers, services=services, names=names)
    _check_windows(profiles, root)
    return profiles


def _check_windows(profiles: CarrierProfiles, root: Table) -> None:
    """Every lane a parcel can resolve to must presume loss only after the inquiry opens."""
    lanes = {"domestic": ("US", "US"), "international": ("US", "GB")}
    resolvable: list[tuple[str, str | None, str]] = [("", None, "default")]
    resolvable += [(carrier, None, f"carriers.{carrier}") for carrier in profiles.carriers]
    resolvable += [
        (carrier, service, f"carriers.{carrier}.services.{service}")
        for carrier, service in profiles.services
    ]
    for carrier, service, key in resolvable:
        for lane, (origin, destination) in lanes.items():
            profile = profiles.for_parcel(carrier, service, origin, destination)
            if profile.loss_window <= profile.silent_period:
                raise root.fail(
                    f"{key}.{lane}",
                    f"loss_window_days ({profile.loss_window.days}) must be longer than "
                    f"silent_days ({profile.silent_period.days})",
                )


def _lanes(table: Table) -> dict[str, _LaneOverride]:
    return {lane: _lane(table.table(lane)) for lane in LANES if table.has(lane)}


def _lane(table: Table) -> _LaneOverride:
    cover: dict[str, Money] | None = None
    if table.has("base_cover"):
        cover_table = table.table("base_cover")
        cover = {}
        for currency in cover_table.data:
            try:
                check_currency(currency)
                cover[currency] = Money.of(cover_table.decimal(currency), currency)
            except MoneyError as exc:
                raise cover_table.fail(currency, str(exc)) from None
            if cover[currency].amount <= 0:
                raise cover_table.fail(currency, "must be greater than zero")
    return _LaneOverride(
        silent_days=table.integer("silent_days", None, minimum=1)
        if table.has("silent_days")
        else None,
        loss_window_days=(
            table.integer("loss_window_days", None, minimum=1)
            if table.has("loss_window_days")
            else None
        ),
        base_cover=cover,
    )
