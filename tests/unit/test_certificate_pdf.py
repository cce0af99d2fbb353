"""Unit tests for forwarder_insure.documents.certificate_pdf: a readable one-page certificate."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta, timezone

import pypdf
import pytest

from forwarder_insure.documents.certificate_pdf import CertificateData, render_certificate_pdf
from forwarder_insure.domain.money import Money

NUMBER = "FI-7K3M-Q9XD-2HWP-6"
ISSUED = datetime(2026, 11, 21, 10, 30, 15, tzinfo=UTC)


def certificate(**changes) -> CertificateData:
    data = CertificateData(
        certificate_number=NUMBER,
        status="active",
        seller_id="sel_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B",
        seller_name="Blue Harbour Trading Ltd",
        order_reference="ORD-2026-0042",
        package_reference="PKG-7731",
        carrier="DHL",
        service="Express Worldwide",
        tracking_number="1Z999AA10123456784",
        origin_country="CN",
        destination_country="US",
        category="electronics",
        insured_value=Money.of("250.00", "USD"),
        premium=Money.of("4.38", "USD"),
        deductible=Money.of("25.00", "USD"),
        carrier_base_cover=None,
        underwriter_name="Northwind Marine Underwriters plc",
        underwriter_licence="FCA-204518",
        underwriter_jurisdictions=("GB", "IE"),
        issued_at=ISSUED,
        voided_at=None,
        rate_card_version="2026.11.1",
        verification_url="https://insure.example.com/verify/FI-7K3M-Q9XD-2HWP-6",
    )
    return dataclasses.replace(data, **changes)


def render(data: CertificateData) -> tuple[bytes, pypdf.PdfReader]:
    pdf = render_certificate_pdf(data)
    return pdf, pypdf.PdfReader(io.BytesIO(pdf))


def page_text(data: CertificateData) -> str:
    _, reader = render(data)
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def flat(text: str) -> str:
    """Extracted text with line breaks from wrapping folded into single spaces."""
    return " ".join(text.split())


def test_renders_a_single_page_pdf():
    pdf, reader = render(certificate())
    assert pdf.startswith(b"%PDF")
    assert len(reader.pages) == 1


def test_page_is_a4():
    _, reader = render(certificate())
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_pdf_metadata_names_the_certificate_and_underwriter():
    _, reader = render(certificate())
    assert reader.metadata.title == f"Certificate of Shipment Insurance {NUMBER}"
    assert reader.metadata.author == "Northwind Marine Underwriters plc"


def test_text_shows_everything_a_reader_needs_to_rely_on_the_cover():
    text = page_text(certificate())
    assert "Certificate of Shipment Insurance" in text
    assert NUMBER in text
    assert "Blue Harbour Trading Ltd" in text
    assert "sel_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B" in text
    assert "ORD-2026-0042" in text
    assert "PKG-7731" in text
    assert "DHL" in text
    assert "Express Worldwide" in text
    assert "1Z999AA10123456784" in text
    assert "CN → US" in text
    assert "electronics" in text
    assert "250.00 USD" in text
    assert "4.38 USD" in text
    assert "25.00 USD" in text
    assert "Northwind Marine Underwriters plc" in text
    assert "FCA-204518" in text
    assert "GB, IE" in text
    assert "2026-11-21T10:30:15Z" in text
    assert "2026.11.1" in text
    assert "Verify this certificate at https://insure.example.com/verify/FI-7K3M-Q9XD-2HWP-6" in (
        flat(text)
    )


def test_active_certificate_is_not_marked_void():
    text = page_text(certificate())
    assert "ACTIVE" in text
    assert "VOID" not in text


def test_voided_certificate_is_marked_void_with_the_void_time():
    voided_at = datetime(2026, 11, 22, 8, 5, tzinfo=UTC)
    text = page_text(certificate(status="voided", voided_at=voided_at))
    assert "VOID" in text
    assert "2026-11-22T08:05:00Z" in text
    assert "ACTIVE" not in text


def test_times_are_printed_in_utc_with_z_and_without_fractions():
    issued = datetime(2026, 11, 21, 18, 30, 15, 987654, tzinfo=timezone(timedelta(hours=8)))
    text = page_text(certificate(issued_at=issued))
    assert "2026-11-21T10:30:15Z" in text
    assert "+08:00" not in text


def test_missing_tracking_number_is_to_be_attached():
    text = page_text(certificate(tracking_number=None))
    assert "to be attached" in text.lower()


def test_carrier_base_cover_is_shown_with_the_underwriter_covering_the_excess():
    text = flat(page_text(certificate(carrier_base_cover=Money.of("100", "USD"))))
    assert "100.00 USD" in text
    assert "underwriter covers the excess" in text


def test_without_carrier_base_cover_there_is_no_base_cover_line():
    assert "Carrier base cover" not in page_text(certificate())


def test_yen_amounts_print_without_decimals():
    text = page_text(
        certificate(
            insured_value=Money.of(30000, "JPY"),
            premium=Money.of(450, "JPY"),
            deductible=Money.of(0, "JPY"),
        )
    )
    assert "30000 JPY" in text
    assert "450 JPY" in text
    assert "30000.00" not in text


def test_missing_seller_name_falls_back_to_the_seller_id():
    text = page_text(certificate(seller_name=None))
    assert "sel_01JD3Q9W8Z5C7T1V2X3Y4Z5A6B" in text
    assert "None" not in text


def test_markup_characters_in_names_are_printed_literally():
    text = page_text(certificate(seller_name='Smith & <Sons> "Trading" Co', category="a<b>c"))
    assert 'Smith & <Sons> "Trading" Co' in text
    assert "a<b>c" in text


def test_chinese_seller_name_is_kept_as_text():
    text = page_text(certificate(seller_name="深圳市蓝港贸易有限公司 (Blue Harbour)"))
    assert "深圳市蓝港贸易有限公司" in text


@pytest.mark.parametrize(
    "seller_name",
    [
        "Blue Harbour International Cross-Border E-Commerce Trading and Logistics Company " * 12,
        "X" * 800,
        "深圳市蓝港国际跨境电子商务贸易有限公司" * 30,
    ],
    ids=["many-words", "one-long-word", "chinese"],
)
def test_very_long_seller_name_still_fits_on_one_page(seller_name):
    text = page_text(
        certificate(
            seller_name=seller_name,
            underwriter_name="Northwind Marine and General Underwriting Syndicate " * 5,
            underwriter_jurisdictions=tuple(f"Jurisdiction {i}" for i in range(40)),
        )
    )
    assert NUMBER in text
    assert "Verify this certificate at" in text


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "cancelled"},
        {"status": "voided"},
        {"voided_at": datetime(2026, 11, 22, tzinfo=UTC)},
        {"issued_at": datetime(2026, 11, 21, 10, 30)},  # noqa: DTZ001 - deliberately naive
    ],
    ids=["unknown-status", "voided-without-time", "active-with-void-time", "naive-issue-time"],
)
def test_inconsistent_certificate_data_is_refused(changes):
    with pytest.raises(ValueError, match=r"status|voided_at|timezone"):
        certificate(**changes)
