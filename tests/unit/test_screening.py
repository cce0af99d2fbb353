"""Screening rules: each flag fires on its own facts, says why, and clean claims stay clean."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from forwarder_insure.domain.claim_rules import ScreeningThresholds
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.screening import ClaimFacts, screen

T0 = datetime(2026, 11, 1, tzinfo=UTC)
LIMITS = ScreeningThresholds(
    window=timedelta(days=90),
    max_claims_in_window=3,
    max_claim_rate=Decimal("0.05"),
    review_score=30,
)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


CLEAN = ClaimFacts(
    kind="lost",
    amount_claimed=usd("80.00"),
    declared_value=usd("100.00"),
    invoice_amount=usd("90.00"),
    filed_at=T0 + timedelta(days=30),
    bound_at=T0,
    first_scan_at=T0 + timedelta(hours=5),
    last_event_at=T0 + timedelta(days=2),
    delivered=False,
    silent_period=timedelta(days=14),
    inquiry_opened_before_binding=None,
    reused_evidence=(),
    seller_claims_in_window=1,
    seller_coverages_in_window=100,
)


def codes(facts: ClaimFacts) -> list[str]:
    return [flag.code for flag in screen(facts, LIMITS).flags]


def test_a_plain_claim_raises_no_flag():
    result = screen(CLEAN, LIMITS)
    assert result.clean
    assert result.score == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount_claimed": usd("100.01")}, "amount_above_declared_value"),
        ({"amount_claimed": usd("95.00")}, "amount_above_invoice"),
        ({"delivered": True}, "lost_but_delivered"),
        ({"filed_at": T0 + timedelta(days=10)}, "claimed_before_silent_period"),
        ({"reused_evidence": (("ab" * 32, ("clm_1", "clm_2")),)}, "evidence_reused"),
        ({"inquiry_opened_before_binding": T0 - timedelta(days=1)}, "bound_after_inquiry"),
        ({"first_scan_at": T0 - timedelta(hours=1)}, "bound_after_first_scan"),
        (
            {"seller_claims_in_window": 4, "seller_coverages_in_window": 1000},
            "seller_claim_frequency",
        ),
        ({"seller_claims_in_window": 3, "seller_coverages_in_window": 20}, "seller_claim_rate"),
    ],
)
def test_each_rule_flags_its_own_facts_with_a_reason(change, code):
    facts = replace(CLEAN, **change)
    result = screen(facts, LIMITS)
    assert code in [f.code for f in result.flags]
    flag = next(f for f in result.flags if f.code == code)
    assert flag.detail
    assert flag.weight > 0
    assert result.score == sum(f.weight for f in result.flags)


def test_damage_claims_are_not_judged_by_silence_or_delivery():
    damaged = replace(CLEAN, kind="damaged", delivered=True, filed_at=T0 + timedelta(days=3))
    assert codes(damaged) == []


def test_an_invoice_in_another_currency_is_not_compared():
    assert (
        codes(replace(CLEAN, amount_claimed=usd("95.00"), invoice_amount=Money.of("1.00", "EUR")))
        == []
    )


def test_reasons_name_the_figures():
    flags = screen(replace(CLEAN, amount_claimed=usd("100.01")), LIMITS).flags
    declared = next(f for f in flags if f.code == "amount_above_declared_value")
    assert "100.01 USD" in declared.detail
    assert "100.00 USD" in declared.detail
    [reuse] = screen(replace(CLEAN, reused_evidence=(("a" * 64, ("clm_9",)),)), LIMITS).flags
    assert "clm_9" in reuse.detail


def test_a_seller_with_no_parcels_in_the_window_has_no_rate():
    assert codes(replace(CLEAN, seller_claims_in_window=1, seller_coverages_in_window=0)) == []


def test_a_seller_with_few_parcels_is_not_judged_by_its_claim_rate():
    assert codes(replace(CLEAN, seller_claims_in_window=2, seller_coverages_in_window=19)) == []
    assert codes(replace(CLEAN, seller_claims_in_window=2, seller_coverages_in_window=20)) == [
        "seller_claim_rate"
    ]
