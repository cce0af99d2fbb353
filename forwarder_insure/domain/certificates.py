"""Certificate numbers (``FI-7K3M-Q9XD-2HWP-6``): unguessable, and self-checking against typos.

The twelve characters after the prefix are drawn with :mod:`secrets` from 0-9A-Z (36**12, about
62 bits), so a certificate cannot be found by guessing or by counting on from one's own. The last
character is an ISO 7064 MOD 37,36 check character over those twelve, which catches every
single-character substitution and nearly every swap of two neighbouring characters, so a
mistyped or altered number is almost always rejected before any database lookup. A number that
passes the check is only well-formed: whether a certificate with that number exists, and what it
covers, is still decided by the database.
"""

from __future__ import annotations

import re
import secrets
import string

from stdnum.iso7064 import mod_37_36

PREFIX = "FI"

#: The alphabet of the random part; MOD 37,36 check characters come from the same alphabet.
ALPHABET = string.digits + string.ascii_uppercase

_RANDOM_LENGTH = 12
_GROUP = 4

# Dashes are optional so numbers read out or typed without them still match, but only in the
# canonical places: a dash anywhere else is more likely a different number than a formatting slip.
_PATTERN = re.compile(r"FI-?([0-9A-Z]{4})-?([0-9A-Z]{4})-?([0-9A-Z]{4})-?([0-9A-Z])")


def _canonical(random_part: str, check: str) -> str:
    groups = [random_part[i : i + _GROUP] for i in range(0, _RANDOM_LENGTH, _GROUP)]
    return "-".join([PREFIX, *groups, check])


def new_certificate_number() -> str:
    """A fresh, random certificate number in canonical form."""
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_LENGTH))
    return _canonical(random_part, mod_37_36.calc_check_digit(random_part, ALPHABET))


def normalise_certificate_number(text: str) -> str:
    """The canonical form of a number as a person may type it (any case, spaces, no dashes).

    Only the shape is checked here, not the check character, so a caller can show the number
    back in canonical form while saying it is wrong. Raises ValueError when there is no
    canonical form. Non-ASCII input is refused rather than upper-cased, because Unicode case
    mapping can turn other characters into ASCII letters (``"ﬁ".upper() == "FI"``).
    """
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("a certificate number is ASCII text such as FI-XXXX-XXXX-XXXX-C")
    match = _PATTERN.fullmatch("".join(text.split()).upper())
    if match is None:
        raise ValueError("a certificate number has the form FI-XXXX-XXXX-XXXX-C")
    *groups, check = match.groups()
    return _canonical("".join(groups), check)


def is_valid_certificate_number(text: str) -> bool:
    """Whether ``text`` is a well-formed number whose check character is right; never raises."""
    try:
        canonical = normalise_certificate_number(text)
    except ValueError:
        return False
    return mod_37_36.is_valid(canonical.removeprefix(PREFIX).replace("-", ""), ALPHABET)
