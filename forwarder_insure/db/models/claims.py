"""Claims, their evidence documents, and their timeline."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forwarder_insure.db.base import Base, BigIntKey, JSONDocument, in_list
from forwarder_insure.domain.claims import (
    STANDING_STATUSES,
    ClaimKind,
    ClaimStatus,
    DocumentKind,
    DocumentSource,
    DocumentStatus,
)
from forwarder_insure.domain.money import Money

if TYPE_CHECKING:
    from forwarder_insure.db.models.payouts import Payout

#: The claims that stand (the domain's STANDING_STATUSES), as an index predicate.
STANDING_CLAIM = in_list("status", [s.value for s in ClaimStatus if s in STANDING_STATUSES])


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(in_list("status", [s.value for s in ClaimStatus]), name="status_known"),
        CheckConstraint(in_list("kind", [k.value for k in ClaimKind]), name="kind_known"),
        CheckConstraint("amount_claimed_minor > 0", name="amount_claimed_positive"),
        # One standing claim per coverage, whatever arrives at once.
        Index(
            "uq_claims_standing_coverage_id",
            "coverage_id",
            unique=True,
            sqlite_where=text(STANDING_CLAIM),
            postgresql_where=text(STANDING_CLAIM),
        ),
        Index("ix_claims_seller_id_id", "seller_id", "id"),
        Index("ix_claims_status_id", "status", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    coverage_id: Mapped[str] = mapped_column(ForeignKey("coverages.id"))
    seller_id: Mapped[str] = mapped_column(ForeignKey("sellers.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount_claimed_minor: Mapped[int] = mapped_column(BigInteger)
    amount_approved_minor: Mapped[int | None] = mapped_column(BigInteger)
    #: The invoice total the seller states (screening compares the claim with it).
    invoice_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    grace_deadline: Mapped[datetime | None]
    #: When the last required document arrived (our decision SLA runs from here).
    checklist_complete_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    #: When to warn the seller if grace documents are still missing (set at submission by the
    #: claim rules then in force), and when it was done (once).
    grace_reminder_due_at: Mapped[datetime | None]
    grace_reminded_at: Mapped[datetime | None]
    #: Approved automatically at submission (small, no flag): paid before the grace documents.
    fast_tracked: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: The insurer's side: the pack filed, its acceptance, the settlement it then owes.
    filed_with_insurer_at: Mapped[datetime | None]
    insurer_reference: Mapped[str | None] = mapped_column(String(100))
    insurer_accepted_at: Mapped[datetime | None]
    settlement_due_at: Mapped[datetime | None]
    #: When the insurer-sla job found the settlement overdue (announced once).
    settlement_overdue_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    risk_score: Mapped[int] = mapped_column(Integer, default=0)
    risk_flags: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime]

    documents: Mapped[list[ClaimDocument]] = relationship(
        back_populates="claim", order_by="ClaimDocument.id"
    )
    timeline: Mapped[list[ClaimEvent]] = relationship(order_by="ClaimEvent.id")
    payout: Mapped[Payout | None] = relationship(uselist=False, viewonly=True)

    @property
    def amount_claimed(self) -> Money:
        return Money.from_minor(self.amount_claimed_minor, self.currency)

    @property
    def invoice_amount(self) -> Money | None:
        if self.invoice_amount_minor is None:
            return None
        return Money.from_minor(self.invoice_amount_minor, self.currency)

    @property
    def amount_approved(self) -> Money | None:
        if self.amount_approved_minor is None:
            return None
        return Money.from_minor(self.amount_approved_minor, self.currency)


class ClaimDocument(Base):
    """One evidence file; the bytes live in the document store under ``storage_key``."""

    __tablename__ = "claim_documents"
    __table_args__ = (
        CheckConstraint(in_list("kind", [k.value for k in DocumentKind]), name="kind_known"),
        CheckConstraint(in_list("status", DocumentStatus), name="status_known"),
        CheckConstraint(in_list("source", [s.value for s in DocumentSource]), name="source_known"),
        Index("ix_claim_documents_sha256", "sha256"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(12), server_default=DocumentSource.UPLOAD.value)
    storage_key: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(254))
    uploaded_at: Mapped[datetime]
    rejected_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    rejected_by: Mapped[str | None] = mapped_column(String(254))

    claim: Mapped[Claim] = relationship(back_populates="documents")


class ClaimEvent(Base):
    """One line of a claim's timeline: who did what, when, and why."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(254))
    event: Mapped[str] = mapped_column(String(48))
    detail: Mapped[str | None] = mapped_column(String(1000))
