"""What a request shares across the layers: its session, its caller, its "now".

One database session per request, committed when the view answered below 400 and rolled back
otherwise; the request's instant is read from the app clock once, so every row written by one
request carries the same time. Also the guards every API request passes: JSON bodies must say
they are JSON and stay under the JSON size limit.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_smorest import abort
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from blueprints.problems import problem
from forwarder_insure.runtime import EXTENSION_KEY, Runtime
from forwarder_insure.services.credentials import KeyHolder

log = logging.getLogger(__name__)

#: Content types the API reads; uploads use multipart.
JSON_TYPES = ("application/json",)
FORM_TYPES = ("multipart/form-data",)

#: How deep arrays and objects may nest in a JSON body. Our deepest request nests 4 levels;
#: Python's parser recurses per level and fails with a RecursionError near 1000.
MAX_JSON_DEPTH = 64

_KEEP_QUOTES_AND_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_SAME_BRACKETS = bytes.maketrans(b"{}", b"[]")
_STRING = re.compile(rb'"[^"]*"')


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION_KEY]


def db_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = runtime().database.sessions()
    return g.db_session


def request_now() -> datetime:
    """The request's instant, from the app clock, read once."""
    if "request_now" not in g:
        g.request_now = runtime().clock.now()
    return g.request_now


def key_holder() -> KeyHolder:
    """The authenticated API key of this request (set by ``ApiBlueprint.requires``)."""
    return g.key_holder


