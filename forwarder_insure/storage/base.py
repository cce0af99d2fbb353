"""The document store interface every backend implements, and what it promises.

Claim evidence and certificates are files uploaded by people we do not trust. Whatever the
backend, a stored document has a key we generated (never the uploader's file name), a size within
the limit, a SHA-256 computed while the bytes streamed past, and a content type sniffed from the
bytes themselves (never the one the client declared). The HTTP layer maps the errors defined here
to statuses (413 for :class:`TooLarge`; 415 for :class:`UnsupportedType` and its
:class:`UnreadableDocument`).
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, BinaryIO

from forwarder_insure.domain.errors import Conflict, DomainError, Invalid

#: Uploads are read and written in pieces of this size, so no document is ever whole in memory.
CHUNK_SIZE = 64 * 1024
#: The limit used when a store is built without one (matches ``Settings.max_upload_bytes``).
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: Where documents accepted by :meth:`DocumentStore.put` and ``adopt_uploaded`` live.
DOCUMENT_AREA = "documents"

_KEY_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}"
_SAFE_KEY = re.compile(rf"{_KEY_SEGMENT}(?:/{_KEY_SEGMENT}){{0,15}}")


class TooLarge(DomainError):
    """The document is bigger than the limit; nothing of it was kept."""

    code = "document_too_large"
    title = "Document too large"


class UnsupportedType(DomainError):
    """The bytes are not a PDF, PNG, JPEG, WebP or HEIC file; nothing of it was kept."""

    code = "unsupported_document_type"
    title = "Unsupported document type"


class UnreadableDocument(UnsupportedType):
    """The bytes announce an accepted type but do not parse as it (a valid header in front of
    something else, an image carrying web page markup, an image with too many pixels); nothing
    of it was kept. A 415 like :class:`UnsupportedType`, with a more precise code."""

    code = "unreadable_document"
    title = "Unreadable document"


class PresignedUploadUnsupported(Conflict):
    """This store cannot take uploads straight from the browser; send the file through the API."""

    code = "presigned_upload_unsupported"
    title = "Direct upload not available"


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """What the database records about a stored document.

    ``filename`` is the uploader's name, sanitised, and only ever a label: the bytes are found by
    ``key`` and served as ``content_type``.
    """

    key: str
    size: int
    sha256: str
    content_type: str
    filename: str


def new_document_key(area: str = DOCUMENT_AREA, *, now: datetime | None = None) -> str:
    """A fresh random key such as ``documents/2026/11/<32 hex>``.

    Keys are unguessable and grouped by month so operators can list, back up or expire a month at
    once; nothing in them comes from the uploader.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{area}/{moment:%Y}/{moment:%m}/{secrets.token_hex(16)}"


def check_key(key: str) -> str:
    """Refuse a key that could name something outside the store (``..``, absolute, hidden)."""
    if not isinstance(key, str) or not _SAFE_KEY.fullmatch(key):
        raise Invalid(f"{key!r} is not a document key", code="invalid_document_key")
    return key


def check_limit(max_bytes: int) -> int:
    """A size limit must allow at least one byte; anything else is a programming error."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive integer, not {max_bytes!r}")
    return max_bytes


class DocumentStore(ABC):
    """Where uploaded documents are kept: a local directory or an S3 bucket.

    Callers hold only keys; they never build paths or object names themselves.
    """

    #: Whether :meth:`presigned_post` and :meth:`adopt_uploaded` work with this store.
    supports_presigned_post: bool = False

    def __init__(self, *, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = check_limit(max_bytes)

    @abstractmethod
    def put(
        self, stream: IO[bytes], *, declared_name: str | None, max_bytes: int | None = None
    ) -> StoredDocument:
        """Store an upload read from ``stream`` in chunks, or keep nothing of it.

        Raises :class:`TooLarge` as soon as more than ``max_bytes`` (default: the store's limit)
        arrive, ``Invalid`` (``empty_document``) for an empty file, and :class:`UnsupportedType`
        unless the bytes are a whole PDF, PNG, JPEG, WebP or HEIC file, and
        :class:`UnreadableDocument` unless that file parses as its type.
        """

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary stream of the document, to be read in chunks and closed by the caller."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the document; deleting one that is already gone is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a document is stored under ``key``."""

    @abstractmethod
    def head(self, key: str, n: int) -> bytes:
        """The first ``n`` bytes of the document, without reading the rest."""

    def presigned_post(self, *, max_bytes: int, content_type_hint: str | None) -> dict[str, Any]:
        """A form a browser can POST a file to directly, bypassing our servers.

        Returns ``{"url", "fields", "key", "expires_in"}``; the upload is not a document until
        :meth:`adopt_uploaded` has checked it.
        """
        raise PresignedUploadUnsupported(
            f"{type(self).__name__} does not accept direct uploads; upload through the API"
        )

    def adopt_uploaded(
        self, key: str, *, max_bytes: int, declared_name: str | None
    ) -> StoredDocument:
        """Check a direct upload exactly like :meth:`put` and turn it into a stored document.

        A refused upload is deleted. The caller must only adopt keys it issued to the same user,
        since the store cannot tell who uploaded an object.
        """
        raise PresignedUploadUnsupported(
            f"{type(self).__name__} does not accept direct uploads; upload through the API"
        )

    def close(self) -> None:  # noqa: B027 - most stores hold nothing that needs releasing
        """Release network connections; the store must not be used afterwards."""

    def _limit(self, max_bytes: int | None) -> int:
        return self.max_bytes if max_bytes is None else check_limit(max_bytes)
