"""Each question the queues ask of a row, in its two forms side by side: the Python form that
reads one loaded row (what a page or an API answer shows) and the SQL form that filters or
sorts many rows in the database (what a queue lists). The two must agree on every row;
``tests/services/test_claim_predicates.py`` evaluates both over the same rows on each backend.

The rule itself lives in the domain where it is pure (``domain/tracking.silent_since``,
``domain/claim_rules``' SLAs); the domain may not import SQLAlchemy, so each SQL twin lives
here, next to the Python form that calls the domain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, case, cast, func

from forwarder_insure.db.models import Claim, Coverage, Payout
from forwarder_insure.domain import tracking
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.claims import ClaimStatus
from forwarder_insure.domain.payouts import PayoutStatus

# -- decision due: our decision SLA on a submitted claim --------------------------------------


def decision_due_at(claim: Claim, rules: ClaimRules) -> datetime | None:
    """When we owe a decision: the decision SLA after the checklist became complete, for a
    submitted claim waiting on us (not on the seller)."""
    if claim.status != ClaimStatus.SUBMITTED.value or claim.checklist_complete_at is None:
        return None
    return claim.checklist_complete_at + rules.decision_sla


def decision_clock_sql() -> ColumnElement[Any]:
    """The SQL form of :func:`decision_due_at` less the SLA (a constant, so it orders the
    same): the checklist's completion on a submitted claim, else NULL. Adding an interval
    portably is not worth it for a sort."""
    return case(
        (Claim.status == ClaimStatus.SUBMITTED.value, Claim.checklist_complete_at), else_=None
    )


def is_decision_overdue(claim: Claim, rules: ClaimRules, now: datetime) -> bool:
    due = decision_due_at(claim, rules)
    return due is not None and now > due


def decision_overdue_sql(rules: ClaimRules, now: datetime) -> ColumnElement[bool]:
    """The SQL form of :func:`is_decision_overdue`."""
    return (
        (Claim.status == ClaimStatus.SUBMITTED.value)
        & Claim.checklist_complete_at.is_not(None)
        & (Claim.checklist_complete_at < now - rules.decision_sla)
    )


# -- settlement overdue: the insurer is late with a settlement --------------------------------


def is_settlement_overdue(claim: Claim) -> bool:
    """The insurer-sla job found the settlement late and it has still not been recorded."""
    return (
        claim.settlement_overdue_at is not None
        and claim.status == ClaimStatus.INSURER_ACCEPTED.value
    )


def settlement_overdue_sql() -> ColumnElement[bool]:
    """The SQL form of :func:`is_settlement_overdue`."""
    return Claim.settlement_overdue_at.is_not(None) & (
        Claim.status == ClaimStatus.INSURER_ACCEPTED.value
    )


# -- flagged: screening raised a flag with this code ------------------------------------------


def has_flag(claim: Claim, code: str) -> bool:
    """Whether screening raised the flag ``code`` on the claim."""
    return any(flag.get("code") == code for flag in claim.risk_flags)


def has_flag_sql(code: str) -> ColumnElement[bool]:
    """The SQL form of :func:`has_flag`. Flags are stored as JSON objects; inside a string value
    a quote is escaped, so this matches the ``code`` key only, on SQLite's JSON text and
    PostgreSQL's JSONB text alike (``code`` must be a plain lower_snake flag code)."""
    return cast(Claim.risk_flags, Text).contains(f'"code": "{code}"', autoescape=True)


# -- awaiting the underwriter: an advance whose underwriter share is still owed to us ---------


def awaits_underwriter(payout: Payout) -> bool:
    """An advance the underwriter has not yet paid its share of."""
    return (
        payout.status == PayoutStatus.ADVANCED
        and payout.insurer_paid_at is None
        and payout.underwriter_part_minor > 0
    )


def awaiting_underwriter_sql() -> ColumnElement[bool]:
    """The SQL form of :func:`awaits_underwriter`."""
    return (
        (Payout.status == PayoutStatus.ADVANCED)
        & Payout.insurer_paid_at.is_(None)
        & (Payout.underwriter_part_minor > 0)
    )


# -- silent since: what the sweep counts a parcel's silence from ------------------------------


def silent_since(coverage: Coverage) -> datetime:
    """The parcel's last scan, or its binding when never scanned (``domain/tracking``)."""
    return tracking.silent_since(coverage.last_event_at, coverage.bound_at)


def silent_since_sql() -> ColumnElement[datetime]:
    """The SQL form of :func:`silent_since`."""
    return func.coalesce(Coverage.last_event_at, Coverage.bound_at)
