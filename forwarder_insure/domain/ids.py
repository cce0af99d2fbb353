"""Public identifiers: a type prefix plus a time-ordered random part (``cov_06GVP5EVJOFCI2IU…``).

The prefix tells a person what an id names; the time-ordered part keeps ids in creation order
(to the millisecond) so keyset pagination over them is stable and index-friendly: 48 bits of
milliseconds then 80 random bits, written in RFC 4648 base32hex (0-9, A-V), whose characters
sort in the same order as the numbers they encode.
"""

from __future__ import annotations

import base64
import os
import time


def new_id(prefix: str) -> str:
    """A new identifier such as ``evt_06GVP5EVJOFCI2IUS67616V6F0`` (26 characters after ``_``)."""
    value = ((time.time_ns() // 1_000_000) << 80) | int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{base64.b32hexencode(value.to_bytes(16, 'big')).decode('ascii')[:26]}"
