"""Documents kept as files under one directory: the embedded demo and single-host deployments.

An upload is written to a hidden temporary file next to its final place, parsed from there, and
renamed into place only once it has passed every check, so a reader never sees half a document
and a refused upload leaves nothing behind. Files are readable by the service account alone.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, BinaryIO

from forwarder_insure.domain.errors import Invalid, NotFound
from forwarder_insure.storage.base import (
    DEFAULT_MAX_BYTES,
    DocumentStore,
    StoredDocument,
    check_key,
    new_document_key,
)
from forwarder_insure.storage.sniffing import inspect_stream

_TEMP_PREFIX = ".upload-"
_TEMP_SUFFIX = ".part"


class LocalDocumentStore(DocumentStore):
    """A :class:`DocumentStore` in the directory ``root``, created when first written to."""

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES):
        super().__init__(max_bytes=max_bytes)
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalDocumentStore({str(self.root)!r})"

    def put(
        self, stream: IO[bytes], *, declared_name: str | None, max_bytes: int | None = None
    ) -> StoredDocument:
        limit = self._limit(max_bytes)
        key = new_document_key()
        target = self._path_for(key)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(
            prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=target.parent
        )
        try:
            with os.fdopen(descriptor, "w+b") as temp:
                inspection = inspect_stream(stream, max_bytes=limit, sink=temp)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        _sync_directory(target.parent)
        return inspection.stored_as(key, declared_name)

    def open(self, key: str) -> BinaryIO:
        path = self._path_for(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"no document {key!r}", code="document_not_found") from None

    def delete(self, key: str) -> None:
        path = self._path_for(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path_for(key).is_file()

    def head(self, key: str, n: int) -> bytes:
        with self.open(key) as document:
            return document.read(max(n, 0))

    def _path_for(self, key: str) -> Path:
        """The file for ``key``, refusing any key (or symlink) that leads outside the root."""
        path = self.root.joinpath(*check_key(key).split("/")).resolve()
        if not path.is_relative_to(self.root):
            raise Invalid(f"{key!r} is not a document key", code="invalid_document_key")
        return path


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable, so a crash cannot lose a document we reported stored."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
