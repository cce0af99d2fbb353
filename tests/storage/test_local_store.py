"""The local document store, and the content rules every store shares.

The sample builders here make small but real files of each accepted type; the S3 tests reuse them.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfWriter
from reportlab.pdfgen import canvas

from forwarder_insure.domain.errors import Conflict, DomainError, Invalid, NotFound
from forwarder_insure.storage import (
    ACCEPTED_TYPES,
    LocalDocumentStore,
    PresignedUploadUnsupported,
    TooLarge,
    UnreadableDocument,
    UnsupportedType,
    download_name,
    open_store,
    sanitise_filename,
)
from forwarder_insure.storage.parsing import MAX_DOCUMENT_PIXELS
from forwarder_insure.storage.sniffing import inspect_stream
from tests.fixtures import files

MIB = 1024 * 1024
DOCUMENT_KEY = re.compile(r"documents/\d{4}/\d{2}/[0-9a-f]{32}")

TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a1816"
    "16183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c6567"
    "63ffdb0043011112121815182f1a1a2f6342384263636363636363636363636363636363636363636363636363"
    "6363636363636363636363636363636363636363636363636363ffc00011080001000103012200021101031101"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b510000201030302"
    "0403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433"
    "627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a6364656667"
    "68696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8"
    "b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f"
    "0100030101010101010101010000000000000102030405060708090a0bffc400b51100020102040403040705"
    "040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a16"
    "2434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a"
    "737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9ba"
    "c2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002"
    "110311003f00c7a28a2b84fa83ffd9"
)
TINY_WEBP = bytes.fromhex(
    "524946461e000000574542505650384c110000002f0000000007508f22d7a3ff8188e87f0000"
)
HEIC_FTYP = struct.pack(">I", 24) + b"ftypheic" + bytes(4) + b"mif1heic"
#: A real 8x6 HEIC photo (pillow-heif); an ftyp box and an empty mdat box no longer pass.
TINY_HEIC = files.image("HEIF")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(comment_size: int = 0) -> bytes:
    """A valid 1x1 RGB PNG, made bigger on demand with a text chunk of ``comment_size`` bytes."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    comment = _png_chunk(b"tEXt", b"Comment\x00" + b"x" * comment_size) if comment_size else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + comment
        + _png_chunk(b"IDAT", zlib.compress(b"\x00\xc8\x1e\x1e"))
        + _png_chunk(b"IEND", b"")
    )


def png_bytes_with_text(text: bytes) -> bytes:
    """A valid 1x1 PNG whose text chunk says ``text``."""
    plain = png_bytes()
    return plain[:33] + _png_chunk(b"tEXt", b"Comment\x00" + text) + plain[33:]


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    document.drawString(72, 720, "Damage report for shipment FI-0001")
    document.save()
    return buffer.getvalue()


