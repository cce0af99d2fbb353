"""Keyset pagination: a page of a list query after the last row of the previous page.

Ids are time-ordered, so the default order (newest first) pages by id alone. A list sorted by
another key pages by the pair (key, id): the cursor carries the sort's name, the last row's key
and its id, and the next page starts strictly after that pair, so rows added or changed between
pages neither repeat nor vanish from those already passed. Keys may be NULL; NULLs sort last in
either direction. The cursor here is plain text; the HTTP layer makes it opaque.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import QueryableAttribute, Session

from forwarder_insure.domain.errors import Invalid


@dataclass(frozen=True)
class SortKey:
    """One sort of a list: an SQL expression of the row, its direction, and whether its values
    are instants (``datetime``) or integers, for the cursor."""

    expression: ColumnElement[Any] | QueryableAttribute[Any]
    descending: bool = False
    instants: bool = False


@dataclass(frozen=True)
class Page:
    """The rows of one page and the cursor of the next (None on the last page)."""

    items: list[Any]
    next_cursor: str | None


def page(
    session: Session,
    query: Select[Any],
    id_column: Any,
    after: str | int | None,
    limit: int,
    *,
    sort: tuple[str, SortKey] | None = None,
) -> Page:
    """One page of ``query``. Without ``sort``, newest first by ``id_column`` after the id
    ``after``; with ``sort`` (its name and key), by the key and then the id in the key's
    direction, after the (key, id) pair in the cursor ``after``."""
    if sort is None:
        if after:
            query = query.where(id_column < after)
        rows = list(session.execute(query.limit(limit + 1)).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(rows, str(rows[-1].id) if more and rows else None)
    name, key = sort
    expression = key.expression
    if after:
        query = query.where(_after(name, key, id_column, str(after)))
    direction = (expression.desc() if key.descending else expression.asc()).nulls_last()
    query = query.order_by(None).order_by(
        direction, id_column.desc() if key.descending else id_column.asc()
    )
    found = session.execute(query.add_columns(expression).limit(limit + 1)).all()
    more = len(found) > limit
    found = found[:limit]
    cursor = None
    if more and found:
        row, value = found[-1][0], found[-1][-1]
        if isinstance(value, datetime):
            value = value.isoformat()
        cursor = json.dumps([name, value, str(row.id)], separators=(",", ":"))
    return Page([row[0] for row in found], cursor)


def _after(name: str, key: SortKey, id_column: Any, cursor: str) -> ColumnElement[bool]:
    """Rows strictly after the (key, id) pair of ``cursor`` in the sort's order."""
    value, last_id = _read(name, key, cursor)
    expression = key.expression
    later_id = id_column < last_id if key.descending else id_column > last_id
    if value is None:  # NULLs come last: only NULLs with a later id remain
        return and_(expression.is_(None), later_id)
    later_key = expression < value if key.descending else expression > value
    return or_(later_key, and_(expression == value, later_id), expression.is_(None))


def _read(name: str, key: SortKey, cursor: str) -> tuple[Any, str]:
    refused = Invalid(f"not a cursor of a list sorted by {name}", code="invalid_cursor")
    try:
        sort, value, last_id = json.loads(cursor)
    except (ValueError, TypeError):
        raise refused from None
    if sort != name or not isinstance(last_id, str) or not last_id:
        raise refused
    if value is None:
        return None, last_id
    try:
        if key.instants:
            if not isinstance(value, str):
                raise ValueError(value)
            instant = datetime.fromisoformat(value)
            if instant.tzinfo is None:
                raise ValueError(value)
            return instant.astimezone(UTC), last_id
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
            raise ValueError(value)
        return value, last_id
    except (ValueError, OverflowError):
        raise refused from None


def numbered(query: Select[Any], number: int, size: int) -> Select[Any]:
    """The console's numbered pages: ``query`` limited to page ``number`` (from 1) of ``size``
    rows, plus one row that says whether a next page exists."""
    return query.limit(size + 1).offset((number - 1) * size)
