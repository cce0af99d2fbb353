"""The sweep opens inquiries on silent parcels, presumes them lost, and movement resolves them."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from forwarder_insure.db.models import OutboxEvent
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import format_instant
from tests.fixtures.insurance import bound, event, post_events

DAY = timedelta(days=1)


def sweep(app, clock, days_later: float) -> dict:
    as_of = format_instant(clock.now() + days_later * DAY)
    result = app.test_cli_runner().invoke(args=["sweep", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def inquiries(client, **query) -> list[dict]:
    url = "/api/v1/inquiries" + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )
    return client.get(url).get_json()["items"]


def events_of(app, kind: str) -> list[str]:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return list(
            session.execute(
                select(OutboxEvent.subject_id).where(OutboxEvent.type == kind)
            ).scalars()
        )


def test_a_never_scanned_parcel_is_measured_from_binding(app, clock, as_role, underwriter):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    coverage = bound(seller, "SIL-1")  # CN -> US: international, 14 days silent, 45 to loss
    assert sweep(app, clock, 13.9) == {"opened": 0, "presumed_lost": 0, "resolved": 0}
    assert sweep(app, clock, 14) == {"opened": 1, "presumed_lost": 0, "resolved": 0}
    [inquiry] = inquiries(handler, status="open")
    assert inquiry["coverage_id"] == coverage["id"]
    assert inquiry["last_event_at"] is None
    assert inquiry["loss_window_ends_at"] == format_instant(clock.now() + 45 * DAY)
    assert events_of(app, "inquiry.opened") == [inquiry["id"]]


def test_domestic_parcels_use_the_domestic_silent_period(app, clock, as_role, underwriter):
    seller = as_role(Role.SELLER)
    bound(seller, "SIL-2", origin_country="US", destination_country="US")
    assert sweep(app, clock, 6.9)["opened"] == 0
    assert sweep(app, clock, 7)["opened"] == 1


def test_silence_is_counted_from_the_last_scan(app, clock, as_role, underwriter):
    seller, carrier = as_role(Role.SELLER), as_role(Role.TRACKING)
    bound(seller, "SIL-3")
    post_events(carrier, event("s1", "SIL-3", format_instant(clock.now() + 5 * DAY)))
    assert sweep(app, clock, 18.9)["opened"] == 0
    assert sweep(app, clock, 19)["opened"] == 1


def test_a_second_sweep_opens_no_duplicate_inquiry(app, clock, as_role, underwriter):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    bound(seller, "SIL-4")
    assert sweep(app, clock, 20)["opened"] == 1
    assert sweep(app, clock, 20)["opened"] == 0
    assert sweep(app, clock, 21)["opened"] == 0
    assert len(inquiries(handler)) == 1
    assert len(events_of(app, "inquiry.opened")) == 1


def test_silent_through_the_loss_window_means_presumed_lost(app, clock, as_role, underwriter):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    coverage = bound(seller, "SIL-5")
    assert sweep(app, clock, 14)["opened"] == 1
    assert sweep(app, clock, 44)["presumed_lost"] == 0
    assert sweep(app, clock, 45) == {"opened": 0, "presumed_lost": 1, "resolved": 0}
    [inquiry] = inquiries(handler, status="presumed_lost")
    assert inquiry["presumed_lost_at"] == format_instant(clock.now() + 45 * DAY)
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["status"] == "presumed_lost"
    assert sweep(app, clock, 46) == {"opened": 0, "presumed_lost": 0, "resolved": 0}
    assert len(events_of(app, "inquiry.presumed_lost")) == 1


def test_one_late_sweep_opens_and_presumes_lost_at_once(app, clock, as_role, underwriter):
    bound(as_role(Role.SELLER), "SIL-6")
    assert sweep(app, clock, 60) == {"opened": 1, "presumed_lost": 1, "resolved": 0}


def test_movement_resolves_the_inquiry_and_restarts_the_watch(app, clock, as_role, underwriter):
    seller, handler, carrier = as_role(Role.SELLER), as_role(Role.HANDLER), as_role(Role.TRACKING)
    bound(seller, "SIL-7")
    sweep(app, clock, 14)
    post_events(carrier, event("m1", "SIL-7", format_instant(clock.now() + 15 * DAY)))
    [inquiry] = inquiries(handler)
    assert inquiry["status"] == "resolved"
    assert inquiry["resolution"] == "moved"
    assert events_of(app, "inquiry.resolved") == [inquiry["id"]]
    # Silent again for the silent period after the new scan: a new inquiry.
    assert sweep(app, clock, 28.9)["opened"] == 0
    assert sweep(app, clock, 29)["opened"] == 1


def test_a_delivery_resolves_even_a_presumed_lost_parcel(app, clock, as_role, underwriter):
    seller, handler, carrier = as_role(Role.SELLER), as_role(Role.HANDLER), as_role(Role.TRACKING)
    coverage = bound(seller, "SIL-8")
    sweep(app, clock, 50)
    post_events(carrier, event("d1", "SIL-8", format_instant(clock.now() + 51 * DAY), "delivered"))
    [inquiry] = inquiries(handler)
    assert (inquiry["status"], inquiry["resolution"]) == ("resolved", "delivered")
    assert (
        seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]["status"]
        == "delivered"
    )
    assert sweep(app, clock, 200) == {"opened": 0, "presumed_lost": 0, "resolved": 0}


def test_old_news_does_not_resolve_an_inquiry(app, clock, as_role, underwriter):
    seller, handler, carrier = as_role(Role.SELLER), as_role(Role.HANDLER), as_role(Role.TRACKING)
    bound(seller, "SIL-9")
    post_events(carrier, event("a", "SIL-9", format_instant(clock.now() + 1 * DAY)))
    sweep(app, clock, 16)
    post_events(carrier, event("b", "SIL-9", format_instant(clock.now() + 0.5 * DAY)))
    assert inquiries(handler)[0]["status"] == "open"


def test_carrier_responses(app, clock, as_role, underwriter):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    found, lost, silent = (bound(seller, f"CR-{n}") for n in range(3))
    sweep(app, clock, 14)
    by_coverage = {i["coverage_id"]: i["id"] for i in inquiries(handler)}

    def respond(coverage, **body):
        return handler.post(
            f"/api/v1/inquiries/{by_coverage[coverage['id']]}/carrier-response", json=body
        )

    answered = respond(found, outcome="found", carrier_reference="USPS-CASE-1", note="At hub")
    assert (answered.get_json()["status"], answered.get_json()["resolution"]) == (
        "resolved",
        "found",
    )
    confirmed = respond(lost, outcome="confirmed_lost", carrier_reference="USPS-CASE-2")
    assert confirmed.get_json()["status"] == "closed"
    assert confirmed.get_json()["resolution"] == "confirmed_lost"
    assert (
        seller.get(f"/api/v1/coverages/{lost['id']}").get_json()["package"]["status"]
        == "presumed_lost"
    )
    assert events_of(app, "inquiry.confirmed_lost") == [by_coverage[lost["id"]]]
    noted = respond(silent, outcome="no_answer", note="Chased twice")
    assert noted.get_json()["status"] == "open"
    assert noted.get_json()["note"] == "Chased twice"
    assert respond(found, outcome="found").status_code == 409
    assert respond(silent, outcome="maybe").status_code == 422
    assert (
        as_role(Role.SELLER)
        .post(
            f"/api/v1/inquiries/{by_coverage[silent['id']]}/carrier-response",
            json={"outcome": "found"},
        )
        .status_code
        == 403
    )


def test_a_seller_reads_only_its_own_inquiries(app, clock, as_role, underwriter):
    mine, theirs = as_role(Role.SELLER, "S-1001"), as_role(Role.SELLER, "S-2002")
    bound(mine, "OWN-1")
    bound(theirs, "OWN-2")
    sweep(app, clock, 14)
    own = inquiries(mine)
    other = inquiries(theirs)
    assert len(own) == len(other) == 1
    assert mine.get(f"/api/v1/inquiries/{other[0]['id']}").status_code == 404
    assert mine.get(f"/api/v1/inquiries/{own[0]['id']}").status_code == 200
    assert len(inquiries(as_role(Role.HANDLER))) == 2


def test_voided_and_delivered_parcels_are_not_watched(app, clock, as_role, underwriter):
    seller, carrier = as_role(Role.SELLER), as_role(Role.TRACKING)
    voided = bound(seller, "NW-1")
    seller.post(f"/api/v1/coverages/{voided['id']}/void")
    bound(seller, "NW-2")
    post_events(carrier, event("dd", "NW-2", format_instant(clock.now() + DAY), "delivered"))
    assert sweep(app, clock, 100) == {"opened": 0, "presumed_lost": 0, "resolved": 0}


def test_the_sweep_resolves_an_inquiry_left_on_a_parcel_that_moved(
    app, clock, as_role, underwriter
):
    """Ingestion resolves on arrival; should a parcel ever move without that (data repaired by
    hand, say), the sweep resolves the stale inquiry once the parcel is due again."""
    from forwarder_insure.db.models import Coverage

    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    coverage = bound(seller, "SAFE-1")
    sweep(app, clock, 14)
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        row = session.get(Coverage, coverage["id"])
        row.last_event_at = clock.now() + 15 * DAY
        row.inquiry_due_at = clock.now() + 29 * DAY
    assert sweep(app, clock, 20) == {"opened": 0, "presumed_lost": 0, "resolved": 0}
    assert sweep(app, clock, 29) == {"opened": 1, "presumed_lost": 0, "resolved": 1}
    statuses = sorted((i["status"], i["resolution"]) for i in inquiries(handler))
    assert statuses == [("open", None), ("resolved", "moved")]