#: (bytes, sniffed content type, the name the uploader gave it)
SAMPLES = {
    "pdf": (pdf_bytes(), "application/pdf", "damage-report.pdf"),
    "png": (png_bytes(), "image/png", "photo.png"),
    "jpeg": (TINY_JPEG, "image/jpeg", "photo.jpg"),
    "webp": (TINY_WEBP, "image/webp", "photo.webp"),
    "heic": (TINY_HEIC, "image/heic", "IMG_0001.HEIC"),
}
EXECUTABLES = {
    "elf": b"\x7fELF\x02\x01\x01\x00" + bytes(4088),
    "mz": b"MZ\x90\x00\x03\x00\x00\x00" + bytes(120) + b"PE\x00\x00" + bytes(3964),
}
INCOMPLETE_FILES = {
    "pdf header then garbage": b"%PDF-1.7\n" + b"\x00\x01 not really a pdf " * 400,
    "pdf with garbage after its end": pdf_bytes() + b"\x00trailing junk " * 100,
    "truncated png": png_bytes(comment_size=4000)[:2000],
    "jpeg without end marker": TINY_JPEG[:-2],
    "webp cut short": TINY_WEBP[:-4],
    "webp with bytes appended": TINY_WEBP + b"\x00" * 8,
    "heic ftyp box then garbage": HEIC_FTYP + b"\xff\xfe\xfd\xfc" * 100,
}
#: Files whose signature and end marker are right but which are not what they claim to be, with
#: the code each is refused with.
UNREADABLE_FILES = {
    "heic ftyp box then an elf executable": (files.heic_ftyp_then_elf(), "unreadable_document"),
    "heic whose image data is an elf executable": (
        files.heic_carrying_elf(),
        "unreadable_document",
    ),
    "jpeg markers around text": (
        files.jpeg_markers_around(b"not an image " * 40),
        "unreadable_document",
    ),
    "jpeg markers around html": (files.jpeg_markers_around(), "document_contains_markup"),
    "real jpeg with html in a comment": (
        files.jpeg_with_html_comment(),
        "document_contains_markup",
    ),
    "png signature then garbage": (files.png_signature_then_garbage(), "unreadable_document"),
    "png with html in a text chunk": (
        png_bytes_with_text(b"<script src=//evil.example/x.js></script>"),
        "document_contains_markup",
    ),
    "pdf header then garbage": (files.pdf_header_then_garbage(), "unreadable_document"),
    "png decompression bomb": (files.png_bomb(), "image_too_many_pixels"),
}


