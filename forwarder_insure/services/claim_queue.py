"""The claim queue: which claims a caller lists, filtered and sorted, for the ops console
(numbered pages) and the API's ``GET /claims`` (cursor pages) alike, so both read one set of
filters and sorts. The filters' and sorts' SQL are the twins in ``claim_predicates``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import QueryableAttribute, Session, selectinload

from forwarder_insure.db.models import Claim
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.claim_rules import ClaimRules
from forwarder_insure.domain.errors import Forbidden
from forwarder_insure.services import claim_predicates as predicates
from forwarder_insure.services import pagination
from forwarder_insure.services.claims import list_query
from forwarder_insure.services.pagination import SortKey, numbered
from forwarder_insure.services.scope import only_visible


@dataclass(frozen=True)
class ClaimFilters:
    """What a queue asks for; None (or empty) leaves a filter out."""

    statuses: tuple[str, ...] = ()
    kind: str | None = None
    seller_id: str | None = None
    flag: str | None = None
    decision_overdue: bool | None = None
    settlement_overdue: bool | None = None
    fast_tracked: bool | None = None


#: The console queue's sorts (ties broken by the newest id first).
CONSOLE_SORTS: dict[str, Any] = {
    "age": Claim.created_at.asc(),
    "newest": Claim.created_at.desc(),
    "amount": Claim.amount_claimed_minor.desc(),
    "grace": Claim.grace_deadline.asc().nulls_last(),
    "decision": Claim.checklist_complete_at.asc().nulls_last(),
}

_API_SORT_COLUMNS: tuple[tuple[str, ColumnElement[Any] | QueryableAttribute[Any], bool], ...] = (
    ("created_at", Claim.created_at, True),
    ("submitted_at", Claim.submitted_at, True),
    ("grace_deadline", Claim.grace_deadline, True),
    ("decision_due_at", predicates.decision_clock_sql(), True),
    ("amount_claimed", Claim.amount_claimed_minor, False),
)

#: The API's sorts: a field name, descending with a leading ``-``; NULLs last either way.
#: ``decision_due_at`` sorts by the claim's decision due time (only submitted claims have one).
#: Amounts sort by their minor units whatever the currency, as the console does.
API_SORTS: dict[str, SortKey] = {
    **{
        f"{sign}{name}": SortKey(expression, descending=sign == "-", instants=instants)
        for name, expression, instants in _API_SORT_COLUMNS
        for sign in ("", "-")
    }
}


@dataclass(frozen=True)
class QueueRow:
    """A claim in the console's queue with its SLA state, computed once."""

    claim: Claim
    decision_due_at: datetime | None
    decision_overdue: bool
    settlement_overdue: bool

    @property
    def overdue(self) -> bool:
        return self.decision_overdue or self.settlement_overdue


def filtered(caller: Caller, filters: ClaimFilters, rules: ClaimRules, now: datetime) -> Select:
    """Claims the caller may see (a seller: its own, whatever ``seller_id`` says) that pass
    ``filters``, newest first. Screening is for staff: a seller may not filter by flag (403),
    which would tell it how its claims were screened."""
    if filters.flag and not caller.is_staff:
        raise Forbidden("filtering by screening flag is for staff", code="staff_only_filter")
    query = list_query(
        caller,
        status=filters.statuses[0] if len(filters.statuses) == 1 else None,
        seller_id=filters.seller_id,
        rules=rules,
        now=now,
        decision_overdue=filters.decision_overdue,
        settlement_overdue=filters.settlement_overdue,
    )
    if len(filters.statuses) > 1:
        query = query.where(Claim.status.in_(filters.statuses))
    if filters.kind:
        query = query.where(Claim.kind == filters.kind)
    if filters.flag:
        query = query.where(predicates.has_flag_sql(filters.flag))
    if filters.fast_tracked is not None:
        query = query.where(Claim.fast_tracked.is_(filters.fast_tracked))
    return query


def console_page(
    session: Session,
    caller: Caller,
    filters: ClaimFilters,
    sort: str,
    *,
    number: int,
    size: int,
    rules: ClaimRules,
    now: datetime,
) -> tuple[list[QueueRow], bool]:
    """Page ``number`` (from 1) of ``size`` rows of the console queue in the sort ``sort`` (a
    key of :data:`CONSOLE_SORTS`), and whether a next page exists."""
    query = filtered(caller, filters, rules, now).order_by(None)
    query = query.order_by(CONSOLE_SORTS[sort], Claim.id.desc())
    found = list(session.scalars(numbered(query, number, size)))
    rows = [
        QueueRow(
            claim=claim,
            decision_due_at=predicates.decision_due_at(claim, rules),
            decision_overdue=predicates.is_decision_overdue(claim, rules, now),
            settlement_overdue=predicates.is_settlement_overdue(claim),
        )
        for claim in found[:size]
    ]
    return rows, len(found) > size


def counts_per_status(session: Session, caller: Caller) -> dict[str, int]:
    """How many claims the caller may see in each status."""
    per_status = only_visible(select(Claim.status, func.count()), Claim.seller_id, caller)
    return {status: count for status, count in session.execute(per_status.group_by(Claim.status))}


def api_page(
    session: Session,
    caller: Caller,
    filters: ClaimFilters,
    sort: str | None,
    *,
    after: str | None,
    limit: int,
    rules: ClaimRules,
    now: datetime,
) -> pagination.Page:
    """A cursor page of the API's claim list: newest first without ``sort``, else in the sort
    ``sort`` (a key of :data:`API_SORTS`), with what the claim's answer shows loaded at once."""
    query = filtered(caller, filters, rules, now).options(
        selectinload(Claim.documents),
        selectinload(Claim.timeline),
        selectinload(Claim.payout),
    )
    return pagination.page(
        session,
        query,
        Claim.id,
        after,
        limit,
        sort=(sort, API_SORTS[sort]) if sort else None,
    )
