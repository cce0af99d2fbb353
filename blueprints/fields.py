"""Fields shared by the API schemas: instants with ``Z`` and money as ``{amount, currency}``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import marshmallow as ma

from forwarder_insure.domain.clock import ensure_utc, format_instant
from forwarder_insure.domain.money import DECIMAL_TEXT, Money, MoneyError, parse_decimal


class Instant(ma.fields.AwareDateTime):
    """An ISO 8601 instant; written in UTC with ``Z``, read with any explicit offset."""

    def __init__(self, **kwargs: Any):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format_instant(value)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return ensure_utc(parsed)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+21:00 is before the year 1 in UTC
            raise ma.ValidationError("The instant is outside the supported range.") from None


class DecimalString(ma.fields.Decimal):
    """An exact decimal carried as a JSON string (``"12.50"``), documented as such; read by
    the one rule of ``domain/money.py`` (ASCII digits only)."""

    def __init__(self, **kwargs: Any):
        metadata = {
            "type": "string",
            "format": "decimal",
            "pattern": f"^{DECIMAL_TEXT.pattern}$",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(as_string=True, allow_nan=False, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ma.ValidationError(
                'Send this as a decimal string such as "12.50", not a JSON number.'
            )
        try:
            return parse_decimal(value)
        except MoneyError:
            raise ma.ValidationError(
                'Not a decimal string such as "12.50" (ASCII digits, an optional minus and '
                "decimal point; no exponent, spaces or underscores)."
            ) from None


def positive(limit: Decimal | None = None, *, at_least: Decimal | None = None) -> Any:
    """A validator for decimal strings: above zero (and at least ``at_least``, if given) and,
    if given, at most ``limit``.

    (marshmallow's Range would publish its bounds as numbers on a string-typed field.)
    """

    def check(value: Decimal) -> None:
        if value <= 0:
            raise ma.ValidationError("Must be greater than zero.")
        if at_least is not None and value < at_least:
            raise ma.ValidationError(f"Must be at least {at_least}.")
        if limit is not None and value > limit:
            raise ma.ValidationError(f"Must be at most {limit}.")

    return check


class MoneySchema(ma.Schema):
    """``{"amount": "12.50", "currency": "USD"}``; the amount is a decimal string, never a float."""

    amount = DecimalString(required=True, metadata={"example": "12.50"})
    currency = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^[A-Z]{3}$"), metadata={"example": "USD"}
    )

    @ma.post_load
    def to_money(self, data: dict[str, Any], **kwargs: Any) -> Money:
        try:
            return Money.of(data["amount"], data["currency"])
        except MoneyError as exc:
            field = "currency" if exc.code == "unknown_currency" else "amount"
            raise ma.ValidationError(str(exc), field) from None

    @ma.pre_dump
    def from_money(self, money: Money, **kwargs: Any) -> dict[str, Any]:
        return {"amount": money.amount, "currency": money.currency}
