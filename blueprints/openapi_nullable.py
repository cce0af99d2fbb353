"""``null`` means only ``null`` in the OpenAPI document.

For a nullable nested schema in OpenAPI 3.0, apispec writes ``anyOf: [{$ref}, {"type": "object",
"nullable": true}]``, whose second branch accepts *any* object, so ``"invoice_amount": {}`` is
valid by the document and refused by the API. Pinning that branch to ``enum: [null]`` makes it
mean what the field means: the nested object, or null.
"""

from __future__ import annotations

from typing import Any

LOOSE_NULL = {"type": "object", "nullable": True}


def only_null(converter: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """An apispec attribute function (run after apispec's own ones)."""
    for branch in ret.get("anyOf", []):
        if branch == LOOSE_NULL:
            branch["enum"] = [None]
    return {}


def register(api: Any) -> None:
    api.ma_plugin.converter.add_attribute_function(only_null)
