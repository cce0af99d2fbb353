"""A coverage: one insured package, from binding to the end of its journey.

The package's own facts (carrier, tracking number, tracking status) live on the same row: a
package is insured at most once at a time, and the sweep reads both together.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forwarder_insure.db.base import Base, DecimalText, equals, in_list
from forwarder_insure.db.models.underwriting import Underwriter
from forwarder_insure.domain.coverages import CoverageStatus
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.tracking import PackageStatus, TrackingSource

#: Live packages whose number the warehouse confirmed: the only numbers scans are matched to.
CONFIRMED_TRACKING = (
    f"{equals('status', CoverageStatus.ACTIVE)} "
    "AND tracking_number IS NOT NULL AND tracking_confirmed_at IS NOT NULL"
)

#: Live packages whose last-mile number counts (``domain/tracking.last_mile_believed``).
CONFIRMED_LAST_MILE = (
    f"{equals('status', CoverageStatus.ACTIVE)} "
    "AND last_mile_tracking_number IS NOT NULL AND last_mile_confirmed_at IS NOT NULL"
)


class Coverage(Base):
    __tablename__ = "coverages"
    __table_args__ = (
        CheckConstraint(in_list("status", CoverageStatus), name="status_known"),
        CheckConstraint(in_list("package_status", PackageStatus), name="package_status_known"),
        CheckConstraint("premium_minor >= 0 AND insured_minor > 0", name="amounts_positive"),
        CheckConstraint(in_list("tracking_source", TrackingSource), name="tracking_source_known"),
        # One live coverage per warehouse-confirmed carrier tracking number; a voided one frees
        # the number. A seller's unconfirmed number is outside it: it never blocks the label's.
        Index(
            "uq_coverages_active_tracking_number",
            "carrier",
            "tracking_number",
            unique=True,
            sqlite_where=text(CONFIRMED_TRACKING),
            postgresql_where=text(CONFIRMED_TRACKING),
        ),
        CheckConstraint(in_list("last_mile_source", TrackingSource), name="last_mile_source_known"),
        # The same for last-mile numbers (a number cannot be both one package's main number and
        # another's last-mile one: services/coverages checks that under an advisory lock).
        Index(
            "uq_coverages_active_last_mile_number",
            "last_mile_carrier",
            "last_mile_tracking_number",
            unique=True,
            sqlite_where=text(CONFIRMED_LAST_MILE),
            postgresql_where=text(CONFIRMED_LAST_MILE),
        ),
        Index("ix_coverages_seller_id_id", "seller_id", "id"),
        # The sweep reads only parcels whose inquiry is due: a small slice of a large table.
        Index(
            "ix_coverages_inquiry_due_at",
            "inquiry_due_at",
            sqlite_where=text("inquiry_due_at IS NOT NULL"),
            postgresql_where=text("inquiry_due_at IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The quote this coverage was bound from: one quote token binds at most one coverage.
    quote_id: Mapped[str] = mapped_column(String(40), unique=True)
    certificate_number: Mapped[str] = mapped_column(String(24), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"))
    order_reference: Mapped[str] = mapped_column(String(100))

    package_reference: Mapped[str] = mapped_column(String(100))
    carrier: Mapped[str] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(String(48))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    #: Who attached the number: ``warehouse`` (labels are printed there) or ``seller``.
    tracking_source: Mapped[str | None] = mapped_column(String(16))
    #: When the warehouse attached or confirmed the number; until then no scan is matched to it.
    tracking_confirmed_at: Mapped[datetime | None]
    #: The destination carrier's number, where the parcel changes hands (Yanwen to USPS).
    last_mile_carrier: Mapped[str | None] = mapped_column(String(32))
    last_mile_tracking_number: Mapped[str | None] = mapped_column(String(64))
    #: Who gave the last-mile number (``warehouse`` also for ops and provider feeds).
    last_mile_source: Mapped[str | None] = mapped_column(String(16))
    #: When the last-mile number began to take scans (``domain/tracking.last_mile_believed``).
    last_mile_confirmed_at: Mapped[datetime | None]
    origin_country: Mapped[str] = mapped_column(String(2))
    destination_country: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(48))
    weight_grams: Mapped[int] = mapped_column(Integer)
    package_status: Mapped[str] = mapped_column(String(20))
    last_event_at: Mapped[datetime | None]
    first_scan_at: Mapped[datetime | None]
    #: The carrier profile's silent period and loss window, frozen at binding.
    silent_period_days: Mapped[int] = mapped_column(Integer)
    loss_window_days: Mapped[int] = mapped_column(Integer)
    #: When the sweep should open an inquiry (None: not watched, or one is open).
    inquiry_due_at: Mapped[datetime | None]
    #: When a silent parcel counts as lost.
    loss_due_at: Mapped[datetime | None]

    #: Every amount below is in ``currency``, the declared value's currency.
    currency: Mapped[str] = mapped_column(String(3))
    declared_minor: Mapped[int] = mapped_column(BigInteger)
    insured_minor: Mapped[int] = mapped_column(BigInteger)
    premium_minor: Mapped[int] = mapped_column(BigInteger)
    deductible_minor: Mapped[int] = mapped_column(BigInteger)
    base_cover_minor: Mapped[int | None] = mapped_column(BigInteger)

    underwriter_id: Mapped[str] = mapped_column(ForeignKey("underwriters.id"), index=True)
    #: The underwriter's currency and, when it differs, the rate frozen at binding.
    underwriter_currency: Mapped[str] = mapped_column(String(3))
    fx_rate: Mapped[Decimal | None] = mapped_column(DecimalText)
    fx_rate_date: Mapped[date | None] = mapped_column(Date)
    insured_underwriter_minor: Mapped[int] = mapped_column(BigInteger)
    premium_underwriter_minor: Mapped[int] = mapped_column(BigInteger)

    rate_card_version: Mapped[str] = mapped_column(String(32))
    bound_at: Mapped[datetime]
    voided_at: Mapped[datetime | None]

    underwriter: Mapped[Underwriter] = relationship()

    @property
    def tracking_confirmed(self) -> bool:
        return self.tracking_number is not None and self.tracking_confirmed_at is not None

    @property
    def last_mile_confirmed(self) -> bool:
        return (
            self.last_mile_tracking_number is not None and self.last_mile_confirmed_at is not None
        )

    @property
    def last_mile(self) -> dict[str, object] | None:
        """The last-mile leg as the API shows it, or None."""
        if self.last_mile_tracking_number is None:
            return None
        return {
            "carrier": self.last_mile_carrier,
            "tracking_number": self.last_mile_tracking_number,
            "confirmed": self.last_mile_confirmed,
        }

    def _money(self, minor: int, currency: str | None = None) -> Money:
        return Money.from_minor(minor, currency or self.currency)

    @property
    def declared_value(self) -> Money:
        return self._money(self.declared_minor)

    @property
    def insured_value(self) -> Money:
        return self._money(self.insured_minor)

    @property
    def premium(self) -> Money:
        return self._money(self.premium_minor)

    @property
    def deductible(self) -> Money:
        return self._money(self.deductible_minor)

    @property
    def carrier_base_cover(self) -> Money | None:
        return None if self.base_cover_minor is None else self._money(self.base_cover_minor)

    @property
    def insured_value_underwriter(self) -> Money:
        return self._money(self.insured_underwriter_minor, self.underwriter_currency)

    @property
    def premium_underwriter(self) -> Money:
        return self._money(self.premium_underwriter_minor, self.underwriter_currency)
