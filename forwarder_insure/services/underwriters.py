"""The underwriter registry: admin changes, and the cached copy quoting reads.

Quoting must not touch the database on every keystroke, so each process keeps the registry in
memory and reloads it when it is older than ``FI_UNDERWRITER_CACHE_SECONDS`` (and at once after a
change made through this process). Binding re-reads the chosen underwriter from the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Underwriter
from forwarder_insure.domain.errors import Invalid, NotFound
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.money import MoneyError, check_currency
from forwarder_insure.domain.underwriting import ALL_LINES, WORLDWIDE, UnderwriterTerms

EDITABLE = (
    "name",
    "licence_number",
    "jurisdictions",
    "lines",
    "country",
    "currency",
    "active_from",
    "active_to",
    "priority",
)


def _check(fields: dict[str, Any]) -> None:
    if "currency" in fields:
        try:
            check_currency(fields["currency"])
        except MoneyError as exc:
            raise Invalid(str(exc), code="unknown_currency") from None
    for key, wildcard in (("jurisdictions", WORLDWIDE), ("lines", ALL_LINES)):
        if key in fields and not fields[key]:
            raise Invalid(
                f'{key} must not be empty (use ["{wildcard}"] for all)', code=f"empty_{key}"
            )
    start, end = fields.get("active_from"), fields.get("active_to")
    if start is not None and end is not None and end <= start:
        raise Invalid("active_to must be after active_from", code="inactive_period")


def create_underwriter(session: Session, now: datetime, **fields: Any) -> Underwriter:
    _check(fields)
    underwriter = Underwriter(
        id=new_id("uw"), created_at=now, **{k: fields[k] for k in EDITABLE if k in fields}
    )
    if underwriter.priority is None:
        underwriter.priority = 100
    session.add(underwriter)
    session.flush()
    return underwriter


def update_underwriter(session: Session, underwriter_id: str, **changes: Any) -> Underwriter:
    underwriter = get_underwriter(session, underwriter_id)
    merged = {k: getattr(underwriter, k) for k in EDITABLE} | changes
    _check(merged)
    for key, value in changes.items():
        if key in EDITABLE:
            setattr(underwriter, key, value)
    session.flush()
    return underwriter


def get_underwriter(session: Session, underwriter_id: str) -> Underwriter:
    underwriter = session.get(Underwriter, underwriter_id)
    if underwriter is None:
        raise NotFound(f"no underwriter {underwriter_id}", code="underwriter_not_found")
    return underwriter


def list_underwriters(session: Session) -> list[Underwriter]:
    return list(
        session.execute(
            select(Underwriter).order_by(Underwriter.priority, Underwriter.id)
        ).scalars()
    )


class UnderwriterCache:
    """A per-process copy of the registry for quoting, refreshed every ``max_age`` seconds."""

    def __init__(self, load: Callable[[], list[UnderwriterTerms]], max_age: float):
        self._load = load
        self._max_age = max_age
        self._lock = threading.Lock()
        self._terms: tuple[UnderwriterTerms, ...] = ()
        self._loaded_at = float("-inf")

    def current(self) -> tuple[UnderwriterTerms, ...]:
        if time.monotonic() - self._loaded_at < self._max_age:
            return self._terms
        with self._lock:
            if time.monotonic() - self._loaded_at >= self._max_age:
                self._terms = tuple(self._load())
                self._loaded_at = time.monotonic()
        return self._terms

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")


def loader(sessions: Callable[[], Session]) -> Callable[[], list[UnderwriterTerms]]:
    def load() -> list[UnderwriterTerms]:
        with sessions() as session:
            return [u.terms() for u in list_underwriters(session)]

    return load


def active_on(terms: tuple[UnderwriterTerms, ...], day: date) -> list[UnderwriterTerms]:
    return [t for t in terms if t.is_active(day)]
