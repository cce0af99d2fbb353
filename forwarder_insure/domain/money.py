"""Money: an exact Decimal amount in an ISO 4217 currency, never a float.

Minor units per currency come from babel's CLDR data (JPY 0, USD 2, KWD 3). The database stores
integer minor units plus the currency code; JSON carries a decimal string. There is exactly one
rounding rule, :data:`ROUNDING` (half-up to the currency's minor unit), applied only by
:func:`round_to_minor`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

#: The one rounding rule for money: half away from zero, at the currency's minor unit.
ROUNDING = ROUND_HALF_UP

#: Largest amount in minor units: what a signed 64-bit database column holds.
MAX_MINOR = 2**63 - 1

#: Arithmetic context wide enough that products are exact before the one rounding step.
_EXACT = Context(prec=80, rounding=ROUNDING)


class MoneyError(ValueError):
    """Base of money errors; each has a stable ``code``."""

    code = "money_error"


class UnknownCurrency(MoneyError):
    code = "unknown_currency"


class CurrencyMismatch(MoneyError):
    code = "currency_mismatch"


class InvalidAmount(MoneyError):
    code = "invalid_amount"


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    """Return ``code`` if it is an ISO 4217 currency babel knows, else raise UnknownCurrency."""
    if not isinstance(code, str) or code not in _known_currencies():
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency code")
    return code


@cache
def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency`` (JPY 0, USD 2, KWD 3)."""
    return get_currency_precision(check_currency(currency))


@cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


#: A decimal written as text: ASCII digits with an optional minus and decimal point. Decimal()
#: alone would also take full-width or other scripts' digits, "1_000", "1e3", "+5", " 5 ", "NaN".
DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def parse_decimal(text: str) -> Decimal:
    """The exact value of a decimal written as :data:`DECIMAL_TEXT`, or InvalidAmount."""
    if not DECIMAL_TEXT.fullmatch(text):
        raise InvalidAmount(f"{text!r} is not a decimal such as 12.50 (ASCII digits, no exponent)")
    return Decimal(text)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Parse an exact amount; floats are refused because they are not exact, and text must be
    :data:`DECIMAL_TEXT`."""
    if isinstance(value, bool | float):
        raise InvalidAmount("money amounts must be Decimal, int or str, never float")
    if isinstance(value, str):
        return parse_decimal(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidAmount(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise InvalidAmount(f"{value!r} is not a finite amount")
    return amount


def round_to_minor(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` to the currency's minor unit with :data:`ROUNDING`. The only rounding."""
    amount = to_decimal(amount)
    if abs(amount.adjusted()) > 30:
        if amount.is_zero() or amount.adjusted() < 0:
            return Decimal(0).quantize(_quantum(currency))
        raise InvalidAmount(f"{amount} is too large an amount")
    return amount.quantize(_quantum(currency), rounding=ROUNDING, context=_EXACT)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency, always exact at the currency's minor unit.

    Construct with :meth:`of` (which refuses amounts finer than the minor unit) or
    :meth:`rounded` (which rounds them with the one rounding rule).
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        check_currency(self.currency)
        amount = to_decimal(self.amount)
        digits = minor_units(self.currency)
        # Already at the minor unit (the usual case): nothing to round.
        exponent = amount.as_tuple().exponent
        exact = amount if exponent == -digits else round_to_minor(amount, self.currency)
        if exact != amount:
            raise InvalidAmount(
                f"{amount} has more decimals than {self.currency} allows "
                f"({minor_units(self.currency)})"
            )
        if abs(exact.scaleb(digits, context=_EXACT)) > MAX_MINOR:
            raise InvalidAmount(f"{amount} {self.currency} is too large an amount")
        # No negative zero: "-0.00" would read as a debit of nothing.
        object.__setattr__(self, "amount", exact.copy_abs() if exact.is_zero() else exact)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(to_decimal(amount), currency)

    @classmethod
    def rounded(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(round_to_minor(to_decimal(amount), currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise InvalidAmount(f"minor units must be an integer, not {minor!r}")
        return cls(Decimal(minor).scaleb(-minor_units(currency), context=_EXACT), currency)

    @property
    def minor(self) -> int:
        """The amount in integer minor units, as stored in the database."""
        return int(self.amount.scaleb(minor_units(self.currency), context=_EXACT))

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def times(self, factor: Decimal | int | str) -> Money:
        """Multiply by an exact factor and round once with the one rounding rule."""
        product = _EXACT.multiply(self.amount, to_decimal(factor))
        return Money.rounded(product, self.currency)

    def _compare(self, other: Money) -> int:
        self._same_currency(other)
        return (self.amount > other.amount) - (self.amount < other.amount)

    def __lt__(self, other: Money) -> bool:
        return self._compare(other) < 0

    def __le__(self, other: Money) -> bool:
        return self._compare(other) <= 0

    def __gt__(self, other: Money) -> bool:
        return self._compare(other) > 0

    def __ge__(self, other: Money) -> bool:
        return self._compare(other) >= 0

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.amount_text} {self.currency}"

    @property
    def amount_text(self) -> str:
        """The amount as JSON carries it: a plain decimal string with exactly the minor digits."""
        return f"{self.amount:f}"


def total(items: list[Money] | tuple[Money, ...], currency: str) -> Money:
    """Sum of ``items``, all in ``currency`` (zero when empty)."""
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result
