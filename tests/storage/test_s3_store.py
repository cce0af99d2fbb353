"""The S3 document store against moto's S3 server over real HTTP.

moto does not evaluate presigned POST policies (size range, field conditions) and does not record
the encryption asked for in a POST form, so those are checked here through the policy we sign and
through ``adopt_uploaded``, which must hold the line on its own.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing

import boto3
import pytest

from forwarder_insure.domain.errors import Conflict, Invalid, NotFound
from forwarder_insure.storage import TooLarge, UnreadableDocument, UnsupportedType, open_store
from forwarder_insure.storage.s3 import S3DocumentStore
from tests.fixtures.s3 import BUCKET
from tests.storage.test_local_store import (
    DOCUMENT_KEY,
    EXECUTABLES,
    INCOMPLETE_FILES,
    MIB,
    SAMPLES,
    TINY_JPEG,
    UNREADABLE_FILES,
    ChunkOnlyStream,
    pdf_bytes,
    png_bytes,
)

UPLOAD_KEY = re.compile(r"uploads/\d{4}/\d{2}/[0-9a-f]{32}")


@pytest.fixture
def s3(endpoint_url: str) -> Iterator[object]:
    client = boto3.client("s3", endpoint_url=endpoint_url)
    yield client
    client.close()


@pytest.fixture
def store(endpoint_url: str) -> Iterator[S3DocumentStore]:
    store = S3DocumentStore(BUCKET, f"test-{uuid.uuid4().hex}", endpoint_url=endpoint_url)
    yield store
    store.close()


def object_keys(s3, store: S3DocumentStore) -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=store.prefix + "/")
    return sorted(entry["Key"] for entry in listing.get("Contents", []))


def post_form(url: str, fields: dict[str, str], data: bytes) -> int:
    """POST ``data`` as a browser would, with the presigned fields first and the file last."""
    assert url.startswith("http://127.0.0.1:")
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(  # noqa: S310 - the moto server on localhost
        url,
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def signed_policy(form: dict) -> dict:
    return json.loads(base64.b64decode(form["fields"]["policy"]))


@pytest.mark.parametrize("sample", SAMPLES)
def test_each_accepted_type_is_stored_and_read_back_byte_identical(store, sample):
    data, content_type, name = SAMPLES[sample]

    document = store.put(io.BytesIO(data), declared_name=name)

    assert document.size == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.content_type == content_type
    assert document.filename == name
    assert DOCUMENT_KEY.fullmatch(document.key)
    assert store.exists(document.key)
    with store.open(document.key) as stored:
        assert stored.read() == data


def test_stored_object_is_encrypted_at_rest_and_labelled_with_its_sniffed_type(store, s3):
    data = pdf_bytes()
    document = store.put(io.BytesIO(data), declared_name="report.pdf")

    stored = s3.head_object(Bucket=BUCKET, Key=f"{store.prefix}/{document.key}")

    assert stored["ServerSideEncryption"] == "AES256"
    assert stored["ContentType"] == "application/pdf"
    assert stored["ContentLength"] == len(data)
    assert stored["Metadata"] == {"sha256": document.sha256}


def test_deleted_document_no_longer_exists(store, s3):
    document = store.put(io.BytesIO(TINY_JPEG), declared_name="photo.jpg")

    store.delete(document.key)

    assert not store.exists(document.key)
    assert object_keys(s3, store) == []
    with pytest.raises(NotFound) as missing:
        store.open(document.key)
    assert missing.value.code == "document_not_found"
    store.delete(document.key)


def test_head_reads_only_the_first_bytes(store):
    document = store.put(io.BytesIO(TINY_JPEG), declared_name="photo.jpg")

    assert store.head(document.key, 4) == TINY_JPEG[:4]
    assert store.head(document.key, 10_000) == TINY_JPEG
    assert store.head(document.key, 0) == b""


@pytest.mark.parametrize("executable", EXECUTABLES)
def test_executable_renamed_pdf_is_refused_and_never_reaches_the_bucket(store, s3, executable):
    with pytest.raises(UnsupportedType):
        store.put(io.BytesIO(EXECUTABLES[executable]), declared_name="invoice.pdf")

    assert object_keys(s3, store) == []


@pytest.mark.parametrize("case", INCOMPLETE_FILES)
def test_file_that_only_starts_like_an_accepted_type_is_refused(store, s3, case):
    with pytest.raises(UnsupportedType):
        store.put(io.BytesIO(INCOMPLETE_FILES[case]), declared_name="scan.pdf")

    assert object_keys(s3, store) == []


def test_zero_byte_file_is_refused_as_empty(store, s3):
    with pytest.raises(Invalid) as refused:
        store.put(io.BytesIO(b""), declared_name="empty.pdf")

    assert refused.value.code == "empty_document"
    assert object_keys(s3, store) == []


def test_file_exactly_at_the_limit_is_accepted(store):
    data = png_bytes(comment_size=200_000)

    document = store.put(io.BytesIO(data), declared_name="big.png", max_bytes=len(data))

    assert document.size == len(data)


def test_file_one_byte_over_the_limit_is_refused_and_nothing_is_uploaded(store, s3):
    data = png_bytes(comment_size=200_000)

    with pytest.raises(TooLarge):
        store.put(io.BytesIO(data), declared_name="big.png", max_bytes=len(data) - 1)

    assert object_keys(s3, store) == []


def test_path_traversal_name_is_sanitised_and_does_not_shape_the_key(store, s3):
    document = store.put(io.BytesIO(png_bytes()), declared_name="../../etc/passwd")

    assert document.filename == "passwd"
    assert DOCUMENT_KEY.fullmatch(document.key)
    assert object_keys(s3, store) == [f"{store.prefix}/{document.key}"]


def test_declared_pdf_name_does_not_make_a_png_a_pdf(store, s3):
    document = store.put(io.BytesIO(png_bytes()), declared_name="claim.pdf")

    assert document.content_type == "image/png"
    stored = s3.head_object(Bucket=BUCKET, Key=f"{store.prefix}/{document.key}")
    assert stored["ContentType"] == "image/png"


def test_upload_larger_than_the_memory_spool_is_streamed_in_chunks(store):
    data = png_bytes(comment_size=3 * MIB)

    document = store.put(ChunkOnlyStream(data), declared_name="huge.png", max_bytes=4 * MIB)

    assert document.sha256 == hashlib.sha256(data).hexdigest()
    with store.open(document.key) as stored:
        assert stored.read() == data


def test_oversized_stream_is_not_read_further_than_one_byte_past_the_limit(store, s3):
    upload = ChunkOnlyStream(png_bytes(comment_size=3 * MIB))

    with pytest.raises(TooLarge):
        store.put(upload, declared_name="huge.png", max_bytes=MIB)

    assert upload.bytes_read == MIB + 1
    assert object_keys(s3, store) == []


def test_key_that_is_not_a_document_key_is_refused(store):
    for key in ("../other-prefix/x", "/abs", "documents//x", ""):
        with pytest.raises(Invalid):
            store.open(key)


def test_presigned_post_limits_size_and_asks_for_encryption(store):
    form = store.presigned_post(max_bytes=MIB, content_type_hint="application/pdf")

    assert set(form) == {"url", "fields", "key", "expires_in"}
    assert UPLOAD_KEY.fullmatch(form["key"])
    assert form["fields"]["key"] == f"{store.prefix}/{form['key']}"
    assert form["fields"]["x-amz-server-side-encryption"] == "AES256"
    assert form["expires_in"] == store.upload_expires_in
    conditions = signed_policy(form)["conditions"]
    assert ["content-length-range", 1, MIB] in conditions
    assert {"x-amz-server-side-encryption": "AES256"} in conditions


def test_content_type_hint_outside_the_accepted_types_is_not_signed(store):
    form = store.presigned_post(max_bytes=MIB, content_type_hint="text/html")

    assert form["fields"]["Content-Type"] == "application/octet-stream"


def test_browser_upload_is_adopted_after_the_same_checks_as_put(store, s3):
    data = png_bytes()
    form = store.presigned_post(max_bytes=MIB, content_type_hint="application/pdf")

    assert post_form(form["url"], form["fields"], data) == 204
    document = store.adopt_uploaded(form["key"], max_bytes=MIB, declared_name="../scan.pdf")

    assert document.content_type == "image/png"
    assert document.size == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.filename == "scan.pdf"
    assert DOCUMENT_KEY.fullmatch(document.key)
    assert not store.exists(form["key"])
    assert object_keys(s3, store) == [f"{store.prefix}/{document.key}"]
    stored = s3.head_object(Bucket=BUCKET, Key=f"{store.prefix}/{document.key}")
    assert stored["ServerSideEncryption"] == "AES256"
    assert stored["ContentType"] == "image/png"
    with store.open(document.key) as adopted:
        assert adopted.read() == data


def test_reusing_the_form_after_adoption_cannot_replace_the_checked_document(store):
    data = pdf_bytes()
    form = store.presigned_post(max_bytes=MIB, content_type_hint=None)
    post_form(form["url"], form["fields"], data)
    document = store.adopt_uploaded(form["key"], max_bytes=MIB, declared_name="report.pdf")

    post_form(form["url"], form["fields"], EXECUTABLES["mz"])

    with store.open(document.key) as adopted:
        assert adopted.read() == data
    with pytest.raises(UnsupportedType):
        store.adopt_uploaded(form["key"], max_bytes=MIB, declared_name="report.pdf")


def test_oversized_browser_upload_never_becomes_a_document(store, s3):
    data = png_bytes(comment_size=2000)
    limit = len(data) - 1
    form = store.presigned_post(max_bytes=limit, content_type_hint="image/png")

    status = post_form(form["url"], form["fields"], data)

    if status == 204:  # moto does not enforce content-length-range; S3 answers 400 here
        with pytest.raises(TooLarge):
            store.adopt_uploaded(form["key"], max_bytes=limit, declared_name="big.png")
    else:
        assert status == 400
    assert object_keys(s3, store) == []


def test_adopting_an_upload_over_the_limit_deletes_it(store, s3):
    data = png_bytes(comment_size=2000)
    form = store.presigned_post(max_bytes=MIB, content_type_hint="image/png")
    s3.put_object(Bucket=BUCKET, Key=form["fields"]["key"], Body=data)

    with pytest.raises(TooLarge):
        store.adopt_uploaded(form["key"], max_bytes=len(data) - 1, declared_name="big.png")

    assert object_keys(s3, store) == []


@pytest.mark.parametrize("executable", EXECUTABLES)
def test_disguised_executable_uploaded_directly_is_deleted_on_adoption(store, s3, executable):
    form = store.presigned_post(max_bytes=MIB, content_type_hint="application/pdf")
    assert post_form(form["url"], form["fields"], EXECUTABLES[executable]) == 204

    with pytest.raises(UnsupportedType):
        store.adopt_uploaded(form["key"], max_bytes=MIB, declared_name="invoice.pdf")

    assert object_keys(s3, store) == []


@pytest.mark.parametrize("case", UNREADABLE_FILES)
def test_file_that_does_not_parse_never_reaches_the_bucket(store, s3, case):
    data, code = UNREADABLE_FILES[case]

    with pytest.raises(UnreadableDocument) as refused:
        store.put(io.BytesIO(data), declared_name="scan.pdf")

    assert refused.value.code == code
    assert object_keys(s3, store) == []


@pytest.mark.parametrize("case", UNREADABLE_FILES)
def test_direct_upload_that_does_not_parse_is_deleted_on_adoption(store, s3, case):
    data, code = UNREADABLE_FILES[case]
    form = store.presigned_post(max_bytes=MIB, content_type_hint="image/jpeg")
    assert post_form(form["url"], form["fields"], data) == 204

    with pytest.raises(UnreadableDocument) as refused:
        store.adopt_uploaded(form["key"], max_bytes=MIB, declared_name="photo.jpg")

    assert refused.value.code == code
    assert object_keys(s3, store) == []


def test_large_direct_upload_is_parsed_from_a_spool_read_in_chunks(store, s3):
    data = png_bytes(comment_size=3 * MIB)  # past the in-memory spool: parsed from disk
    form = store.presigned_post(max_bytes=4 * MIB, content_type_hint="image/png")
    assert post_form(form["url"], form["fields"], data) == 204

    document = store.adopt_uploaded(form["key"], max_bytes=4 * MIB, declared_name="big.png")

    assert document.sha256 == hashlib.sha256(data).hexdigest()
    with closing(store.open(document.key)) as stored:
        assert stored.read() == data


def test_empty_direct_upload_is_deleted_on_adoption(store, s3):
    form = store.presigned_post(max_bytes=MIB, content_type_hint=None)
    s3.put_object(Bucket=BUCKET, Key=form["fields"]["key"], Body=b"")

    with pytest.raises(Invalid) as refused:
        store.adopt_uploaded(form["key"], max_bytes=MIB, declared_name=None)

    assert refused.value.code == "empty_document"
    assert object_keys(s3, store) == []


class ReplacingClient:
    """A boto3 client through which the uploader re-POSTs between our HEAD and our GET."""

    def __init__(self, client, replacement: bytes):
        self._client = client
        self._replacement = replacement

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    def get_object(self, **request):
        self._client.put_object(
            Bucket=request["Bucket"], Key=request["Key"], Body=self._replacement
        )
        return self._client.get_object(**request)


def test_upload_replaced_while_being_checked_is_refused_as_a_conflict(s3):
    store = S3DocumentStore(
        BUCKET, f"test-{uuid.uuid4().hex}", client=ReplacingClient(s3, EXECUTABLES["mz"])
    )
    form = store.presigned_post(max_bytes=MIB, content_type_hint=None)
    assert post_form(form["url"], form["fields"], pdf_bytes()) == 204

    with pytest.raises(Conflict) as refused:
        store.adopt_uploaded(form["key"], max_bytes=MIB, declared_name="report.pdf")

    assert refused.value.code == "upload_changed"
    assert object_keys(s3, store) == []


def test_adopting_before_anything_was_uploaded_is_not_found(store):
    form = store.presigned_post(max_bytes=MIB, content_type_hint=None)

    with pytest.raises(NotFound) as missing:
        store.adopt_uploaded(form["key"], max_bytes=MIB, declared_name=None)

    assert missing.value.code == "upload_not_found"


def test_only_keys_issued_for_direct_upload_can_be_adopted(store):
    document = store.put(io.BytesIO(png_bytes()), declared_name="photo.png")

    for key in (document.key, "../uploads/2026/11/" + "0" * 32, "uploads/x"):
        with pytest.raises(Invalid) as refused:
            store.adopt_uploaded(key, max_bytes=MIB, declared_name=None)
        assert refused.value.code == "invalid_upload_key"
    assert store.exists(document.key)


def test_s3_url_opens_a_bucket_store_under_the_prefix(endpoint_url):
    store = open_store(f"s3://{BUCKET}/tenants/acme/", s3_endpoint_url=endpoint_url, max_bytes=1234)
    try:
        assert isinstance(store, S3DocumentStore)
        assert (store.bucket, store.prefix, store.max_bytes) == (BUCKET, "tenants/acme", 1234)
        document = store.put(io.BytesIO(TINY_JPEG), declared_name="photo.jpg")
        assert store.exists(document.key)
    finally:
        store.close()
