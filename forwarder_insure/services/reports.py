"""Bordereaux for underwriters and the loss-ratio summary, read straight from the books' sources.

An underwriter receives two monthly bordereaux: **premium** (each coverage bound in the month,
and each voided in it as a negative line) and **claims** (each claim on its coverages that was
open at some point of the month: submitted by its end and not closed before its start, with what
was paid, recovered and is still reserved). Amounts are in the coverage's currency with the
underwriter's currency and the rate frozen at binding beside them. Statuses are as of now, not as
of the month's end; a bordereau re-run for an old month shows the claim's latest status.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TextIO

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session, selectinload

from forwarder_insure.db.models import Claim, Coverage, Payout, Underwriter
from forwarder_insure.domain.claims import ENDED_UNPAID, ClaimStatus
from forwarder_insure.domain.clock import format_instant
from forwarder_insure.domain.errors import Invalid, NotFound
from forwarder_insure.domain.money import Money
from forwarder_insure.domain.payouts import PayoutStatus

PREMIUM_COLUMNS = (
    "certificate_number",
    "coverage_id",
    "transaction",
    "transaction_date",
    "bound_at",
    "voided_at",
    "seller_id",
    "origin_country",
    "destination_country",
    "carrier",
    "service",
    "tracking_number",
    "goods_category",
    "currency",
    "declared_value",
    "insured_value",
    "deductible",
    "premium",
    "underwriter_currency",
    "fx_rate",
    "insured_value_underwriter",
    "premium_underwriter",
    "rate_card_version",
)
CLAIM_COLUMNS = (
    "certificate_number",
    "claim_id",
    "coverage_id",
    "claim_kind",
    "status",
    "filed_at",
    "submitted_at",
    "decided_at",
    "insurer_reference",
    "insurer_accepted_at",
    "settlement_due_at",
    "settled_at",
    "currency",
    "insured_value",
    "amount_claimed",
    "amount_approved",
    "paid",
    "recovered",
    "reserve",
)


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True)
class Month:
    """A calendar month in UTC: ``[start, end)``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` in ASCII digits, a month whose start and end are both instants Python
        can hold (so 0001-01 to 9999-11)."""
        match = _MONTH.fullmatch(text)
        try:
            if match is None:
                raise ValueError(text)
            year, month = int(match[1]), int(match[2])
            date(year, month, 1)
            parsed = cls(year, month)
            parsed.end  # noqa: B018 (9999-12 ends in a year datetime cannot hold)
        except (ValueError, OverflowError):
            raise Invalid(f"{text!r} is not a month like 2026-11", code="invalid_month") from None
        return parsed

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        following = Month(self.year + self.month // 12, self.month % 12 + 1)
        return following.start

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def premium_bordereau(session: Session, underwriter_id: str, month: Month) -> Iterator[dict]:
    """One line per coverage bound in the month, and a negative line per coverage voided in it."""
    _underwriter(session, underwriter_id)
    coverages = session.scalars(
        select(Coverage)
        .where(
            Coverage.underwriter_id == underwriter_id,
            or_(_within(Coverage.bound_at, month), _within(Coverage.voided_at, month)),
        )
        .order_by(Coverage.bound_at, Coverage.id)
        .execution_options(yield_per=1000)
    )
    for coverage in coverages:
        if month.start <= coverage.bound_at < month.end:
            yield _premium_line(coverage, "bound", coverage.bound_at, 1)
        if coverage.voided_at is not None and month.start <= coverage.voided_at < month.end:
            yield _premium_line(coverage, "voided", coverage.voided_at, -1)


def claims_bordereau(session: Session, underwriter_id: str, month: Month) -> Iterator[dict]:
    """Every claim on the underwriter's coverages open at some point of the month."""
    _underwriter(session, underwriter_id)
    closed_before = and_(
        Claim.decided_at.is_not(None),
        Claim.decided_at < month.start,
        Claim.status.in_([s.value for s in ENDED_UNPAID]),
    )
    settled_before = and_(Claim.settled_at.is_not(None), Claim.settled_at < month.start)
    rows = session.execute(
        select(Claim, Coverage)
        .join(Coverage, Coverage.id == Claim.coverage_id)
        .where(
            Coverage.underwriter_id == underwriter_id,
            Claim.submitted_at < month.end,
            not_(or_(closed_before, settled_before)),
        )
        .order_by(Claim.submitted_at, Claim.id)
        .options(selectinload(Claim.payout))
    )
    for claim, coverage in rows:
        yield _claim_line(claim, coverage)


@dataclass(frozen=True)
class LossRatio:
    underwriter_id: str
    underwriter_name: str
    month: str
    currency: str
    premium_written: Money
    claims_incurred: Money
    claims_paid: Money

    @property
    def ratio(self) -> Decimal | None:
        if self.premium_written.amount <= 0:
            return None
        return (self.claims_incurred.amount / self.premium_written.amount).quantize(
            Decimal("0.0001")
        )


def loss_ratios(session: Session, month: Month) -> list[LossRatio]:
    """Per underwriter and currency: premium written in the month (bound less voided), claims
    incurred (amounts approved in the month on claims not since denied, withdrawn or lapsed
    unpaid) and claims paid (advances made in the month)."""
    premium: dict[tuple[str, str], Money] = {}
    incurred: dict[tuple[str, str], Money] = {}
    paid: dict[tuple[str, str], Money] = {}

    def add(table: dict[tuple[str, str], Money], key: tuple[str, str], amount: Money) -> None:
        table[key] = table[key] + amount if key in table else amount

    for coverage in session.scalars(
        select(Coverage).where(
            or_(_within(Coverage.bound_at, month), _within(Coverage.voided_at, month))
        )
    ):
        key = (coverage.underwriter_id, coverage.currency)
        if month.start <= coverage.bound_at < month.end:
            add(premium, key, coverage.premium)
        if coverage.voided_at is not None and month.start <= coverage.voided_at < month.end:
            add(premium, key, -coverage.premium)
    for claim, coverage in session.execute(
        select(Claim, Coverage)
        .join(Coverage, Coverage.id == Claim.coverage_id)
        .where(_within(Claim.decided_at, month), Claim.amount_approved_minor.is_not(None))
        .options(selectinload(Claim.payout))
    ):
        key = (coverage.underwriter_id, claim.currency)
        if ClaimStatus(claim.status) not in ENDED_UNPAID or claim.payout is not None:
            assert claim.amount_approved is not None  # selected for it
            add(incurred, key, claim.amount_approved)
    for payout, coverage in session.execute(
        select(Payout, Coverage)
        .join(Claim, Claim.id == Payout.claim_id)
        .join(Coverage, Coverage.id == Claim.coverage_id)
        .where(_within(Payout.advanced_at, month))
    ):
        add(paid, (coverage.underwriter_id, payout.currency), payout.amount)
    keys = sorted(set(premium) | set(incurred) | set(paid))
    names = {
        uw_id: name for uw_id, name in session.execute(select(Underwriter.id, Underwriter.name))
    }
    return [
        LossRatio(
            underwriter_id=uw,
            underwriter_name=names[uw],
            month=str(month),
            currency=currency,
            premium_written=premium.get((uw, currency)) or Money.zero(currency),
            claims_incurred=incurred.get((uw, currency)) or Money.zero(currency),
            claims_paid=paid.get((uw, currency)) or Money.zero(currency),
        )
        for uw, currency in keys
    ]


def _within(column, month: Month):
    return (column >= month.start) & (column < month.end)


def _underwriter(session: Session, underwriter_id: str) -> Underwriter:
    underwriter = session.get(Underwriter, underwriter_id)
    if underwriter is None:
        raise NotFound(f"no underwriter {underwriter_id}", code="underwriter_not_found")
    return underwriter


def _text(money: Money | None, sign: int = 1) -> str:
    if money is None:
        return ""
    return (money if sign > 0 else -money).amount_text


def _when(moment: datetime | None) -> str:
    return format_instant(moment) if moment is not None else ""


def _premium_line(coverage: Coverage, transaction: str, at: datetime, sign: int) -> dict:
    return {
        "certificate_number": coverage.certificate_number,
        "coverage_id": coverage.id,
        "transaction": transaction,
        "transaction_date": _when(at),
        "bound_at": _when(coverage.bound_at),
        "voided_at": _when(coverage.voided_at),
        "seller_id": coverage.seller_id,
        "origin_country": coverage.origin_country,
        "destination_country": coverage.destination_country,
        "carrier": coverage.carrier,
        "service": coverage.service or "",
        "tracking_number": coverage.tracking_number or "",
        "goods_category": coverage.category,
        "currency": coverage.currency,
        "declared_value": _text(coverage.declared_value),
        "insured_value": _text(coverage.insured_value),
        "deductible": _text(coverage.deductible),
        "premium": _text(coverage.premium, sign),
        "underwriter_currency": coverage.underwriter_currency,
        "fx_rate": str(coverage.fx_rate) if coverage.fx_rate is not None else "",
        "insured_value_underwriter": _text(coverage.insured_value_underwriter),
        "premium_underwriter": _text(coverage.premium_underwriter, sign),
        "rate_card_version": coverage.rate_card_version,
    }


def _claim_line(claim: Claim, coverage: Coverage) -> dict:
    payout = claim.payout
    recovered = payout.insurer_paid if payout else None
    return {
        "certificate_number": coverage.certificate_number,
        "claim_id": claim.id,
        "coverage_id": coverage.id,
        "claim_kind": claim.kind,
        "status": claim.status,
        "filed_at": _when(claim.created_at),
        "submitted_at": _when(claim.submitted_at),
        "decided_at": _when(claim.decided_at),
        "insurer_reference": claim.insurer_reference or "",
        "insurer_accepted_at": _when(claim.insurer_accepted_at),
        "settlement_due_at": _when(claim.settlement_due_at),
        "settled_at": _when(claim.settled_at),
        "currency": claim.currency,
        "insured_value": _text(coverage.insured_value),
        "amount_claimed": _text(claim.amount_claimed),
        "amount_approved": _text(claim.amount_approved),
        "paid": _text(payout.amount if payout else None),
        "recovered": _text(recovered),
        "reserve": _text(reserve(claim)),
    }


def reserve(claim: Claim) -> Money:
    """What the underwriter may still pay on the claim: nothing once it is closed or settled;
    its share of the advance once paid; the approved (else the claimed) amount before."""
    status = ClaimStatus(claim.status)
    zero = Money.zero(claim.currency)
    if status in ENDED_UNPAID or status in (ClaimStatus.SETTLED, ClaimStatus.INSURER_REJECTED):
        return zero
    if claim.payout is not None:
        return (
            zero
            if claim.payout.status == PayoutStatus.CLAWED_BACK
            else claim.payout.underwriter_part
        )
    return claim.amount_approved or claim.amount_claimed


def write_bordereau(
    out: TextIO, session: Session, kind: str, underwriter_id: str, month: Month
) -> None:
    """Write the ``premium`` or ``claims`` bordereau as CSV, streamed line by line."""
    lines, columns = (
        (premium_bordereau(session, underwriter_id, month), PREMIUM_COLUMNS)
        if kind == "premium"
        else (claims_bordereau(session, underwriter_id, month), CLAIM_COLUMNS)
    )
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(lines)


LOSS_RATIO_COLUMNS = (
    "underwriter_id",
    "underwriter_name",
    "month",
    "currency",
    "premium_written",
    "claims_incurred",
    "claims_paid",
    "loss_ratio",
)


def write_loss_ratios(out: TextIO, session: Session, month: Month) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LOSS_RATIO_COLUMNS)
    for line in loss_ratios(session, month):
        writer.writerow(
            (
                line.underwriter_id,
                line.underwriter_name,
                line.month,
                line.currency,
                line.premium_written.amount_text,
                line.claims_incurred.amount_text,
                line.claims_paid.amount_text,
                "" if line.ratio is None else str(line.ratio),
            )
        )
