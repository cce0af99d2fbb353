"""Demo data for the embedded default: a seller, an underwriter, exchange rates, one API key
per role, and console logins for a handler and a supervisor.

Loading is idempotent. The demo keys and passwords are derived from the instance's secret key
(HMAC), so every start of the same demo prints the same ones, yet nobody without that secret can
compute them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import ApiKey, Seller, StaffUser, Underwriter
from forwarder_insure.domain.access import Role
from forwarder_insure.services import exchange_rates
from forwarder_insure.services.credentials import (
    KEY_SCHEME,
    create_api_key,
    create_staff_user,
    hash_secret,
)
from forwarder_insure.services.sellers import ensure_seller
from forwarder_insure.services.underwriters import create_underwriter

DEMO_SELLER_ID = "DEMO-SELLER"
DEMO_ROLES = (Role.SELLER, Role.WAREHOUSE, Role.TRACKING, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN)


#: Console logins of the demo (``.invalid`` is reserved: these addresses reach nobody).
DEMO_STAFF = (
    (Role.HANDLER, "handler@demo.invalid"),
    (Role.SUPERVISOR, "supervisor@demo.invalid"),
)


def _derived(secret_key: str, purpose: str) -> str:
    mac = hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def demo_key(secret_key: str, role: Role) -> str:
    return f"{KEY_SCHEME}_demo{role.value}_{_derived(secret_key, f'demo-api-key:{role.value}')}"


def demo_password(secret_key: str, email: str) -> str:
    return _derived(secret_key, f"demo-staff:{email}")[:20]


DEMO_UNDERWRITER = {
    "name": "Harbour Mutual Marine & Cargo Insurance",
    "licence_number": "HMC-2026-00042",
    "jurisdictions": ["*"],
    "lines": ["*"],
    "country": "US",
    "currency": "USD",
    "active_from": date(2026, 1, 1),
    "active_to": None,
    "priority": 100,
}

#: Rates into USD (the demo underwriter's currency) for the other demo currencies.
DEMO_RATES_TO_USD = {
    "EUR": Decimal("1.0850"),
    "GBP": Decimal("1.2700"),
    "CAD": Decimal("0.7300"),
    "JPY": Decimal("0.0067"),
    "KWD": Decimal("3.2500"),
}


def load_demo(session: Session, secret_key: str, now: datetime) -> list[tuple[Role, str]]:
    """Make sure the demo seller, underwriter, rates and keys exist; returns (role, key) pairs."""
    seller = ensure_seller(session, DEMO_SELLER_ID, now)
    if seller.name is None:
        seller.name = "Demo Seller Ltd"
    known = session.execute(
        select(Underwriter.id).where(
            Underwriter.licence_number == DEMO_UNDERWRITER["licence_number"]
        )
    ).first()
    if not known:
        create_underwriter(session, now, **DEMO_UNDERWRITER)
    for currency, rate in DEMO_RATES_TO_USD.items():
        if exchange_rates.rate_on(session, currency, "USD", now.date()) is None:
            exchange_rates.set_rate(session, currency, "USD", rate, date(2026, 1, 1), now)
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
    for role, email in DEMO_STAFF:
        if not session.execute(select(StaffUser.id).where(StaffUser.email == email)).first():
            create_staff_user(session, email, role, demo_password(secret_key, email), now)
    session.flush()
    assert session.get(Seller, DEMO_SELLER_ID) is not None
    return keys
