"""The one-page certificate of shipment insurance given to the seller (English, A4).

The PDF is evidence for a reader, not the record: it carries the address where the certificate
can be checked, because a printed or forwarded copy may have been voided since it was made.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from forwarder_insure.documents.pdf_layout import (
    VOID_RED,
    a4_document,
    carrier_and_service,
    fact_table,
    frame_size,
    instant,
    lane,
    markup,
    money,
    paragraph_styles,
)
from forwarder_insure.domain.clock import ensure_utc
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.money import Money

STATUSES = tuple(s.value for s in CoverageStatus)

TITLE = "Certificate of Shipment Insurance"


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on a certificate, already looked up and formatted by the caller."""

    certificate_number: str
    status: str
    seller_id: str
    seller_name: str | None
    order_reference: str
    package_reference: str
    carrier: str
    service: str | None
    tracking_number: str | None
    origin_country: str
    destination_country: str
    category: str
    insured_value: Money
    premium: Money
    deductible: Money
    carrier_base_cover: Money | None
    underwriter_name: str
    underwriter_licence: str
    underwriter_jurisdictions: tuple[str, ...]
    issued_at: datetime
    voided_at: datetime | None
    rate_card_version: str
    verification_url: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if (self.status == CoverageStatus.VOIDED) != (self.voided_at is not None):
            raise ValueError("voided_at is set exactly when the status is 'voided'")
        ensure_utc(self.issued_at)
        if self.voided_at is not None:
            ensure_utc(self.voided_at)


def _jurisdictions(codes: tuple[str, ...]) -> str:
    if "*" in codes:
        return "Worldwide"
    return ", ".join(codes) or "Not stated"


def _content(data: CertificateData, width: float) -> list[Flowable]:
    styles = paragraph_styles()
    number_box = Table(
        [
            [Paragraph("CERTIFICATE NUMBER", styles["number_label"])],
            [Paragraph(markup(data.certificate_number), styles["number"])],
        ],
        colWidths=[width * 0.7],
    )
    number_box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 7),
            ]
        )
    )

    # __post_init__ guarantees voided_at is set exactly when the status is "voided".
    if data.voided_at is not None:
        status = Paragraph(
            f"VOID &#8212; voided at {instant(data.voided_at)}. "
            "This certificate has been cancelled and provides no cover.",
            styles["void"],
        )
    else:
        status = Paragraph("Status: ACTIVE", styles["active"])

    insured = data.seller_name if data.seller_name else f"Seller {data.seller_id}"
    tracking = (
        markup(data.tracking_number)
        if data.tracking_number
        else "To be attached (added when the carrier label is created)"
    )

    cover = [
        ("Insured value", money(data.insured_value)),
        ("Premium", money(data.premium)),
        ("Deductible", money(data.deductible)),
    ]
    if data.carrier_base_cover is not None:
        cover.append(
            (
                "Carrier base cover",
                f"{money(data.carrier_base_cover)} is covered by the carrier's own liability; "
                "the underwriter covers the excess above it, up to the insured value.",
            )
        )

    issue = [
        ("Issued at (UTC)", instant(data.issued_at)),
        ("Rate card version", markup(data.rate_card_version)),
    ]
    if data.voided_at is not None:
        issue.append(("Voided at (UTC)", instant(data.voided_at)))

    url = escape(data.verification_url, {'"': "&quot;"})
    return [
        Paragraph(TITLE, styles["title"]),
        Paragraph(f"Issued on behalf of {markup(data.underwriter_name)}", styles["subtitle"]),
        Spacer(0, 5 * mm),
        number_box,
        Spacer(0, 4 * mm),
        status,
        Spacer(0, 3 * mm),
        Paragraph(
            "This certificate evidences insurance of the shipment described below for the "
            "insured value stated, subject to the deductible and to the terms of the "
            "forwarder's shipment insurance programme.",
            styles["small"],
        ),
        Paragraph("Insured", styles["section"]),
        fact_table(
            styles,
            [("Seller", markup(insured)), ("Seller ID", markup(data.seller_id))],
            width,
        ),
        Paragraph("Shipment", styles["section"]),
        fact_table(
            styles,
            [
                ("Order reference", markup(data.order_reference)),
                ("Package reference", markup(data.package_reference)),
                ("Carrier", carrier_and_service(data.carrier, data.service)),
                ("Tracking number", tracking),
                ("Lane", lane(data.origin_country, data.destination_country)),
                ("Goods category", markup(data.category)),
            ],
            width,
        ),
        Paragraph("Cover", styles["section"]),
        fact_table(styles, cover, width),
        Paragraph("Underwriter", styles["section"]),
        fact_table(
            styles,
            [
                ("Underwriter", markup(data.underwriter_name)),
                ("Licence number", markup(data.underwriter_licence)),
                (
                    "Licensed in",
                    markup(_jurisdictions(data.underwriter_jurisdictions)),
                ),
            ],
            width,
        ),
        Paragraph("Issue", styles["section"]),
        fact_table(styles, issue, width),
        Spacer(0, 6 * mm),
        Paragraph(
            f'Verify this certificate at <link href="{url}" color="blue">{url}</link>',
            styles["value"],
        ),
        Paragraph(
            "The online register is authoritative: a certificate may have been voided after "
            "this copy was made.",
            styles["small"],
        ),
    ]


def _void_watermark(canvas, _doc) -> None:
    canvas.saveState()
    canvas.setFillColor(VOID_RED)
    canvas.setFillAlpha(0.15)
    canvas.setFont("Helvetica-Bold", 150)
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, -50, "VOID")
    canvas.restoreState()


def render_certificate_pdf(data: CertificateData) -> bytes:
    """The certificate as a one-page PDF; overlong content is shrunk to fit rather than split."""
    buffer = io.BytesIO()
    doc = a4_document(
        buffer,
        bottom_margin=16 * mm,
        title=f"{TITLE} {data.certificate_number}",
        author=data.underwriter_name,
        subject=f"Shipment insurance for order {data.order_reference}",
    )
    width, height = frame_size(doc)
    page = KeepInFrame(width, height, _content(data, width), mode="shrink")
    if data.status == CoverageStatus.VOIDED:
        doc.build([page], onFirstPage=_void_watermark, onLaterPages=_void_watermark)
    else:
        doc.build([page])
    return buffer.getvalue()
