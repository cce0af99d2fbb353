"""Demo data for the embedded default: a seller and one API key per role.

Loading is idempotent. The demo keys are derived from the instance's secret key (HMAC), so every
start of the same demo prints the same keys, yet nobody without that secret can compute them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import ApiKey, Seller
from forwarder_insure.domain.access import Role
from forwarder_insure.services.credentials import KEY_SCHEME, create_api_key, hash_secret
from forwarder_insure.services.sellers import ensure_seller

DEMO_SELLER_ID = "DEMO-SELLER"
DEMO_ROLES = (Role.SELLER, Role.WAREHOUSE, Role.TRACKING, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN)


def demo_key(secret_key: str, role: Role) -> str:
    mac = hmac.new(secret_key.encode(), f"demo-api-key:{role.value}".encode(), hashlib.sha256)
    body = base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")
    return f"{KEY_SCHEME}_demo{role.value}_{body}"


def load_demo(session: Session, secret_key: str, now: datetime) -> list[tuple[Role, str]]:
    """Make sure the demo seller and keys exist; returns (role, key) for each demo key."""
    seller = ensure_seller(session, DEMO_SELLER_ID, now)
    if seller.name is None:
        seller.name = "Demo Seller Ltd"
    keys = []
    for role in DEMO_ROLES:
        secret = demo_key(secret_key, role)
        exists = session.execute(
            select(ApiKey.id).where(ApiKey.secret_hash == hash_secret(secret))
        ).first()
        if not exists:
            create_api_key(
                session,
                role,
                now,
                seller_id=DEMO_SELLER_ID if role is Role.SELLER else None,
                name=f"demo {role.value}",
                secret=secret,
            )
        keys.append((role, secret))
    session.flush()
    assert session.get(Seller, DEMO_SELLER_ID) is not None
    return keys
