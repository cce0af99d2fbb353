"""GET /claims takes the console queue's filters and sorts (``services/claim_queue.py``), pages
each sort by cursor without repeats or gaps, and never shows a seller another seller's claim."""

from __future__ import annotations

import base64
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import file_claim
from tests.fixtures.insurance import bound

MINE, THEIRS = "S-1001", "S-2002"


@pytest.fixture
def claims(as_role, underwriter, clock):
    """Five claims of S-1001 (lost and damaged, amounts apart, one withdrawn) filed a minute
    apart, and one of S-2002."""
    mine, theirs = as_role(Role.SELLER, MINE), as_role(Role.SELLER, THEIRS)
    made = []
    for number, (kind, amount) in enumerate(
        [("lost", "120.00"), ("damaged", "40.00"), ("lost", "200.00"), ("damaged", "90.00")]
    ):
        made.append(file_claim(mine, bound(mine, f"LIST-{number}")["id"], amount, kind))
        clock.advance(minutes=1)
    withdrawn = file_claim(mine, bound(mine, "LIST-W")["id"], "60.00", "lost")
    assert mine.post(f"/api/v1/claims/{withdrawn['id']}/withdraw", json={}).status_code == 200
    made.append(mine.get(f"/api/v1/claims/{withdrawn['id']}").get_json())
    other = file_claim(theirs, bound(theirs, "LIST-X")["id"], "70.00", "lost")
    return {"mine": made, "theirs": [other]}


def listed(client, **args) -> list[dict]:
    """Every claim the list answers for ``args``, following next_cursor two at a time."""
    items, cursor = [], None
    for _ in range(20):
        query = {**args, "limit": 2} | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/v1/claims?" + urlencode(query, doseq=True))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def amount(claim: dict) -> Decimal:
    return Decimal(claim["amount_claimed"]["amount"])


def test_each_filter_keeps_only_its_claims(as_role, claims):
    handler = as_role(Role.HANDLER)
    everything = claims["mine"] + claims["theirs"]
    assert sorted(ids(listed(handler))) == sorted(ids(everything))
    assert ids(listed(handler, kind="damaged")) == ids(
        [c for c in reversed(everything) if c["kind"] == "damaged"]
    )
    assert ids(listed(handler, status="withdrawn")) == [claims["mine"][-1]["id"]]
    both = listed(handler, status=["withdrawn", "draft"])
    assert sorted(ids(both)) == sorted(ids(everything))
    assert ids(listed(handler, seller_id=THEIRS)) == ids(claims["theirs"])
    assert listed(handler, decision_overdue="true") == []
    assert listed(handler, fast_tracked="true") == []
    assert listed(handler, flag="invoice_mismatch") == []
    assert len(listed(handler, fast_tracked="false", decision_overdue="false")) == 6


@pytest.mark.parametrize(
    ("sort", "key", "reverse"),
    [
        ("amount_claimed", amount, False),
        ("-amount_claimed", amount, True),
        ("created_at", lambda c: c["created_at"], False),
        ("-created_at", lambda c: c["created_at"], True),
    ],
)
def test_each_sort_pages_without_repeats_or_gaps(as_role, claims, sort, key, reverse):
    handler = as_role(Role.HANDLER)
    everything = claims["mine"] + claims["theirs"]
    seen = listed(handler, sort=sort)
    assert len(ids(seen)) == len(set(ids(seen))) == len(everything)
    assert [key(c) for c in seen] == sorted((key(c) for c in everything), reverse=reverse)


@pytest.mark.parametrize("sort", ["decision_due_at", "-decision_due_at", "submitted_at"])
def test_a_sort_on_a_missing_value_pages_every_claim_once_by_id(as_role, claims, sort):
    """No claim here has a decision due or was submitted: all NULL, so ties page by id."""
    seen = listed(as_role(Role.HANDLER), sort=sort)
    everything = ids(claims["mine"] + claims["theirs"])
    expected = sorted(everything, reverse=sort.startswith("-"))
    assert ids(seen) == expected


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"seller_id": THEIRS},
        {"status": ["draft", "withdrawn"], "seller_id": THEIRS},
        {"kind": "lost", "sort": "-amount_claimed"},
        {"sort": "created_at", "settlement_overdue": "false"},
    ],
)
def test_a_seller_never_lists_another_sellers_claim(as_role, claims, args):
    """Whatever a seller asks for, it lists its own claims only: another seller's id answers an
    empty list, as GET /coverages?seller_id= does."""
    seller = as_role(Role.SELLER, MINE)
    seen = listed(seller, **args)
    assert all(claim["seller_id"] == MINE for claim in seen)
    if args.get("seller_id") == THEIRS:
        assert seen == []
    assert seller.get(f"/api/v1/coverages?seller_id={THEIRS}").get_json()["items"] == []


def test_a_seller_may_not_filter_by_screening_flag(as_role, claims):
    seller = as_role(Role.SELLER, MINE)
    response = seller.get("/api/v1/claims?flag=invoice_mismatch")
    assert response.status_code == 403
    assert response.get_json()["code"] == "staff_only_filter"


def test_a_cursor_belongs_to_its_sort(as_role, claims):
    handler = as_role(Role.HANDLER)
    cursor = handler.get("/api/v1/claims?sort=amount_claimed&limit=2").get_json()["next_cursor"]
    assert cursor
    response = handler.get(f"/api/v1/claims?sort=-created_at&limit=2&cursor={cursor}")
    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid_cursor"
    assert handler.get("/api/v1/claims?sort=colour").status_code == 422


@pytest.mark.parametrize(
    "raw",
    [
        '["amount_claimed",100000000000000000000000000000,"clm_x"]',
        '["created_at","0001-01-01T00:00:00+01:00","clm_x"]',
        '["created_at","2030-01-01T00:00:00","clm_x"]',
        '["created_at",null,""]',
        "not json",
    ],
)
def test_a_forged_cursor_is_refused_not_a_server_error(as_role, claims, raw):
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    sort = raw.split('"')[1] if raw.startswith("[") else "created_at"
    response = as_role(Role.HANDLER).get(f"/api/v1/claims?sort={sort}&cursor={cursor}")
    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid_cursor"
