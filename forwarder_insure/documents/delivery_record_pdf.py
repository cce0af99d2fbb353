"""The delivery record: a parcel's tracking history as it stood when its claim was filed (A4).

Carriers prune and rewrite their tracking pages, and the insurer decides a claim weeks later. The
record freezes what the carrier had told us at filing time, so the claim is judged on the scans
that existed then. Every event is printed, however many, in time order; descriptions and
locations come from the carrier and are treated as untrusted text. A cross-border parcel handed
to a destination carrier (Yanwen to USPS) has two legs: the record names both carriers and
numbers, and says which leg each event was reported on.

The page set-up, grid and styles come from :mod:`forwarder_insure.documents.pdf_layout`, so the
claim's documents look alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from forwarder_insure.documents.pdf_layout import (
    carrier_and_service,
    clipped,
    fact_table,
    grid_styles,
    grid_table,
    instant,
    lane,
    markup,
    optional_instant,
    paragraph_styles,
    render_pdf,
)
from forwarder_insure.domain.clock import ensure_utc

TITLE = "Delivery record"

NO_SCANS = "No carrier scan has been received for this parcel."


@dataclass(frozen=True)
class TrackingLine:
    """One carrier tracking event as received."""

    occurred_at: datetime
    code: str
    description: str | None
    location: str | None
    #: The leg the event was reported on: "main", "last mile", or None for a one-leg parcel.
    leg: str | None = None

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
    #: The destination carrier's leg, if the parcel was handed over to one.
    last_mile_carrier: str | None = None
    last_mile_tracking_number: str | None = None

    def __post_init__(self) -> None:
        for value in (self.bound_at, self.first_scan_at, self.last_event_at, self.generated_at):
            if value is not None:
                ensure_utc(value)


def _events(events: tuple[TrackingLine, ...], width: float, legs: bool) -> Flowable:
    styles = grid_styles()
    # Stable: events at the same instant keep the order the carrier sent them in.
    ordered = sorted(events, key=lambda event: ensure_utc(event.occurred_at))
    rows = [
        [
            Paragraph(instant(event.occurred_at), styles["cell"]),
            *([Paragraph(markup(event.leg or "main"), styles["cell"])] if legs else []),
            Paragraph(clipped(event.code), styles["code"]),
            Paragraph(
                clipped(event.description) if event.description else "&#8212;", styles["cell"]
            ),
            Paragraph(clipped(event.location) if event.location else "&#8212;", styles["cell"]),
        ]
        for event in ordered
    ]
    time_width, code_width, location_width = 36 * mm, 30 * mm, 40 * mm
    leg_width = 20 * mm if legs else 0
    description_width = width - time_width - leg_width - code_width - location_width
    return grid_table(
        ("Occurred at (UTC)", *(("Leg",) if legs else ()), "Code", "Description", "Location"),
        rows,
        (
            time_width,
            *((leg_width,) if legs else ()),
            code_width,
            description_width,
            location_width,
        ),
    )


def _content(record: DeliveryRecord, width: float) -> list[Flowable]:
    styles = paragraph_styles()
    facts = [
        ("Certificate number", markup(record.certificate_number)),
        ("Coverage ID", markup(record.coverage_id)),
        ("Carrier", carrier_and_service(record.carrier, record.service)),
        (
            "Tracking number",
            markup(record.tracking_number) if record.tracking_number else "None attached",
        ),
        *_last_mile_facts(record),
        ("Lane", lane(record.origin_country, record.destination_country)),
        ("Package status", markup(record.package_status)),
        ("Bound at (UTC)", instant(record.bound_at)),
        ("First scan at (UTC)", optional_instant(record.first_scan_at, "No scan received")),
        ("Last event at (UTC)", optional_instant(record.last_event_at, "No event received")),
        ("Generated at (UTC)", instant(record.generated_at)),
        ("Tracking events", str(len(record.events))),
    ]
    content: list[Flowable] = [
        Paragraph(TITLE, styles["title"]),
        Paragraph(
            f"Tracking history of the parcel insured under certificate "
            f"{markup(record.certificate_number)}",
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
        fact_table(styles, facts, width),
        Paragraph("Tracking events", styles["section"]),
    ]
    if record.events:
        content.append(_events(record.events, width, record.last_mile_tracking_number is not None))
    else:
        content.append(Paragraph(escape(NO_SCANS), styles["value"]))
    return content


def _last_mile_facts(record: DeliveryRecord) -> list[tuple[str, str]]:
    if record.last_mile_tracking_number is None:
        return []
    return [
        ("Last-mile carrier", markup(record.last_mile_carrier or "")),
        ("Last-mile tracking number", markup(record.last_mile_tracking_number)),
    ]


def render_delivery_record(record: DeliveryRecord) -> bytes:
    """The delivery record as a PDF of as many pages as its events need."""
    return render_pdf(
        lambda width, _height: _content(record, width),
        title=f"{TITLE} {record.certificate_number}",
        subject=f"Tracking history for coverage {record.coverage_id}",
        footer=f"{TITLE} {record.certificate_number}",
    )
