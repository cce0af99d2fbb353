"""A claim's evidence pack for the insurer: one ZIP with a cover sheet, a manifest and the files.

The insurer decides the claim from this pack alone, so the pack says what it holds and lets that
be checked: the cover sheet (a PDF for people) and ``manifest.json`` (for their tools) give every
file's name in the archive, size and SHA-256. Documents rejected in review are listed on the cover
sheet, so the insurer sees the whole history, but their files are left out.

Files in the archive are named from our own ids, kind and sniffed content type, never from the
uploader's file name, so no name can point outside the folder it is unpacked into. Each file is
copied from the store in :data:`~forwarder_insure.storage.base.CHUNK_SIZE` pieces, and its size
and SHA-256 are checked against the values recorded at upload while it is copied.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, BinaryIO, NamedTuple
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from forwarder_insure.documents.pdf_layout import (
    clipped,
    fact_table,
    grid_styles,
    grid_table,
    instant,
    markup,
    money,
    optional_instant,
    paragraph_styles,
    render_pdf,
)
from forwarder_insure.domain.claims import DocumentStatus
from forwarder_insure.domain.clock import ensure_utc
from forwarder_insure.domain.money import Money
from forwarder_insure.storage.base import CHUNK_SIZE
from forwarder_insure.storage.sniffing import ACCEPTED_TYPES

TITLE = "Claim evidence pack"

COVER_SHEET_NAME = "00-cover-sheet.pdf"
MANIFEST_NAME = "manifest.json"

DOCUMENT_STATUSES = tuple(s.value for s in DocumentStatus)

# Ids and kinds become part of archive names, so they may hold nothing a path could be made of.
_NAME_PART = re.compile(r"[A-Za-z0-9_-]{1,128}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class DocumentChanged(Exception):
    """A stored document no longer has the size or SHA-256 recorded when it was uploaded.

    Not a :class:`~forwarder_insure.domain.errors.DomainError`: no request caused it, and the pack
    must not be sent, since its cover sheet would vouch for bytes the archive does not hold.
    """

    code = "document_changed"


class ChecklistLine(NamedTuple):
    """One required document of the claim's checklist and how far it has got."""

    kind: str
    stage: str
    status: str


class Flag(NamedTuple):
    """A screening flag raised on the claim."""

    code: str
    detail: str | None


class TimelineEntry(NamedTuple):
    """One event in the claim's history."""

    at: datetime
    actor: str
    event: str
    detail: str | None


@dataclass(frozen=True)
class PackDocument:
    """A stored evidence document as recorded at upload (size and hash computed by the store)."""

    document_id: str
    kind: str
    filename: str | None
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str
    status: str

    def __post_init__(self) -> None:
        for field, value in (("document_id", self.document_id), ("kind", self.kind)):
            if not _NAME_PART.fullmatch(value):
                raise ValueError(f"{field} must be letters, digits, '_' or '-', not {value!r}")
        if self.content_type not in ACCEPTED_TYPES:
            raise ValueError(f"content_type {self.content_type!r} is not an accepted type")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError(f"size must be a non-negative integer, not {self.size!r}")
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError(f"sha256 must be 64 lowercase hex digits, not {self.sha256!r}")
        if self.status not in DOCUMENT_STATUSES:
            raise ValueError(f"status must be one of {DOCUMENT_STATUSES}, not {self.status!r}")
        ensure_utc(self.uploaded_at)


@dataclass(frozen=True)
class CoverSheet:
    """Everything the cover sheet states about the claim, already looked up by the caller.

    The sheet prints what it is given and nothing else, so who reads the pack is decided by the
    caller: ``flags`` is None for a pack without screening (the seller's), which then has no
    screening section at all, and actors and uploaders are printed as given.
    """

    claim_id: str
    claim_kind: str
    claim_status: str
    seller_id: str
    coverage_id: str
    certificate_number: str
    underwriter_name: str
    amount_claimed: Money
    amount_approved: Money | None
    insured_value: Money
    deductible: Money
    description: str | None
    submitted_at: datetime | None
    grace_deadline: datetime | None
    generated_at: datetime
    checklist: tuple[ChecklistLine, ...]
    documents: tuple[PackDocument, ...]
    flags: tuple[Flag, ...] | None
    timeline: tuple[TimelineEntry, ...]

    def __post_init__(self) -> None:
        for value in (self.submitted_at, self.grace_deadline, self.generated_at):
            if value is not None:
                ensure_utc(value)
        for at, _actor, _event, _detail in self.timeline:
            ensure_utc(at)
        ids = [document.document_id for document in self.documents]
        if len(set(ids)) != len(ids):
            raise ValueError("a document is listed more than once")


