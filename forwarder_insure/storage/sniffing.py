"""What an upload really is, found from its bytes while they stream past, and what to call it.

Both backends push every upload through :func:`inspect_stream`, so the rules are the same whether
a file arrives through the API or straight into S3. The content type comes from the ``filetype``
signatures in the first bytes, checked against the full signature of the format and its end
marker, so a renamed executable or a truncated image is refused at once. An image must not carry
web page markup (``<html``, ``<script``, ...) anywhere in its bytes, so it cannot be served as a
page by anything that sniffs. Then the spooled copy is parsed as its type
(:mod:`forwarder_insure.storage.parsing`), so a valid header in front of garbage is refused too.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO

import filetype

from forwarder_insure.domain.errors import Invalid
from forwarder_insure.storage.base import (
    CHUNK_SIZE,
    StoredDocument,
    TooLarge,
    UnreadableDocument,
    UnsupportedType,
    check_limit,
)
from forwarder_insure.storage.parsing import check_parses

#: The accepted content types and the extension a nameless upload (or any download) of each type
#: is given.
ACCEPTED_TYPES: Mapping[str, str] = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/heic": "heic",
}
#: Extensions a download may keep because they name the same type as the canonical one.
EXTENSION_ALIASES: Mapping[str, frozenset[str]] = {
    "application/pdf": frozenset({"pdf"}),
    "image/png": frozenset({"png"}),
    "image/jpeg": frozenset({"jpg", "jpeg", "jpe", "jfif"}),
    "image/webp": frozenset({"webp"}),
    "image/heic": frozenset({"heic", "heif"}),
}
#: Uploads are spooled in memory up to this size while checked, then on local disk.
SPOOL_MEMORY_BYTES = 1024 * 1024
#: How much of the start ``filetype`` looks at; the type is decided once this much has arrived.
SIGNATURE_WINDOW = 8192
#: A PDF, PNG or JPEG must end its data within this many bytes of the end of the file.
TAIL_WINDOW = 1024
MAX_FILENAME_LENGTH = 120
FALLBACK_STEM = "document"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
_JPEG_START = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
_WEBP_CHUNKS = (b"VP8 ", b"VP8L", b"VP8X")
_MAX_KEPT_EXTENSION = 16
_EXTENSION = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*")
#: Markup a browser or a server-side include would act on. An image's compressed data is close to
#: random bytes: an honest 20 MiB image matches one by chance a few times in 100,000.
_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|\?php)[\s>/]", re.IGNORECASE
)
_MARKUP_OVERLAP = 24


def _pdf_starts(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def _png_starts(head: bytes) -> bool:
    return head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR"


def _jpeg_starts(head: bytes) -> bool:
    return head.startswith(_JPEG_START)


def _webp_starts(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] in _WEBP_CHUNKS


def _heic_starts(head: bytes) -> bool:
    """filetype has checked the ftyp box; the box after it must at least look like a box."""
    ftyp_size = int.from_bytes(head[:4], "big")
    next_box_type = head[ftyp_size + 4 : ftyp_size + 8]
    return ftyp_size >= 16 and len(next_box_type) == 4 and next_box_type.isalnum()


def _pdf_ends(head: bytes, tail: bytes, size: int) -> bool:
    return b"%%EOF" in tail


def _png_ends(head: bytes, tail: bytes, size: int) -> bool:
    return _PNG_END in tail


def _jpeg_ends(head: bytes, tail: bytes, size: int) -> bool:
    return _JPEG_END in tail


def _webp_ends(head: bytes, tail: bytes, size: int) -> bool:
    return int.from_bytes(head[4:8], "little") + 8 == size


def _heic_ends(head: bytes, tail: bytes, size: int) -> bool:
    return True


#: The format's own signature, stricter than the few bytes ``filetype`` matches on.
_STARTS: Mapping[str, Callable[[bytes], bool]] = {
    "application/pdf": _pdf_starts,
    "image/png": _png_starts,
    "image/jpeg": _jpeg_starts,
    "image/webp": _webp_starts,
    "image/heic": _heic_starts,
}
#: Evidence the file is whole: an end marker near the end, or a container size that adds up.
_ENDS: Mapping[str, Callable[[bytes, bytes, int], bool]] = {
    "application/pdf": _pdf_ends,
    "image/png": _png_ends,
    "image/jpeg": _jpeg_ends,
    "image/webp": _webp_ends,
    "image/heic": _heic_ends,
}


@dataclass(frozen=True, slots=True)
class Inspection:
    """The facts established about an upload once all of it has streamed past."""

    size: int
    sha256: str
    content_type: str

    def stored_as(self, key: str, declared_name: str | None) -> StoredDocument:
        """The record for this upload kept under ``key``, labelled with the uploader's name."""
        return StoredDocument(
            key=key,
            size=self.size,
            sha256=self.sha256,
            content_type=self.content_type,
            filename=sanitise_filename(declared_name, self.content_type),
        )


def sniff_content_type(head: bytes) -> str:
    """The accepted content type the first bytes of a file announce, or :class:`UnsupportedType`.

    ``head`` should be the first :data:`SIGNATURE_WINDOW` bytes (or the whole file if shorter).
    """
    kind = filetype.guess(bytes(head[:SIGNATURE_WINDOW])) if head else None
    content_type: str | None = kind.mime if kind is not None else None
    if (
        content_type is None
        or content_type not in ACCEPTED_TYPES
        or not _STARTS[content_type](head)
    ):
        raise UnsupportedType(
            "only PDF, PNG, JPEG, WebP and HEIC documents are accepted; "
            f"this file looks like {content_type or 'something unrecognised'}",
            detected=content_type,
        )
    return content_type


