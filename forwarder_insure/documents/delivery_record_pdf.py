"""The delivery record: a parcel's tracking history as it stood when its claim was filed (A4).

Carriers prune and rewrite their tracking pages, and the insurer decides a claim weeks later. The
record freezes what the carrier had told us at filing time, so the claim is judged on the scans
that existed then. Every event is printed, however many, in time order; descriptions and
locations come from the carrier and are treated as untrusted text.

The page set-up and the grid used here are shared with the hand-over record and the evidence
pack's cover sheet, so the claim's documents look alike.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from forwarder_insure.documents.certificate_pdf import (
    _RULE_GREY,
    _country_name,
    _instant,
    _markup,
    _rows,
    _styles,
)
from forwarder_insure.domain.clock import ensure_utc

TITLE = "Delivery record"

NO_SCANS = "No carrier scan has been received for this parcel."

#: Longest carrier text printed in one table cell. A grid row cannot break across pages, so an
#: absurd description must not make a row taller than a page; what is cut is said to be cut.
MAX_CELL_CHARS = 1000

_HEADER_GREY = colors.HexColor("#E8E8E8")
_FOOTER_GREY = colors.HexColor("#666666")


@dataclass(frozen=True)
class TrackingLine:
    """One carrier tracking event as received."""

    occurred_at: datetime
    code: str
    description: str | None
    location: str | None

    def __post_init__(self) -> None:
        ensure_utc(self.occurred_at)


@dataclass(frozen=True)
class DeliveryRecord:
    """A parcel's tracking facts and events, already looked up by the caller."""

    certificate_number: str
    coverage_id: str
    carrier: str
    service: str | None
    tracking_number: str | None
    origin_country: str
    destination_country: str
    package_status: str
    bound_at: datetime
    first_scan_at: datetime | None
    last_event_at: datetime | None
    generated_at: datetime
    events: tuple[TrackingLine, ...]

    def __post_init__(self) -> None:
        for value in (self.bound_at, self.first_scan_at, self.last_event_at, self.generated_at):
            if value is not None:
                ensure_utc(value)


def _grid_styles() -> dict[str, ParagraphStyle]:
    base = _styles()["value"]
    return {
        "head": ParagraphStyle(
            "grid_head", base, fontName="Helvetica-Bold", fontSize=8, leading=10
        ),
        "cell": ParagraphStyle("grid_cell", base, fontSize=8, leading=10),
        # Codes, ids and hashes have no spaces; CJK wrapping lets an overlong one break anywhere
        # instead of running out of its cell.
        "code": ParagraphStyle(
            "grid_code", base, fontName="Courier", fontSize=7, leading=9, wordWrap="CJK"
        ),
    }


def _clipped(text: str) -> str:
    """Markup for untrusted cell text, cut to :data:`MAX_CELL_CHARS` with a note saying so."""
    if len(text) <= MAX_CELL_CHARS:
        return _markup(text)
    return _markup(text[:MAX_CELL_CHARS]) + f" <i>[cut here: {len(text)} characters in all]</i>"


def _grid(
    header: Sequence[str],
    rows: Sequence[Sequence[Flowable | list[Flowable]]],
    widths: Sequence[float],
) -> Table:
    """A table of records that may run over many pages, its header repeated on each page.

    A cell is a flowable or a list of them, stacked.
    """
    styles = _grid_styles()
    table = Table(
        [[Paragraph(escape(title), styles["head"]) for title in header], *rows],
        colWidths=list(widths),
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), _HEADER_GREY),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE_GREY),
            ]
        )
    )
    return table


