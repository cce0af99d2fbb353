"""Provider webhook signatures: the worked examples of the provider format notes are the truth."""

from __future__ import annotations

import pytest

from forwarder_insure.domain.feed_signatures import verify

EASYPOST_BODY = (
    b'{"id":"evt_9f0c2a7d41b8","object":"Event","description":"tracker.updated",'
    b'"created_at":"2026-11-04T18:02:11Z","result":{"id":"trk_5e1d7c3b9a2f","object":"Tracker",'
    b'"tracking_code":"9400111206213859720012","carrier":"USPS","status":"delivered",'
    b'"status_detail":"arrived_at_destination","tracking_details":[{"datetime":'
    b'"2026-11-01T21:14:00Z","message":"Shipping Label Created","status":"pre_transit",'
    b'"status_detail":"label_created","tracking_location":{"city":"RENO","state":"NV",'
    b'"country":"US","zip":"89502"}},{"datetime":"2026-11-04T17:55:00Z","message":'
    b'"Delivered, Front Porch","status":"delivered","status_detail":"arrived_at_destination",'
    b'"tracking_location":{"city":"BOISE","state":"ID","country":"US","zip":"83702"}}]}}'
)
#: é as U+00E9; EasyPost keys with the NFKD form (e + U+0301).
EASYPOST_SECRET = "s\u00e9cret-demo-2026"
EASYPOST_SIGNATURE = (
    "hmac-sha256-hex=2a697bc8cffd694158c15d1b69acad6e341bd967f9e439b16c18398dfddb6a52"
)

AFTERSHIP_BODY = (
    b'{"event":"tracking_update","event_id":"5b0c8f1e-2f4a-4c1d-9a7e-3d2b1c0a9f8e",'
    b'"is_tracking_first_tag":true,"msg":{"id":"c1f9e0a4b7d24e0f","tracking_number":'
    b'"LX123456785CN","slug":"china-ems","active":true,"tag":"Exception","subtag":'
    b'"Exception_013","subtag_message":"Shipment lost","return_to_sender":false,"checkpoints":'
    b'[{"checkpoint_time":"2026-10-20T09:15:00","message":"Posting/Collection","city":'
    b'"Shenzhen","country_region":"CHN","tag":"InTransit","subtag":"InTransit_002"},'
    b'{"checkpoint_time":"2026-11-02T11:40:00","message":"Item presumed lost","city":'
    b'"Los Angeles","country_region":"USA","tag":"Exception","subtag":"Exception_013"}]},'
    b'"ts":1793621100}'
)
AFTERSHIP_SECRET = "as-demo-secret-7f3a"
AFTERSHIP_SIGNATURE = "Ol1irNTSUP/Fm4T4nFj8cmvMHUgm2E6xIAOSFYbTFqA="

SEVENTEEN_BODY = (
    b'{"event":"TRACKING_UPDATED","data":{"number":"YT2530100012345678","carrier":190008,'
    b'"param":null,"tag":"ORD-77","track_info":{"latest_status":{"status":"Exception",'
    b'"sub_status":"Exception_Damage","sub_status_descr":null},"tracking":{"providers":'
    b'[{"provider":{"key":190008,"name":"YunExpress"},"events":[{"time_iso":'
    b'"2026-11-03T10:30:00-06:00","time_utc":"2026-11-03T16:30:00Z","description":'
    b'"Parcel damaged in transit","location":"CHICAGO, IL","sub_status":"Exception_Damage"},'
    b'{"time_iso":"2026-10-22T08:05:00+08:00","time_utc":"2026-10-22T00:05:00Z",'
    b'"description":"Shipment picked up","location":"SHENZHEN","sub_status":'
    b'"InTransit_PickedUp"}]}]}}}}'
)
SEVENTEEN_STOP_BODY = (
    b'{"event":"TRACKING_STOPPED","data":{"number":"RR123456789CN","carrier":3011,'
    b'"param":null,"tag":""}}'
)
SEVENTEEN_KEY = "17t-demo-KEY-42"
SEVENTEEN_SIGNATURE = "23d441a05efacef02feca3c5d0fd78d2add2237113fe43e2823a5b7d4bda0a0e"
SEVENTEEN_STOP_SIGNATURE = "a67d748027f3b5fd4196a1a3081634fcc6867b9650d8183ad1c6bf381f2227bc"

EXAMPLES = [
    ("easypost", EASYPOST_BODY, "X-Hmac-Signature", EASYPOST_SIGNATURE, EASYPOST_SECRET),
    ("aftership", AFTERSHIP_BODY, "aftership-hmac-sha256", AFTERSHIP_SIGNATURE, AFTERSHIP_SECRET),
    ("17track", SEVENTEEN_BODY, "sign", SEVENTEEN_SIGNATURE, SEVENTEEN_KEY),
    ("17track", SEVENTEEN_STOP_BODY, "sign", SEVENTEEN_STOP_SIGNATURE, SEVENTEEN_KEY),
]
IDS = ["easypost", "aftership", "17track-updated", "17track-stopped"]


