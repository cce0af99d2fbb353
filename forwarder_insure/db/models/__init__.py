"""All mapped tables. Import from here so Alembic and the services see one metadata."""

from forwarder_insure.db.base import Base
from forwarder_insure.db.models.access import ApiKey, Seller, StaffSession, StaffUser
from forwarder_insure.db.models.claims import Claim, ClaimDocument, ClaimEvent
from forwarder_insure.db.models.coverage import Coverage
from forwarder_insure.db.models.feeds import FeedPayload
from forwarder_insure.db.models.idempotency import IdempotencyRecord
from forwarder_insure.db.models.ledger import LedgerAccount, LedgerPosting, LedgerTransaction
from forwarder_insure.db.models.outbox import OutboxEvent
from forwarder_insure.db.models.payouts import Payout, RecoveryTask
from forwarder_insure.db.models.tracking import Inquiry, InquiryDocument, TrackingEvent
from forwarder_insure.db.models.underwriting import ExchangeRate, Underwriter
from forwarder_insure.db.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "Base",
    "Claim",
    "ClaimDocument",
    "ClaimEvent",
    "Coverage",
    "ExchangeRate",
    "FeedPayload",
    "IdempotencyRecord",
    "Inquiry",
    "InquiryDocument",
    "LedgerAccount",
    "LedgerPosting",
    "LedgerTransaction",
    "OutboxEvent",
    "Payout",
    "RecoveryTask",
    "Seller",
    "StaffSession",
    "StaffUser",
    "TrackingEvent",
    "Underwriter",
    "WebhookDelivery",
    "WebhookEndpoint",
]
