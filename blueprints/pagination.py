"""Cursor pagination over time-ordered ids: stable while rows are added, index-friendly."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import marshmallow as ma
from sqlalchemy import Select
from sqlalchemy.orm import Session

MAX_LIMIT = 200


class Cursor(ma.fields.String):
    """An opaque cursor on the wire; the id of the last row seen once loaded."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            padded = text + "=" * (-len(text) % 4)
            decoded = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        except (binascii.Error, UnicodeError, ValueError):
            raise ma.ValidationError("Not a cursor from this API.") from None
        if not decoded or not decoded.isprintable():
            raise ma.ValidationError("Not a cursor from this API.")
        return decoded


class PageArgsSchema(ma.Schema):
    cursor = Cursor(
        load_default=None, metadata={"description": "The next_cursor of the previous page."}
    )
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=MAX_LIMIT))


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def page(
    session: Session, query: Select[Any], id_column: Any, after: str | int | None, limit: int
) -> dict[str, Any]:
    """One page of ``query`` (ordered by ``id_column`` descending) after the id ``after``."""
    if after:
        query = query.where(id_column < after)
    rows = list(session.execute(query.limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": rows,
        "next_cursor": encode_cursor(str(rows[-1].id)) if more and rows else None,
    }
