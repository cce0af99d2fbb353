"""Carrier events dated far ahead of their arrival are refused one by one, never a whole batch.

A single event dated 9999-12-31 used to overflow the deadline arithmetic and fail its batch (a
feed retrying it looped for ever; the CSV import died, taking the good rows with it). These tests
run with the default allowance of ``FI_TRACKING_MAX_FUTURE`` (one day).
"""

from __future__ import annotations

import json

import pytest

from config.settings import Settings
from forwarder_insure.domain.access import Role
from tests.fixtures.insurance import bound, event, post_events
from tests.integration.test_import_tracking import HEADER


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(tracking_max_future=Settings.tracking_max_future)


def test_an_event_from_the_far_future_is_rejected_alone_and_the_batch_kept(
    as_role, underwriter, clock
):
    seller, carrier = as_role(Role.SELLER), as_role(Role.TRACKING)
    coverage = bound(seller, "FUT-1")
    body = post_events(
        carrier,
        event("f0", "FUT-1", "2026-11-21T11:00:00Z", "picked_up"),
        event("f1", "FUT-1", "9999-12-31T00:00:00Z", "in_transit"),
        event("f2", "FUT-1", "2026-11-22T11:00:00Z", "in_transit"),  # 25 h ahead: too far
        event("f3", "FUT-1", "2026-11-22T09:00:00Z", "in_transit"),  # 23 h ahead: carrier skew
        event("f4", "NOBODY-1", "9999-12-31T23:59:59Z", "in_transit"),
    )
    assert body["accepted"] == 2
    assert body["rejected_count"] == 3
    assert [(r["index"], r["event_id"]) for r in body["rejected"]] == [
        (1, "f1"),
        (2, "f2"),
        (4, "f4"),
    ]
    assert {e["pointer"] for r in body["rejected"] for e in r["errors"]} == {"#/occurred_at"}
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["last_event_at"] == "2026-11-22T09:00:00Z"
    # Sent again (a feed retrying), the good ones are duplicates and the bad one still refused.
    again = post_events(carrier, event("f1", "FUT-1", "9999-12-31T00:00:00Z"))
    assert (again["accepted"], again["rejected_count"]) == (0, 1)


def test_a_row_from_the_far_future_is_reported_and_the_good_rows_kept(
    app, tmp_path, as_role, underwriter
):
    seller = as_role(Role.SELLER)
    coverage = bound(seller, "CSV-9")
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER
        + "d1,usps,CSV-9,2026-11-21T11:00:00Z,picked_up,,,\n"
        + "d2,usps,CSV-9,9999-12-31T00:00:00Z,in_transit,,,\n"
        + "d3,usps,CSV-9,2026-11-21T12:00:00Z,in_transit,,,\n"
    )
    result = app.test_cli_runner().invoke(args=["import-tracking", str(path)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"accepted": 2, "duplicates": 0, "unmatched": 0, "rejected": 1}
    assert "line 3: occurred_at:" in result.stderr
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["last_event_at"] == "2026-11-21T12:00:00Z"
