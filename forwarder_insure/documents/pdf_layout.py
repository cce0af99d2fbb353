"""One look for every PDF we produce: styles, tables, page set-up and text formatting.

The certificate, the delivery and hand-over records and the evidence pack's cover sheet are read
side by side by sellers and insurers, so they share their fonts, tables, footer and the way they
print times, money and untrusted text. Those pieces live here, not in any one document's module.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from itertools import groupby
from typing import IO
from xml.sax.saxutils import escape

from babel import Locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from forwarder_insure.domain.clock import ensure_utc, format_instant
from forwarder_insure.domain.money import Money

#: Longest untrusted text printed in one grid cell. A grid row cannot break across pages, so an
#: absurd description must not make a row taller than a page; what is cut is said to be cut.
MAX_CELL_CHARS = 1000

VOID_RED = colors.HexColor("#B00020")
RULE_GREY = colors.HexColor("#B0B0B0")

# The built-in Helvetica only has Latin-1 glyphs (WinAnsi). Seller names and references in other
# scripts switch to this CID font, which covers Chinese, Japanese kana, Cyrillic and Greek and
# needs no font file: PDF readers supply it. Scripts it lacks (Hangul, Arabic, Thai) would need an
# embedded TrueType font.
_FALLBACK_FONT = "STSong-Light"

_LABEL_WIDTH = 45 * mm
_HEADER_GREY = colors.HexColor("#E8E8E8")
_FOOTER_GREY = colors.HexColor("#666666")


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


def markup(text: str) -> str:
    """Paragraph markup for untrusted text: escaped, controls blanked, other scripts in CJK font."""
    printable = "".join(char if char.isprintable() else " " for char in text)
    runs = []
    for fallback, chars in groupby(printable, key=_needs_fallback):
        run = escape("".join(chars))
        runs.append(f'<font name="{_fallback_font()}">{run}</font>' if fallback else run)
    return "".join(runs)


def clipped(text: str) -> str:
    """Markup for untrusted cell text, cut to :data:`MAX_CELL_CHARS` with a note saying so."""
    if len(text) <= MAX_CELL_CHARS:
        return markup(text)
    return markup(text[:MAX_CELL_CHARS]) + f" <i>[cut here: {len(text)} characters in all]</i>"


def instant(value: datetime) -> str:
    """A UTC instant as printed on our documents, to the second."""
    return format_instant(ensure_utc(value).replace(microsecond=0))


def optional_instant(value: datetime | None, missing: str) -> str:
    """:func:`instant` of ``value``, or the plain text ``missing`` when there is none."""
    return instant(value) if value is not None else escape(missing)


def money(value: Money) -> str:
    """Markup for an amount with its currency."""
    return escape(str(value))


def _country_name(code: str) -> str | None:
    return Locale.parse("en").territories.get(code.upper())


def lane(origin: str, destination: str) -> str:
    """Markup for a shipping lane: the country codes, then their English names when known."""
    text = f"{markup(origin)} &#8594; {markup(destination)}"
    origin_name, destination_name = _country_name(origin), _country_name(destination)
    if origin_name and destination_name:
        text += f" &#160;({markup(origin_name)} to {markup(destination_name)})"
    return text


def carrier_and_service(carrier: str, service: str | None) -> str:
    """Markup for a carrier and, when there is one, its service level."""
    text = markup(carrier)
    if service:
        text += f" &#8212; {markup(service)}"
    return text


def paragraph_styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of our documents, by role (title, section, label, value, ...)."""
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
            backColor=VOID_RED,
            borderPadding=5,
        ),
        "section": ParagraphStyle(
            "section", base, fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=8
        ),
        "label": ParagraphStyle("label", base, textColor=colors.HexColor("#444444")),
        "value": base,
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=11),
    }


def fact_table(
    styles: dict[str, ParagraphStyle], rows: list[tuple[str, str]], width: float
) -> Table:
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
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, RULE_GREY),
            ]
        )
    )
    return table


def grid_styles() -> dict[str, ParagraphStyle]:
    """The styles of a :func:`grid_table`'s cells: ``head``, ``cell`` and ``code``."""
    base = paragraph_styles()["value"]
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


def grid_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Flowable | list[Flowable]]],
    widths: Sequence[float],
) -> Table:
    """A table of records that may run over many pages, its header repeated on each page.

    A cell is a flowable or a list of them, stacked.
    """
    styles = grid_styles()
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
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE_GREY),
            ]
        )
    )
    return table


def a4_document(buffer: IO[bytes], *, bottom_margin: float, **metadata: str) -> SimpleDocTemplate:
    """An A4 document with our margins, written to ``buffer``.

    ``metadata`` (``title``, ``subject``, ``author``) goes into the PDF's properties.
    """
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=bottom_margin,
        creator="forwarder_insure",
        **metadata,
    )


def frame_size(doc: SimpleDocTemplate) -> tuple[float, float]:
    """The width and height that content may fill on one page of ``doc``."""
    # The default frame pads each side by 6 points; content must fit inside that padding.
    return doc.width - 12, doc.height - 12


def render_pdf(
    content: Callable[[float, float], list[Flowable]], *, title: str, subject: str, footer: str
) -> bytes:
    """An A4 PDF of ``content(width, height)``, each page footed with ``footer`` and its number.

    ``width`` and ``height`` are what one page's frame holds.
    """
    buffer = io.BytesIO()
    doc = a4_document(buffer, bottom_margin=18 * mm, title=title, subject=subject)
    # The built-in font draws only Latin-1; the footer is drawn straight on the canvas.
    footer = footer.encode("cp1252", "replace").decode("cp1252")

    def stamp(canvas, page_doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(_FOOTER_GREY)
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Page {page_doc.page}")
        canvas.restoreState()

    doc.build(content(*frame_size(doc)), onFirstPage=stamp, onLaterPages=stamp)
    return buffer.getvalue()
