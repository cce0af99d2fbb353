"""Which underwriter carries a parcel's risk.

An underwriter may insure a lane only while active (``active_from`` ≤ day < ``active_to``), when
licensed in both the origin and the destination country (``*`` means worldwide), and for the
goods lines it accepts (``*`` means all). Several eligible underwriters are ranked by
``priority`` (lowest first), then by id so the choice is stable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

WORLDWIDE = "*"
ALL_LINES = "*"


@dataclass(frozen=True)
class UnderwriterTerms:
    id: str
    name: str
    licence_number: str
    jurisdictions: frozenset[str]
    lines: frozenset[str]
    country: str
    currency: str
    active_from: date
    active_to: date | None
    priority: int = 100

    def is_active(self, on: date) -> bool:
        return self.active_from <= on and (self.active_to is None or on < self.active_to)

    def licensed_for(self, country: str) -> bool:
        return WORLDWIDE in self.jurisdictions or country in self.jurisdictions

    def accepts(self, category: str) -> bool:
        return ALL_LINES in self.lines or category in self.lines

    def can_insure(self, origin: str, destination: str, category: str, on: date) -> bool:
        return (
            self.is_active(on)
            and self.licensed_for(origin)
            and self.licensed_for(destination)
            and self.accepts(category)
        )


def choose_underwriter(
    underwriters: Iterable[UnderwriterTerms], origin: str, destination: str, category: str, on: date
) -> UnderwriterTerms | None:
    """The underwriter for this lane and category on this day, or None if nobody may carry it."""
    eligible = [u for u in underwriters if u.can_insure(origin, destination, category, on)]
    return min(eligible, key=lambda u: (u.priority, u.id), default=None)
