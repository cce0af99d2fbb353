"""Serving stored files to a browser (a claim's document, an inquiry's letter, the evidence
pack), the same way from the API and the console."""

from __future__ import annotations

import tempfile
from typing import Protocol

from flask import Response, send_file

from blueprints.request_scope import db_session, request_now, runtime
from forwarder_insure.domain.access import Caller
from forwarder_insure.services import evidence_packs
from forwarder_insure.storage import download_name

#: Types a browser may show inline in the console's preview.
PDF_TYPES = frozenset({"application/pdf"})

#: An evidence pack is built in memory up to this size, then spills to a temporary file.
PACK_MEMORY_BYTES = 8 * 1024 * 1024


class StoredFile(Protocol):
    """What serving needs of a stored file (a claim's document, an inquiry's letter)."""

    storage_key: str
    filename: str
    content_type: str
    sha256: str


def send_document(document: StoredFile, *, inline: bool = False) -> Response:
    """Stream the document as the type sniffed at upload: an attachment, or inline for the
    console's preview. Uploaded files are untrusted: never sniffed again by the browser, run in
    a sandbox, framed only by our own pages. The file name is the uploader's label with the
    extension of the sniffed type (``storage.download_name``), never the one it was sent with."""
    response = send_file(
        runtime().documents.open(document.storage_key),
        mimetype=document.content_type,
        as_attachment=not inline,
        download_name=download_name(document.filename, document.content_type),
        etag=document.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    if inline and document.content_type in PDF_TYPES:
        # The browser's PDF viewer does not run in a sandboxed document; the bytes were checked
        # to be a PDF at upload and nosniff stops any other reading. Only our pages may frame it.
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
    else:
        response.headers["Content-Security-Policy"] = "sandbox; frame-ancestors 'self'"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def send_evidence_pack(caller: Caller, claim_id: str) -> Response:
    """The claim and its received documents as one ZIP for the insurer: a cover sheet and a
    manifest giving every file's SHA-256."""
    spool = tempfile.SpooledTemporaryFile(max_size=PACK_MEMORY_BYTES)  # noqa: SIM115
    try:
        evidence_packs.write_pack(
            db_session(), runtime().documents, caller, claim_id, spool, request_now()
        )
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return send_file(
        spool,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"claim-{claim_id}-evidence.zip",
        max_age=0,
    )
