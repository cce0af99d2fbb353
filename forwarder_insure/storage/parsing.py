"""Whether a file whose bytes announce an accepted type really is a file of that type.

The signature and end marker checked while an upload streams past say what a file claims to be;
here it is opened by a real parser, from the spooled or stored copy (never a whole-bytes copy):
images with Pillow (HEIC through pillow-heif), PDFs with pypdf. A file that does not parse is
refused as :class:`UnreadableDocument`, whatever the parser's complaint, so a hostile file can
only ever be refused, never crash the upload. The work is bounded: an image is decoded only up
to :data:`MAX_DOCUMENT_PIXELS` (JPEGs at an eighth of their size, which still decodes every
block), and of a PDF only the cross-reference table, the page tree and the first page are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO

import pillow_heif
from PIL import Image
from pypdf import PdfReader

from forwarder_insure.storage.base import UnreadableDocument

#: The most pixels an image document may have: a 48-megapixel phone photo passes, a
#: decompression bomb (a few KiB that would decode to gigabytes) does not.
MAX_DOCUMENT_PIXELS = 50_000_000

# Pillow itself refuses (DecompressionBombError) images over twice its limit wherever it is used
# in this process; ours is checked explicitly below, before anything is decoded.
Image.MAX_IMAGE_PIXELS = MAX_DOCUMENT_PIXELS
pillow_heif.register_heif_opener()

#: The Pillow format each accepted image type must parse as.
_PILLOW_FORMATS: Mapping[str, str] = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
}
#: JPEGs are decoded at 1/8 scale: every block is still entropy-decoded, in 1/64 of the memory.
_JPEG_DRAFT_SCALE = 8


def check_parses(document: IO[bytes], content_type: str) -> None:
    """Refuse (:class:`UnreadableDocument`) a file at the start of seekable ``document`` that
    does not parse as ``content_type``; the file's position afterwards is unspecified."""
    if content_type == "application/pdf":
        _check_pdf(document)
    else:
        _check_image(document, content_type)


def _check_image(document: IO[bytes], content_type: str) -> None:
    expected = _PILLOW_FORMATS[content_type]
    try:
        _decode_image(document, expected)
    except UnreadableDocument:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception as error:
        raise UnreadableDocument(
            f"the document starts like {content_type} but is not a readable image",
            detected=content_type,
        ) from error


def _decode_image(document: IO[bytes], expected: str) -> None:
    """Parse the headers, check the pixel count, then decode every pixel: only a full decode
    shows that the data after valid headers is an image (a HEIC's item data could be anything).
    A 12-megapixel HEIC photo decodes in about half a second."""
    document.seek(0)
    with Image.open(document, formats=[expected]) as image:
        width, height = image.size
        if width * height > MAX_DOCUMENT_PIXELS:
            raise _too_many_pixels()
        image.verify()
    document.seek(0)
    with Image.open(document, formats=[expected]) as image:
        if expected == "JPEG":
            width, height = image.size
            image.draft(
                image.mode,
                (max(1, width // _JPEG_DRAFT_SCALE), max(1, height // _JPEG_DRAFT_SCALE)),
            )
        image.load()


def _too_many_pixels() -> UnreadableDocument:
    return UnreadableDocument(
        f"images are accepted up to {MAX_DOCUMENT_PIXELS:,} pixels; this one has more",
        code="image_too_many_pixels",
        max_pixels=MAX_DOCUMENT_PIXELS,
    )


def _check_pdf(document: IO[bytes]) -> None:
    """A PDF must have a cross-reference table and trailer pypdf can follow to a catalogue with
    at least one page, and its first page must be readable.

    ``strict=False`` lets pypdf tolerate what real scanners and printers get slightly wrong
    (offsets off by a few bytes); a header in front of garbage still has no catalogue and no
    pages. Encrypted PDFs that need a password are refused: nobody could read them as evidence.
    """
    try:
        document.seek(0)
        reader = PdfReader(document, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("encrypted with a password")
        if len(reader.pages) < 1:
            raise ValueError("no pages")
        page = reader.pages[0]
        if page.mediabox.width <= 0 or page.mediabox.height <= 0:
            raise ValueError("the first page has no size")
    except Exception as error:
        raise UnreadableDocument(
            "the document starts like a PDF but is not a readable PDF with at least one page",
            detected="application/pdf",
        ) from error
