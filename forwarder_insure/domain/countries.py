"""ISO 3166-1 alpha-2 country codes (from babel's CLDR territories), for validating lanes."""

from __future__ import annotations

from babel import Locale

#: CLDR territory codes that are regions or placeholders, not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ"}

COUNTRIES: frozenset[str] = frozenset(
    code
    for code in Locale("en").territories
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)


def is_country(code: str) -> bool:
    return code in COUNTRIES
