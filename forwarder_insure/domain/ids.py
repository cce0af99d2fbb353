"""Public identifiers: a type prefix plus a time-ordered random part (``cov_01JD…``).

The prefix tells a person what an id names; the time-ordered part keeps ids roughly in creation
order so keyset (cursor) pagination over them is stable and index-friendly. 48 bits of
milliseconds and 80 random bits, in Crockford base32 (26 characters), as in ULID.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, index = divmod(value, 32)
        chars.append(_ALPHABET[index])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """A new identifier such as ``evt_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B``."""
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_base32((millis << 80) | random_bits, 26)}"