class ChunkOnlyStream:
    """An upload body that fails the test if anyone tries to read it whole."""

    def __init__(self, data: bytes):
        self._buffer = io.BytesIO(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > MIB:
            raise AssertionError(f"read({size}) would hold the whole upload in memory")
        data = self._buffer.read(size)
        self.bytes_read += len(data)
        return data


class FailingStream:
    """An upload whose connection drops after the first chunk."""

    def __init__(self, first: bytes):
        self._first: bytes | None = first

    def read(self, size: int = -1) -> bytes:
        if self._first is None:
            raise ConnectionResetError("client went away")
        first, self._first = self._first, None
        return first


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def store(root: Path) -> LocalDocumentStore:
    return LocalDocumentStore(root)


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


def test_stored_file_is_readable_by_the_service_account_only(store, root):
    document = store.put(io.BytesIO(png_bytes()), declared_name="photo.png")

    (path,) = stored_files(root)
    assert path == root.joinpath(*document.key.split("/"))
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("executable", EXECUTABLES)
def test_executable_renamed_pdf_is_refused_as_unsupported_and_nothing_is_kept(
    store, root, executable
):
    with pytest.raises(UnsupportedType) as refused:
        store.put(io.BytesIO(EXECUTABLES[executable]), declared_name="invoice.pdf")

    assert refused.value.code == "unsupported_document_type"
    assert stored_files(root) == []


@pytest.mark.parametrize("case", INCOMPLETE_FILES)
def test_file_that_only_starts_like_an_accepted_type_is_refused(store, root, case):
    with pytest.raises(UnsupportedType):
        store.put(io.BytesIO(INCOMPLETE_FILES[case]), declared_name="scan.pdf")

    assert stored_files(root) == []


@pytest.mark.parametrize("case", UNREADABLE_FILES)
def test_file_that_does_not_parse_as_its_type_is_refused_and_nothing_is_kept(store, root, case):
    data, code = UNREADABLE_FILES[case]

    with pytest.raises(UnreadableDocument) as refused:
        store.put(io.BytesIO(data), declared_name="scan.pdf")

    assert refused.value.code == code
    assert isinstance(refused.value, UnsupportedType)  # a 415, like any other wrong type
    assert stored_files(root) == []


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP", "HEIF"])
def test_a_photo_at_the_pixel_limit_is_parsed_and_kept(store, format):
    # 8000 x 6000: a 48-megapixel phone photo, just under MAX_DOCUMENT_PIXELS.
    side = (8000, 6000) if format == "JPEG" else (800, 600)
    assert side[0] * side[1] <= MAX_DOCUMENT_PIXELS
    data = files.image(format, side)

    document = store.put(io.BytesIO(data), declared_name="photo")

    assert document.size == len(data)


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(store, root):
    # Just over the limit, below the twice-the-limit at which Pillow itself refuses to open it.
    data = files.png_bomb(MAX_DOCUMENT_PIXELS // 5000 + 1, 5000)

    with pytest.raises(UnreadableDocument) as refused:
        store.put(io.BytesIO(data), declared_name="wide.png")

    assert refused.value.code == "image_too_many_pixels"
    assert stored_files(root) == []


def test_a_pdf_of_several_pages_is_accepted(store):
    data = files.pdf(pages=3)

    assert store.put(io.BytesIO(data), declared_name="pack.pdf").content_type == "application/pdf"


def test_a_password_protected_pdf_is_refused_as_unreadable(store, root):
    writer = PdfWriter(clone_from=io.BytesIO(files.pdf()))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)

    with pytest.raises(UnreadableDocument):
        store.put(io.BytesIO(locked.getvalue()), declared_name="locked.pdf")

    assert stored_files(root) == []


def test_plain_text_is_refused_as_unsupported(store, root):
    with pytest.raises(UnsupportedType):
        store.put(io.BytesIO(b"hello %%EOF"), declared_name="notes.pdf")

    assert stored_files(root) == []


def test_zero_byte_file_is_refused_as_empty(store, root):
    with pytest.raises(Invalid) as refused:
        store.put(io.BytesIO(b""), declared_name="empty.pdf")

    assert refused.value.code == "empty_document"
    assert stored_files(root) == []


def test_file_exactly_at_the_limit_is_accepted(store):
    data = png_bytes(comment_size=200_000)

    document = store.put(io.BytesIO(data), declared_name="big.png", max_bytes=len(data))

    assert document.size == len(data)


def test_file_one_byte_over_the_limit_is_refused_and_leaves_no_temp_file(store, root):
    data = png_bytes(comment_size=200_000)

    with pytest.raises(TooLarge) as refused:
        store.put(io.BytesIO(data), declared_name="big.png", max_bytes=len(data) - 1)

    assert refused.value.code == "document_too_large"
    assert stored_files(root) == []


def test_store_limit_applies_when_put_is_given_none(root):
    data = png_bytes(comment_size=5000)
    store = LocalDocumentStore(root, max_bytes=len(data) - 1)

    with pytest.raises(TooLarge):
        store.put(io.BytesIO(data), declared_name="big.png")


def test_oversized_upload_is_not_read_further_than_one_byte_past_the_limit(store):
    upload = ChunkOnlyStream(png_bytes(comment_size=3 * MIB))

    with pytest.raises(TooLarge):
        store.put(upload, declared_name="huge.png", max_bytes=MIB)

    assert upload.bytes_read == MIB + 1


def test_upload_is_streamed_in_chunks_never_read_whole(store):
    data = png_bytes(comment_size=3 * MIB)

    document = store.put(ChunkOnlyStream(data), declared_name="huge.png", max_bytes=4 * MIB)

    assert document.sha256 == hashlib.sha256(data).hexdigest()
    with store.open(document.key) as stored:
        assert stored.read() == data


def test_executable_is_refused_before_it_is_read_to_the_end(store):
    upload = ChunkOnlyStream(b"MZ" + bytes(5 * MIB))

    with pytest.raises(UnsupportedType):
        store.put(upload, declared_name="setup.pdf")

    assert upload.bytes_read < 100 * 1024


def test_upload_broken_off_midway_leaves_no_temp_file(store, root):
    with pytest.raises(ConnectionResetError):
        store.put(FailingStream(png_bytes()[:20]), declared_name="photo.png")

    assert stored_files(root) == []


def test_path_traversal_name_is_sanitised_and_does_not_shape_the_key(store, root):
    first = store.put(io.BytesIO(png_bytes()), declared_name="../../etc/passwd")
    second = store.put(io.BytesIO(png_bytes()), declared_name="../../etc/passwd")

    assert first.filename == "passwd"
    assert DOCUMENT_KEY.fullmatch(first.key)
    assert "passwd" not in first.key
    assert first.key != second.key
    assert all(path.is_relative_to(root) for path in stored_files(root))


def test_declared_pdf_name_does_not_make_a_png_a_pdf(store):
    document = store.put(io.BytesIO(png_bytes()), declared_name="claim.pdf")

    assert document.content_type == "image/png"
    assert document.filename == "claim.pdf"


def test_nameless_upload_is_labelled_by_its_sniffed_type(store):
    document = store.put(io.BytesIO(pdf_bytes()), declared_name=None)

    assert document.filename == "document.pdf"


@pytest.mark.parametrize(
    "key",
    [
        "../outside",
        "documents/../../outside",
        "/etc/passwd",
        "documents//x",
        "documents\\x",
        "documents/.upload-abc.part",
        ".",
        "",
        "documents/x\x00",
    ],
)
def test_key_that_could_escape_the_root_is_refused(store, key):
    for operation in (store.open, store.exists, store.delete, lambda k: store.head(k, 4)):
        with pytest.raises(Invalid) as refused:
            operation(key)
        assert refused.value.code == "invalid_document_key"


def test_symlink_leading_outside_the_root_is_refused(store, root, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    root.mkdir()
    (root / "link").symlink_to(secret)

    with pytest.raises(Invalid):
        store.open("link")


def test_missing_document_is_not_found_and_deleting_it_is_harmless(store):
    key = "documents/2026/11/" + "0" * 32

    assert not store.exists(key)
    with pytest.raises(NotFound) as missing:
        store.open(key)
    assert missing.value.code == "document_not_found"
    store.delete(key)


def test_deleted_document_is_gone(store, root):
    document = store.put(io.BytesIO(TINY_JPEG), declared_name="photo.jpg")

    store.delete(document.key)

    assert not store.exists(document.key)
    assert stored_files(root) == []


def test_head_returns_only_the_first_bytes(store):
    document = store.put(io.BytesIO(TINY_JPEG), declared_name="photo.jpg")

    assert store.head(document.key, 4) == TINY_JPEG[:4]
    assert store.head(document.key, 10_000) == TINY_JPEG


def test_direct_browser_upload_is_refused_as_a_conflict_by_the_local_store(store):
    assert not store.supports_presigned_post
    with pytest.raises(PresignedUploadUnsupported) as refused:
        store.presigned_post(max_bytes=MIB, content_type_hint="application/pdf")
    assert isinstance(refused.value, Conflict)
    assert refused.value.code == "presigned_upload_unsupported"
    with pytest.raises(PresignedUploadUnsupported):
        store.adopt_uploaded("uploads/2026/11/" + "0" * 32, max_bytes=MIB, declared_name=None)


def test_refusals_are_domain_errors_with_stable_codes_for_the_http_layer():
    assert issubclass(TooLarge, DomainError)
    assert issubclass(UnsupportedType, DomainError)
    assert not issubclass(TooLarge, Invalid)
    assert not issubclass(UnsupportedType, Invalid)
    assert (TooLarge.code, UnsupportedType.code) == (
        "document_too_large",
        "unsupported_document_type",
    )
    assert TooLarge.title == "Document too large"
    assert UnsupportedType.title == "Unsupported document type"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\clerk\\Scans\\bill.pdf", "bill.pdf"),
        ("bill\x00.pdf", "bill.pdf"),
        ("\x1b[31mred\x1b[0m.png", "[31mred[0m.png"),
        ("\u202egnp.exe", "gnp.exe"),
        ("  spaced name.pdf  ", "spaced name.pdf"),
        ("..", "document.pdf"),
        ("../..", "document.pdf"),
        (". . .", "document.pdf"),
        ("\x00\x01", "document.pdf"),
        ("", "document.pdf"),
        (None, "document.pdf"),
    ],
)
def test_sanitised_filename_keeps_only_a_harmless_label(declared, expected):
    assert sanitise_filename(declared, "application/pdf") == expected


