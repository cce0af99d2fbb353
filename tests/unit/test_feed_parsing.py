"""Provider pushes read as our scans: one per checkpoint, stable ids, nothing dropped silently."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forwarder_insure.domain.feeds import FeedMappings, Outcome, parse_feed
from forwarder_insure.services.feed_mappings import load_feed_mappings
from tests.unit.test_feed_signatures import AFTERSHIP_BODY, EASYPOST_BODY, SEVENTEEN_BODY

FEEDS = Path(__file__).resolve().parents[2] / "config" / "feeds.toml"


@pytest.fixture(scope="module")
def mappings() -> FeedMappings:
    return load_feed_mappings(FEEDS)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def easypost_history() -> dict:
    """A full USPS history: label, acceptance, transit, out for delivery, delivered."""
    detail = [
        ("2026-11-01T21:14:00Z", "pre_transit", "label_created", "Shipping Label Created"),
        ("2026-11-02T09:00:00-08:00", "in_transit", "received_at_origin_facility", "Accepted"),
        ("2026-11-03T02:10:00Z", "in_transit", "departed_facility", "Departed"),
        ("2026-11-04T07:30:00-07:00", "out_for_delivery", "out_for_delivery", "Out"),
        ("2026-11-04T17:55:00Z", "delivered", "arrived_at_destination", "Delivered"),
    ]
    document = json.loads(EASYPOST_BODY)
    document["result"]["tracking_details"] = [
        {
            "datetime": when,
            "status": status,
            "status_detail": sub,
            "message": message,
            "tracking_location": {"city": "BOISE", "state": "ID", "country": "US", "zip": None},
        }
        for when, status, sub, message in detail
    ]
    return document


# --- EasyPost ------------------------------------------------------------------------------------


def test_easypost_worked_example(mappings):
    parsed = parse_feed("easypost", json.loads(EASYPOST_BODY), mappings)
    assert parsed.event == "tracker.updated"
    assert parsed.push_id == "evt_9f0c2a7d41b8"
    assert parsed.rejected == ()
    assert [(s.code, s.occurred_at) for s in parsed.scans] == [
        ("label_created", at("2026-11-01T21:14:00Z")),
        ("delivered", at("2026-11-04T17:55:00Z")),
    ]
    first = parsed.scans[0]
    assert first.provider == "easypost"
    assert first.tracking_number == "9400111206213859720012"
    assert (first.carrier, first.carrier_code) == ("usps", "USPS")
    assert (first.raw_status, first.raw_sub_status) == ("pre_transit", "label_created")
    assert first.description == "Shipping Label Created"
    assert first.location == "RENO, NV, 89502, US"
    assert first.outcome is None
    assert first.occurred_at.tzinfo is UTC
    assert first.last_mile_tracking_number is None


def test_easypost_full_history(mappings):
    parsed = parse_feed("easypost", easypost_history(), mappings)
    assert [s.code for s in parsed.scans] == [
        "label_created",
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert parsed.scans[1].occurred_at == datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
    assert len({s.event_id for s in parsed.scans}) == 5


def test_easypost_losses_damage_returns_and_stops(mappings):
    document = easypost_history()
    details = document["result"]["tracking_details"]
    details[2].update(status="failure", status_detail="lost")
    details[3].update(status="failure", status_detail="damaged")
    details[4].update(status="return_to_sender", status_detail="return")
    details.append(
        {"datetime": "2026-12-20T00:00:00Z", "status": "unknown", "status_detail": "expired"}
    )
    parsed = parse_feed("easypost", document, mappings)
    assert [(s.code, s.outcome) for s in parsed.scans[2:]] == [
        ("exception", Outcome.DECLARED_LOST),
        ("exception", Outcome.DAMAGE_REPORTED),
        ("returned", Outcome.RETURNED),
        (None, Outcome.IGNORED),
    ]
    assert parsed.scans[-1].status_known


def test_easypost_other_pushes_are_not_read(mappings):
    document = easypost_history()
    document["description"] = "batch.created"
    assert parse_feed("easypost", document, mappings).scans == ()


# --- the same history, again, in another order -----------------------------------------------


def histories() -> list[tuple[str, dict]]:
    return [
        ("easypost", easypost_history()),
        ("aftership", json.loads(AFTERSHIP_BODY)),
        ("17track", json.loads(SEVENTEEN_BODY)),
    ]


@pytest.mark.parametrize(("provider", "document"), histories(), ids=lambda v: str(v)[:9])
def test_a_redelivered_history_has_the_same_ids(mappings, provider, document):
    first = parse_feed(provider, document, mappings)
    again = parse_feed(provider, copy.deepcopy(document), mappings)
    assert first.scans
    assert [s.event_id for s in first.scans] == [s.event_id for s in again.scans]
    assert first == again


@pytest.mark.parametrize(("provider", "document"), histories(), ids=lambda v: str(v)[:9])
def test_checkpoints_out_of_order_are_all_kept_in_time_order(mappings, provider, document):
    ordered = parse_feed(provider, document, mappings)
    shuffled = copy.deepcopy(document)
    for checkpoints in _checkpoint_lists(provider, shuffled):
        checkpoints.reverse()
    reversed_parse = parse_feed(provider, shuffled, mappings)
    assert reversed_parse.scans == ordered.scans
    times = [s.occurred_at for s in ordered.scans]
    assert times == sorted(times)


def test_a_longer_history_later_repeats_the_ids_it_already_had(mappings):
    """The provider pushes the whole history each time: what was seen before keeps its id."""
    document = easypost_history()
    earlier = copy.deepcopy(document)
    del earlier["result"]["tracking_details"][3:]
    old_ids = {s.event_id for s in parse_feed("easypost", earlier, mappings).scans}
    new_ids = {s.event_id for s in parse_feed("easypost", document, mappings).scans}
    assert old_ids < new_ids
    assert len(new_ids - old_ids) == 2


def test_ids_differ_across_providers_numbers_times_and_statuses(mappings):
    base = parse_feed("easypost", easypost_history(), mappings).scans[0].event_id
    other_number = easypost_history()
    other_number["result"]["tracking_code"] = "9400111206213859720013"
    other_status = easypost_history()
    other_status["result"]["tracking_details"][0]["status_detail"] = "status_update"
    assert parse_feed("easypost", other_number, mappings).scans[0].event_id != base
    assert parse_feed("easypost", other_status, mappings).scans[0].event_id != base
    # The same instant written in another zone is the same scan.
    same_instant = easypost_history()
    same_instant["result"]["tracking_details"][0]["datetime"] = "2026-11-01T13:14:00-08:00"
    assert parse_feed("easypost", same_instant, mappings).scans[0].event_id == base


def _checkpoint_lists(provider: str, document: dict) -> list[list]:
    if provider == "easypost":
        return [document["result"]["tracking_details"]]
    if provider == "aftership":
        return [document["msg"]["checkpoints"]]
    return [leg["events"] for leg in document["data"]["track_info"]["tracking"]["providers"]]


# --- AfterShip -----------------------------------------------------------------------------------


def test_aftership_worked_example_declares_the_loss(mappings):
    parsed = parse_feed("aftership", json.loads(AFTERSHIP_BODY), mappings)
    assert parsed.push_id == "5b0c8f1e-2f4a-4c1d-9a7e-3d2b1c0a9f8e"
    assert [(s.code, s.outcome) for s in parsed.scans] == [
        ("picked_up", None),
        ("exception", Outcome.DECLARED_LOST),
    ]
    lost = parsed.scans[1]
    assert (lost.carrier, lost.carrier_code) == ("china_ems", "china-ems")
    assert lost.tracking_number == "LX123456785CN"
    # Carrier-local time without an offset is read as UTC.
    assert lost.occurred_at == datetime(2026, 11, 2, 11, 40, tzinfo=UTC)
    assert lost.location == "Los Angeles, USA"
    assert lost.description == "Item presumed lost"


@pytest.mark.parametrize(
    ("subtag", "code", "outcome"),
    [
        ("Exception_021", "exception", Outcome.DECLARED_LOST),
        ("Exception_012", "exception", Outcome.DAMAGE_REPORTED),
        ("Exception_011", "returned", Outcome.RETURNED),
        ("Expired_001", None, Outcome.IGNORED),
        ("Exception_099", "exception", None),
    ],
)
def test_aftership_declarations(mappings, subtag, code, outcome):
    document = json.loads(AFTERSHIP_BODY)
    checkpoint = document["msg"]["checkpoints"][1]
    checkpoint["subtag"] = subtag
    del checkpoint["tag"]  # read from the subtag
    scan = parse_feed("aftership", document, mappings).scans[1]
    assert (scan.code, scan.outcome) == (code, outcome)


def test_aftership_names_the_last_mile_number(mappings):
    document = json.loads(AFTERSHIP_BODY)
    document["msg"]["last_mile"] = {"tracking_number": "9400100000000000000001", "slug": "usps"}
    scans = parse_feed("aftership", document, mappings).scans
    assert {(s.last_mile_carrier, s.last_mile_tracking_number) for s in scans} == {
        ("usps", "9400100000000000000001")
    }


def test_aftership_legacy_checkpoint_fields(mappings):
    document = json.loads(AFTERSHIP_BODY)
    checkpoint = document["msg"]["checkpoints"][0]
    del checkpoint["country_region"]
    checkpoint.update(country_iso3="CHN", zip="518000", checkpoint_time="2026-10-20T09:15:00+08:00")
    scan = parse_feed("aftership", document, mappings).scans[0]
    assert scan.location == "Shenzhen, 518000, CHN"
    assert scan.occurred_at == datetime(2026, 10, 20, 1, 15, tzinfo=UTC)


def test_aftership_other_pushes_are_not_read(mappings):
    document = json.loads(AFTERSHIP_BODY)
    document["event"] = "edd_revise"
    parsed = parse_feed("aftership", document, mappings)
    assert parsed.scans == ()
    assert parsed.outcome is None


# --- 17TRACK -------------------------------------------------------------------------------------


def test_17track_worked_example_reports_damage(mappings):
    parsed = parse_feed("17track", json.loads(SEVENTEEN_BODY), mappings)
    assert [(s.code, s.outcome) for s in parsed.scans] == [
        ("picked_up", None),
        ("exception", Outcome.DAMAGE_REPORTED),
    ]
    damaged = parsed.scans[1]
    assert (damaged.carrier, damaged.carrier_code) == ("yunexpress", "190008")
    assert damaged.occurred_at == datetime(2026, 11, 3, 16, 30, tzinfo=UTC)
    assert (damaged.raw_status, damaged.raw_sub_status) == ("Exception", "Exception_Damage")
    assert damaged.location == "CHICAGO, IL"


@pytest.mark.parametrize(
    ("sub_status", "code", "outcome"),
    [
        ("Exception_Lost", "exception", Outcome.DECLARED_LOST),
        ("Exception_Destroyed", "exception", Outcome.DECLARED_LOST),
        ("Exception_Returned", "returned", Outcome.RETURNED),
        ("Expired_Other", None, Outcome.IGNORED),
        ("Delivered_Other", "delivered", None),
    ],
)
def test_17track_declarations(mappings, sub_status, code, outcome):
    document = json.loads(SEVENTEEN_BODY)
    document["data"]["track_info"]["tracking"]["providers"][0]["events"][0]["sub_status"] = (
        sub_status
    )
    scan = parse_feed("17track", document, mappings).scans[1]
    assert (scan.code, scan.outcome) == (code, outcome)


def test_17track_an_event_without_sub_status_takes_the_latest(mappings):
    document = json.loads(SEVENTEEN_BODY)
    del document["data"]["track_info"]["tracking"]["providers"][0]["events"][1]["sub_status"]
    scan = parse_feed("17track", document, mappings).scans[0]
    assert scan.raw_sub_status == "Exception_Damage"


def test_17track_stopped_tracker_is_ignored_not_lost_nor_delivered(mappings):
    document = {
        "event": "TRACKING_STOPPED",
        "data": {"number": "RR123456789CN", "carrier": 3011, "param": None, "tag": ""},
    }
    parsed = parse_feed("17track", document, mappings)
    assert parsed.outcome is Outcome.IGNORED
    assert parsed.scans == ()
    assert parsed.tracking_number == "RR123456789CN"


def test_17track_names_the_last_mile_number_and_reads_every_leg(mappings):
    document = json.loads(SEVENTEEN_BODY)
    info = document["data"]["track_info"]
    info["misc_info"] = {"local_number": "9400111206213859720099", "local_key": 21051}
    info["tracking"]["providers"].append(
        {
            "provider": {"key": 21051, "name": "USPS"},
            "events": [
                {
                    "time_iso": "2026-11-05T10:00:00-06:00",
                    "time_utc": "2026-11-05T16:00:00Z",
                    "description": "Delivered",
                    "sub_status": "Delivered_Other",
                }
            ],
        }
    )
    scans = parse_feed("17track", document, mappings).scans
    assert [s.code for s in scans] == ["picked_up", "exception", "delivered"]
    assert scans[-1].last_mile_carrier == "usps"
    assert scans[-1].last_mile_carrier_code == "21051"
    assert scans[-1].last_mile_tracking_number == "9400111206213859720099"


def test_17track_falls_back_to_the_local_time_with_its_offset(mappings):
    document = json.loads(SEVENTEEN_BODY)
    del document["data"]["track_info"]["tracking"]["providers"][0]["events"][0]["time_utc"]
    scan = parse_feed("17track", document, mappings).scans[1]
    assert scan.occurred_at == datetime(2026, 11, 3, 16, 30, tzinfo=UTC)


# --- unknown, malformed, empty -------------------------------------------------------------------


def test_an_unknown_status_is_kept_and_marked(mappings):
    document = json.loads(SEVENTEEN_BODY)
    document["data"]["track_info"]["tracking"]["providers"][0]["events"][0]["sub_status"] = (
        "Teleported_Away"
    )
    scan = parse_feed("17track", document, mappings).scans[1]
    assert scan.code is None
    assert scan.outcome is None
    assert not scan.status_known
    assert (scan.raw_status, scan.raw_sub_status) == ("Teleported", "Teleported_Away")


@pytest.mark.parametrize(
    ("provider", "path", "code"),
    [
        ("easypost", ("result", "carrier"), "Yanwen"),
        ("aftership", ("msg", "slug"), "royal-mail"),
        ("17track", ("data", "carrier"), 999999),
    ],
)
def test_an_unknown_carrier_is_kept_and_marked(mappings, provider, path, code):
    document = dict(histories())[provider]
    document[path[0]][path[1]] = code
    scans = parse_feed(provider, document, mappings).scans
    assert scans
    for scan in scans:
        assert scan.carrier is None
        assert not scan.carrier_known
        assert scan.carrier_code == str(code)


def test_a_bad_date_rejects_that_scan_only(mappings):
    document = easypost_history()
    details = document["result"]["tracking_details"]
    details[1]["datetime"] = "yesterday"
    details[2]["datetime"] = None
    details[3] = "not a checkpoint"
    parsed = parse_feed("easypost", document, mappings)
    assert [s.code for s in parsed.scans] == ["label_created", "delivered"]
    assert [r.index for r in parsed.rejected] == [1, 2, 3]
    assert "'yesterday' is not an ISO 8601 time" in parsed.rejected[0].reason
    assert "no time" in parsed.rejected[1].reason
    assert "not an object" in parsed.rejected[2].reason


def test_17track_refuses_a_local_time_without_an_offset(mappings):
    document = json.loads(SEVENTEEN_BODY)
    event = document["data"]["track_info"]["tracking"]["providers"][0]["events"][0]
    del event["time_utc"]
    event["time_iso"] = "2026-11-03T10:30:00"
    parsed = parse_feed("17track", document, mappings)
    assert len(parsed.scans) == 1
    assert "has no UTC offset" in parsed.rejected[0].reason


@pytest.mark.parametrize("provider", ["easypost", "aftership", "17track"])
@pytest.mark.parametrize(
    "document",
    [
        {},
        [],
        "text",
        None,
        {"event": 1, "data": [], "msg": "x", "result": 3, "description": {}},
        {"description": "tracker.updated", "result": {"tracking_code": "X1"}},
        {"event": "tracking_update", "msg": {"tracking_number": "X1", "checkpoints": "none"}},
        {"event": "TRACKING_UPDATED", "data": {"number": "X1", "track_info": None}},
        {"event": "TRACKING_UPDATED", "data": {"number": ["X1"], "track_info": {}}},
    ],
)
def test_a_body_with_nothing_usable_gives_no_scans(mappings, provider, document):
    parsed = parse_feed(provider, document, mappings)
    assert parsed.scans == ()
    assert parsed.rejected == ()


def test_a_history_without_a_tracking_number_gives_no_scans(mappings):
    document = easypost_history()
    document["result"]["tracking_code"] = ""
    assert parse_feed("easypost", document, mappings).scans == ()
