"""Unit tests for the claim evidence documents: delivery record, hand-over record, evidence pack."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from forwarder_insure.documents.delivery_record_pdf import (
    NO_SCANS,
    DeliveryRecord,
    TrackingLine,
    render_delivery_record,
)
from forwarder_insure.documents.evidence_pack import (
    COVER_SHEET_NAME,
    MANIFEST_NAME,
    ChecklistLine,
    CoverSheet,
    DocumentChanged,
    Flag,
    PackDocument,
    TimelineEntry,
    render_cover_sheet,
    write_evidence_pack,
)
from forwarder_insure.documents.handover_record_pdf import HandoverRecord, render_handover_record
from forwarder_insure.domain.money import Money
from forwarder_insure.storage.base import CHUNK_SIZE, DEFAULT_MAX_BYTES
from forwarder_insure.storage.sniffing import inspect_stream

CERTIFICATE = "FI-7K3M-Q9XD-2HWP-6"
TRACKING = "1Z999AA10123456784"
BOUND = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
GENERATED = datetime(2026, 11, 21, 10, 30, 15, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script> & Co"


def flat(text: str) -> str:
    """Extracted text with line breaks from wrapping folded into single spaces."""
    return " ".join(text.split())


def read_pdf(pdf: bytes) -> list[str]:
    """The text of each page."""
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes) -> str:
    return flat(" ".join(read_pdf(pdf)))


def event(hours: float, code: str, description: str | None = None, location: str | None = None):
    return TrackingLine(
        occurred_at=BOUND + timedelta(hours=hours),
        code=code,
        description=description,
        location=location,
    )


def delivery_record(**changes) -> DeliveryRecord:
    record = DeliveryRecord(
        certificate_number=CERTIFICATE,
        coverage_id="cov_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        carrier="DHL",
        service="Express Worldwide",
        tracking_number=TRACKING,
        origin_country="CN",
        destination_country="US",
        package_status="in_transit",
        bound_at=BOUND,
        first_scan_at=BOUND + timedelta(hours=5),
        last_event_at=BOUND + timedelta(hours=30),
        generated_at=GENERATED,
        events=(
            event(30, "ARRIVED_HUB", "Arrived at sort facility", "Leipzig, DE"),
            event(5, "PICKED_UP", "Shipment picked up", "Shenzhen, CN"),
            event(12, "DEPARTED", "Departed origin facility", None),
        ),
    )
    return dataclasses.replace(record, **changes)


def handover_record(**changes) -> HandoverRecord:
    record = HandoverRecord(
        certificate_number=CERTIFICATE,
        coverage_id="cov_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        order_reference="ORD-2026-0042",
        package_reference="PKG-7731",
        carrier="DHL",
        service="Express Worldwide",
        tracking_number=TRACKING,
        handed_over_at=datetime(2026, 11, 2, 14, 5, 9, tzinfo=UTC),
        scan_code="PICKED_UP",
        scan_location="Shenzhen, CN",
        scan_description="Shipment picked up from shipper",
        generated_at=GENERATED,
    )
    return dataclasses.replace(record, **changes)


class Store:
    """Stored document bytes by id; remembers every stream it opened and each read size."""

    def __init__(self, contents: dict[str, bytes]):
        self.contents = contents
        self.opened: list[io.BytesIO] = []
        self.opened_ids: list[str] = []
        self.read_sizes: list[int] = []

    def open(self, document: PackDocument) -> io.BytesIO:
        store = self

        class Stream(io.BytesIO):
            def read(self, size: int | None = -1, /) -> bytes:
                store.read_sizes.append(-1 if size is None else size)
                return super().read(size)

        stream = Stream(self.contents[document.document_id])
        self.opened.append(stream)
        self.opened_ids.append(document.document_id)
        return stream


def pack_document(document_id: str, kind: str, body: bytes, **changes) -> PackDocument:
    document = PackDocument(
        document_id=document_id,
        kind=kind,
        filename=f"{kind}.pdf",
        content_type="application/pdf",
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        uploaded_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        uploaded_by="seller:sel_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        status="received",
    )
    return dataclasses.replace(document, **changes)


BODIES = {
    "doc_photo_b": b"\xff\xd8\xff\xe0" + b"second photo" * 50 + b"\xff\xd9",
    "doc_value": b"%PDF-1.7\n" + b"invoice " * 300 + b"\n%%EOF\n",
    "doc_photo_a": b"\xff\xd8\xff\xe0" + b"first photo" * 70 + b"\xff\xd9",
    "doc_rejected": b"%PDF-1.7\nblurry\n%%EOF\n",
    "doc_delivery": b"%PDF-1.7\n" + b"scan " * 100 + b"\n%%EOF\n",
}


def documents() -> tuple[PackDocument, ...]:
    """Given out of checklist order, with a hostile uploader file name on one of them."""
    day = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    return (
        pack_document(
            "doc_photo_b",
            "damage_photos",
            BODIES["doc_photo_b"],
            content_type="image/jpeg",
            filename="../../etc/passwd",
            uploaded_at=day + timedelta(hours=2),
        ),
        pack_document("doc_value", "value_proof", BODIES["doc_value"], filename="invoice.pdf"),
        pack_document(
            "doc_photo_a",
            "damage_photos",
            BODIES["doc_photo_a"],
            content_type="image/jpeg",
            filename=HOSTILE,
            uploaded_at=day + timedelta(hours=1),
        ),
        pack_document(
            "doc_rejected",
            "value_proof",
            BODIES["doc_rejected"],
            status="rejected",
            uploaded_at=day - timedelta(days=1),
        ),
        pack_document(
            "doc_delivery",
            "delivery_record",
            BODIES["doc_delivery"],
            uploaded_by="system",
            filename=None,
        ),
    )


def cover_sheet(**changes) -> CoverSheet:
    cover = CoverSheet(
        claim_id="clm_01JD7R2K4M6N8P0Q2R4S6T8V0W",
        claim_kind="damaged",
        claim_status="approved",
        seller_id="sel_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        coverage_id="cov_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        certificate_number=CERTIFICATE,
        underwriter_name="Northwind Marine Underwriters plc",
        amount_claimed=Money.of("240.00", "USD"),
        amount_approved=Money.of("215.00", "USD"),
        insured_value=Money.of("250.00", "USD"),
        deductible=Money.of("25.00", "USD"),
        description=f"Box crushed, screen cracked {HOSTILE}",
        submitted_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        grace_deadline=datetime(2026, 12, 18, 23, 59, 59, tzinfo=UTC),
        generated_at=GENERATED,
        checklist=(
            ChecklistLine("delivery_record", "submission", "received"),
            ChecklistLine("value_proof", "submission", "received"),
            ChecklistLine("delivery_certificate", "submission", "missing"),
            ChecklistLine("damage_photos", "submission", "received"),
            ChecklistLine("dispute_screenshot", "grace", "missing"),
        ),
        documents=documents(),
        flags=(Flag("high_value_ratio", "Claimed 96% of the insured value"),),
        timeline=(
            TimelineEntry(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "seller", "submitted", None),
            TimelineEntry(
                datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
                "ops:alice",
                "approved",
                "Photos consistent with carrier damage",
            ),
        ),
    )
    return dataclasses.replace(cover, **changes)


def build_pack(cover: CoverSheet, store: Store) -> zipfile.ZipFile:
    out = io.BytesIO()
    write_evidence_pack(out, cover, store.open)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


# Delivery record


def test_delivery_record_shows_the_parcel_facts_and_its_events():
    text = pdf_text(render_delivery_record(delivery_record()))
    assert "Delivery record" in text
    for fact in (
        CERTIFICATE,
        "cov_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        "DHL",
        "Express Worldwide",
        TRACKING,
        "CN → US",
        "in_transit",
        "2026-11-02T09:00:00Z",  # bound
        "2026-11-02T14:00:00Z",  # first scan
        "2026-11-03T15:00:00Z",  # last event
        "2026-11-21T10:30:15Z",  # generated
        "PICKED_UP",
        "Shipment picked up",
        "Shenzhen, CN",
        "Leipzig, DE",
    ):
        assert fact in text, fact


def test_delivery_record_lists_events_in_time_order_whatever_order_they_come_in():
    text = pdf_text(render_delivery_record(delivery_record()))
    positions = [text.index(code) for code in ("PICKED_UP", "DEPARTED", "ARRIVED_HUB")]
    assert positions == sorted(positions)


def test_delivery_record_prints_hostile_carrier_text_literally():
    record = delivery_record(
        events=(event(5, "X&Y<1>", HOSTILE, "<b>Depot</b> & yard"),),
        carrier="Evil <i>Carrier</i>",
    )
    text = pdf_text(render_delivery_record(record))
    assert HOSTILE in text
    assert "<b>Depot</b> & yard" in text
    assert "X&Y<1>" in text
    assert "Evil <i>Carrier</i>" in text


def test_delivery_record_without_events_says_no_scan_was_received():
    record = delivery_record(events=(), first_scan_at=None, last_event_at=None)
    pages = read_pdf(render_delivery_record(record))
    assert len(pages) == 1
    text = flat(pages[0])
    assert NO_SCANS in text
    assert "No carrier scan has been received for this parcel." in text
    assert "Occurred at" not in text


def test_delivery_record_of_300_events_runs_over_several_pages_and_keeps_every_event():
    events = tuple(
        event(hours, f"EV{hours:03d}", f"Event number {hours}", "Hub") for hours in range(300)
    )
    pages = read_pdf(render_delivery_record(delivery_record(events=events)))
    assert len(pages) > 3
    text = flat(" ".join(pages))
    assert all(f"EV{hours:03d}" in text for hours in range(300))
    # The header row is repeated at the top of every page of the table.
    assert all("Occurred at (UTC)" in page for page in pages)


def test_delivery_record_cuts_an_overlong_carrier_description_and_says_so():
    record = delivery_record(events=(event(5, "PICKED_UP", "word " * 20_000, "Hub"),))
    text = pdf_text(render_delivery_record(record))
    assert "[cut here: 100000 characters in all]" in text


def test_delivery_record_refuses_naive_times():
    with pytest.raises(ValueError, match="timezone"):
        delivery_record(generated_at=datetime(2026, 11, 21, 10, 30))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone"):
        TrackingLine(datetime(2026, 11, 21), "PICKED_UP", None, None)  # noqa: DTZ001


# Hand-over record


def test_handover_record_is_one_page_with_the_first_scan_and_what_it_belongs_to():
    pages = read_pdf(render_handover_record(handover_record()))
    assert len(pages) == 1
    text = flat(pages[0])
    for fact in (
        "Hand-over record",
        CERTIFICATE,
        "cov_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        "ORD-2026-0042",
        "PKG-7731",
        "DHL",
        "Express Worldwide",
        TRACKING,
        "2026-11-02T14:05:09Z",
        "PICKED_UP",
        "Shenzhen, CN",
        "Shipment picked up from shipper",
        "2026-11-21T10:30:15Z",
    ):
        assert fact in text, fact


def test_handover_record_prints_hostile_scan_text_literally_and_stays_on_one_page():
    record = handover_record(scan_description=HOSTILE + " x" * 3000, scan_location="<b>&</b>")
    pages = read_pdf(render_handover_record(record))
    assert len(pages) == 1
    assert HOSTILE in flat(pages[0])
    assert "<b>&</b>" in flat(pages[0])


def test_handover_record_without_scan_location_or_description_says_not_stated():
    text = pdf_text(
        render_handover_record(handover_record(scan_location=None, scan_description=None))
    )
    assert "Not stated" in text


# Every generated PDF would pass the checks an uploaded document must pass.


@pytest.mark.parametrize(
    "pdf",
    [
        pytest.param(lambda: render_delivery_record(delivery_record()), id="delivery"),
        pytest.param(lambda: render_delivery_record(delivery_record(events=())), id="empty"),
        pytest.param(lambda: render_handover_record(handover_record()), id="handover"),
        pytest.param(lambda: render_cover_sheet(cover_sheet()), id="cover_sheet"),
    ],
)
def test_generated_pdf_is_accepted_by_the_upload_sniffer(pdf):
    body = pdf()
    inspection = inspect_stream(io.BytesIO(body), max_bytes=DEFAULT_MAX_BYTES)
    assert inspection.content_type == "application/pdf"
    assert inspection.size == len(body)
    assert inspection.sha256 == hashlib.sha256(body).hexdigest()


# Cover sheet


def test_cover_sheet_shows_the_claim_amounts_and_dates():
    text = pdf_text(render_cover_sheet(cover_sheet()))
    for fact in (
        "Claim evidence pack",
        "clm_01JD7R2K4M6N8P0Q2R4S6T8V0W",
        "damaged",
        "approved",
        "sel_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        "cov_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        CERTIFICATE,
        "Northwind Marine Underwriters plc",
        "240.00 USD",
        "215.00 USD",
        "250.00 USD",
        "25.00 USD",
        "2026-11-20T09:00:00Z",
        "2026-12-18T23:59:59Z",
        "2026-11-21T10:30:15Z",
        f"Box crushed, screen cracked {HOSTILE}",
    ):
        assert fact in text, fact


def test_cover_sheet_lists_checklist_flags_and_timeline():
    text = pdf_text(render_cover_sheet(cover_sheet()))
    assert "delivery_certificate submission missing" in text
    assert "dispute_screenshot grace missing" in text
    assert "high_value_ratio" in text
    assert "Claimed 96% of the insured value" in text
    assert "ops:alice" in text
    assert "Photos consistent with carrier damage" in text


def test_cover_sheet_lists_each_document_with_its_archive_name_and_sha256():
    text = pdf_text(render_cover_sheet(cover_sheet()))
    for name in (
        "01-delivery_record-doc_delivery.pdf",
        "02-value_proof-doc_value.pdf",
        "03-damage_photos-doc_photo_a.jpg",
        "04-damage_photos-doc_photo_b.jpg",
    ):
        assert name in text, name
    for body in BODIES.values():
        assert hashlib.sha256(body).hexdigest() in text
    assert "Not included (rejected in review)" in text
    assert "REJECTED" in text
    assert f"Uploaded as: {HOSTILE}" in text


def test_cover_sheet_of_a_bare_draft_says_what_is_not_there_yet():
    cover = cover_sheet(
        claim_status="draft",
        amount_approved=None,
        submitted_at=None,
        grace_deadline=None,
        description=None,
        documents=(),
        flags=(),
        timeline=(),
    )
    text = pdf_text(render_cover_sheet(cover))
    assert "Not approved" in text
    assert "Not submitted" in text
    assert "None given" in text
    assert "No document has been uploaded." in text
    assert "No screening flag was raised." in text
    assert "No event has been recorded." in text


# Evidence pack


def test_pack_holds_cover_sheet_manifest_and_received_documents_in_checklist_order():
    with build_pack(cover_sheet(), Store(BODIES)) as archive:
        assert archive.namelist() == [
            COVER_SHEET_NAME,
            MANIFEST_NAME,
            "01-delivery_record-doc_delivery.pdf",
            "02-value_proof-doc_value.pdf",
            "03-damage_photos-doc_photo_a.jpg",
            "04-damage_photos-doc_photo_b.jpg",
        ]
        assert archive.testzip() is None


def test_pack_files_are_the_stored_bytes_and_match_the_manifest():
    with build_pack(cover_sheet(), Store(BODIES)) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME))
        assert manifest["claim_id"] == "clm_01JD7R2K4M6N8P0Q2R4S6T8V0W"
        assert manifest["generated_at"] == "2026-11-21T10:30:15Z"
        listed = {entry["archive_name"]: entry for entry in manifest["documents"]}
        assert set(listed) == set(archive.namelist()) - {COVER_SHEET_NAME, MANIFEST_NAME}
        for name, entry in listed.items():
            body = archive.read(name)
            assert body == BODIES[entry["document_id"]]
            assert hashlib.sha256(body).hexdigest() == entry["sha256"]
            assert len(body) == entry["size"]
        assert listed["03-damage_photos-doc_photo_a.jpg"]["kind"] == "damage_photos"
        assert listed["03-damage_photos-doc_photo_a.jpg"]["content_type"] == "image/jpeg"


def test_pack_leaves_rejected_documents_out_but_the_manifest_says_so():
    store = Store(BODIES)
    with build_pack(cover_sheet(), store) as archive:
        manifest = json.loads(archive.read(MANIFEST_NAME))
        assert not any("doc_rejected" in name for name in archive.namelist())
        assert "doc_rejected" not in {entry["document_id"] for entry in manifest["documents"]}
        assert manifest["not_included"] == [
            {"document_id": "doc_rejected", "kind": "value_proof", "status": "rejected"}
        ]
    assert "doc_rejected" not in store.opened_ids


def test_pack_closes_every_stream_it_opens():
    store = Store(BODIES)
    build_pack(cover_sheet(), store).close()
    assert len(store.opened) == 4
    assert all(stream.closed for stream in store.opened)


def test_pack_cover_sheet_is_the_rendered_cover_sheet():
    with build_pack(cover_sheet(), Store(BODIES)) as archive:
        text = pdf_text(archive.read(COVER_SHEET_NAME))
    assert "04-damage_photos-doc_photo_b.jpg" in text
    assert hashlib.sha256(BODIES["doc_value"]).hexdigest() in text


def test_pack_names_never_come_from_the_uploaders_file_name():
    with build_pack(cover_sheet(), Store(BODIES)) as archive:
        names = archive.namelist()
    assert not any("/" in name or "\\" in name or ".." in name for name in names)
    assert not any("passwd" in name or "script" in name for name in names)


def test_pack_stores_documents_as_they_are_and_deflates_what_it_generates():
    with build_pack(cover_sheet(), Store(BODIES)) as archive:
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
        dates = {info.date_time for info in archive.infolist()}
    assert kinds.pop(COVER_SHEET_NAME) == zipfile.ZIP_DEFLATED
    assert kinds.pop(MANIFEST_NAME) == zipfile.ZIP_DEFLATED
    assert set(kinds.values()) == {zipfile.ZIP_STORED}
    assert dates == {(2026, 11, 21, 10, 30, 14)}  # ZIP times have two-second resolution


def test_pack_copies_a_large_document_in_chunks():
    body = b"%PDF-1.7\n" + bytes(range(256)) * 1024 + b"\n%%EOF\n"
    document = pack_document("doc_big", "value_proof", body)
    store = Store({"doc_big": body})
    with build_pack(cover_sheet(documents=(document,)), store) as archive:
        assert archive.read("01-value_proof-doc_big.pdf") == body
    assert len(store.read_sizes) > 4
    assert 0 < max(store.read_sizes) <= CHUNK_SIZE


def test_pack_refuses_a_document_whose_bytes_changed_since_upload_and_closes_it():
    store = Store({**BODIES, "doc_value": BODIES["doc_value"].replace(b"invoice", b"INVOICE")})
    with pytest.raises(DocumentChanged, match="doc_value"):
        write_evidence_pack(io.BytesIO(), cover_sheet(), store.open)
    assert store.opened
    assert all(stream.closed for stream in store.opened)


def test_pack_can_be_written_to_a_stream_that_cannot_seek():
    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, chunk) -> int:
            self.data += chunk
            return len(chunk)

    out = Unseekable()
    write_evidence_pack(out, cover_sheet(), Store(BODIES).open)
    with zipfile.ZipFile(io.BytesIO(bytes(out.data))) as archive:
        assert archive.testzip() is None
        assert archive.read("02-value_proof-doc_value.pdf") == BODIES["doc_value"]
    out.close()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"document_id": "../evil"}, "document_id must be letters"),
        ({"kind": "value proof"}, "kind must be letters"),
        ({"content_type": "application/x-msdownload"}, "not an accepted type"),
        ({"status": "pending"}, "status must be one of"),
        ({"sha256": "ABC"}, "sha256 must be"),
        ({"size": -1}, "size must be"),
    ],
)
def test_pack_document_refuses_values_that_could_not_be_packed_safely(changes, message):
    document = pack_document("doc_ok", "value_proof", b"x")
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(document, **changes)


def test_cover_sheet_refuses_a_document_listed_twice():
    document = pack_document("doc_same", "value_proof", b"x")
    with pytest.raises(ValueError, match="more than once"):
        cover_sheet(documents=(document, document))
