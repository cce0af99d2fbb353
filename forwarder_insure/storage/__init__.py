"""Uploaded documents (claim evidence, invoices, photos), kept safely whatever the backend.

``open_store`` turns the ``FI_STORAGE_URL`` setting into a :class:`DocumentStore`: a directory
for ``file:///...`` or a bucket for ``s3://bucket/prefix``. No Flask and no database here; the
caller records the returned :class:`StoredDocument` itself.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from forwarder_insure.storage.base import (
    DEFAULT_MAX_BYTES,
    DocumentStore,
    PresignedUploadUnsupported,
    StoredDocument,
    TooLarge,
    UnreadableDocument,
    UnsupportedType,
)
from forwarder_insure.storage.local import LocalDocumentStore
from forwarder_insure.storage.sniffing import ACCEPTED_TYPES, download_name, sanitise_filename

__all__ = [
    "ACCEPTED_TYPES",
    "DEFAULT_MAX_BYTES",
    "DocumentStore",
    "LocalDocumentStore",
    "PresignedUploadUnsupported",
    "StoredDocument",
    "TooLarge",
    "UnreadableDocument",
    "UnsupportedType",
    "download_name",
    "open_store",
    "sanitise_filename",
]


def open_store(
    storage_url: str, *, s3_endpoint_url: str | None = None, max_bytes: int
) -> DocumentStore:
    """The store ``storage_url`` names, with ``max_bytes`` as its default upload limit.

    Raises ``ValueError`` naming the problem for any other kind of URL, so a typo in
    ``FI_STORAGE_URL`` stops the app at start-up rather than at the first upload.
    """
    parts = urlsplit(storage_url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(
                f"storage URL {storage_url!r} names host {parts.netloc!r}; "
                "a file:// storage URL must be local, like file:///var/lib/forwarder/documents"
            )
        root = Path(url2pathname(parts.path))
        if not root.is_absolute() or parts.query or parts.fragment:
            raise ValueError(
                f"storage URL {storage_url!r} must name an absolute directory, "
                "like file:///var/lib/forwarder/documents"
            )
        return LocalDocumentStore(root, max_bytes=max_bytes)
    if parts.scheme == "s3":
        if not parts.netloc or parts.query or parts.fragment:
            raise ValueError(
                f"storage URL {storage_url!r} must name a bucket, like s3://bucket/prefix"
            )
        # boto3 is slow to import; local deployments never need it.
        from forwarder_insure.storage.s3 import S3DocumentStore

        return S3DocumentStore(
            parts.netloc, parts.path, endpoint_url=s3_endpoint_url, max_bytes=max_bytes
        )
    raise ValueError(
        f"storage URL {storage_url!r} is not supported; "
        "use file:///absolute/directory or s3://bucket/prefix"
    )
