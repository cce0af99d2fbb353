"""Claim rules as versioned data (``config/claims.toml``): periods, SLAs and money limits.

The limits are per currency, stated by the rule file, so a JPY claim is never judged against a
USD figure through a floating exchange rate. A currency the file does not list has no fast track
and always needs a supervisor: the safe default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from forwarder_insure.domain.config_tables import Table, load_toml
from forwarder_insure.domain.money import Money, MoneyError, check_currency
from forwarder_insure.domain.payouts import RejectionBooking


@dataclass(frozen=True)
class ScreeningThresholds:
    window: timedelta
    max_claims_in_window: int
    max_claim_rate: Decimal
    review_score: int
    min_coverages_for_rate: int = 20


@dataclass(frozen=True)
class ClaimRules:
    version: str
    grace_period: timedelta
    grace_reminder: timedelta
    decision_sla: timedelta
    insurer_settlement_working_days: int
    screening: ScreeningThresholds
    fast_track: dict[str, Money]
    four_eyes: dict[str, Money]
    #: Who bears an advance the underwriter refuses: we (claims_loss) or the seller.
    insurer_rejection_booking: RejectionBooking = RejectionBooking.LOSS

    def fast_track_allows(self, amount: Money) -> bool:
        """Small enough to approve without a person (screening permitting)."""
        limit = self.fast_track.get(amount.currency)
        return limit is not None and amount <= limit

    def needs_supervisor(self, amount: Money) -> bool:
        """Above the four-eyes limit a handler may not approve alone."""
        limit = self.four_eyes.get(amount.currency)
        return limit is None or amount > limit


def load_claim_rules(path: Path) -> ClaimRules:
    return parse_claim_rules(load_toml(path), path.name)


def parse_claim_rules(data: dict[str, Any], source: str) -> ClaimRules:
    root = Table(data, source)
    screening = root.table("screening")
    rate = screening.decimal("max_claim_rate")
    if not 0 < rate <= 1:
        raise screening.fail("max_claim_rate", f"must be above 0 and at most 1, not {rate}")
    fast_track: dict[str, Money] = {}
    four_eyes: dict[str, Money] = {}
    for currency, table in root.table("limits").tables():
        try:
            check_currency(currency)
            fast_track[currency] = Money.of(table.decimal("fast_track"), currency)
            four_eyes[currency] = Money.of(table.decimal("four_eyes"), currency)
        except MoneyError as exc:
            raise root.fail(f"limits.{currency}", str(exc)) from None
        if fast_track[currency] > four_eyes[currency]:
            raise table.fail("fast_track", "must not be above four_eyes")
    return ClaimRules(
        version=root.string("version"),
        grace_period=timedelta(days=root.integer("grace_period_days", minimum=1)),
        grace_reminder=timedelta(days=root.integer("grace_reminder_days", 5, minimum=0)),
        decision_sla=timedelta(hours=root.integer("decision_sla_hours", minimum=1)),
        insurer_settlement_working_days=root.integer("insurer_settlement_working_days", minimum=1),
        screening=ScreeningThresholds(
            window=timedelta(days=screening.integer("window_days", minimum=1)),
            max_claims_in_window=screening.integer("max_claims_in_window", minimum=1),
            max_claim_rate=rate,
            review_score=screening.integer("review_score", minimum=1),
            min_coverages_for_rate=screening.integer("min_coverages_for_rate", 20, minimum=1),
        ),
        fast_track=fast_track,
        four_eyes=four_eyes,
        insurer_rejection_booking=_booking(root),
    )


def _booking(root: Table) -> RejectionBooking:
    value = root.string("insurer_rejection_booking", RejectionBooking.LOSS.value)
    try:
        return RejectionBooking(value)
    except ValueError:
        choices = ", ".join(b.value for b in RejectionBooking)
        raise root.fail("insurer_rejection_booking", f"must be one of {choices}") from None
