"""The claim state machine, the evidence checklist, amounts, and the claim rule file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from config.settings import CONFIG_DIR
from forwarder_insure.domain.claim_rules import load_claim_rules, parse_claim_rules
from forwarder_insure.domain.claims import (
    CHECKLISTS,
    FINAL_STATUSES,
    TRANSITIONS,
    ClaimKind,
    ClaimStatus,
    DocumentKind,
    Stage,
    Step,
    TransitionRefused,
    allowed_steps,
    check_amount_approved,
    check_amount_claimed,
    checklist_item,
    complete,
    max_approvable,
    missing,
    next_status,
    ready_to_submit,
)
from forwarder_insure.domain.config_tables import ConfigFileError
from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.money import Money

CLAIMS_FILE = CONFIG_DIR / "claims.toml"
S, St, D = ClaimStatus, Step, DocumentKind


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def test_the_happy_path_from_draft_to_settled():
    status = S.DRAFT
    for step in (St.SUBMIT, St.APPROVE, St.ADVANCE_PAYOUT, St.INSURER_ACCEPT, St.INSURER_SETTLE):
        status = next_status(status, step)
    assert status is S.SETTLED


def test_documents_requested_then_resubmitted():
    assert next_status(S.SUBMITTED, St.REQUEST_DOCUMENTS) is S.NEEDS_INFO
    assert next_status(S.NEEDS_INFO, St.SUBMIT) is S.SUBMITTED


@pytest.mark.parametrize("final", sorted(FINAL_STATUSES))
def test_nothing_happens_after_a_final_status(final):
    assert allowed_steps(final) == []
    with pytest.raises(TransitionRefused) as refused:
        next_status(final, St.APPROVE)
    assert refused.value.code == "transition_not_allowed"


def test_money_once_advanced_cannot_be_denied_or_withdrawn():
    for step in (St.DENY, St.WITHDRAW, St.APPROVE):
        with pytest.raises(TransitionRefused):
            next_status(S.PAYOUT_ADVANCED, step)


def test_a_refusal_names_the_steps_that_are_possible():
    with pytest.raises(TransitionRefused, match=r"possible steps: .*submit"):
        next_status(S.DRAFT, St.APPROVE)


def test_every_status_is_reachable_from_draft():
    reached, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        status = frontier.pop()
        for (frm, _), to in TRANSITIONS.items():
            if frm is status and to not in reached:
                reached.add(to)
                frontier.append(to)
    assert reached == set(ClaimStatus)


def test_the_checklists_follow_the_design_table():
    lost = {item.kind: item.stage for item in CHECKLISTS[ClaimKind.LOST]}
    assert lost == {
        D.DELIVERY_RECORD: Stage.SUBMISSION,
        D.VALUE_PROOF: Stage.SUBMISSION,
        D.DELIVERY_CERTIFICATE: Stage.SUBMISSION,
        D.DISPUTE_SCREENSHOT: Stage.GRACE,
        D.CARRIER_LOSS_LETTER: Stage.GRACE,
    }
    for kind in (ClaimKind.DAMAGED, ClaimKind.MISSING_CONTENTS):
        stages = {item.kind: item.stage for item in CHECKLISTS[kind]}
        assert stages == lost | {D.DAMAGE_PHOTOS: Stage.SUBMISSION}


def test_a_lost_parcel_claim_takes_no_damage_photos():
    with pytest.raises(Invalid) as refused:
        checklist_item(ClaimKind.LOST, D.DAMAGE_PHOTOS)
    assert refused.value.code == "document_kind_not_accepted"
    assert checklist_item(ClaimKind.DAMAGED, D.DAMAGE_PHOTOS).stage is Stage.SUBMISSION


def test_submission_needs_only_the_submission_stage_documents():
    received = [D.DELIVERY_RECORD, D.VALUE_PROOF]
    assert missing(ClaimKind.LOST, received, Stage.SUBMISSION) == [D.DELIVERY_CERTIFICATE]
    assert not ready_to_submit(ClaimKind.LOST, received)
    received.append(D.DELIVERY_CERTIFICATE)
    assert ready_to_submit(ClaimKind.LOST, received)
    assert not complete(ClaimKind.LOST, received)
    assert missing(ClaimKind.LOST, received) == [D.DISPUTE_SCREENSHOT, D.CARRIER_LOSS_LETTER]
    assert complete(ClaimKind.LOST, [*received, D.DISPUTE_SCREENSHOT, D.CARRIER_LOSS_LETTER])
    assert not ready_to_submit(ClaimKind.DAMAGED, received)


def test_claimed_amounts_are_positive_and_at_most_the_insured_value():
    check_amount_claimed(usd("250.00"), usd("250.00"))
    for amount, code in (
        (usd("250.01"), "claim_above_insured_value"),
        (usd("0.00"), "claim_amount"),
        (Money.of("10.00", "EUR"), "claim_currency"),
    ):
        with pytest.raises(Invalid) as refused:
            check_amount_claimed(amount, usd("250.00"))
        assert refused.value.code == code


def test_approval_is_capped_at_insured_value_less_deductible():
    assert max_approvable(usd("250.00"), usd("25.00")) == usd("225.00")
    assert max_approvable(usd("10.00"), usd("25.00")) == usd("0.00")
    check_amount_approved(usd("225.00"), usd("250.00"), usd("25.00"), usd("250.00"))
    with pytest.raises(Invalid) as refused:
        check_amount_approved(usd("225.01"), usd("250.00"), usd("25.00"), usd("250.00"))
    assert refused.value.code == "approval_above_maximum"


def test_approval_never_exceeds_the_amount_claimed():
    check_amount_approved(usd("100.00"), usd("2000.00"), usd("0.00"), usd("100.00"))
    with pytest.raises(Invalid) as refused:
        check_amount_approved(usd("100.01"), usd("2000.00"), usd("0.00"), usd("100.00"))
    assert refused.value.code == "approval_above_claimed"


def test_the_shipped_claim_rules_load_with_their_defaults():
    rules = load_claim_rules(CLAIMS_FILE)
    assert rules.grace_period.days == 30
    assert rules.decision_sla.total_seconds() == 48 * 3600
    assert rules.insurer_settlement_working_days == 3
    assert rules.fast_track_allows(usd("100.00"))
    assert not rules.fast_track_allows(usd("100.01"))
    assert not rules.needs_supervisor(usd("1000.00"))
    assert rules.needs_supervisor(usd("1000.01"))
    assert rules.fast_track_allows(Money.of("15000", "JPY"))


def test_a_currency_without_limits_gets_no_fast_track_and_a_supervisor():
    rules = load_claim_rules(CLAIMS_FILE)
    chf = Money.of("1.00", "CHF")
    assert not rules.fast_track_allows(chf)
    assert rules.needs_supervisor(chf)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d["limits"]["USD"].update(fast_track="5000.00"), "limits.USD.fast_track"),
        (lambda d: d["limits"]["USD"].update(four_eyes=1000), "limits.USD.four_eyes"),
        (lambda d: d["limits"].update(XYZ={"fast_track": "1", "four_eyes": "2"}), "limits.XYZ"),
        (lambda d: d["screening"].update(max_claim_rate="1.5"), "screening.max_claim_rate"),
        (lambda d: d.pop("grace_period_days"), "grace_period_days"),
    ],
)
def test_a_bad_claim_rule_file_names_the_key(change, key):
    data = tomllib.loads(Path(CLAIMS_FILE).read_text())
    change(data)
    with pytest.raises(ConfigFileError, match=key.replace(".", r"\.")):
        parse_claim_rules(data, "claims.toml")
