"""Documents kept in an S3 bucket (or an S3-compatible service), encrypted at rest.

An upload through the API is spooled (in memory up to 1 MiB, then on local disk) while it is
hashed and sniffed, parsed from the spool, and sent to the bucket only once it has passed, so a
refused upload never reaches S3. Browsers can also upload straight to the bucket with a presigned
POST: such uploads land under ``uploads/`` and become documents only through
:meth:`S3DocumentStore.adopt_uploaded`, which spools them back the same way, checks them and
copies them under ``documents/``. The presigned form stays valid for a while, so the copy
matters: a second POST to the same form can only replace the upload, never a document that was
already checked.
"""

from __future__ import annotations

import re
import tempfile
from contextlib import closing
from typing import IO, Any, BinaryIO, cast

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from forwarder_insure.domain.errors import Conflict, DomainError, Invalid, NotFound
from forwarder_insure.storage.base import (
    DEFAULT_MAX_BYTES,
    DocumentStore,
    StoredDocument,
    TooLarge,
    check_key,
    check_limit,
    new_document_key,
)
from forwarder_insure.storage.sniffing import (
    ACCEPTED_TYPES,
    SPOOL_MEMORY_BYTES,
    Inspection,
    inspect_stream,
)

#: Where presigned POST uploads wait to be adopted; a bucket lifecycle rule may expire them.
UPLOAD_AREA = "uploads"
DEFAULT_UPLOAD_EXPIRES_IN = 15 * 60
SERVER_SIDE_ENCRYPTION = "AES256"

_UPLOAD_KEY = re.compile(rf"{UPLOAD_AREA}/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}")
_MISSING = {"404", "NoSuchKey", "NotFound"}
_CHANGED = {"412", "PreconditionFailed"}


class S3DocumentStore(DocumentStore):
    """A :class:`DocumentStore` in ``bucket``, with every object key under ``prefix``.

    ``endpoint_url`` points at an S3-compatible service (MinIO, moto), which is then addressed
    path-style; ``client`` replaces the boto3 client altogether (the store will not close it).
    """

    supports_presigned_post = True

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        client: BaseClient | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        upload_expires_in: int = DEFAULT_UPLOAD_EXPIRES_IN,
    ):
        super().__init__(max_bytes=max_bytes)
        if not bucket:
            raise ValueError("an S3 document store needs a bucket name")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self.upload_expires_in = upload_expires_in
        self._owns_client = client is None
        self._client: Any = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"} if endpoint_url else {},
            ),
        )

    def __repr__(self) -> str:
        return f"S3DocumentStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def put(
        self, stream: IO[bytes], *, declared_name: str | None, max_bytes: int | None = None
    ) -> StoredDocument:
        limit = self._limit(max_bytes)
        key = new_document_key()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
            inspection = inspect_stream(stream, max_bytes=limit, sink=spool)
            spool.seek(0)
            self._client.upload_fileobj(
                spool,
                self.bucket,
                self._object_key(key),
                ExtraArgs=_object_attributes(inspection),
            )
        return inspection.stored_as(key, declared_name)

    def open(self, key: str) -> BinaryIO:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            _raise_if_missing(error, key)
            raise
        return cast(BinaryIO, response["Body"])

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as error:
            if _error_code(error) in _MISSING:
                return False
            raise
        return True

    def head(self, key: str, n: int) -> bytes:
        if n <= 0:
            check_key(key)
            return b""
        try:
            response = self._client.get_object(
                Bucket=self.bucket, Key=self._object_key(key), Range=f"bytes=0-{n - 1}"
            )
        except ClientError as error:
            _raise_if_missing(error, key)
            raise
        with closing(response["Body"]) as body:
            return body.read()

    def presigned_post(self, *, max_bytes: int, content_type_hint: str | None) -> dict[str, Any]:
        """A browser form for one upload of 1 to ``max_bytes`` bytes, encrypted at rest.

        S3 itself refuses a file outside the size range. ``content_type_hint`` only labels the
        waiting upload (and only if it is an accepted type); the document's type is sniffed when
        it is adopted.
        """
        check_limit(max_bytes)
        key = new_document_key(UPLOAD_AREA)
        content_type = (
            content_type_hint if content_type_hint in ACCEPTED_TYPES else "application/octet-stream"
        )
        fields = {
            "Content-Type": content_type,
            "x-amz-server-side-encryption": SERVER_SIDE_ENCRYPTION,
        }
        post = self._client.generate_presigned_post(
            Bucket=self.bucket,
            Key=self._object_key(key),
            Fields=fields,
            Conditions=[
                ["content-length-range", 1, max_bytes],
                *({name: value} for name, value in fields.items()),
            ],
            ExpiresIn=self.upload_expires_in,
        )
        return {
            "url": post["url"],
            "fields": post["fields"],
            "key": key,
            "expires_in": self.upload_expires_in,
        }

    def adopt_uploaded(
        self, key: str, *, max_bytes: int, declared_name: str | None
    ) -> StoredDocument:
        """Check a presigned upload like :meth:`put` and move it under a new document key.

        The returned document has a fresh ``documents/...`` key; the upload itself is deleted
        whether it was accepted or refused. Raises ``NotFound`` if nothing was uploaded and
        ``Conflict`` if the upload was replaced while it was being checked.
        """
        check_limit(max_bytes)
        if not isinstance(key, str) or not _UPLOAD_KEY.fullmatch(key):
            raise Invalid(f"{key!r} is not a direct-upload key", code="invalid_upload_key")
        upload_key = self._object_key(key)
        try:
            upload = self._client.head_object(Bucket=self.bucket, Key=upload_key)
        except ClientError as error:
            _raise_if_missing(error, key, code="upload_not_found")
            raise
        etag = upload["ETag"]
        try:
            if upload["ContentLength"] > max_bytes:
                raise TooLarge(
                    f"the document is larger than the limit of {max_bytes} bytes",
                    max_bytes=max_bytes,
                )
            inspection = self._inspect_upload(upload_key, etag, max_bytes)
            document_key = new_document_key()
            self._client.copy_object(
                Bucket=self.bucket,
                Key=self._object_key(document_key),
                CopySource={"Bucket": self.bucket, "Key": upload_key},
                CopySourceIfMatch=etag,
                MetadataDirective="REPLACE",
                **_object_attributes(inspection),
            )
        except ClientError as error:
            _raise_if_missing(error, key, code="upload_not_found")
            if _error_code(error) not in _CHANGED:
                raise
            self.delete(key)
            raise Conflict(
                "the upload was replaced while it was being checked; upload it again",
                code="upload_changed",
            ) from error
        except DomainError:
            self.delete(key)
            raise
        self.delete(key)
        return inspection.stored_as(document_key, declared_name)

    def _inspect_upload(self, upload_key: str, etag: str, max_bytes: int) -> Inspection:
        response = self._client.get_object(Bucket=self.bucket, Key=upload_key, IfMatch=etag)
        with (
            closing(response["Body"]) as body,
            tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool,
        ):
            return inspect_stream(body, max_bytes=max_bytes, sink=spool)

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key


def _object_attributes(inspection: Inspection) -> dict[str, Any]:
    """What every document object carries: encryption, its sniffed type and its hash."""
    return {
        "ServerSideEncryption": SERVER_SIDE_ENCRYPTION,
        "ContentType": inspection.content_type,
        "Metadata": {"sha256": inspection.sha256},
    }


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _raise_if_missing(error: ClientError, key: str, *, code: str = "document_not_found") -> None:
    if _error_code(error) in _MISSING:
        raise NotFound(f"no document {key!r}", code=code) from error
