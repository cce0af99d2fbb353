"""Quote tokens: a quote is a signed statement of its terms, not a database row.

Quoting writes nothing, so order-entry screens may re-quote on every keystroke. The token carries
everything binding needs (the package, the priced terms, the underwriter, the rate card version
and the expiry) and is signed with HMAC-SHA256 through itsdangerous. Its first segment is the id
of the signing key, so keys can rotate: the first configured key signs, every configured key
verifies.

Format: ``<key id>.<base64url(compact JSON)>.<base64url(HMAC-SHA256)>``. Signing is on the hot
path (500 packages a call), so each key is derived once, not on every signature, and the payload
is not compressed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from itsdangerous import BadData, Signer
from itsdangerous.encoding import base64_decode, base64_encode

from forwarder_insure.domain.errors import Invalid
from forwarder_insure.domain.money import Money, MoneyError
from forwarder_insure.domain.pricing import PackageToPrice

SALT = "forwarder-insure.quote.v1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class QuotedTerms:
    """What a valid token promises: the premium honoured at binding is this one."""

    quote_id: str
    seller_id: str
    package: PackageToPrice
    premium: Money
    insured_value: Money
    deductible: Money
    carrier_base_cover: Money | None
    underwriter_id: str
    rate_card_version: str
    expires_at: datetime


class QuoteSigner:
    def __init__(self, keys: tuple[tuple[str, str], ...] | list[tuple[str, str]]):
        if not keys:
            raise ValueError("at least one quote signing key is needed")
        self._signers = {kid: _signer(secret) for kid, secret in keys}
        self._signing_kid = keys[0][0]

    def sign(self, terms: QuotedTerms) -> str:
        payload = base64_encode(json.dumps(_encode(terms), separators=(",", ":")).encode())
        signed = self._signers[self._signing_kid].sign(payload).decode("ascii")
        return f"{self._signing_kid}.{signed}"

    def verify(self, token: str, now: datetime) -> QuotedTerms:
        """The terms of a genuine, unexpired token; else Invalid (422)."""
        kid, _, body = (token or "").partition(".")
        signer = self._signers.get(kid)
        value, _, signature = body.rpartition(".")
        if signer is None or not value:
            raise _tampered()
        # Compare with the one canonical spelling (base64 would let the last character of a
        # signature be written four ways), in constant time.
        expected = signer.get_signature(value).decode("ascii")
        if not hmac.compare_digest(expected, signature):
            raise _tampered()
        try:
            terms = _decode(json.loads(base64_decode(value)))
        except (BadData, KeyError, TypeError, ValueError, MoneyError):
            raise _tampered() from None
        if now >= terms.expires_at:
            raise Invalid(
                f"the quote expired at {terms.expires_at.isoformat()}; ask for a new quote",
                code="quote_expired",
            )
        return terms


def _signer(secret: str) -> Signer:
    """An HMAC-SHA256 signer whose key is derived from ``secret`` once, here."""
    key = hmac.new(secret.encode(), SALT.encode(), hashlib.sha256).digest()
    return Signer(key, key_derivation="none", digest_method=hashlib.sha256)


def _tampered() -> Invalid:
    return Invalid(
        "the quote token is not one we issued, or it was altered", code="invalid_quote_token"
    )


def _money(value: Money | None) -> str | None:
    return None if value is None else value.amount_text


def _encode(terms: QuotedTerms) -> dict[str, Any]:
    p = terms.package
    return {
        "q": terms.quote_id,
        "s": terms.seller_id,
        "r": p.reference,
        "c": p.declared_value.currency,
        "dv": p.declared_value.amount_text,
        "cat": p.category,
        "o": p.origin_country,
        "d": p.destination_country,
        "ca": p.carrier,
        "sv": p.service,
        "w": str(p.weight_kg),
        "p": terms.premium.amount_text,
        "iv": terms.insured_value.amount_text,
        "dd": terms.deductible.amount_text,
        "bc": _money(terms.carrier_base_cover),
        "u": terms.underwriter_id,
        "rv": terms.rate_card_version,
        "e": (terms.expires_at - EPOCH) // MICROSECOND,
    }


def _decode(data: dict[str, Any]) -> QuotedTerms:
    currency = data["c"]
    package = PackageToPrice(
        reference=data["r"],
        declared_value=Money.of(data["dv"], currency),
        category=data["cat"],
        origin_country=data["o"],
        destination_country=data["d"],
        carrier=data["ca"],
        service=data["sv"],
        weight_kg=Decimal(data["w"]),
    )
    return QuotedTerms(
        quote_id=data["q"],
        seller_id=data["s"],
        package=package,
        premium=Money.of(data["p"], currency),
        insured_value=Money.of(data["iv"], currency),
        deductible=Money.of(data["dd"], currency),
        carrier_base_cover=None if data["bc"] is None else Money.of(data["bc"], currency),
        underwriter_id=data["u"],
        rate_card_version=data["rv"],
        expires_at=EPOCH + data["e"] * MICROSECOND,
    )
