"""Tracking providers' webhooks: ``POST /api/v1/tracking/feeds/{provider}`` end to end, with the
worked bodies and signatures of the providers' formats (EasyPost, AfterShip, 17TRACK)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from forwarder_insure.db.models import FeedPayload, TrackingEvent
from forwarder_insure.domain.access import Role
from forwarder_insure.domain.feed_signatures import (
    aftership_signature,
    easypost_signature,
    seventeen_track_signature,
)
from jobs.registry import run_job
from tests.fixtures.app import KeyedClient, issue_key
from tests.fixtures.insurance import add_underwriter, bound

EASYPOST_SECRET = "sécret-demo-2026"
AFTERSHIP_SECRET = "as-demo-secret-7f3a"
SEVENTEEN_TRACK_KEY = "17t-demo-KEY-42"

EASYPOST_BODY = (
    '{"id":"evt_9f0c2a7d41b8","object":"Event","description":"tracker.updated","created_at":'
    '"2026-11-04T18:02:11Z","result":{"id":"trk_5e1d7c3b9a2f","object":"Tracker","tracking_code":'
    '"9400111206213859720012","carrier":"USPS","status":"delivered","status_detail":'
    '"arrived_at_destination","tracking_details":[{"datetime":"2026-11-01T21:14:00Z","message":'
    '"Shipping Label Created","status":"pre_transit","status_detail":"label_created",'
    '"tracking_location":{"city":"RENO","state":"NV","country":"US","zip":"89502"}},{"datetime":'
    '"2026-11-04T17:55:00Z","message":"Delivered, Front Porch","status":"delivered",'
    '"status_detail":"arrived_at_destination","tracking_location":{"city":"BOISE","state":"ID",'
    '"country":"US","zip":"83702"}}]}}'
)
AFTERSHIP_BODY = (
    '{"event":"tracking_update","event_id":"5b0c8f1e-2f4a-4c1d-9a7e-3d2b1c0a9f8e",'
    '"is_tracking_first_tag":true,"msg":{"id":"c1f9e0a4b7d24e0f","tracking_number":'
    '"LX123456785CN","slug":"china-ems","active":true,"tag":"Exception","subtag":"Exception_013",'
    '"subtag_message":"Shipment lost","return_to_sender":false,"checkpoints":[{"checkpoint_time":'
    '"2026-10-20T09:15:00","message":"Posting/Collection","city":"Shenzhen","country_region":'
    '"CHN","tag":"InTransit","subtag":"InTransit_002"},{"checkpoint_time":"2026-11-02T11:40:00",'
    '"message":"Item presumed lost","city":"Los Angeles","country_region":"USA","tag":'
    '"Exception","subtag":"Exception_013"}]},"ts":1793621100}'
)
SEVENTEEN_TRACK_BODY = (
    '{"event":"TRACKING_UPDATED","data":{"number":"YT2530100012345678","carrier":190008,"param":'
    'null,"tag":"ORD-77","track_info":{"latest_status":{"status":"Exception","sub_status":'
    '"Exception_Damage","sub_status_descr":null},"tracking":{"providers":[{"provider":{"key":'
    '190008,"name":"YunExpress"},"events":[{"time_iso":"2026-11-03T10:30:00-06:00","time_utc":'
    '"2026-11-03T16:30:00Z","description":"Parcel damaged in transit","location":"CHICAGO, IL",'
    '"sub_status":"Exception_Damage"},{"time_iso":"2026-10-22T08:05:00+08:00","time_utc":'
    '"2026-10-22T00:05:00Z","description":"Shipment picked up","location":"SHENZHEN",'
    '"sub_status":"InTransit_PickedUp"}]}]}}}}'
)
STOPPED_BODY = (
    '{"event":"TRACKING_STOPPED","data":{"number":"RR123456789CN","carrier":3011,"param":null,'
    '"tag":""}}'
)

#: provider → (body, its header, the worked signature, our carrier, number, final status)
WORKED = {
    "easypost": (
        EASYPOST_BODY,
        "X-Hmac-Signature",
        "hmac-sha256-hex=2a697bc8cffd694158c15d1b69acad6e341bd967f9e439b16c18398dfddb6a52",
        "usps",
        "9400111206213859720012",
        "delivered",
    ),
    "aftership": (
        AFTERSHIP_BODY,
        "aftership-hmac-sha256",
        "Ol1irNTSUP/Fm4T4nFj8cmvMHUgm2E6xIAOSFYbTFqA=",
        "china_ems",
        "LX123456785CN",
        "exception",
    ),
    "17track": (
        SEVENTEEN_TRACK_BODY,
        "sign",
        "23d441a05efacef02feca3c5d0fd78d2add2237113fe43e2823a5b7d4bda0a0e",
        "yunexpress",
        "YT2530100012345678",
        "exception",
    ),
}
SIGN = {
    "easypost": lambda body, secret=EASYPOST_SECRET: easypost_signature(body, secret),
    "aftership": lambda body, secret=AFTERSHIP_SECRET: aftership_signature(body, secret),
    "17track": lambda body, secret=SEVENTEEN_TRACK_KEY: seventeen_track_signature(body, secret),
}
HEADER = {provider: worked[1] for provider, worked in WORKED.items()}


@pytest.fixture
def settings(settings):
    return settings.with_overrides(
        feed_secrets={
            "easypost": ("an-older-secret", EASYPOST_SECRET),
            "aftership": (AFTERSHIP_SECRET,),
            "17track": (SEVENTEEN_TRACK_KEY,),
        }
    )


def push(app, provider: str, body: str | bytes, signature: str | None = None) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[HEADER.get(provider, "sign")] = signature
    return app.test_client().post(f"/api/v1/tracking/feeds/{provider}", data=raw, headers=headers)


def signed(app, provider: str, body: str | bytes) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    return push(app, provider, raw, SIGN[provider](raw))


def parcel(as_role, carrier: str, number: str) -> dict:
    """A live parcel whose number the warehouse confirmed."""
    seller = as_role(Role.SELLER)
    overrides: dict[str, Any] = {"carrier": carrier}
    if carrier != "usps":
        overrides["service"] = None
    return bound(seller, number, **overrides)


def status_of(as_role, coverage_id: str) -> str:
    return (
        as_role(Role.SELLER).get(f"/api/v1/coverages/{coverage_id}").get_json()["package"]["status"]
    )


def payloads(app) -> list[FeedPayload]:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return list(session.scalars(select(FeedPayload).order_by(FeedPayload.id)))


def event_count(app) -> int:
    with app.extensions["forwarder_insure"].database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(TrackingEvent)) or 0


@pytest.mark.parametrize("provider", list(WORKED))
def test_the_worked_example_of_each_provider_moves_its_parcel(app, as_role, underwriter, provider):
    body, _, signature, carrier, number, final = WORKED[provider]
    coverage = parcel(as_role, carrier, number)
    response = push(app, provider, body, signature)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "accepted": 2,
        "duplicates": 0,
        "unmatched": 0,
        "rejected": [],
        "rejected_count": 0,
        "unrecognized": 0,
        "ignored": 0,
    }
    assert status_of(as_role, coverage["id"]) == final
    [stored] = payloads(app)
    assert stored.signature_ok
    assert stored.provider == provider
    assert stored.body == body
    assert not stored.truncated
    assert stored.size == len(body.encode())
    assert (stored.scans, stored.accepted, stored.unknown) == (2, 2, 0)
    assert stored.tracking_number == number


def test_a_push_for_a_number_no_parcel_holds_waits_as_unmatched(app):
    response = push(app, "17track", *WORKED["17track"][0:3:2])
    assert response.status_code == 200
    assert response.get_json()["unmatched"] == 2


@pytest.mark.parametrize("provider", list(WORKED))
def test_a_wrong_or_missing_signature_is_refused_and_recorded_without_its_body(app, provider):
    body = WORKED[provider][0]
    wrong = SIGN[provider](body.encode(), "not-the-secret")
    for signature in (wrong, None, ""):
        response = push(app, provider, body, signature)
        assert response.status_code == 401
        assert response.get_json()["code"] == "invalid_signature"
        assert response.mimetype == "application/problem+json"
    assert event_count(app) == 0
    stored = payloads(app)
    assert len(stored) == 3
    assert all(not p.signature_ok and p.body is None for p in stored)
    assert {p.size for p in stored} == {len(body.encode())}


def test_both_secrets_of_a_rotation_verify(app):
    body = EASYPOST_BODY.encode()
    old = push(app, "easypost", body, easypost_signature(body, "an-older-secret"))
    new = push(app, "easypost", body, easypost_signature(body, EASYPOST_SECRET))
    assert (old.status_code, new.status_code) == (200, 200)
    assert new.get_json()["duplicates"] == 2


def test_a_provider_without_a_configured_secret_accepts_no_push(app):
    runtime = app.extensions["forwarder_insure"]
    runtime.settings = runtime.settings.with_overrides(feed_secrets={})
    response = push(app, "aftership", AFTERSHIP_BODY, WORKED["aftership"][2])
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_signature"


@pytest.mark.parametrize("provider", list(WORKED))
def test_a_redelivered_history_counts_as_duplicates(app, as_role, underwriter, provider):
    body, _, signature, carrier, number, _ = WORKED[provider]
    parcel(as_role, carrier, number)
    assert push(app, provider, body, signature).get_json()["accepted"] == 2
    again = push(app, provider, body, signature).get_json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert event_count(app) == 2


def test_checkpoints_out_of_order_end_in_the_latest_state(app, as_role, underwriter):
    coverage = parcel(as_role, "usps", "9400111206213859720012")
    document = json.loads(EASYPOST_BODY)
    document["result"]["tracking_details"].reverse()  # delivered first, label last
    response = signed(app, "easypost", json.dumps(document))
    assert response.get_json()["accepted"] == 2
    assert status_of(as_role, coverage["id"]) == "delivered"
    # A later push carrying only an older scan does not move the parcel back.
    document["result"]["tracking_details"] = [
        {"datetime": "2026-11-02T08:00:00Z", "status": "in_transit", "status_detail": "in_transit"}
    ]
    assert signed(app, "easypost", json.dumps(document)).get_json()["accepted"] == 1
    assert status_of(as_role, coverage["id"]) == "delivered"


def test_an_unknown_carrier_code_is_counted_and_kept_visible_but_not_ingested(app):
    document = json.loads(AFTERSHIP_BODY)
    document["msg"]["slug"] = "mystery-post"
    document["msg"]["checkpoints"][0]["subtag"] = "Weird_999"
    document["msg"]["checkpoints"][0]["tag"] = "Weird"
    response = signed(app, "aftership", json.dumps(document))
    assert response.status_code == 200
    counts = response.get_json()
    assert (counts["accepted"], counts["unrecognized"], counts["rejected_count"]) == (0, 2, 0)
    assert event_count(app) == 0
    [stored] = payloads(app)
    assert stored.unknown_carriers == ["mystery-post"]
    assert stored.unknown_statuses == ["Weird/Weird_999"]
    assert stored.unknown == 2
    assert "mystery-post" in (stored.body or "")


def test_a_tracking_stopped_push_ingests_nothing(app):
    response = push(
        app,
        "17track",
        STOPPED_BODY,
        "a67d748027f3b5fd4196a1a3081634fcc6867b9650d8183ad1c6bf381f2227bc",
    )
    assert response.status_code == 200
    assert response.get_json()["accepted"] == response.get_json()["unmatched"] == 0
    assert event_count(app) == 0
    [stored] = payloads(app)
    assert stored.push_event == "TRACKING_STOPPED"
    assert stored.scans == 0


def test_a_signed_body_with_nothing_usable_answers_zero_counts(app):
    response = signed(app, "easypost", "[1, 2, 3]")
    assert response.status_code == 200
    assert response.get_json()["accepted"] == 0


def test_a_signed_body_that_is_not_json_is_400(app):
    response = signed(app, "easypost", '{"id": "evt_1", ')
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_json"


def test_a_push_over_the_size_limit_is_413_before_its_signature_is_checked(app):
    body = json.dumps({"description": "tracker.updated", "pad": "x" * (1024 * 1024)})
    response = signed(app, "easypost", body)
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    assert payloads(app) == []


def test_a_long_push_is_kept_cut_to_the_kept_size(app):
    runtime = app.extensions["forwarder_insure"]
    runtime.settings = runtime.settings.with_overrides(feed_payload_keep_bytes=100)
    assert signed(app, "easypost", EASYPOST_BODY).status_code == 200
    [stored] = payloads(app)
    assert stored.truncated
    assert stored.body == EASYPOST_BODY[:100]


def test_an_unknown_provider_is_404(app):
    response = push(app, "fedex-direct", "{}", "x")
    assert response.status_code == 404
    assert response.get_json()["code"] == "unknown_provider"


def test_stored_pushes_are_purged_after_their_retention(app, clock, database):
    assert signed(app, "easypost", EASYPOST_BODY).status_code == 200
    assert push(app, "easypost", EASYPOST_BODY, "wrong").status_code == 401
    early = run_job(database, "purge-feed-payloads", clock.now() + timedelta(days=29))
    assert early == {"job": "purge-feed-payloads", "purged": 0}
    later = clock.now() + timedelta(days=30)
    assert run_job(database, "purge-feed-payloads", later)["purged"] == 2
    assert run_job(database, "purge-feed-payloads", later)["purged"] == 0


def test_a_push_naming_the_last_mile_leg_attaches_it(app, as_role, underwriter):
    coverage = parcel(as_role, "china_ems", "LX123456785CN")
    document = json.loads(AFTERSHIP_BODY)
    document["msg"]["last_mile"] = {"tracking_number": "9400100000000000000099", "slug": "usps"}
    assert signed(app, "aftership", json.dumps(document)).status_code == 200
    package = as_role(Role.SELLER).get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["last_mile"] == {
        "carrier": "usps",
        "tracking_number": "9400100000000000000099",
        "confirmed": True,
    }
    # Idempotent: the same push again changes nothing and still answers 200.
    assert signed(app, "aftership", json.dumps(document)).get_json()["duplicates"] == 2


@pytest.mark.postgres_only
def test_the_same_payload_delivered_twice_at_once_stores_each_scan_once(committing_app, backend):
    add_underwriter(committing_app)
    seller = KeyedClient(
        committing_app.test_client(),
        issue_key(committing_app, Role.SELLER, "S-1001"),
        Role.SELLER,
        "S-1001",
    )
    bound(seller, "9400111206213859720012")
    start = threading.Barrier(2)
    answers: list[Any] = []

    def deliver() -> None:
        start.wait()
        answers.append(push(committing_app, "easypost", *WORKED["easypost"][0:3:2]))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [a.status_code for a in answers] == [200, 200]
    counts = [a.get_json() for a in answers]
    assert sorted(c["accepted"] for c in counts) == [0, 2]
    assert sorted(c["duplicates"] for c in counts) == [0, 2]
    assert event_count(committing_app) == 2
    assert len(payloads(committing_app)) == 2
