"""Coverages: binding a quote, attaching the tracking number, voiding, reading.

Binding honours the quoted premium exactly, issues the certificate number, freezes the exchange
rate when the underwriter settles in another currency, books the premium in the ledger and
announces ``coverage.bound`` — all in the caller's one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from forwarder_insure.db.models import Claim, Coverage, LedgerTransaction, Underwriter
from forwarder_insure.domain.access import Caller
from forwarder_insure.domain.carriers import CarrierProfiles
from forwarder_insure.domain.certificates import new_certificate_number
from forwarder_insure.domain.claims import NOT_FINAL
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.errors import Conflict, Forbidden, Invalid
from forwarder_insure.domain.ids import new_id
from forwarder_insure.domain.ledger import Account, Posting, premium_booking, reversal
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.permissions import Action, check
from forwarder_insure.domain.rate_card import RateCard
from forwarder_insure.domain.tracking import (
    PackageStatus,
    TrackingSource,
    deadlines,
    tracking_source,
)
from forwarder_insure.services import exchange_rates, ledger
from forwarder_insure.services import tracking as tracking_service
from forwarder_insure.services.events import emit
from forwarder_insure.services.pagination import Page, page
from forwarder_insure.services.quote_tokens import QuoteSigner
from forwarder_insure.services.scope import get_visible, list_visible
from forwarder_insure.services.sellers import ensure_seller

TRACKING_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,63}$")
PREMIUM_BOOKED = "premium_booked"
PREMIUM_REFUNDED = "premium_refunded"


def normalise_tracking_number(value: str) -> str:
    normalised = re.sub(r"\s+", "", value or "").upper()
    if not TRACKING_NUMBER.match(normalised):
        raise Invalid(
            f"{value!r} is not a tracking number (4-64 letters, digits or '-')",
            code="invalid_tracking_number",
        )
    return normalised


@dataclass(frozen=True)
class BindRequest:
    quote_token: str
    order_reference: str
    carrier: str | None = None
    tracking_number: str | None = None


def bind(
    session: Session,
    caller: Caller,
    request: BindRequest,
    *,
    signer: QuoteSigner,
    card: RateCard,
    carriers: CarrierProfiles,
    now: datetime,
) -> Coverage:
    """Turn a quote token into an active coverage (one token binds at most one coverage)."""
    check(caller, Action.BIND_COVERAGE)
    terms = signer.verify(request.quote_token, now)
    if caller.is_seller and caller.seller_id != terms.seller_id:
        raise Forbidden("this quote was made for another seller", code="quote_for_another_seller")
    package = terms.package
    if request.carrier is not None and request.carrier != package.carrier:
        raise Invalid(
            f"the quote priced carrier {package.carrier}; quote again for {request.carrier}",
            code="carrier_differs_from_quote",
        )
    tracking = (
        normalise_tracking_number(request.tracking_number) if request.tracking_number else None
    )
    source = tracking_source(caller) if tracking else None
    _refuse_rebinding(session, terms.quote_id)
    underwriter = session.get(Underwriter, terms.underwriter_id)
    if underwriter is None or not underwriter.terms().is_active(now.date()):
        raise Invalid(
            "the quoted underwriter no longer takes new business; ask for a new quote",
            code="underwriter_unavailable",
        )
    ensure_seller(session, terms.seller_id, now)

    fx_rate, fx_date = None, None
    insured_uw, premium_uw = terms.insured_value, terms.premium
    if underwriter.currency != package.declared_value.currency:
        rate = exchange_rates.rate_on(
            session, package.declared_value.currency, underwriter.currency, now.date()
        )
        if rate is None:
            raise Invalid(
                f"no exchange rate from {package.declared_value.currency} to "
                f"{underwriter.currency} is on file for {now.date().isoformat()}",
                code="no_exchange_rate",
            )
        fx_rate, fx_date = rate.rate, rate.effective_date
        insured_uw = _convert(terms.insured_value, fx_rate, underwriter.currency)
        premium_uw = _convert(terms.premium, fx_rate, underwriter.currency)

    lane = carriers.for_parcel(
        package.carrier, package.service, package.origin_country, package.destination_country
    )
    due = deadlines(PackageStatus.AWAITING_PICKUP, None, now, lane.silent_period, lane.loss_window)
    coverage = Coverage(
        id=new_id("cov"),
        quote_id=terms.quote_id,
        certificate_number=new_certificate_number(),
        status=CoverageStatus.ACTIVE,
        seller_id=terms.seller_id,
        order_reference=request.order_reference,
        package_reference=package.reference,
        carrier=package.carrier,
        service=package.service,
        tracking_number=tracking,
        tracking_source=source,
        tracking_confirmed_at=now if source == TrackingSource.WAREHOUSE else None,
        origin_country=package.origin_country,
        destination_country=package.destination_country,
        category=package.category,
        weight_grams=int((package.weight_kg * 1000).to_integral_value()),
        package_status=PackageStatus.AWAITING_PICKUP,
        silent_period_days=lane.silent_period.days,
        loss_window_days=lane.loss_window.days,
        inquiry_due_at=due.inquiry_due_at,
        loss_due_at=due.loss_due_at,
        currency=package.declared_value.currency,
        declared_minor=package.declared_value.minor,
        insured_minor=terms.insured_value.minor,
        premium_minor=terms.premium.minor,
        deductible_minor=terms.deductible.minor,
        base_cover_minor=terms.carrier_base_cover.minor if terms.carrier_base_cover else None,
        underwriter_id=underwriter.id,
        underwriter_currency=underwriter.currency,
        fx_rate=fx_rate,
        fx_rate_date=fx_date,
        insured_underwriter_minor=insured_uw.minor,
        premium_underwriter_minor=premium_uw.minor,
        rate_card_version=terms.rate_card_version,
        bound_at=now,
    )
    _guarded(session, lambda: session.add(coverage), coverage.carrier, tracking)
    ledger.record(
        session,
        kind=PREMIUM_BOOKED,
        reference=coverage.id,
        postings=premium_booking(coverage.premium, card.commission_rate),
        now=now,
        memo=f"premium for certificate {coverage.certificate_number}",
    )
    _announce(session, "coverage.bound", coverage, caller, now)
    if coverage.tracking_confirmed:
        tracking_service.apply_waiting_events(session, coverage, now, caller)
    return coverage


def attach_tracking(
    session: Session,
    caller: Caller,
    coverage_id: str,
    *,
    carrier: str | None,
    tracking_number: str | None,
    now: datetime,
) -> Coverage:
    """Record the label's carrier and tracking number.

    The warehouse prints the labels, so its attach is authoritative: it confirms the number (the
    same number a seller attached, or a new one) and only then are the number's scans matched to
    the parcel; two live packages of one carrier cannot both hold a confirmed number (409). A
    seller's attach is the seller's word, kept unconfirmed: it never collides with another
    package's number, so its answer is the same whoever else uses the number, and it takes no
    scans until the warehouse confirms it. A seller cannot overwrite a confirmed number.
    """
    check(caller, Action.ATTACH_TRACKING)
    coverage = get_coverage(session, caller, coverage_id)
    if coverage.status != CoverageStatus.ACTIVE:
        raise Conflict("a voided coverage cannot be changed", code="coverage_voided")
    if carrier is not None and carrier != coverage.carrier:
        raise Invalid(
            f"the coverage was priced for carrier {coverage.carrier}; to ship with {carrier}, "
            "void it and quote again",
            code="carrier_differs_from_quote",
        )
    if tracking_number is None:
        return coverage
    tracking = normalise_tracking_number(tracking_number)
    source = tracking_source(caller)
    confirms = source == TrackingSource.WAREHOUSE
    if tracking == coverage.tracking_number and (coverage.tracking_confirmed or not confirms):
        return coverage
    if tracking != coverage.tracking_number:
        if coverage.tracking_confirmed and not confirms:
            raise Conflict(
                "the warehouse has confirmed this parcel's tracking number; "
                "only the warehouse can change it",
                code="tracking_number_confirmed",
            )
        if coverage.first_scan_at is not None:
            raise Conflict(
                "the parcel has already been scanned under its tracking number",
                code="already_scanned",
            )

    def change() -> None:
        coverage.tracking_number = tracking
        coverage.tracking_source = source
        coverage.tracking_confirmed_at = now if confirms else None

    _guarded(session, change, coverage.carrier, tracking)
    _announce(session, "coverage.tracking_attached", coverage, caller, now)
    if confirms:
        tracking_service.apply_waiting_events(session, coverage, now, caller)
    return coverage


def void(session: Session, caller: Caller, coverage_id: str, now: datetime) -> Coverage:
    """Cancel before the first carrier scan and while no claim on it is open, and refund the
    premium; voiding twice is harmless. (Filing a claim locks the coverage row too, so a claim
    filed at the same moment is either seen here or finds the coverage voided.)"""
    check(caller, Action.VOID_COVERAGE)
    coverage = get_coverage(session, caller, coverage_id, for_update=True)
    if coverage.status == CoverageStatus.VOIDED:
        return coverage
    if coverage.first_scan_at is not None:
        raise Conflict(
            "the carrier has scanned the parcel; a coverage in transit cannot be voided",
            code="already_scanned",
        )
    _refuse_void_under_open_claim(session, coverage)
    coverage.status = CoverageStatus.VOIDED
    coverage.voided_at = now
    booked = session.execute(
        select(LedgerTransaction).where(
            LedgerTransaction.kind == PREMIUM_BOOKED, LedgerTransaction.reference == coverage.id
        )
    ).scalar_one()
    ledger.record(
        session,
        kind=PREMIUM_REFUNDED,
        reference=coverage.id,
        postings=reversal(
            Posting(Account(p.account), Money.from_minor(p.amount_minor, p.currency))
            for p in booked.postings
        ),
        now=now,
        memo=f"void of certificate {coverage.certificate_number}",
    )
    session.flush()
    _announce(session, "coverage.voided", coverage, caller, now)
    return coverage


def _refuse_void_under_open_claim(session: Session, coverage: Coverage) -> None:
    open_claim = session.scalars(
        select(Claim.id)
        .where(
            Claim.coverage_id == coverage.id,
            Claim.status.in_([s.value for s in NOT_FINAL]),
        )
        .limit(1)
    ).first()
    if open_claim is not None:
        raise Conflict(
            f"claim {open_claim} on this coverage is open; withdraw it or wait for its decision "
            "before voiding",
            code="claim_open",
            claim_id=open_claim,
        )


def get_coverage(
    session: Session, caller: Caller, coverage_id: str, *, for_update: bool = False
) -> Coverage:
    check(caller, Action.READ_COVERAGE)
    coverage = get_visible(session, Coverage, coverage_id, caller, "coverage")
    if for_update and session.get_bind().dialect.name == "postgresql":
        session.refresh(coverage, with_for_update=True)
    return coverage


def list_query(caller: Caller, *, status: str | None, seller_id: str | None) -> Select:
    """Coverages the caller may see, newest first."""
    check(caller, Action.READ_COVERAGE)
    return list_visible(Coverage, caller, status=status, seller_id=seller_id)


def list_page(
    session: Session,
    caller: Caller,
    *,
    status: str | None,
    seller_id: str | None,
    after: str | None,
    limit: int,
) -> Page:
    """A cursor page of the coverages the caller may see, newest first."""
    query = list_query(caller, status=status, seller_id=seller_id).options(
        selectinload(Coverage.underwriter)
    )
    return page(session, query, Coverage.id, after, limit)


def _refuse_rebinding(session: Session, quote_id: str) -> None:
    if session.execute(select(Coverage.id).where(Coverage.quote_id == quote_id)).first():
        raise Conflict(
            "this quote has already been bound; each quote binds one coverage",
            code="quote_already_bound",
        )


def _convert(amount: Money, rate: Decimal, currency: str) -> Money:
    return Money.rounded(amount.amount * rate, currency)


def _guarded(
    session: Session, change: Callable[[], None], carrier: str, tracking: str | None
) -> None:
    """Apply ``change`` and flush it in a savepoint, so a lost race on a unique key becomes a
    clean 409 and leaves the rest of the transaction usable. (The savepoint must open before the
    change: opening one flushes what is pending.)"""
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError as exc:
        message = str(exc.orig)
        if "tracking_number" in message:
            raise Conflict(
                f"tracking number {tracking} is already used by another {carrier} package",
                code="tracking_number_in_use",
            ) from None
        if "quote_id" in message:
            raise Conflict(
                "this quote has already been bound; each quote binds one coverage",
                code="quote_already_bound",
            ) from None
        raise


def _announce(
    session: Session, event: str, coverage: Coverage, caller: Caller, now: datetime
) -> None:
    emit(
        session,
        event,
        subject_type="coverage",
        subject_id=coverage.id,
        seller_id=coverage.seller_id,
        data={
            "coverage_id": coverage.id,
            "certificate_number": coverage.certificate_number,
            "status": coverage.status,
            "order_reference": coverage.order_reference,
            "package_reference": coverage.package_reference,
            "carrier": coverage.carrier,
            "tracking_number": coverage.tracking_number,
            "tracking_confirmed": coverage.tracking_confirmed,
        },
        actor=caller,
        now=now,
    )