def test_sanitised_filename_falls_back_to_the_sniffed_extension():
    assert sanitise_filename("/", "image/jpeg") == "document.jpg"
    assert sanitise_filename(None, "image/heic") == "document.heic"


def test_long_filename_is_cut_to_120_characters_keeping_its_extension():
    label = sanitise_filename("a" * 300 + ".pdf", "application/pdf")

    assert len(label) == 120
    assert label.endswith("a.pdf")


@given(st.one_of(st.none(), st.text(max_size=400)))
def test_sanitised_filename_is_never_a_path_or_control_sequence(declared):
    label = sanitise_filename(declared, "image/png")

    assert 0 < len(label) <= 120
    assert "/" not in label
    assert "\\" not in label
    assert label not in {".", ".."}
    assert all(ord(char) >= 0x20 and char != "\x7f" for char in label)


@given(
    st.sampled_from([b"", b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF", HEIC_FTYP]),
    st.binary(max_size=2048),
)
def test_any_bytes_are_either_accepted_or_refused_with_a_domain_error(prefix, rest):
    try:
        verdict = inspect_stream(io.BytesIO(prefix + rest), max_bytes=MIB).content_type
    except DomainError as refusal:
        verdict = refusal.code

    assert verdict in {
        *ACCEPTED_TYPES,
        "unsupported_document_type",
        "unreadable_document",
        "document_contains_markup",
        "empty_document",
    }


@pytest.mark.parametrize(
    ("label", "content_type", "served"),
    [
        ("invoice.html", "application/pdf", "invoice.pdf"),
        ("a.exe", "image/jpeg", "a.jpg"),
        ("photo.JPEG", "image/jpeg", "photo.JPEG"),
        ("IMG_0001.heif", "image/heic", "IMG_0001.heif"),
        ("scan", "image/png", "scan.png"),
        ("scan.2026", "image/png", "scan.2026.png"),
        ("scan.tar.gz", "image/webp", "scan.tar.webp"),
        ("发票.htm", "application/pdf", "发票.pdf"),
        ("../../x.svg", "image/png", "x.png"),
        (None, "image/heic", "document.heic"),
        ("a" * 130 + ".html", "application/pdf", "a" * 115 + ".pdf"),
    ],
)
def test_download_name_keeps_the_label_with_the_extension_of_the_sniffed_type(
    label, content_type, served
):
    assert download_name(label, content_type) == served


@given(st.one_of(st.none(), st.text(max_size=300)), st.sampled_from(sorted(ACCEPTED_TYPES)))
def test_download_name_always_ends_in_an_extension_of_its_type(label, content_type):
    name = download_name(label, content_type)

    assert 0 < len(name) <= 120
    assert "/" not in name
    assert name.rpartition(".")[2].lower() in {
        ACCEPTED_TYPES[content_type],
        "jpeg",
        "jpe",
        "jfif",
        "heif",
    }


def test_file_url_opens_a_local_store_in_that_directory(tmp_path):
    store = open_store((tmp_path / "docs").as_uri(), max_bytes=1234)

    assert isinstance(store, LocalDocumentStore)
    assert store.root == (tmp_path / "docs").resolve()
    assert store.max_bytes == 1234


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/docs",
        "relative/docs",
        "/var/docs",
        "file://fileserver/docs",
        "s3:///docs",
    ],
)
def test_storage_url_of_an_unknown_kind_is_refused_with_a_clear_message(url):
    with pytest.raises(ValueError, match="storage URL"):
        open_store(url, max_bytes=MIB)