def after_this_request_ends(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the request's transaction is over, whatever its outcome."""
    g.setdefault("on_request_end", []).append(callback)


def discard_unless_committed(cleanup: Callable[[], None]) -> None:
    """Undo a side effect outside the database (a stored file) when the request does not
    commit, so a refused or failed request leaves nothing behind."""
    after_this_request_ends(lambda: None if g.get("request_committed") else cleanup())


def _guard_body() -> Response | None:
    """Check what every request sends before a view reads it: no NUL character anywhere
    (PostgreSQL text cannot hold one, so it would fail deep inside a query), and a JSON body on
    API writes, within its own size limit, nested at most MAX_JSON_DEPTH deep and free of lone
    surrogates. Every JSON reader (webargs, the fast readers of ``well_formed_json``) runs
    after this."""
    environ = request.environ
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    if "\x00" in path or "%00" in query or "\x00" in query:
        raise BadRequest("The request's path or query contains a NUL character.")
    if environ["REQUEST_METHOD"] not in {"POST", "PUT", "PATCH"} or not path.startswith("/api/"):
        return None
    if environ.get("CONTENT_TYPE", "").startswith("application/json"):
        _refuse_hostile_json()
        return None
    mimetype = request.mimetype
    if mimetype in FORM_TYPES:
        return None
    has_body = environ.get("CONTENT_LENGTH", "0") not in ("", "0") or environ.get(
        "HTTP_TRANSFER_ENCODING"
    )
    if has_body and not (mimetype in JSON_TYPES or mimetype.endswith("+json")):
        raise UnsupportedMediaType(
            f"The request body must be application/json, not {mimetype or 'unspecified'}."
        )
    _refuse_hostile_json()
    return None


def _read_json_body() -> bytes:
    """The body, at most FI_MAX_JSON_BYTES (413 beyond). A body without a Content-Length
    (``Transfer-Encoding: chunked``) is read one byte past the limit: werkzeug would otherwise
    hand over its first ``limit`` bytes as if they were all, and the cut JSON would be a 400."""
    limit = runtime().settings.max_json_bytes
    sized = request.content_length is not None  # werkzeug's reading: None when chunked
    request.max_content_length = limit if sized else limit + 1
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    return data


def _refuse_hostile_json() -> None:
    data = _read_json_body()
    if b"\\u0000" in data:  # JSON spells the escape with a small u
        raise BadRequest("A JSON string in the request contains a NUL character (\\u0000).")
    if json_nests_deeper_than(data, MAX_JSON_DEPTH):
        abort(
            400,
            message=f"The JSON body nests arrays or objects more than {MAX_JSON_DEPTH} deep.",
            code="json_too_deep",
        )
    if b"\\ud" in data or b"\\uD" in data:  # only an escape can spell a lone surrogate
        _refuse_lone_surrogates(data)


_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE = (
    "Contains a lone UTF-16 surrogate (an escape from \\ud800 to \\udfff without its pair), "
    "which is not a character."
)


def _refuse_lone_surrogates(data: bytes) -> None:
    """422 naming every string and key of the body that holds a lone surrogate: no database
    can store one, and no later step should have to think about them."""
    try:
        document = json.loads(data)
    except ValueError:
        return  # not JSON: the view's parser says so
    messages: dict[str, Any] = {}

    def visit(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, str):
            if _SURROGATE.search(node):
                _put(messages, path, LONE_SURROGATE)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                visit(item, (*path, str(index)))
        elif isinstance(node, dict):
            for key, item in node.items():
                name = _SURROGATE.sub("\ufffd", key)
                if name != key:
                    _put(messages, (*path, name), LONE_SURROGATE)
                visit(item, (*path, name))

    visit(document, ())
    if messages:
        abort(422, messages={"json": messages})


def _put(messages: dict[str, Any], path: tuple[str, ...], message: str) -> None:
    node = messages
    for part in path:
        node = node.setdefault(part, {})
    node.setdefault("_schema", []).append(message)


def json_nests_deeper_than(data: bytes, limit: int) -> bool:
    """Whether the JSON text ``data`` nests arrays and objects more than ``limit`` deep, by
    counting brackets outside strings, without parsing: a few passes of C-speed byte
    operations. For a text that is not JSON the answer is an upper bound (it never says no to
    a text a parser would descend deeper into)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    if b"\x00" in data:  # UTF-16 or UTF-32 (RFC 8259 wants UTF-8, Python's parser reads all)
        data = data.decode(json.detect_encoding(data), "replace").encode()
    if b"\\" in data:  # escaped backslashes, then escaped quotes, go before quotes are paired
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = data.translate(_SAME_BRACKETS, _KEEP_QUOTES_AND_BRACKETS).replace(b'""', b"")
    if b'"' in marks:  # strings with brackets in them (rare): drop them whole
        marks = _STRING.sub(b"", marks)
    # Each pass removes the innermost level; what stays unpaired can only add depth.
    for level in range(limit + 1):
        inner = marks.replace(b"[]", b"")
        if len(inner) == len(marks):
            return level + inner.count(b"[") > limit
        marks = inner
    return True


def _finish_transaction(response: Response) -> Response:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return response
    try:
        if response.status_code < 400:
            session.commit()
            g.request_committed = True
        else:
            session.rollback()
    except Exception:
        session.rollback()
        log.exception("commit failed for %s %s", request.method, request.path)
        return problem(
            503,
            detail="The change could not be saved; nothing was changed. Please retry.",
            code="commit_failed",
            headers={"Retry-After": "1"},
        )
    finally:
        session.close()
    return response


def _teardown(_error: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:  # the view raised before after_request could run
        session.rollback()
        session.close()
    for callback in g.pop("on_request_end", []):
        callback()


#: On every answer under /api/, success or problem: nothing is cached (answers carry keys,
#: claims and money), and browsers take the declared content type at its word.
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _api_headers(response: Response) -> Response:
    if request.environ.get("PATH_INFO", "").startswith("/api/"):
        headers = response.headers
        for name, value in API_HEADERS.items():
            headers[name] = value
    return response


def _options(response_class: type[Response]) -> Callable[[], Response | None]:
    """``OPTIONS`` on an API path answers the methods of the route the path names, as the
    OpenAPI document lists them (plus OPTIONS, and HEAD beside GET). Flask's own answer
    merges every route the path could match: ``…/documents/upload-url`` would also offer GET,
    from ``…/documents/{document_id}``, which the document (concrete paths first) does not."""

    def answer() -> Response | None:
        environ = request.environ
        if environ["REQUEST_METHOD"] != "OPTIONS" or not environ["PATH_INFO"].startswith("/api/"):
            return None
        rule = request.url_rule
        if rule is None:
            return None
        if not getattr(rule, "provide_automatic_options", False):
            return None
        response = response_class()
        response.allow.update(sorted(rule.methods or ()))
        return response

    return answer


def init_request_scope(app: Flask) -> None:
    app.before_request(_options(app.response_class))
    app.before_request(_guard_body)
    # after_request functions run last-registered first: the headers go on whatever answer
    # the transaction's end leaves (a failed commit's 503 included).
    app.after_request(_api_headers)
    app.after_request(_finish_transaction)
    app.teardown_request(_teardown)
