"""Tenant scope: a seller sees only its own rows, and the rest do not exist for it.

Every read of a seller-owned row goes through :func:`get_visible` or :func:`only_visible`, so the
404-not-403 rule lives in one place.
"""

from __future__ import annotations

from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.errors import NotFound

Columns = TypeVarTuple("Columns")
Row = TypeVar("Row")


def get_visible(session: Session, model: type[Row], row_id: Any, caller: Caller, what: str) -> Row:
    """The row with ``row_id`` if it exists and ``caller`` may see it; else NotFound."""
    row = session.get(model, row_id)
    if row is None or not caller.can_see_seller(row.seller_id):  # type: ignore[attr-defined]
        raise NotFound(f"no {what} {row_id}", code=f"{what.replace(' ', '_')}_not_found")
    return row


def lock_visible(session: Session, model: type[Row], row_id: Any, caller: Caller, what: str) -> Row:
    """Like :func:`get_visible`, with the row locked (``FOR UPDATE``) and read afresh."""
    row = session.scalars(
        select(model)
        .where(model.id == row_id)  # type: ignore[attr-defined]
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None or not caller.can_see_seller(row.seller_id):  # type: ignore[attr-defined]
        raise NotFound(f"no {what} {row_id}", code=f"{what.replace(' ', '_')}_not_found")
    return row


def list_visible(
    model: Any, caller: Caller, *, status: str | None, seller_id: str | None
) -> Select[Any]:
    """Rows of a seller-owned ``model`` the caller may see, filtered by status and seller,
    newest first (ids are time-ordered), ready for cursor pagination."""
    query = only_visible(select(model), model.seller_id, caller)
    if status:
        query = query.where(model.status == status)
    if seller_id:
        query = query.where(model.seller_id == seller_id)
    return query.order_by(model.id.desc())


def only_visible(
    statement: Select[*Columns], seller_column: Any, caller: Caller
) -> Select[*Columns]:
    """Narrow a list query to the caller's own rows when the caller is a seller."""
    if caller.is_seller:
        return statement.where(seller_column == caller.seller_id)
    return statement
