"""The hand-over record: proof a parcel left our warehouse in the carrier's hands (A4, English).

A lost-parcel claim stands or falls on when the carrier took the parcel. The carrier's first scan
is that moment: before it the parcel was ours, after it the carrier's. This one page states the
scan (time, code, place, and the carrier's own description) next to the order, package and
certificate it belongs to, so the insurer needs no access to our systems to check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, Paragraph, Spacer

from forwarder_insure.documents.pdf_layout import (
    carrier_and_service,
    fact_table,
    instant,
    markup,
    paragraph_styles,
    render_pdf,
)
from forwarder_insure.domain.clock import ensure_utc

TITLE = "Hand-over record"


@dataclass(frozen=True)
class HandoverRecord:
    """The parcel's first carrier scan and what it was for, already looked up by the caller."""

    certificate_number: str
    coverage_id: str
    order_reference: str
    package_reference: str
    carrier: str
    service: str | None
    tracking_number: str | None
    handed_over_at: datetime
    scan_code: str
    scan_location: str | None
    scan_description: str | None
    generated_at: datetime

    def __post_init__(self) -> None:
        ensure_utc(self.handed_over_at)
        ensure_utc(self.generated_at)


def _content(record: HandoverRecord, width: float) -> list[Flowable]:
    styles = paragraph_styles()
    shipment = [
        ("Certificate number", markup(record.certificate_number)),
        ("Coverage ID", markup(record.coverage_id)),
        ("Order reference", markup(record.order_reference)),
        ("Package reference", markup(record.package_reference)),
        ("Carrier", carrier_and_service(record.carrier, record.service)),
        (
            "Tracking number",
            markup(record.tracking_number) if record.tracking_number else "None attached",
        ),
    ]
    scan = [
        ("Handed over at (UTC)", instant(record.handed_over_at)),
        ("Scan code", markup(record.scan_code)),
        ("Scan location", markup(record.scan_location) if record.scan_location else "Not stated"),
        (
            "Carrier's description",
            markup(record.scan_description) if record.scan_description else "Not stated",
        ),
    ]
    return [
        Paragraph(TITLE, styles["title"]),
        Paragraph(
            f"Parcel insured under certificate {markup(record.certificate_number)}",
            styles["subtitle"],
        ),
        Spacer(0, 5 * mm),
        Paragraph(
            "The parcel below passed from the forwarder's warehouse into the carrier's hands at "
            "the time of the carrier's first scan of it, shown here as the carrier reported it.",
            styles["small"],
        ),
        Paragraph("Shipment", styles["section"]),
        fact_table(styles, shipment, width),
        Paragraph("First carrier scan", styles["section"]),
        fact_table(styles, scan, width),
        Paragraph("Record", styles["section"]),
        fact_table(styles, [("Generated at (UTC)", instant(record.generated_at))], width),
    ]


def render_handover_record(record: HandoverRecord) -> bytes:
    """The hand-over record as a one-page PDF; overlong carrier text is shrunk, never split."""

    return render_pdf(
        lambda width, height: [KeepInFrame(width, height, _content(record, width), mode="shrink")],
        title=f"{TITLE} {record.certificate_number}",
        subject=f"Hand-over of order {record.order_reference} to {record.carrier}",
        footer=f"{TITLE} {record.certificate_number}",
    )
