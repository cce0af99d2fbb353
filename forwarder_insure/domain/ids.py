"""Public identifiers: a type prefix plus a time-ordered random part (``cov_06GVP5EVJOFCI2IU…``).

The prefix tells a person what an id names; the time-ordered part keeps ids in creation order
(to the millisecond) so keyset pagination over them is stable and index-friendly: 48 bits of
milliseconds then 80 random bits, written in RFC 4648 base32hex (0-9, A-V), whose characters
sort in the same order as the numbers they encode.

Ids the database makes in bulk (the sweep's inquiries) follow the same layout: Python supplies
the time part (``time_head``) and the database appends the random characters, so an id made in
SQL sorts among ids made in Python by its creation time.
"""

from __future__ import annotations

import base64
import os
import time

#: Characters after the ``_``: 128 bits in base32hex, without padding.
ID_LENGTH = 26
#: Leading characters that carry the time (48 bits; the tenth also holds two random bits).
TIME_LENGTH = 10


def new_id(prefix: str) -> str:
    """A new identifier such as ``evt_06GVP5EVJOFCI2IUS67616V6F0`` (26 characters after ``_``)."""
    value = (_now_ms() << 80) | int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_encode(value)}"


def time_head(prefix: str) -> str:
    """``<prefix>_`` and the time characters of an id made now; the database appends
    ``ID_LENGTH - TIME_LENGTH`` random base32hex characters to complete it."""
    return f"{prefix}_{_encode(_now_ms() << 80)[:TIME_LENGTH]}"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _encode(value: int) -> str:
    return base64.b32hexencode(value.to_bytes(16, "big")).decode("ascii")[:ID_LENGTH]
