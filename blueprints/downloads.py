"""Serving a stored claim document to a browser, the same way from the API and the console."""

from __future__ import annotations

from flask import Response, send_file

from blueprints.request_scope import runtime
from forwarder_insure.db.models import ClaimDocument

#: Types a browser may show inline in the console's preview.
PDF_TYPES = frozenset({"application/pdf"})


def send_document(document: ClaimDocument, *, inline: bool = False) -> Response:
    """Stream the document as the type sniffed at upload: an attachment, or inline for the
    console's preview. Uploaded files are untrusted: never sniffed again by the browser, run in
    a sandbox, framed only by our own pages."""
    response = send_file(
        runtime().documents.open(document.storage_key),
        mimetype=document.content_type,
        as_attachment=not inline,
        download_name=document.filename,
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
