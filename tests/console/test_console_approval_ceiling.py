"""The approve form states the real ceiling: the lower of the amount claimed and the insured
value less deductible, since an approval above either is refused."""

from __future__ import annotations

import re

import pytest

from config.settings import DEFAULT_RATES_FILE, Settings
from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import submitted_claim
from tests.console.test_console_claim_actions import alert_of, page_of, post_form

pytestmark = pytest.mark.usefixtures("balanced_books")


@pytest.fixture
def settings(settings, tmp_path) -> Settings:
    """The default rate card with a 50.00 USD deductible: a 250.00 USD parcel pays at most
    200.00 USD."""
    card = DEFAULT_RATES_FILE.read_text(encoding="utf-8")
    usd = '[currencies.USD]\nmin_premium = "1.00"\nmax_insured_value = "10000.00"\n'
    assert usd + 'deductible = "0.00"' in card
    rates = tmp_path / "rates.toml"
    rates.write_text(card.replace(usd + 'deductible = "0.00"', usd + 'deductible = "50.00"'))
    return settings.with_overrides(rates_file=rates)


def approve_form(html: str) -> tuple[str, str]:
    """The approve form's prefilled amount and its hint."""
    form = re.search(r'<form id="approve".*?</form>', html, re.S)
    assert form, "no approve form on the page"
    amount = re.search(r'id="approve-amount"[^>]*value="([^"]*)"', form.group(0), re.S)
    hint = re.search(r'<p class="hint" id="approve-hint">(.*?)</p>', form.group(0), re.S)
    assert amount
    assert hint
    return amount.group(1), " ".join(hint.group(1).split())


def test_the_approve_hint_caps_at_the_amount_claimed(as_role, underwriter, clock, handler_page):
    """150.00 claimed where the insured value less deductible is 200.00: the form says and
    prefills at most 150.00, and an approval above it is refused on the page."""
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "CAP-1", amount="150.00")

    amount, hint = approve_form(page_of(handler_page, claim["id"]))
    assert amount == "150.00"
    assert hint.startswith("At most 150.00 USD (the lower of the amount claimed and the")
    assert "200.00" not in hint

    refused = post_form(handler_page, claim["id"], "approve", amount="200.00")
    assert refused.status_code == 422
    assert "above the 150.00 USD claimed" in alert_of(refused.get_data(as_text=True))


def test_the_approve_hint_caps_at_the_insured_value_less_deductible(
    as_role, underwriter, clock, handler_page
):
    """240.00 claimed on the same parcel: the insured value less deductible is the ceiling."""
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    claim = submitted_claim(seller, handler, clock, "CAP-2", amount="240.00")

    amount, hint = approve_form(page_of(handler_page, claim["id"]))
    assert amount == "200.00"
    assert hint.startswith("At most 200.00 USD (the lower of the amount claimed and the")
    assert "Above 1000.00 USD a supervisor must approve" in hint