@pytest.mark.parametrize(("provider", "body", "header", "signature", "secret"), EXAMPLES, ids=IDS)
def test_the_worked_example_verifies(provider, body, header, signature, secret):
    assert verify(provider, body, {header: signature}, [secret])


@pytest.mark.parametrize(("provider", "body", "header", "signature", "secret"), EXAMPLES, ids=IDS)
def test_header_names_are_read_without_regard_to_case(provider, body, header, signature, secret):
    assert verify(provider, body, {header.upper(): signature}, [secret])
    assert verify(provider, body, {header.lower(): signature}, [secret])


@pytest.mark.parametrize(("provider", "body", "header", "signature", "secret"), EXAMPLES, ids=IDS)
def test_a_wrong_secret_fails(provider, body, header, signature, secret):
    assert not verify(provider, body, {header: signature}, [secret + "x"])
    assert not verify(provider, body, {header: signature}, [])
    assert not verify(provider, body, {header: signature}, [""])


@pytest.mark.parametrize(("provider", "body", "header", "signature", "secret"), EXAMPLES, ids=IDS)
def test_a_missing_or_empty_signature_fails(provider, body, header, signature, secret):
    assert not verify(provider, body, {}, [secret])
    assert not verify(provider, body, {header: ""}, [secret])
    assert not verify(provider, body, {"X-Other": signature}, [secret])


@pytest.mark.parametrize(("provider", "body", "header", "signature", "secret"), EXAMPLES, ids=IDS)
def test_a_changed_body_fails(provider, body, header, signature, secret):
    assert not verify(provider, body + b" ", {header: signature}, [secret])
    assert not verify(provider, body.replace(b":", b": ", 1), {header: signature}, [secret])


@pytest.mark.parametrize(("provider", "body", "header", "signature", "secret"), EXAMPLES, ids=IDS)
def test_any_one_of_the_rotated_secrets_verifies(provider, body, header, signature, secret):
    assert verify(provider, body, {header: signature}, ["new-secret", secret])
    assert verify(provider, body, {header: signature}, [secret, "old-secret"])
    assert not verify(provider, body, {header: signature}, ["new-secret", "old-secret"])


def test_easypost_normalises_a_unicode_secret():
    headers = {"X-Hmac-Signature": EASYPOST_SIGNATURE}
    decomposed = "se\u0301cret-demo-2026"
    assert verify("easypost", EASYPOST_BODY, headers, [decomposed])
    assert verify("easypost", EASYPOST_BODY, headers, [EASYPOST_SECRET])
    # Without the normalisation the composed é keys differently.
    assert not verify("easypost", EASYPOST_BODY, headers, ["secret-demo-2026"])


def test_aftership_keys_with_the_secret_as_it_is():
    """AfterShip does not normalise: a decomposed spelling of a Unicode secret is another key."""
    from forwarder_insure.domain.feed_signatures import aftership_signature

    signature = aftership_signature(AFTERSHIP_BODY, "s\u00e9cret")
    assert verify(
        "aftership", AFTERSHIP_BODY, {"aftership-hmac-sha256": signature}, ["s\u00e9cret"]
    )
    assert not verify(
        "aftership", AFTERSHIP_BODY, {"aftership-hmac-sha256": signature}, ["se\u0301cret"]
    )


def test_a_signature_is_only_read_from_its_own_providers_header():
    # An AfterShip signature in EasyPost's header (or the reverse) is refused.
    assert not verify(
        "easypost", AFTERSHIP_BODY, {"X-Hmac-Signature": AFTERSHIP_SIGNATURE}, [AFTERSHIP_SECRET]
    )
    assert not verify(
        "aftership", EASYPOST_BODY, {"aftership-hmac-sha256": EASYPOST_SIGNATURE}, [EASYPOST_SECRET]
    )
    # Another AfterShip product's header is not read.
    assert not verify(
        "aftership",
        AFTERSHIP_BODY,
        {"am-webhook-signature": AFTERSHIP_SIGNATURE},
        [AFTERSHIP_SECRET],
    )


def test_easypost_wants_its_prefix():
    bare = EASYPOST_SIGNATURE.removeprefix("hmac-sha256-hex=")
    assert not verify("easypost", EASYPOST_BODY, {"X-Hmac-Signature": bare}, [EASYPOST_SECRET])


def test_an_unknown_provider_never_verifies():
    assert not verify("shippo", EASYPOST_BODY, {"X-Hmac-Signature": EASYPOST_SIGNATURE}, ["x"])


def test_a_non_ascii_header_value_is_a_failure_not_an_error():
    assert not verify("17track", SEVENTEEN_BODY, {"sign": "\u00e9" * 64}, [SEVENTEEN_KEY])
