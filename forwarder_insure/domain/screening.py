"""Screening: explainable rules that flag a claim for a closer look.

Each rule looks at the facts of one claim and either says nothing or raises a :class:`Flag` with
a stable code, a sentence ops can read, and a weight. The score is the sum of the weights. A
flagged claim is never approved automatically; a claim scoring at or above the review score is
shown first in the queue. Nothing here decides: people do, with the reasons in front of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from forwarder_insure.domain.claim_rules import ScreeningThresholds
from forwarder_insure.domain.money import Money


@dataclass(frozen=True)
class Flag:
    code: str
    detail: str
    weight: int


@dataclass(frozen=True)
class ClaimFacts:
    """What screening may look at, gathered by the claims service."""

    kind: str
    amount_claimed: Money
    declared_value: Money
    #: The invoice amount the seller stated with its value proof, if any.
    invoice_amount: Money | None
    #: When the claim was submitted (screening runs then).
    filed_at: datetime
    bound_at: datetime
    first_scan_at: datetime | None
    last_event_at: datetime | None
    delivered: bool
    silent_period: timedelta
    #: When an inquiry had opened on the parcel before binding (None: none had).
    inquiry_opened_before_binding: datetime | None
    #: Evidence of this claim whose SHA-256 is on other claims: (sha256, other claim ids).
    reused_evidence: tuple[tuple[str, tuple[str, ...]], ...]
    #: The seller's claims filed in the screening window (this one included) and its coverages
    #: bound in that window.
    seller_claims_in_window: int
    seller_coverages_in_window: int


@dataclass(frozen=True)
class Screening:
    score: int
    flags: tuple[Flag, ...]

    @property
    def clean(self) -> bool:
        return not self.flags


Rule = Callable[[ClaimFacts, ScreeningThresholds], Flag | None]


def amount_above_declared_value(facts: ClaimFacts, _: ScreeningThresholds) -> Flag | None:
    if facts.amount_claimed > facts.declared_value:
        return Flag(
            "amount_above_declared_value",
            f"{facts.amount_claimed} claimed against a declared value of {facts.declared_value}",
            40,
        )
    return None


def amount_above_invoice(facts: ClaimFacts, _: ScreeningThresholds) -> Flag | None:
    invoice = facts.invoice_amount
    comparable = invoice is not None and invoice.currency == facts.amount_claimed.currency
    if comparable and invoice is not None and facts.amount_claimed > invoice:
        return Flag(
            "amount_above_invoice",
            f"{facts.amount_claimed} claimed, but the invoice shows {invoice}",
            30,
        )
    return None


def lost_but_delivered(facts: ClaimFacts, _: ScreeningThresholds) -> Flag | None:
    if facts.kind == "lost" and facts.delivered:
        return Flag(
            "lost_but_delivered",
            "claimed as lost, but the carrier recorded a delivery scan",
            50,
        )
    return None


def claimed_before_silent_period(facts: ClaimFacts, _: ScreeningThresholds) -> Flag | None:
    if facts.kind != "lost" or facts.delivered:
        return None
    since = facts.last_event_at or facts.bound_at
    if facts.filed_at - since < facts.silent_period:
        quiet = facts.filed_at - since
        return Flag(
            "claimed_before_silent_period",
            f"claimed lost after {_days(quiet)} without news; the carrier's silent period is "
            f"{_days(facts.silent_period)}",
            20,
        )
    return None


def evidence_reused(facts: ClaimFacts, _: ScreeningThresholds) -> Flag | None:
    if not facts.reused_evidence:
        return None
    others = sorted({claim for _, claims in facts.reused_evidence for claim in claims})
    return Flag(
        "evidence_reused",
        f"{len(facts.reused_evidence)} evidence file(s) identical (SHA-256) to files on "
        f"claim(s) {', '.join(others)}",
        40,
    )


def bound_after_trouble(facts: ClaimFacts, _: ScreeningThresholds) -> Flag | None:
    if facts.inquiry_opened_before_binding is not None:
        return Flag(
            "bound_after_inquiry",
            "the coverage was bound after an inquiry had already opened on the parcel",
            50,
        )
    if facts.first_scan_at is not None and facts.first_scan_at < facts.bound_at:
        return Flag(
            "bound_after_first_scan",
            "the coverage was bound after the carrier had already scanned the parcel",
            25,
        )
    return None


def seller_claim_frequency(facts: ClaimFacts, limits: ScreeningThresholds) -> Flag | None:
    if facts.seller_claims_in_window > limits.max_claims_in_window:
        return Flag(
            "seller_claim_frequency",
            f"{facts.seller_claims_in_window} claims by this seller in {_days(limits.window)} "
            f"(more than {limits.max_claims_in_window})",
            15,
        )
    return None


def seller_claim_rate(facts: ClaimFacts, limits: ScreeningThresholds) -> Flag | None:
    if facts.seller_coverages_in_window < limits.min_coverages_for_rate:
        return None
    rate = Decimal(facts.seller_claims_in_window) / Decimal(facts.seller_coverages_in_window)
    if rate > limits.max_claim_rate:
        return Flag(
            "seller_claim_rate",
            f"{rate:.1%} of this seller's parcels in {_days(limits.window)} became claims "
            f"(more than {limits.max_claim_rate:.1%})",
            15,
        )
    return None


RULES: tuple[Rule, ...] = (
    amount_above_declared_value,
    amount_above_invoice,
    lost_but_delivered,
    claimed_before_silent_period,
    evidence_reused,
    bound_after_trouble,
    seller_claim_frequency,
    seller_claim_rate,
)


def screen(facts: ClaimFacts, limits: ScreeningThresholds) -> Screening:
    """Apply every rule; the flags come in rule order."""
    flags = tuple(flag for rule in RULES if (flag := rule(facts, limits)) is not None)
    return Screening(score=sum(f.weight for f in flags), flags=flags)


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:.0f} days" if days >= 1 else f"{span.total_seconds() / 3600:.0f} hours"