def _render(
    content: Callable[[float, float], list[Flowable]], *, title: str, subject: str, footer: str
) -> bytes:
    """An A4 PDF of ``content(width, height)``, each page footed with ``footer`` and its number.

    ``width`` and ``height`` are what one page's frame holds.
    """
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        subject=subject,
        creator="forwarder_insure",
    )
    # The built-in font draws only Latin-1; the footer is drawn straight on the canvas.
    footer = footer.encode("cp1252", "replace").decode("cp1252")

    def stamp(canvas, page_doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(_FOOTER_GREY)
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {page_doc.page}")
        canvas.restoreState()

    # The default frame pads each side by 6 points; content must fit inside that padding.
    doc.build(content(doc.width - 12, doc.height - 12), onFirstPage=stamp, onLaterPages=stamp)
    return buffer.getvalue()


def _optional_instant(value: datetime | None, missing: str) -> str:
    return _instant(value) if value is not None else escape(missing)


def _lane(origin: str, destination: str) -> str:
    lane = f"{_markup(origin)} &#8594; {_markup(destination)}"
    origin_name, destination_name = _country_name(origin), _country_name(destination)
    if origin_name and destination_name:
        lane += f" &#160;({_markup(origin_name)} to {_markup(destination_name)})"
    return lane


def _carrier(carrier: str, service: str | None) -> str:
    text = _markup(carrier)
    if service:
        text += f" &#8212; {_markup(service)}"
    return text


def _events(events: tuple[TrackingLine, ...], width: float) -> Flowable:
    styles = _grid_styles()
    # Stable: events at the same instant keep the order the carrier sent them in.
    ordered = sorted(events, key=lambda event: ensure_utc(event.occurred_at))
    rows = [
        [
            Paragraph(_instant(event.occurred_at), styles["cell"]),
            Paragraph(_clipped(event.code), styles["code"]),
            Paragraph(
                _clipped(event.description) if event.description else "&#8212;", styles["cell"]
            ),
            Paragraph(_clipped(event.location) if event.location else "&#8212;", styles["cell"]),
        ]
        for event in ordered
    ]
    time_width, code_width, location_width = 36 * mm, 30 * mm, 40 * mm
    return _grid(
        ("Occurred at (UTC)", "Code", "Description", "Location"),
        rows,
        (time_width, code_width, width - time_width - code_width - location_width, location_width),
    )


def _content(record: DeliveryRecord, width: float) -> list[Flowable]:
    styles = _styles()
    facts = [
        ("Certificate number", _markup(record.certificate_number)),
        ("Coverage ID", _markup(record.coverage_id)),
        ("Carrier", _carrier(record.carrier, record.service)),
        (
            "Tracking number",
            _markup(record.tracking_number) if record.tracking_number else "None attached",
        ),
        ("Lane", _lane(record.origin_country, record.destination_country)),
        ("Package status", _markup(record.package_status)),
        ("Bound at (UTC)", _instant(record.bound_at)),
        ("First scan at (UTC)", _optional_instant(record.first_scan_at, "No scan received")),
        ("Last event at (UTC)", _optional_instant(record.last_event_at, "No event received")),
        ("Generated at (UTC)", _instant(record.generated_at)),
        ("Tracking events", str(len(record.events))),
    ]
    content: list[Flowable] = [
        Paragraph(TITLE, styles["title"]),
        Paragraph(
            f"Tracking history of the parcel insured under certificate "
            f"{_markup(record.certificate_number)}",
            styles["subtitle"],
        ),
        Spacer(0, 5 * mm),
        Paragraph(
            "A snapshot of every tracking event the carrier had sent for this parcel when the "
            "record was generated, in time order. Events received later are not shown. "
            "Descriptions and locations are the carrier's own words.",
            styles["small"],
        ),
        Paragraph("Parcel", styles["section"]),
        _rows(styles, facts, width),
        Paragraph("Tracking events", styles["section"]),
    ]
    if record.events:
        content.append(_events(record.events, width))
    else:
        content.append(Paragraph(escape(NO_SCANS), styles["value"]))
    return content


def render_delivery_record(record: DeliveryRecord) -> bytes:
    """The delivery record as a PDF of as many pages as its events need."""
    return _render(
        lambda width, _height: _content(record, width),
        title=f"{TITLE} {record.certificate_number}",
        subject=f"Tracking history for coverage {record.coverage_id}",
        footer=f"{TITLE} {record.certificate_number}",
    )
