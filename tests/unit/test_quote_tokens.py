"""Unit tests for forwarder_insure.services.quote_tokens: signed, expiring, rotatable quotes."""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.pricing import PackageToPrice
from forwarder_insure.services.quote_tokens import QuotedTerms, QuoteSigner

EXPIRES = datetime(2026, 11, 15, 12, 30, 0, tzinfo=UTC)
BEFORE = EXPIRES - timedelta(minutes=10)
SECRET_1 = "s1-" + "a" * 40
SECRET_2 = "s2-" + "b" * 40
# itsdangerous's URL-safe base64 alphabet, in the order of the 6-bit values it encodes.
B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def terms(**changes) -> QuotedTerms:
    package = PackageToPrice(
        reference="ORD-7/pkg-2",
        declared_value=Money.of("250.000", "KWD"),
        category="electronics",
        origin_country="KW",
        destination_country="GB",
        carrier="dhl",
        service="express_worldwide",
        weight_kg=Decimal("1.250"),
    )
    base = QuotedTerms(
        quote_id="quo_01JABCDEF",
        seller_id="sel_42",
        package=package,
        premium=Money.of("3.750", "KWD"),
        insured_value=Money.of("250.000", "KWD"),
        deductible=Money.of("5.000", "KWD"),
        carrier_base_cover=Money.of("25.500", "KWD"),
        underwriter_id="uw_lloyds",
        rate_card_version="2026-11.1",
        expires_at=EXPIRES,
    )
    return replace(base, **changes)


def signer(*keys: tuple[str, str]) -> QuoteSigner:
    return QuoteSigner(list(keys or [("k1", SECRET_1)]))


def assert_invalid(code: str, quote_signer: QuoteSigner, token: str, now: datetime = BEFORE):
    with pytest.raises(Invalid) as caught:
        quote_signer.verify(token, now)
    assert caught.value.code == code


# Round trip.


def test_sign_then_verify_returns_every_field_unchanged():
    original = terms()

    verified = signer().verify(signer().sign(original), BEFORE)

    assert verified == original
    # Equality of Decimals ignores trailing zeros; the texts must survive too.
    assert verified.package.weight_kg.as_tuple() == Decimal("1.250").as_tuple()
    assert verified.premium.amount_text == "3.750"
    assert verified.expires_at.tzinfo is not None


def test_sign_then_verify_round_trips_absent_base_cover_and_service_and_zero_decimal_currency():
    package = replace(
        terms().package,
        declared_value=Money.of("15000", "JPY"),
        service=None,
        origin_country="JP",
        destination_country="JP",
    )
    original = terms(
        package=package,
        premium=Money.of("150", "JPY"),
        insured_value=Money.of("15000", "JPY"),
        deductible=Money.of("0", "JPY"),
        carrier_base_cover=None,
    )

    verified = signer().verify(signer().sign(original), BEFORE)

    assert verified == original
    assert verified.carrier_base_cover is None
    assert verified.package.service is None


def test_token_starts_with_the_signing_key_id():
    assert signer(("k7", SECRET_1)).sign(terms()).startswith("k7.")


# Expiry.


def test_token_is_valid_one_second_before_it_expires():
    token = signer().sign(terms())

    assert signer().verify(token, EXPIRES - timedelta(seconds=1)) == terms()


@pytest.mark.parametrize(
    "now",
    [EXPIRES, EXPIRES + timedelta(microseconds=1), EXPIRES + timedelta(days=1)],
    ids=["exactly-at-expiry", "just-after", "a-day-after"],
)
def test_token_at_or_after_its_expiry_is_refused_as_quote_expired(now):
    assert_invalid("quote_expired", signer(), signer().sign(terms()), now)


def test_token_with_sub_second_expiry_is_honoured_until_that_exact_instant():
    expires = EXPIRES + timedelta(microseconds=500_000)
    token = signer().sign(terms(expires_at=expires))

    verified = signer().verify(token, EXPIRES + timedelta(microseconds=200_000))

    assert verified.expires_at == expires


# Tampering.


def _substitute(char: str) -> str:
    """Another character that always changes the decoded bits: flips the top bit of the sextet."""
    if char in B64:
        return B64[(B64.index(char) + 32) % 64]
    return "A"


def test_changing_any_single_character_of_the_token_is_refused_as_invalid():
    token = signer().sign(terms())
    accepted = []

    for position, char in enumerate(token):
        altered = token[:position] + _substitute(char) + token[position + 1 :]
        try:
            signer().verify(altered, BEFORE)
        except Invalid as error:
            if error.code != "invalid_quote_token":
                accepted.append((position, error.code))
        else:
            accepted.append((position, "accepted"))

    assert accepted == []


def test_every_other_last_signature_character_is_refused():
    token = signer().sign(terms())
    last = token[-1]

    accepted = []
    for char in B64:
        if char == last:
            continue
        try:
            signer().verify(token[:-1] + char, BEFORE)
        except Invalid:
            continue
        accepted.append(char)

    assert accepted == []


def test_payload_changed_and_re_encoded_with_the_old_signature_is_refused():
    quote_signer = signer()
    genuine = quote_signer.sign(terms())
    forged_body = quote_signer.sign(terms(premium=Money.of("0.001", "KWD")))
    # Keep the genuine signature, swap in the cheaper payload.
    genuine_signature = genuine.rsplit(".", 1)[1]
    forged = forged_body.rsplit(".", 1)[0] + "." + genuine_signature

    assert_invalid("invalid_quote_token", quote_signer, forged)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("garbage", id="no-separator"),
        pytest.param("k1.", id="key-id-without-body"),
        pytest.param("k1.garbage", id="garbage-body"),
        pytest.param("k1.eyJhIjoxfQ.c2lnbmF0dXJl", id="unsigned-json"),
        pytest.param("...", id="dots"),
        pytest.param("k1..", id="empty-compressed-body"),
    ],
)
def test_empty_or_garbage_token_is_refused_as_invalid(token):
    assert_invalid("invalid_quote_token", signer(), token)


def test_unknown_key_id_is_refused_as_invalid():
    token = signer().sign(terms())
    _, _, rest = token.partition(".")

    assert_invalid("invalid_quote_token", signer(), f"k9.{rest}")


def test_an_expired_tampered_token_reports_tampering_not_expiry():
    token = signer(("k1", "another-secret-" + "c" * 30)).sign(terms())

    assert_invalid("invalid_quote_token", signer(), token, EXPIRES + timedelta(days=1))


# Key rotation.


def test_token_signed_with_the_old_key_verifies_after_a_new_key_is_put_first():
    old = signer(("k1", SECRET_1))
    rotated = signer(("k2", SECRET_2), ("k1", SECRET_1))

    token = old.sign(terms())

    assert token.startswith("k1.")
    assert rotated.verify(token, BEFORE) == terms()


def test_rotated_signer_signs_with_its_first_key_which_the_old_signer_does_not_know():
    old = signer(("k1", SECRET_1))
    rotated = signer(("k2", SECRET_2), ("k1", SECRET_1))

    token = rotated.sign(terms())

    assert token.startswith("k2.")
    assert rotated.verify(token, BEFORE) == terms()
    assert_invalid("invalid_quote_token", old, token)


def test_same_key_id_with_a_different_secret_is_refused():
    token = signer(("k1", SECRET_1)).sign(terms())

    assert_invalid("invalid_quote_token", signer(("k1", SECRET_2)), token)


def test_signer_without_keys_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        QuoteSigner([])
