"""config/feeds.toml: the providers' codes in our terms, refused at load when contradictory."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from forwarder_insure.domain.carriers import load_carrier_profiles
from forwarder_insure.domain.config_tables import ConfigFileError
from forwarder_insure.domain.feeds import FeedMappings, Outcome, parse_feed_mappings
from forwarder_insure.domain.tracking import EVENT_CODES
from forwarder_insure.services.feed_mappings import load_feed_mappings

CONFIG = Path(__file__).resolve().parents[2] / "config"
FEEDS = CONFIG / "feeds.toml"
SOURCE = "feeds.toml"

#: Carriers of the China cross-border trade, added to carriers.toml in parallel with this file.
CHINA_CARRIERS = {"china_post", "china_ems", "yanwen", "yunexpress", "4px", "cainiao", "sf_express"}


def default() -> dict:
    with FEEDS.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def mappings() -> FeedMappings:
    return load_feed_mappings(FEEDS)


def refused(data: dict) -> str:
    with pytest.raises(ConfigFileError) as caught:
        parse_feed_mappings(data, SOURCE)
    return str(caught.value)


def test_the_default_file_loads(mappings):
    assert set(mappings.providers) == {"easypost", "aftership", "17track"}


def test_every_carrier_id_is_one_of_ours(mappings):
    ours = set(load_carrier_profiles(CONFIG / "carriers.toml").names)
    assert mappings.carrier_ids() <= ours | CHINA_CARRIERS
    assert mappings.carrier_ids() >= CHINA_CARRIERS | {"usps", "ups", "fedex", "dhl"}


def test_known_carriers_are_checked_when_given():
    data = default()
    data["aftership"]["carriers"]["dpd"] = "dpd"
    ours = {"usps", "ups", "fedex", "dhl"} | CHINA_CARRIERS
    with pytest.raises(
        ConfigFileError, match=r"feeds.toml: aftership.carriers.dpd: 'dpd' is not a carrier"
    ):
        parse_feed_mappings(data, SOURCE, known_carriers=ours)
    assert parse_feed_mappings(default(), SOURCE, known_carriers=ours)


def test_the_carrier_table_of_feeds_is_transcribed(mappings):
    assert {
        code: mappings["easypost"].carrier(code) for code in ("USPS", "UPS", "FedEx", "DHLExpress")
    } == {"USPS": "usps", "UPS": "ups", "FedEx": "fedex", "DHLExpress": "dhl"}
    aftership = {
        "usps": "usps", "ups": "ups", "fedex": "fedex", "dhl": "dhl",
        "china-post": "china_post", "china-ems": "china_ems", "yanwen": "yanwen",
        "yunexpress": "yunexpress", "4px": "4px", "cainiao": "cainiao", "sf-express": "sf_express",
    }  # fmt: skip
    assert {code: mappings["aftership"].carrier(code) for code in aftership} == aftership
    seventeen = {
        "21051": "usps", "100002": "ups", "100003": "fedex", "100001": "dhl",
        "3011": "china_post", "3013": "china_ems", "190012": "yanwen", "190008": "yunexpress",
        "190094": "4px", "190271": "cainiao", "100012": "sf_express",
    }  # fmt: skip
    assert {code: mappings["17track"].carrier(code) for code in seventeen} == seventeen
    assert mappings["easypost"].carrier("Yanwen") is None


# (provider, facts, code, outcome): every row of the FEEDS status tables.
ROWS = [
    ("easypost", {"status": "failure", "status_detail": "lost"}, "exception", "declared_lost"),
    ("easypost", {"status": "failure", "status_detail": "damaged"}, "exception", "damage_reported"),
    ("easypost", {"status": "return_to_sender"}, "returned", Outcome.RETURNED),
    ("easypost", {"status": "in_transit", "status_detail": "return"}, "returned", "returned"),
    ("easypost", {"status": "in_transit", "status_detail": "expired"}, None, Outcome.IGNORED),
    ("easypost", {"status": "unknown", "status_detail": "unknown"}, None, "ignored"),
    ("easypost", {"status": "error"}, None, "ignored"),
    ("easypost", {"status": "cancelled", "status_detail": "cancelled"}, None, "ignored"),
    ("easypost", {"status": "pre_transit", "status_detail": "label_created"}, "label_created",
     None),
    ("easypost", {"status": "in_transit", "status_detail": "received_at_origin_facility"},
     "picked_up", None),
    ("easypost", {"status": "in_transit", "status_detail": "departed_facility"}, "in_transit",
     None),
    ("easypost", {"status": "out_for_delivery"}, "out_for_delivery", None),
    ("easypost", {"status": "available_for_pickup"}, "out_for_delivery", None),
    ("easypost", {"status": "delivered"}, "delivered", None),
    ("easypost", {"status": "failure", "status_detail": "refused"}, "exception", None),
    ("easypost", {"status": "teleported"}, None, None),
    ("aftership", {"tag": "Exception", "subtag": "Exception_013"}, "exception", "declared_lost"),
    ("aftership", {"tag": "Exception", "subtag": "Exception_012"}, "exception", "damage_reported"),
    ("aftership", {"tag": "Exception", "subtag": "Exception_010"}, "returned", "returned"),
    ("aftership", {"tag": "Exception", "subtag": "Exception_011"}, "returned", "returned"),
    ("aftership", {"tag": "Exception", "subtag": "Exception_021"}, "exception", "declared_lost"),
    ("aftership", {"tag": "Expired", "subtag": "Expired_001"}, None, "ignored"),
    ("aftership", {"tag": "Pending", "subtag": "Pending_001"}, None, "ignored"),
    ("aftership", {"tag": "InfoReceived", "subtag": "InfoReceived_001"}, "label_created", None),
    ("aftership", {"tag": "InTransit", "subtag": "InTransit_002"}, "picked_up", None),
    ("aftership", {"tag": "InTransit", "subtag": "InTransit_007"}, "in_transit", None),
    ("aftership", {"tag": "OutForDelivery"}, "out_for_delivery", None),
    ("aftership", {"tag": "AvailableForPickup"}, "out_for_delivery", None),
    ("aftership", {"tag": "Delivered", "subtag": "Delivered_001"}, "delivered", None),
    ("aftership", {"tag": "AttemptFail", "subtag": "AttemptFail_001"}, "exception", None),
    ("aftership", {"tag": "Exception", "subtag": "Exception_004"}, "exception", None),
    ("17track", {"status": "Exception", "sub_status": "Exception_Lost"}, "exception",
     "declared_lost"),
    ("17track", {"status": "Exception", "sub_status": "Exception_Damage"}, "exception",
     "damage_reported"),
    ("17track", {"status": "Exception", "sub_status": "Exception_Returning"}, "returned",
     "returned"),
    ("17track", {"status": "Exception", "sub_status": "Exception_Returned"}, "returned",
     "returned"),
    ("17track", {"status": "Exception", "sub_status": "Exception_Destroyed"}, "exception",
     "declared_lost"),
    ("17track", {"status": "Expired", "sub_status": "Expired_Other"}, None, "ignored"),
    ("17track", {"status": "NotFound", "sub_status": "NotFound_InvalidCode"}, None, "ignored"),
    ("17track", {"status": "InfoReceived", "sub_status": "InfoReceived"}, "label_created", None),
    ("17track", {"status": "InTransit", "sub_status": "InTransit_PickedUp"}, "picked_up", None),
    ("17track", {"status": "InTransit", "sub_status": "InTransit_Arrival"}, "in_transit", None),
    ("17track", {"status": "OutForDelivery"}, "out_for_delivery", None),
    ("17track", {"status": "AvailableForPickup"}, "out_for_delivery", None),
    ("17track", {"status": "Delivered", "sub_status": "Delivered_Other"}, "delivered", None),
    ("17track", {"status": "DeliveryFailure", "sub_status": "DeliveryFailure_NoBody"}, "exception",
     None),
    ("17track", {"status": "Exception", "sub_status": "Exception_Cancel"}, "exception", None),
]  # fmt: skip


@pytest.mark.parametrize(("provider", "facts", "code", "outcome"), ROWS)
def test_each_row_of_the_status_tables(mappings, provider, facts, code, outcome):
    assert mappings[provider].classify(facts) == (code, outcome)


def test_the_stop_and_read_events(mappings):
    assert mappings["17track"].stop_events == {"TRACKING_STOPPED"}
    assert mappings["17track"].events == {"TRACKING_UPDATED"}
    assert mappings["easypost"].events == {"tracker.created", "tracker.updated"}
    assert mappings["aftership"].events == {"tracking_update"}


def test_every_code_given_is_one_of_ours(mappings):
    for mapping in mappings.providers.values():
        for rule in mapping.rules:
            assert rule.code is None or rule.code in EVENT_CODES


# --- refusals: file, key and reason --------------------------------------------------------------


def changed(change) -> dict:
    data = copy.deepcopy(default())
    change(data)
    return data


def test_an_unknown_event_code_is_refused():
    message = refused(changed(lambda d: d["easypost"]["rules"][0].update(code="lost")))
    assert message.startswith("feeds.toml: easypost.rules[0].code: 'lost' is not one of our")


def test_an_unknown_outcome_is_refused():
    message = refused(changed(lambda d: d["aftership"]["rules"][0].update(outcome="gone")))
    assert message.startswith("feeds.toml: aftership.rules[0].outcome: 'gone' is not an outcome")


def test_a_loss_declared_as_delivered_is_contradictory():
    message = refused(changed(lambda d: d["17track"]["rules"][0].update(code="delivered")))
    assert message == (
        "feeds.toml: 17track.rules[0].code: outcome 'declared_lost' goes with exception, "
        "not delivered"
    )


def test_an_ignored_status_with_a_code_is_contradictory():
    def change(data):
        rule = next(r for r in data["easypost"]["rules"] if r.get("outcome") == "ignored")
        rule["code"] = "delivered"

    message = refused(changed(change))
    assert "easypost.rules[4].code: outcome 'ignored' goes with no code, not delivered" in message


def test_a_rule_with_neither_code_nor_outcome_is_refused():
    message = refused(changed(lambda d: d["easypost"]["rules"][-1].pop("code")))
    assert "easypost.rules[11].code: a rule must give a code, an outcome, or both" in message


def test_a_value_matched_twice_is_refused_as_unreachable():
    def change(data):
        data["aftership"]["rules"].append(
            {"field": "tag", "values": ["Delivered"], "code": "exception"}
        )

    message = refused(changed(change))
    assert message.startswith("feeds.toml: aftership.rules[11].values: tag 'Delivered' is already")
    assert "rules[9]" in message


def test_a_field_the_provider_does_not_have_is_refused():
    message = refused(changed(lambda d: d["17track"]["rules"][0].update(field="subtag")))
    assert "17track.rules[0].field: 'subtag' is not a field of 17track (status, sub_status)" in (
        message
    )


def test_a_misspelt_key_is_refused():
    message = refused(changed(lambda d: d["easypost"]["rules"][0].update(outcomes="returned")))
    assert message.startswith("feeds.toml: easypost.rules[0].outcomes: is not a key of a rule")
    message = refused(changed(lambda d: d["easypost"].update(carrier={"USPS": "usps"})))
    assert message.startswith("feeds.toml: easypost.carrier: is not a key of a provider")


def test_an_unknown_or_missing_provider_is_refused():
    message = refused(changed(lambda d: d.update(shippo=d["easypost"])))
    assert message.startswith("feeds.toml: shippo: is not a provider")
    message = refused(changed(lambda d: d.pop("aftership")))
    assert message.startswith("feeds.toml: aftership: is required")


def test_a_bad_carrier_id_is_refused():
    message = refused(changed(lambda d: d["easypost"]["carriers"].update(USPS="U.S.P.S.")))
    assert message.startswith("feeds.toml: easypost.carriers.USPS: 'U.S.P.S.' is not a carrier id")


def test_two_spellings_of_one_code_to_two_carriers_are_refused():
    message = refused(changed(lambda d: d["easypost"]["carriers"].update(usps="ups")))
    assert message.startswith("feeds.toml: easypost.carriers.usps: maps to 'ups' but 'USPS'")


def test_an_event_both_read_and_stopped_is_refused():
    message = refused(
        changed(lambda d: d["17track"].update(stop_events=["TRACKING_STOPPED", "TRACKING_UPDATED"]))
    )
    assert message.startswith("feeds.toml: 17track.stop_events: TRACKING_UPDATED also in events")


def test_a_rule_list_that_is_not_a_list_of_tables_is_refused():
    message = refused(changed(lambda d: d["easypost"].update(rules=["lost"])))
    assert message.startswith("feeds.toml: easypost.rules[0]: must be a table")
    message = refused(changed(lambda d: d["easypost"].update(rules=[])))
    assert message.startswith("feeds.toml: easypost.rules: must be a non-empty list")


def test_a_missing_file_names_it(tmp_path):
    with pytest.raises(ConfigFileError, match="file not found"):
        load_feed_mappings(tmp_path / "feeds.toml")