def _in_pack_order(cover: CoverSheet) -> list[tuple[str | None, PackDocument]]:
    """Documents in checklist order, then by upload time, each with its archive name if included.

    The order is fixed by the data alone, so the same claim always gives the same archive.
    """
    position: dict[str, int] = {}
    for kind, _stage, _status in cover.checklist:
        position.setdefault(kind, len(position))
    ordered = sorted(
        cover.documents,
        key=lambda document: (
            position.get(document.kind, len(position)),
            document.kind,
            ensure_utc(document.uploaded_at),
            document.document_id,
        ),
    )
    entries: list[tuple[str | None, PackDocument]] = []
    number = 0
    for document in ordered:
        if document.status == DocumentStatus.RECEIVED:
            number += 1
            extension = ACCEPTED_TYPES[document.content_type]
            name = f"{number:02d}-{document.kind}-{document.document_id}.{extension}"
            entries.append((name, document))
        else:
            entries.append((None, document))
    return entries


def _documents_table(entries: list[tuple[str | None, PackDocument]], width: float) -> Flowable:
    styles = grid_styles()
    status_style = styles["head"]
    rows = []
    for name, document in entries:
        archived = (
            Paragraph(escape(name), styles["code"])
            if name is not None
            else Paragraph("Not included (rejected in review)", styles["cell"])
        )
        uploaded_as = (
            f"Uploaded as: {clipped(document.filename)}" if document.filename else "No file name"
        )
        rows.append(
            [
                [archived, Paragraph(document.sha256, styles["code"])],
                [
                    Paragraph(markup(document.kind), styles["code"]),
                    Paragraph(
                        f"{escape(document.content_type)}, {document.size:,} bytes",
                        styles["cell"],
                    ),
                    Paragraph(uploaded_as, styles["cell"]),
                ],
                [
                    Paragraph(instant(document.uploaded_at), styles["cell"]),
                    Paragraph(f"by {clipped(document.uploaded_by)}", styles["cell"]),
                    Paragraph(escape(document.status.upper()), status_style),
                ],
            ]
        )
    # A SHA-256 in 7-point Courier is 269 points wide; its column keeps it on one line.
    file_width, uploaded_width = 100 * mm, 36 * mm
    return grid_table(
        ("File in this pack and its SHA-256", "Document", "Uploaded"),
        rows,
        (file_width, width - file_width - uploaded_width, uploaded_width),
    )


def _flags(flags: tuple[Flag, ...], width: float) -> list[Flowable]:
    styles = paragraph_styles()
    grid = grid_styles()
    section = Paragraph("Screening flags", styles["section"])
    if not flags:
        return [section, Paragraph("No screening flag was raised.", styles["value"])]
    code_width = 50 * mm
    return [
        section,
        grid_table(
            ("Flag", "Detail"),
            [
                [
                    Paragraph(markup(code), grid["code"]),
                    Paragraph(clipped(detail) if detail else "&#8212;", grid["cell"]),
                ]
                for code, detail in flags
            ],
            (code_width, width - code_width),
        ),
    ]


def _content(cover: CoverSheet, width: float) -> list[Flowable]:
    styles = paragraph_styles()
    grid = grid_styles()
    entries = _in_pack_order(cover)
    included = sum(1 for name, _document in entries if name is not None)

    claim = [
        ("Claim ID", markup(cover.claim_id)),
        ("Kind", markup(cover.claim_kind)),
        ("Status", markup(cover.claim_status)),
        ("Seller ID", markup(cover.seller_id)),
        ("Coverage ID", markup(cover.coverage_id)),
        ("Certificate number", markup(cover.certificate_number)),
        ("Underwriter", markup(cover.underwriter_name)),
    ]
    amounts = [
        ("Amount claimed", money(cover.amount_claimed)),
        (
            "Amount approved",
            money(cover.amount_approved) if cover.amount_approved is not None else "Not approved",
        ),
        ("Insured value", money(cover.insured_value)),
        ("Deductible", money(cover.deductible)),
    ]
    dates = [
        ("Submitted at (UTC)", optional_instant(cover.submitted_at, "Not submitted")),
        ("Grace deadline (UTC)", optional_instant(cover.grace_deadline, "None")),
        ("Generated at (UTC)", instant(cover.generated_at)),
    ]

    content: list[Flowable] = [
        Paragraph(TITLE, styles["title"]),
        Paragraph(
            f"Cover sheet for claim {markup(cover.claim_id)}, prepared for "
            f"{markup(cover.underwriter_name)}",
            styles["subtitle"],
        ),
        Spacer(0, 5 * mm),
        Paragraph(
            f"This pack holds this cover sheet, {MANIFEST_NAME} and {included} "
            f"document{'s' if included != 1 else ''}. Each file's SHA-256 is printed below and "
            f"repeated in {MANIFEST_NAME}, so any file can be checked against it. Documents "
            "rejected in review are listed but not included.",
            styles["small"],
        ),
        Paragraph("Claim", styles["section"]),
        fact_table(styles, claim, width),
        Paragraph("Amounts", styles["section"]),
        fact_table(styles, amounts, width),
        Paragraph("Dates", styles["section"]),
        fact_table(styles, dates, width),
        Paragraph("Seller's description", styles["section"]),
        Paragraph(
            markup(cover.description) if cover.description else "None given", styles["value"]
        ),
        Paragraph("Checklist", styles["section"]),
    ]

    if cover.checklist:
        third = width / 3
        content.append(
            grid_table(
                ("Document", "Stage", "Status"),
                [
                    [
                        Paragraph(markup(kind), grid["code"]),
                        Paragraph(markup(stage), grid["cell"]),
                        Paragraph(markup(status), grid["cell"]),
                    ]
                    for kind, stage, status in cover.checklist
                ],
                (third, third, third),
            )
        )
    else:
        content.append(Paragraph("No document is required.", styles["value"]))

    content.append(Paragraph("Documents", styles["section"]))
    if entries:
        content.append(_documents_table(entries, width))
    else:
        content.append(Paragraph("No document has been uploaded.", styles["value"]))

    if cover.flags is not None:
        content.extend(_flags(cover.flags, width))

    content.append(Paragraph("Timeline", styles["section"]))
    if cover.timeline:
        at_width, actor_width, event_width = 36 * mm, 34 * mm, 34 * mm
        content.append(
            grid_table(
                ("At (UTC)", "Actor", "Event", "Detail"),
                [
                    [
                        Paragraph(instant(at), grid["cell"]),
                        Paragraph(clipped(actor), grid["code"]),
                        Paragraph(clipped(event), grid["code"]),
                        Paragraph(clipped(detail) if detail else "&#8212;", grid["cell"]),
                    ]
                    for at, actor, event, detail in sorted(
                        cover.timeline, key=lambda entry: ensure_utc(entry[0])
                    )
                ],
                (at_width, actor_width, event_width, width - at_width - actor_width - event_width),
            )
        )
    else:
        content.append(Paragraph("No event has been recorded.", styles["value"]))
    return content


