"""The one-page certificate of shipment insurance given to the seller (English, A4).

The PDF is evidence for a reader, not the record: it carries the address where the certificate
can be checked, because a printed or forwarded copy may have been voided since it was made.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import groupby
from xml.sax.saxutils import escape

from babel import Locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from forwarder_insure.domain.clock import ensure_utc, format_instant
from forwarder_insure.domain.money import Money

STATUSES = ("active", "voided")

TITLE = "Certificate of Shipment Insurance"

# The built-in Helvetica only has Latin-1 glyphs (WinAnsi). Seller names and references in other
# scripts switch to this CID font, which covers Chinese, Japanese kana, Cyrillic and Greek and
# needs no font file: PDF readers supply it. Scripts it lacks (Hangul, Arabic, Thai) would need an
# embedded TrueType font.
_FALLBACK_FONT = "STSong-Light"

_LABEL_WIDTH = 45 * mm
_VOID_RED = colors.HexColor("#B00020")
_RULE_GREY = colors.HexColor("#B0B0B0")


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
        if (self.status == "voided") != (self.voided_at is not None):
            raise ValueError("voided_at is set exactly when the status is 'voided'")
        ensure_utc(self.issued_at)
        if self.voided_at is not None:
            ensure_utc(self.voided_at)


def _needs_fallback(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


@cache
def _fallback_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(_FALLBACK_FONT))
    return _FALLBACK_FONT


def _markup(text: str) -> str:
    """Paragraph markup for untrusted text: escaped, controls blanked, other scripts in CJK font."""
    printable = "".join(char if char.isprintable() else " " for char in text)
    runs = []
    for fallback, chars in groupby(printable, key=_needs_fallback):
        run = escape("".join(chars))
        runs.append(f'<font name="{_fallback_font()}">{run}</font>' if fallback else run)
    return "".join(runs)


def _instant(value: datetime) -> str:
    return format_instant(ensure_utc(value).replace(microsecond=0))


def _country_name(code: str) -> str | None:
    return Locale.parse("en").territories.get(code.upper())


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=9.5, leading=12.5)
    return {
        "title": ParagraphStyle(
            "title", base, fontName="Helvetica-Bold", fontSize=19, leading=23, alignment=TA_CENTER
        ),
        "subtitle": ParagraphStyle(
            "subtitle", base, textColor=colors.HexColor("#444444"), alignment=TA_CENTER
        ),
        "number_label": ParagraphStyle("number_label", base, fontSize=8.5, alignment=TA_CENTER),
        "number": ParagraphStyle(
            "number", base, fontName="Courier-Bold", fontSize=21, leading=25, alignment=TA_CENTER
        ),
        "active": ParagraphStyle(
            "active", base, fontName="Helvetica-Bold", fontSize=11, leading=14, alignment=TA_CENTER
        ),
        "void": ParagraphStyle(
            "void",
            base,
            fontName="Helvetica-Bold",
            fontSize=12,
            leading=16,
            alignment=TA_CENTER,
            textColor=colors.white,
            backColor=_VOID_RED,
            borderPadding=5,
        ),
        "section": ParagraphStyle(
            "section", base, fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=8
        ),
        "label": ParagraphStyle("label", base, textColor=colors.HexColor("#444444")),
        "value": base,
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=11),
    }


def _rows(styles: dict[str, ParagraphStyle], rows: list[tuple[str, str]], width: float) -> Table:
    """A label/value table; values are markup already, so they wrap instead of overflowing."""
    table = Table(
        [
            [Paragraph(escape(label), styles["label"]), Paragraph(value, styles["value"])]
            for label, value in rows
        ],
        colWidths=[_LABEL_WIDTH, width - _LABEL_WIDTH],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, _RULE_GREY),
            ]
        )
    )
    return table


def _jurisdictions(codes: tuple[str, ...]) -> str:
    if "*" in codes:
        return "Worldwide"
    return ", ".join(codes) or "Not stated"


def _money(value: Money) -> str:
    return escape(str(value))


def _content(data: CertificateData, width: float) -> list[Flowable]:
    styles = _styles()
    number_box = Table(
        [
            [Paragraph("CERTIFICATE NUMBER", styles["number_label"])],
            [Paragraph(_markup(data.certificate_number), styles["number"])],
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
            f"VOID &#8212; voided at {_instant(data.voided_at)}. "
            "This certificate has been cancelled and provides no cover.",
            styles["void"],
        )
    else:
        status = Paragraph("Status: ACTIVE", styles["active"])

    insured = data.seller_name if data.seller_name else f"Seller {data.seller_id}"
    carrier = _markup(data.carrier)
    if data.service:
        carrier += f" &#8212; {_markup(data.service)}"
    tracking = (
        _markup(data.tracking_number)
        if data.tracking_number
        else "To be attached (added when the carrier label is created)"
    )
    lane = f"{_markup(data.origin_country)} &#8594; {_markup(data.destination_country)}"
    origin_name = _country_name(data.origin_country)
    destination_name = _country_name(data.destination_country)
    if origin_name and destination_name:
        lane += f" &#160;({_markup(origin_name)} to {_markup(destination_name)})"

    cover = [
        ("Insured value", _money(data.insured_value)),
        ("Premium", _money(data.premium)),
        ("Deductible", _money(data.deductible)),
    ]
    if data.carrier_base_cover is not None:
        cover.append(
            (
                "Carrier base cover",
                f"{_money(data.carrier_base_cover)} is covered by the carrier's own liability; "
                "the underwriter covers the excess above it, up to the insured value.",
            )
        )

    issue = [
        ("Issued at (UTC)", _instant(data.issued_at)),
        ("Rate card version", _markup(data.rate_card_version)),
    ]
    if data.voided_at is not None:
        issue.append(("Voided at (UTC)", _instant(data.voided_at)))

    url = escape(data.verification_url, {'"': "&quot;"})
    return [
        Paragraph(TITLE, styles["title"]),
        Paragraph(f"Issued on behalf of {_markup(data.underwriter_name)}", styles["subtitle"]),
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
        _rows(
            styles,
            [("Seller", _markup(insured)), ("Seller ID", _markup(data.seller_id))],
            width,
        ),
        Paragraph("Shipment", styles["section"]),
        _rows(
            styles,
            [
                ("Order reference", _markup(data.order_reference)),
                ("Package reference", _markup(data.package_reference)),
                ("Carrier", carrier),
                ("Tracking number", tracking),
                ("Lane", lane),
                ("Goods category", _markup(data.category)),
            ],
            width,
        ),
        Paragraph("Cover", styles["section"]),
        _rows(styles, cover, width),
        Paragraph("Underwriter", styles["section"]),
        _rows(
            styles,
            [
                ("Underwriter", _markup(data.underwriter_name)),
                ("Licence number", _markup(data.underwriter_licence)),
                (
                    "Licensed in",
                    _markup(_jurisdictions(data.underwriter_jurisdictions)),
                ),
            ],
            width,
        ),
        Paragraph("Issue", styles["section"]),
        _rows(styles, issue, width),
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
    canvas.setFillColor(_VOID_RED)
    canvas.setFillAlpha(0.15)
    canvas.setFont("Helvetica-Bold", 150)
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, -50, "VOID")
    canvas.restoreState()


def render_certificate_pdf(data: CertificateData) -> bytes:
    """The certificate as a one-page PDF; overlong content is shrunk to fit rather than split."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{TITLE} {data.certificate_number}",
        author=data.underwriter_name,
        subject=f"Shipment insurance for order {data.order_reference}",
        creator="forwarder_insure",
    )
    # The default frame pads each side by 6 points; the shrink box must fit inside that padding.
    width, height = doc.width - 12, doc.height - 12
    page = KeepInFrame(width, height, _content(data, width), mode="shrink")
    if data.status == "voided":
        doc.build([page], onFirstPage=_void_watermark, onLaterPages=_void_watermark)
    else:
        doc.build([page])
    return buffer.getvalue()
