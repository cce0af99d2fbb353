"""Certificates: the PDF a seller keeps, and the public check anyone can make.

The public check reveals nothing about the seller: only whether the number is genuine, its
status, the underwriter and the insured value. A malformed or altered number is refused by its
check character before the database is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forwarder_insure.db.models import Coverage, Seller, Underwriter
from forwarder_insure.documents.certificate_pdf import CertificateData, render_certificate_pdf
from forwarder_insure.domain.certificates import (
    is_valid_certificate_number,
    normalise_certificate_number,
)
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.errors import NotFound
from forwarder_insure.domain.money import Money


@dataclass(frozen=True)
class PublicCertificate:
    certificate_number: str
    valid: bool
    status: str
    underwriter: Underwriter
    insured_value: Money
    issued_at: datetime
    voided_at: datetime | None


def verification_url(public_url: str, certificate_number: str) -> str:
    return f"{public_url}/api/v1/certificates/{certificate_number}"


def verify(session: Session, number: str) -> PublicCertificate:
    """What the public may know of a certificate; NotFound for unknown or altered numbers."""
    unknown = NotFound("no certificate with this number", code="certificate_not_found")
    try:
        canonical = normalise_certificate_number(number)
    except ValueError:
        raise unknown from None
    if not is_valid_certificate_number(canonical):
        raise unknown
    coverage = session.execute(
        select(Coverage).where(Coverage.certificate_number == canonical)
    ).scalar_one_or_none()
    if coverage is None:
        raise unknown
    return PublicCertificate(
        certificate_number=coverage.certificate_number,
        valid=coverage.status == CoverageStatus.ACTIVE,
        status=coverage.status,
        underwriter=session.get_one(Underwriter, coverage.underwriter_id),
        insured_value=coverage.insured_value,
        issued_at=coverage.bound_at,
        voided_at=coverage.voided_at,
    )


def certificate_pdf(session: Session, coverage: Coverage, public_url: str) -> bytes:
    underwriter = session.get_one(Underwriter, coverage.underwriter_id)
    seller = session.get(Seller, coverage.seller_id)
    return render_certificate_pdf(
        CertificateData(
            certificate_number=coverage.certificate_number,
            status=coverage.status,
            seller_id=coverage.seller_id,
            seller_name=seller.name if seller else None,
            order_reference=coverage.order_reference,
            package_reference=coverage.package_reference,
            carrier=coverage.carrier,
            service=coverage.service,
            tracking_number=coverage.tracking_number,
            origin_country=coverage.origin_country,
            destination_country=coverage.destination_country,
            category=coverage.category,
            insured_value=coverage.insured_value,
            premium=coverage.premium,
            deductible=coverage.deductible,
            carrier_base_cover=coverage.carrier_base_cover,
            underwriter_name=underwriter.name,
            underwriter_licence=underwriter.licence_number,
            underwriter_jurisdictions=tuple(underwriter.jurisdictions),
            issued_at=coverage.bound_at,
            voided_at=coverage.voided_at,
            rate_card_version=coverage.rate_card_version,
            verification_url=verification_url(public_url, coverage.certificate_number),
        )
    )
