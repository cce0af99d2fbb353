"""Coverages: binding a quote, attaching the tracking number, voiding, reading.

Binding honours the quoted premium exactly, issues the certificate number, freezes the exchange
rate when the underwriter settles in another currency, books the premium in the ledger and
announces ``coverage.bound`` — all in the caller's one transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from forwarder_insure.db.models import (
    Claim,
    Coverage,
    LedgerTransaction,
    TrackingEvent,
    Underwriter,
)
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
    last_mile_believed,
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
    if tracking is not None and source == TrackingSource.WAREHOUSE:
        _refuse_last_mile_holder(session, coverage.carrier, tracking)
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

    if confirms:
        _refuse_last_mile_holder(session, coverage.carrier, tracking)
    _guarded(session, change, coverage.carrier, tracking)
    _announce(session, "coverage.tracking_attached", coverage, caller, now)
    if confirms:
        tracking_service.apply_waiting_events(session, coverage, now, caller)
        # A last-mile number the warehouse gave earlier counts from now on.
        _confirm_last_mile(session, coverage, caller, now)
    return coverage


def attach_numbers(
    session: Session,
    caller: Caller,
    coverage_id: str,
    *,
    carrier: str | None,
    tracking_number: str | None,
    last_mile_carrier: str | None,
    last_mile_tracking_number: str | None,
    now: datetime,
) -> Coverage:
    """``PATCH /coverages/{id}``: the label's number, then the last-mile one, either or both."""
    coverage = attach_tracking(
        session, caller, coverage_id, carrier=carrier, tracking_number=tracking_number, now=now
    )
    if last_mile_carrier is not None and last_mile_tracking_number is not None:
        coverage = attach_last_mile(
            session, caller, coverage_id, last_mile_carrier, last_mile_tracking_number, now
        )
    return coverage


def attach_last_mile(
    session: Session,
    caller: Caller,
    coverage_id: str,
    carrier: str,
    number: str,
    now: datetime,
) -> Coverage:
    """Record the destination carrier's number of a cross-border parcel (Yanwen hands it to
    USPS): from then on scans on either number apply to the parcel.

    For the API's PATCH and for provider feeds (call it with ``SYSTEM``, whose word counts as the
    warehouse's). Authority as for the main number (``domain/tracking.last_mile_believed``): the
    number takes scans only if the warehouse, ops or a feed gave it *and* the main number is
    warehouse-confirmed; a seller's last-mile number is kept unconfirmed, never collides with
    anything and takes no scans. A confirmed last-mile number is unique among live packages'
    confirmed last-mile numbers (index) and main numbers (checked here under an advisory lock on
    the number): 409 ``last_mile_number_in_use``. Scans that arrived before it counted apply
    when it does. A seller cannot change a confirmed last-mile number, and nobody can change one
    that has taken scans (409).
    """
    check(caller, Action.ATTACH_TRACKING)
    coverage = get_coverage(session, caller, coverage_id, for_update=True)
    if coverage.status != CoverageStatus.ACTIVE:
        raise Conflict("a voided coverage cannot be changed", code="coverage_voided")
    tracking = normalise_tracking_number(number)
    source = tracking_source(caller)
    if (carrier, tracking) == (coverage.carrier, coverage.tracking_number):
        raise Invalid(
            "the last-mile number is this parcel's own tracking number",
            code="last_mile_same_as_tracking_number",
        )
    same = (carrier, tracking) == (coverage.last_mile_carrier, coverage.last_mile_tracking_number)
    if same and (source == coverage.last_mile_source or source == TrackingSource.SELLER):
        return coverage
    if not same and coverage.last_mile_tracking_number is not None:
        if coverage.last_mile_confirmed and source == TrackingSource.SELLER:
            raise Conflict(
                "the parcel's last-mile number is confirmed; only the warehouse can change it",
                code="last_mile_number_confirmed",
            )
        if _last_mile_scanned(session, coverage):
            raise Conflict(
                "the parcel has already been scanned under its last-mile number",
                code="already_scanned",
            )

    def change() -> None:
        coverage.last_mile_carrier = carrier
        coverage.last_mile_tracking_number = tracking
        coverage.last_mile_source = source
        coverage.last_mile_confirmed_at = None

    _guarded(session, change, carrier, tracking)
    _confirm_last_mile(session, coverage, caller, now)
    _announce(session, "coverage.last_mile_attached", coverage, caller, now)
    return coverage


def _confirm_last_mile(session: Session, coverage: Coverage, caller: Caller, now: datetime) -> None:
    """Let the parcel's last-mile number take scans if it now counts, and apply those waiting."""
    carrier, number = coverage.last_mile_carrier, coverage.last_mile_tracking_number
    if carrier is None or number is None or coverage.last_mile_confirmed:
        return
    source = TrackingSource(coverage.last_mile_source or TrackingSource.SELLER)
    if not last_mile_believed(source, coverage.tracking_confirmed):
        return
    _lock_number(session, carrier, number)
    holder = session.scalars(
        select(Coverage.id).where(
            Coverage.carrier == carrier,
            Coverage.tracking_number == number,
            Coverage.status == CoverageStatus.ACTIVE,
            Coverage.tracking_confirmed_at.is_not(None),
            Coverage.id != coverage.id,
        )
    ).first()
    if holder is not None:
        raise _last_mile_in_use(carrier, number)

    def confirm() -> None:
        coverage.last_mile_confirmed_at = now

    _guarded(session, confirm, carrier, number)
    tracking_service.apply_waiting_events(session, coverage, now, caller, last_mile=True)


def _refuse_last_mile_holder(session: Session, carrier: str, number: str) -> None:
    """A number a live package (another, or this one) confirmed as its last-mile number cannot be
    confirmed as a main number (409 ``tracking_number_in_use``), checked under the number's
    advisory lock."""
    _lock_number(session, carrier, number)
    holder = session.scalars(
        select(Coverage.id).where(
            Coverage.last_mile_carrier == carrier,
            Coverage.last_mile_tracking_number == number,
            Coverage.status == CoverageStatus.ACTIVE,
            Coverage.last_mile_confirmed_at.is_not(None),
        )
    ).first()
    if holder is not None:
        raise Conflict(
            f"tracking number {number} is already a {carrier} package's last-mile number",
            code="tracking_number_in_use",
        )


def _lock_number(session: Session, carrier: str, number: str) -> None:
    """Serialise, until commit, every confirmation of one (carrier, number) as a main or a
    last-mile number: the two unique indexes each see one column pair, so the check across them
    needs this lock (PostgreSQL; SQLite runs one writer at a time anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"tracking-number\x00{carrier}\x00{number}".encode()).digest()
    session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], signed=True))))


def _last_mile_scanned(session: Session, coverage: Coverage) -> bool:
    return (
        session.scalars(
            select(TrackingEvent.id)
            .where(
                TrackingEvent.coverage_id == coverage.id,
                TrackingEvent.carrier == coverage.last_mile_carrier,
                TrackingEvent.tracking_number == coverage.last_mile_tracking_number,
            )
            .limit(1)
        ).first()
        is not None
    )


def _last_mile_in_use(carrier: str, number: str) -> Conflict:
    return Conflict(
        f"{carrier} number {number} is already another package's tracking or last-mile number",
        code="last_mile_number_in_use",
    )


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
        if "last_mile" in message:
            raise _last_mile_in_use(carrier, tracking or "") from None
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
            "last_mile": coverage.last_mile,
        },
        actor=caller,
        now=now,
    )
