"""Cursor pagination on the wire: the page arguments, and the opaque cursor a list answers
(the keyset pages themselves are built by ``forwarder_insure/services/pagination.py``)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import marshmallow as ma

from forwarder_insure.services.pagination import Page

MAX_LIMIT = 200


class Cursor(ma.fields.String):
    """An opaque cursor on the wire; once loaded, the text the service's page gave."""

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


def answer(page: Page) -> dict[str, Any]:
    """A page as the API answers it: its items and the next page's opaque cursor."""
    cursor = page.next_cursor
    return {"items": page.items, "next_cursor": encode_cursor(cursor) if cursor else None}