def render_cover_sheet(cover: CoverSheet) -> bytes:
    """The pack's cover sheet as a PDF: the claim, its checklist, every document with its hash."""
    return render_pdf(
        lambda width, _height: _content(cover, width),
        title=f"{TITLE} {cover.claim_id}",
        subject=f"Evidence for claim {cover.claim_id} on certificate {cover.certificate_number}",
        footer=f"{TITLE}: claim {cover.claim_id}",
    )


def _manifest(cover: CoverSheet, entries: list[tuple[str | None, PackDocument]]) -> bytes:
    manifest = {
        "claim_id": cover.claim_id,
        "generated_at": instant(cover.generated_at),
        "cover_sheet": COVER_SHEET_NAME,
        "documents": [
            {
                "archive_name": name,
                "document_id": document.document_id,
                "kind": document.kind,
                "sha256": document.sha256,
                "size": document.size,
                "content_type": document.content_type,
            }
            for name, document in entries
            if name is not None
        ],
        "not_included": [
            {"document_id": document.document_id, "kind": document.kind, "status": document.status}
            for name, document in entries
            if name is None
        ],
    }
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


class _HashingWriter:
    """Passes writes through to ``target``, counting and hashing them on the way."""

    def __init__(self, target: IO[bytes]):
        self._target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._target.write(data)


def write_evidence_pack(
    out: IO[bytes], cover: CoverSheet, open_document: Callable[[PackDocument], BinaryIO]
) -> None:
    """Write the claim's evidence pack to ``out`` as a ZIP; ``out`` is left open.

    ``open_document`` gives a readable stream of a received document's stored bytes; each stream
    is read in chunks and closed. The order and names of the files depend only on ``cover``, and
    every entry is dated ``cover.generated_at``. The cover sheet and manifest are deflated; the
    documents are stored as they are, because PDFs and photos are compressed already and
    deflating them again gains almost nothing for the time it costs.

    Raises :class:`DocumentChanged` if a document's bytes differ from its recorded size or
    SHA-256; whatever was written to ``out`` by then must be thrown away.
    """
    entries = _in_pack_order(cover)
    stamp = ensure_utc(cover.generated_at).timetuple()[:6]

    def entry(name: str, compression: int, size: int = 0) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = compression
        info.external_attr = 0o644 << 16
        # Lets zipfile decide up front whether the entry needs ZIP64 sizes.
        info.file_size = size
        return info

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(entry(COVER_SHEET_NAME, zipfile.ZIP_DEFLATED), render_cover_sheet(cover))
        archive.writestr(entry(MANIFEST_NAME, zipfile.ZIP_DEFLATED), _manifest(cover, entries))
        for name, document in entries:
            if name is None:
                continue
            with (
                contextlib.closing(open_document(document)) as source,
                archive.open(entry(name, zipfile.ZIP_STORED, document.size), "w") as target,
            ):
                copied = _HashingWriter(target)
                shutil.copyfileobj(source, copied, CHUNK_SIZE)
            if copied.size != document.size or copied.digest.hexdigest() != document.sha256:
                raise DocumentChanged(
                    f"document {document.document_id} has {copied.size} bytes with SHA-256 "
                    f"{copied.digest.hexdigest()}, but {document.size} bytes with SHA-256 "
                    f"{document.sha256} were recorded at upload"
                )
