"""The console's money page: advances awaiting the insurer, overdue settlements, the books.

Every test here moves money, so each ends by proving the whole book balances.
"""

from __future__ import annotations

import re

import pytest

from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from tests.api.test_payouts import DAY, balances, paid_claim, run

pytestmark = pytest.mark.usefixtures("balanced_books")


def accept(handler, claim_id: str, when) -> None:
    accepted = handler.post(
        f"/api/v1/claims/{claim_id}/insurer-acceptance",
        json={"insurer_reference": f"HM-{claim_id[-4:]}", "accepted_at": format_instant(when)},
    )
    assert accepted.status_code == 200, accepted.get_json()


def section(html: str, heading_id: str) -> str:
    """One ``<section>`` of the page, found by its heading's id."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(1)


def test_the_money_page_shows_what_the_insurer_owes_and_what_is_late(
    app, as_role, underwriter, clock, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    waiting = paid_claim(seller, handler, clock, "MON-1", amount="190.00")
    late = paid_claim(seller, handler, clock, "MON-2", amount="150.00")
    settled = paid_claim(seller, handler, clock, "MON-3", amount="120.00")
    accept(handler, late["id"], clock.now())
    accept(handler, settled["id"], clock.now())
    paid = handler.post(
        f"/api/v1/claims/{settled['id']}/insurer-settlement",
        json={
            "amount": {"amount": "120.00", "currency": "USD"},
            "paid_at": format_instant(clock.now()),
        },
    )
    assert paid.status_code == 200, paid.get_json()
    assert run(app, "insurer-sla", clock.now() + 7 * DAY)["overdue"] == 1

    page = handler_page.get("/ops/money")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'aria-current="page">Money</a>' in html

    awaiting = section(html, "awaiting-heading")
    row = re.search(
        rf'<tr class="([^"]*)" data-payout-id="{waiting["payout"]["id"]}">(.*?)</tr>',
        awaiting,
        re.S,
    )
    assert row
    assert "overdue" not in row.group(1)
    cells = row.group(2)
    assert f'href="/ops/claims/{waiting["id"]}"' in cells
    assert "S-1001" in cells
    assert cells.count("190.00 USD") == 2  # the amount, all of it the underwriter's part
    assert "0.00 USD" in cells  # the carrier's part
    assert f'datetime="{waiting["payout"]["advanced_at"]}"' in cells
    assert "Not yet accepted by the insurer" in cells
    assert settled["id"] not in html  # settled: nothing owed any more

    overdue = section(html, "overdue-heading")
    assert f'data-claim-id="{late["id"]}"' in overdue
    assert "Overdue: insurer settlement" in overdue
    assert waiting["id"] not in overdue
    late_due = handler.get(f"/api/v1/claims/{late['id']}").get_json()["insurer"]
    assert f'datetime="{late_due["settlement_due_at"]}"' in overdue

    totals = section(html, "outstanding-heading")
    usd = re.search(r'<tr data-currency="USD">(.*?)</tr>', totals, re.S)
    assert usd
    cells = [c.strip() for c in re.findall(r'<td class="num"[^>]*>([^<]*)', usd.group(1))]
    assert cells == [
        "2",
        "340.00 USD",
        "340.00 USD",
        "150.00 USD",
    ]
    assert "overdue</strong>" in usd.group(1)


def test_the_ledger_balances_match_the_api_and_sum_to_zero_per_currency(
    as_role, underwriter, clock, handler_page
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    paid_claim(seller, handler, clock, "MON-4", amount="80.00")
    books = section(handler_page.get("/ops/money").get_data(as_text=True), "ledger-heading")
    shown = dict(
        re.findall(
            r'<tr data-account="([a-z_]+)">.*?<td class="num">(-?[0-9.]+) USD</td>', books, re.S
        )
    )
    assert {k: v for k, v in shown.items() if v not in ("0", "0.00")} == balances(handler)
    assert shown["claims_receivable_underwriter"] == "80.00"
    assert "Claims receivable from underwriters" in books
    assert re.search(r'<td class="num" data-sum>0\.00 USD</td>', books)
    assert "(balanced)" in books
    assert "Out of balance" not in books


def test_an_empty_book_says_so(handler_page):
    html = handler_page.get("/ops/money").get_data(as_text=True)
    assert "Nothing is booked yet." in html
    assert "No advance is awaiting the insurer." in html
    assert "No settlement is overdue." in html


@pytest.mark.parametrize("role", [Role.SELLER, Role.WAREHOUSE, Role.TRACKING])
def test_api_keys_do_not_open_the_money_page(as_role, role):
    client = as_role(role)
    assert client.get("/api/v1/payouts").status_code == 403
    assert client.get("/api/v1/ledger/balances").status_code == 403
    response = client.get("/ops/money")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/ops/login")