class ContentInspector:
    """Hashes, counts and sniffs an upload fed to it chunk by chunk.

    Only the first :data:`SIGNATURE_WINDOW` and last :data:`TAIL_WINDOW` bytes are kept, so the
    memory used does not grow with the file. A file over the limit or of the wrong type is refused
    as soon as that is known, not after it has all been read.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = check_limit(max_bytes)
        self.size = 0
        self._digest = hashlib.sha256()
        self._head = bytearray()
        self._tail = b""
        self._content_type: str | None = None
        self._markup = False

    @property
    def remaining(self) -> int:
        """How many more bytes may arrive before the limit is passed."""
        return self.max_bytes - self.size

    def feed(self, chunk: bytes) -> None:
        """Account for the next piece of the upload."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(
                f"the document is larger than the limit of {self.max_bytes} bytes",
                max_bytes=self.max_bytes,
            )
        self._digest.update(chunk)
        if len(self._head) < SIGNATURE_WINDOW:
            self._head += chunk[: SIGNATURE_WINDOW - len(self._head)]
            if len(self._head) == SIGNATURE_WINDOW:
                self._content_type = sniff_content_type(bytes(self._head))
        if not self._markup:
            self._markup = _MARKUP.search(self._tail[-_MARKUP_OVERLAP:] + chunk) is not None
        if len(chunk) >= TAIL_WINDOW:
            self._tail = bytes(chunk[-TAIL_WINDOW:])
        else:
            self._tail = (self._tail + chunk)[-TAIL_WINDOW:]

    def finish(self) -> Inspection:
        """The verdict on the whole upload, once the stream has ended."""
        if self.size == 0:
            raise Invalid("the document is empty", code="empty_document")
        head = bytes(self._head)
        content_type = self._content_type or sniff_content_type(head)
        if not _ENDS[content_type](head, self._tail, self.size):
            raise UnsupportedType(
                f"the document starts like {content_type} but is not a complete file of that type",
                detected=content_type,
            )
        if self._markup and content_type.startswith("image/"):
            raise UnreadableDocument(
                f"the document is {content_type} but carries web page markup; "
                "export the image again and upload that",
                code="document_contains_markup",
                detected=content_type,
            )
        return Inspection(
            size=self.size, sha256=self._digest.hexdigest(), content_type=content_type
        )


def inspect_stream(
    source: IO[bytes], *, max_bytes: int, sink: IO[bytes] | None = None
) -> Inspection:
    """Read ``source`` to its end in chunks, copying each to ``sink``, and judge what it was.

    Never asks ``source`` for more than :data:`CHUNK_SIZE` bytes at once, nor for more than one
    byte past the limit, so an oversized upload is stopped with the least reading. ``sink`` is an
    empty file open for writing and reading (a temporary file, a spool): once the stream has
    passed the signature checks, the copy in it is parsed as its type. Without a ``sink`` the
    upload is spooled to a temporary one for that. Afterwards the position of ``sink`` is
    unspecified.
    """
    if sink is None:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
            return inspect_stream(source, max_bytes=max_bytes, sink=spool)
    inspector = ContentInspector(max_bytes)
    while chunk := source.read(min(CHUNK_SIZE, inspector.remaining + 1)):
        inspector.feed(chunk)
        sink.write(chunk)
    inspection = inspector.finish()
    sink.flush()
    check_parses(sink, inspection.content_type)
    return inspection


def sanitise_filename(declared_name: str | None, content_type: str) -> str:
    """A harmless label from the uploader's file name: no directories, no control characters.

    ``../../etc/passwd`` becomes ``passwd`` and ``C:\\scans\\bill.pdf`` becomes ``bill.pdf``; the
    result is at most :data:`MAX_FILENAME_LENGTH` characters, keeping a short extension when
    cutting. When nothing usable is left the label is ``document`` with the extension of
    ``content_type``.
    """
    name = unicodedata.normalize("NFC", declared_name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    while (trimmed := name.strip().strip(".")) != name:
        name = trimmed
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= _MAX_KEPT_EXTENSION:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip()
    if not name:
        return f"{FALLBACK_STEM}.{ACCEPTED_TYPES.get(content_type, 'bin')}"
    return name


def download_name(filename: str | None, content_type: str) -> str:
    """The name a stored document is served under: its label, with the extension of the type
    sniffed from its bytes.

    The one rule for every download (claim documents, carrier letters, console previews): a PDF
    labelled ``invoice.html`` is served as ``invoice.pdf`` and a JPEG labelled ``a.exe`` as
    ``a.jpg``, so no name can make a browser or a desktop open the file as something else. An
    extension that already names the type (``photo.JPEG``) is kept; a label without one gets it.
    """
    label = sanitise_filename(filename, content_type)
    extension = ACCEPTED_TYPES.get(content_type, "bin")
    stem, dot, current = label.rpartition(".")
    if dot and stem and _EXTENSION.fullmatch(current) and len(current) <= _MAX_KEPT_EXTENSION:
        if current.lower() in EXTENSION_ALIASES.get(content_type, ()):
            return label
        label = stem
    return f"{label[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip()}.{extension}"
