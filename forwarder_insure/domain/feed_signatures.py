"""Whether a tracking provider's webhook push really comes from the provider.

Each provider signs the raw body bytes its own way; the check runs on those bytes before anything
is parsed, compares in constant time, and accepts any one of several secrets so a secret can be
rotated without losing pushes. No provider signs a timestamp, so a replayed push verifies: the
ingest's duplicate detection is what makes replays harmless.

- EasyPost: ``X-Hmac-Signature: hmac-sha256-hex=<hex>``, HMAC-SHA256 of the body keyed with the
  UTF-8 bytes of the secret after Unicode NFKD normalisation (as EasyPost's own SDKs do).
- AfterShip Tracking: ``aftership-hmac-sha256: <base64>``, HMAC-SHA256 of the body keyed with the
  secret's UTF-8 bytes as they are. Other AfterShip products' headers are not read.
- 17TRACK API v2: ``sign: <hex>``, a plain SHA-256 (not an HMAC) of the body, ``/`` and the API
  security key. The v1 in-body ``sign`` is not read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Callable, Mapping, Sequence

EASYPOST_HEADER = "x-hmac-signature"
EASYPOST_PREFIX = "hmac-sha256-hex="
AFTERSHIP_HEADER = "aftership-hmac-sha256"
SEVENTEEN_TRACK_HEADER = "sign"


def easypost_signature(raw_body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return EASYPOST_PREFIX + hmac.new(key, raw_body, hashlib.sha256).hexdigest()


def aftership_signature(raw_body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def seventeen_track_signature(raw_body: bytes, secret: str) -> str:
    return hashlib.sha256(raw_body + b"/" + secret.encode("utf-8")).hexdigest()


#: provider → (the header carrying its signature, how the expected value is computed)
SCHEMES: dict[str, tuple[str, Callable[[bytes, str], str]]] = {
    "easypost": (EASYPOST_HEADER, easypost_signature),
    "aftership": (AFTERSHIP_HEADER, aftership_signature),
    "17track": (SEVENTEEN_TRACK_HEADER, seventeen_track_signature),
}


def verify(
    provider: str, raw_body: bytes, headers: Mapping[str, str], secrets: Sequence[str]
) -> bool:
    """True when the push's signature header matches ``raw_body`` under any one of ``secrets``.

    An unknown provider, no secret, a missing or empty header: False. Header names are matched
    without regard to case.
    """
    scheme = SCHEMES.get(provider)
    if scheme is None:
        return False
    header, expected_for = scheme
    given = _header(headers, header)
    if not given:
        return False
    given_bytes = given.strip().encode("utf-8", "replace")
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = expected_for(raw_body, secret).encode("ascii")
        # Every secret is tried, so the time taken does not say which one matched.
        matched |= hmac.compare_digest(expected, given_bytes)
    return matched


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                value = candidate
                break
    return value if isinstance(value, str) else None
