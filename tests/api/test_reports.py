"""Bordereaux and the loss-ratio summary, through the API and the CLI."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from forwarder_insure.domain.access import Role
from tests.api.test_claim_documents import submitted_claim
from tests.api.test_payouts import paid_claim
from tests.fixtures.insurance import bound

pytestmark = pytest.mark.usefixtures("balanced_books")


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def bordereau(client, underwriter: str, kind: str, month: str = "2026-11"):
    return client.get(
        f"/api/v1/reports/bordereau?underwriter_id={underwriter}&month={month}&kind={kind}"
    )


def test_the_premium_bordereau_lists_bindings_and_voids_of_the_month(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    kept = bound(seller)
    voided = bound(seller)
    assert seller.post(f"/api/v1/coverages/{voided['id']}/void").status_code == 200
    clock.advance(days=15)  # December: next month's bordereau
    bound(seller)

    response = bordereau(handler, underwriter, "premium")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = rows(response.get_data(as_text=True))
    assert [(r["coverage_id"], r["transaction"]) for r in lines] == [
        (kept["id"], "bound"),
        (voided["id"], "bound"),
        (voided["id"], "voided"),
    ]
    premium = kept["premium"]["amount"]
    assert lines[0]["premium"] == premium
    assert lines[2]["premium"] == f"-{premium}"
    assert lines[0]["certificate_number"] == kept["certificate_number"]
    assert len(rows(bordereau(handler, underwriter, "premium", "2026-12").get_data(True))) == 1


def test_the_claims_bordereau_shows_paid_and_reserve(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    paid = paid_claim(seller, handler, clock, "REP-1", amount="150.00")
    waiting = submitted_claim(seller, handler, clock, "REP-2")
    december = bordereau(handler, underwriter, "claims", "2026-12").text  # both submitted then
    lines = {r["claim_id"]: r for r in rows(december)}
    assert lines[paid["id"]]["paid"] == "150.00"
    assert lines[paid["id"]]["reserve"] == "150.00"
    assert lines[paid["id"]]["status"] == "payout_advanced"
    assert lines[waiting["id"]]["paid"] == ""
    assert lines[waiting["id"]]["reserve"] == "200.00"  # nothing approved yet: the claim
    handler.post(f"/api/v1/claims/{waiting['id']}/deny", json={"reason": "not covered"})
    january = rows(bordereau(handler, underwriter, "claims", "2027-01").text)
    assert [r["claim_id"] for r in january] == [paid["id"]]  # the denial closed it in December
    assert rows(bordereau(handler, underwriter, "claims", "2026-11").text) == []


def test_loss_ratio_per_underwriter_and_month(as_role, underwriter, clock):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    coverage = bound(seller)
    paid_claim(seller, handler, clock, "REP-3", amount="150.00")  # decided in December
    november = handler.get("/api/v1/reports/loss-ratios?month=2026-11").get_json()["items"]
    [line] = november
    premium = Decimal(coverage["premium"]["amount"]) * 2  # this coverage and REP-3's
    assert Decimal(line["premium_written"]["amount"]) == premium
    assert line["claims_incurred"]["amount"] == "0.00"
    assert Decimal(line["ratio"]) == 0
    [december] = handler.get("/api/v1/reports/loss-ratios?month=2026-12").get_json()["items"]
    assert december["claims_incurred"]["amount"] == "150.00"
    assert december["claims_paid"]["amount"] == "150.00"
    assert december["premium_written"]["amount"] == "0.00"
    assert december["ratio"] is None  # no premium written: no ratio, not a division by zero


def test_the_loss_ratio_is_sent_as_the_decimal_string_the_document_describes(
    app, as_role, underwriter
):
    seller = as_role(Role.SELLER)
    bound(seller)
    [line] = as_role(Role.HANDLER).get("/api/v1/reports/loss-ratios?month=2026-11").json["items"]
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = spec["components"]["schemas"]["LossRatio"]["properties"]["ratio"]
    assert documented["type"] == "string"
    assert documented["format"] == "decimal"
    assert documented["nullable"] is True
    assert isinstance(line["ratio"], str)
    assert re.fullmatch(documented["pattern"], line["ratio"])
    assert line["ratio"] == "0.0000"


def test_reports_refuse_bad_input_and_sellers(as_role, underwriter):
    handler = as_role(Role.HANDLER)
    assert bordereau(handler, "uw_nothing", "premium").status_code == 404
    assert bordereau(handler, underwriter, "premium", "2026-13").status_code == 422
    assert bordereau(handler, underwriter, "losses").status_code == 422
    assert bordereau(as_role(Role.SELLER), underwriter, "premium").status_code == 403


@pytest.mark.parametrize(
    "month",
    [
        "9999-12",
        "0000-01",
        "2026-00",
        "\uff12\uff10\uff12\uff16-\uff11\uff11",
        "+2026-11",
        "2_026-11",
        "202-11",
    ],
)
def test_a_month_outside_the_calendar_is_422_in_the_api_and_a_usage_error_in_the_cli(
    app, as_role, underwriter, month
):
    handler = as_role(Role.HANDLER)
    response = handler.get("/api/v1/reports/loss-ratios", query_string={"month": month})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["errors"][0]["pointer"] == "#/month"
    assert bordereau(handler, underwriter, "claims", month).status_code == 422
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export", "loss-ratio", "--month", month])
    assert result.exit_code == 2, result.output
    assert "--month" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_calendars_last_reportable_month_is_9999_11(as_role, underwriter):
    response = as_role(Role.HANDLER).get("/api/v1/reports/loss-ratios?month=9999-11")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_the_cli_writes_the_same_bordereau(app, as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bound(seller)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "export", "bordereau", "--underwriter", underwriter, "--month", "2026-11",
            "--kind", "premium",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [r["coverage_id"] for r in rows(result.stdout)] == [coverage["id"]]
    bad = runner.invoke(
        args=["export", "bordereau", "--underwriter", underwriter, "--month", "11/2026",
              "--kind", "premium"]
    )  # fmt: skip
    assert bad.exit_code == 2
    unknown = runner.invoke(
        args=["export", "bordereau", "--underwriter", "uw_x", "--month", "2026-11",
              "--kind", "claims"]
    )  # fmt: skip
    assert unknown.exit_code == 1
    assert "no underwriter uw_x" in unknown.output
    ratios = runner.invoke(args=["export", "loss-ratio", "--month", "2026-11"])
    assert ratios.exit_code == 0, ratios.output
    assert rows(ratios.stdout)[0]["underwriter_id"] == underwriter
