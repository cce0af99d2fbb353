"""Sellers are the warehouse's customers, created on first reference by their customer code."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Seller
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.errors import Invalid
from forwarder_insure.services.scope import get_visible
from forwarder_insure.services.upsert import insert_ignoring_conflicts

#: A customer code: letters, digits and ``-_.``, as warehouse systems print them.
SELLER_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_seller_id(seller_id: str) -> str:
    if not SELLER_ID_PATTERN.fullmatch(seller_id or ""):
        raise Invalid(
            f"{seller_id!r} is not a seller id (1-64 letters, digits, '.', '_' or '-')",
            code="invalid_seller_id",
        )
    return seller_id


def ensure_seller(session: Session, seller_id: str, now: datetime) -> Seller:
    """The seller with this id, created if this is the first time we hear of it.

    Safe when two requests name a new seller at once: the insert ignores a conflict on the key.
    """
    check_seller_id(seller_id)
    seller = session.get(Seller, seller_id)
    if seller is not None:
        return seller
    insert_ignoring_conflicts(session, Seller, [{"id": seller_id, "created_at": now}], ["id"])
    return session.execute(select(Seller).where(Seller.id == seller_id)).scalar_one()


def set_seller_name(session: Session, seller_id: str, name: str, now: datetime) -> Seller:
    """Record the seller's legal or trading name (printed on its certificates)."""
    seller = ensure_seller(session, seller_id, now)
    seller.name = name.strip()
    session.flush()
    return seller


def get_seller(session: Session, caller: Caller, seller_id: str) -> Seller:
    """The seller if the caller may see it (a seller key: only its own); else NotFound."""
    return get_visible(session, Seller, seller_id, caller, "seller")
