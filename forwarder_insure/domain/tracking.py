"""What carrier events mean for a parcel, and when a silent parcel needs attention.

Events arrive late, twice and out of order, so a parcel's state is a pure function of the scans
seen so far: the last event time only ever moves forward, the status follows the latest scan,
and a delivered or returned parcel stays so whatever older news arrives. ``label_created`` is not
a carrier scan: the label exists, the carrier has not seen the parcel.

Tracking numbers: the warehouse prints the labels, so a number attached with a warehouse key (or
by ops staff, who act for it) is authoritative and confirmed; a seller's number is only the
seller's word until the warehouse attaches the same number. Scans are matched to confirmed
numbers only, so a seller can neither block nor take another parcel's scans. A cross-border
parcel changes carrier and number at the destination (Yanwen to USPS): its *last-mile* number
takes scans on the same terms, only once the warehouse (or a trusted feed) gave it and the main
number is itself confirmed (``last_mile_believed``).

A carrier event is news of the past: one dated further ahead of the time it reaches us than a
small allowance (clock skew between carrier systems) is refused on its own, so it can neither
freeze a parcel's deadlines far in the future nor overflow their arithmetic.

Deadlines: a parcel silent for its carrier's *silent period* gets an inquiry; one silent until
its *loss window* is presumed lost. Both are counted from the last scan, or from binding for a
parcel never scanned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from forwarder_insure.domain.access import Caller

EVENT_CODES = (
    "label_created",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "exception",
    "returned",
)
NOT_A_SCAN = frozenset({"label_created"})


class PackageStatus(StrEnum):
    """Where a parcel is, as its carrier scans tell it (or the sweep and ops conclude)."""

    AWAITING_PICKUP = "awaiting_pickup"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"
    PRESUMED_LOST = "presumed_lost"


class InquiryStatus(StrEnum):
    """An inquiry with the carrier: open, then presumed lost, until resolved or closed."""

    OPEN = "open"
    PRESUMED_LOST = "presumed_lost"
    RESOLVED = "resolved"  # the parcel moved, was delivered or was found
    CLOSED = "closed"  # the carrier confirmed the loss


class InquiryResolution(StrEnum):
    """How an inquiry ended."""

    MOVED = "moved"
    DELIVERED = "delivered"
    FOUND = "found"
    CONFIRMED_LOST = "confirmed_lost"


class CarrierOutcome(StrEnum):
    """What the carrier answered an inquiry, as ops record it."""

    FOUND = "found"  # resolves the inquiry
    CONFIRMED_LOST = "confirmed_lost"  # closes it; the parcel is lost
    NO_ANSWER = "no_answer"  # noted; the inquiry stays live


class TrackingSource(StrEnum):
    """Who attached a package's tracking number."""

    WAREHOUSE = "warehouse"  # authoritative: the warehouse prints the labels
    SELLER = "seller"  # the seller's word, until the warehouse confirms it


P = PackageStatus

#: The package status each carrier scan implies.
STATUS_FOR_SCAN = {
    "picked_up": P.IN_TRANSIT,
    "in_transit": P.IN_TRANSIT,
    "out_for_delivery": P.IN_TRANSIT,
    "delivered": P.DELIVERED,
    "exception": P.EXCEPTION,
    "returned": P.RETURNED,
}

#: Statuses no later event changes.
FINAL_STATUSES = frozenset({P.DELIVERED, P.RETURNED})

#: Inquiry statuses that are still being worked; a parcel has at most one such inquiry.
LIVE_INQUIRY_STATUSES = (InquiryStatus.OPEN, InquiryStatus.PRESUMED_LOST)

#: Statuses in which a silent parcel is watched by the sweep.
WATCHED_STATUSES = (P.AWAITING_PICKUP, P.IN_TRANSIT, P.EXCEPTION)


#: How far ahead of its arrival an event may be dated (carrier clocks drift); the default of
#: ``FI_TRACKING_MAX_FUTURE``.
DEFAULT_MAX_FUTURE = timedelta(days=1)

#: The latest instant a deadline can name: later ones (never reached) are held here.
LATEST = datetime.max.replace(tzinfo=UTC)


def tracking_source(caller: Caller) -> TrackingSource:
    """Whose word a tracking number is: a seller's own, or the warehouse's (authoritative)."""
    return TrackingSource.SELLER if caller.is_seller else TrackingSource.WAREHOUSE


def last_mile_believed(source: TrackingSource, main_confirmed: bool) -> bool:
    """Whether a last-mile number takes the parcel's scans: only the warehouse's word (ops, or a
    provider feed we run, count as it), and only on a parcel whose main number the warehouse
    confirmed, so nobody reaches another parcel's scans through a number it chose itself."""
    return source == TrackingSource.WAREHOUSE and main_confirmed


def too_far_ahead(occurred_at: datetime, now: datetime, allowance: timedelta) -> bool:
    """Whether an event claims to have happened more than ``allowance`` after ``now``."""
    try:
        return occurred_at > now + allowance
    except OverflowError:  # ``now`` itself is at the end of the calendar
        return False


@dataclass(frozen=True)
class Scan:
    occurred_at: datetime
    code: str


@dataclass(frozen=True)
class ParcelState:
    status: str
    last_event_at: datetime | None
    first_scan_at: datetime | None


def apply_scans(state: ParcelState, scans: Iterable[Scan]) -> ParcelState:
    """The parcel's state after ``scans`` (in any order; non-scans are ignored)."""
    real = sorted((s for s in scans if s.code not in NOT_A_SCAN), key=lambda s: s.occurred_at)
    if not real:
        return state
    newest, oldest = real[-1], real[0]
    first = state.first_scan_at
    if first is None or oldest.occurred_at < first:
        first = oldest.occurred_at
    if state.last_event_at is not None and newest.occurred_at <= state.last_event_at:
        # Nothing newer than what we knew: only the first scan time can change.
        return replace(state, first_scan_at=first)
    status = state.status if state.status in FINAL_STATUSES else STATUS_FOR_SCAN[newest.code]
    return ParcelState(status=status, last_event_at=newest.occurred_at, first_scan_at=first)


@dataclass(frozen=True)
class Deadlines:
    """When the sweep should open an inquiry, and when the parcel counts as lost."""

    inquiry_due_at: datetime | None
    loss_due_at: datetime | None


def silent_since(last_event_at: datetime | None, bound_at: datetime) -> datetime:
    """Since when a parcel has been silent: its last carrier event, or its binding if none."""
    return last_event_at or bound_at


def deadlines(
    status: str,
    last_event_at: datetime | None,
    bound_at: datetime,
    silent_period: timedelta,
    loss_window: timedelta,
) -> Deadlines:
    """Deadlines for a parcel in ``status``; none once it is delivered, returned or lost."""
    if status not in WATCHED_STATUSES:
        return Deadlines(None, None)
    since = silent_since(last_event_at, bound_at)
    return Deadlines(_after(since, silent_period), _after(since, loss_window))


def _after(since: datetime, period: timedelta) -> datetime:
    """``since + period``, held at ``LATEST`` where the calendar ends (year 9999)."""
    try:
        return since + period
    except OverflowError:
        return LATEST


def moved_since(last_known: datetime | None, state: ParcelState) -> bool:
    """Whether the parcel has news newer than ``last_known`` (what an inquiry was opened on)."""
    if state.last_event_at is None:
        return False
    return last_known is None or state.last_event_at > last_known
