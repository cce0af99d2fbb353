"""What one running app holds: settings, database, clock, and the rules loaded at start.

Built once by ``create_app`` and shared by requests, jobs and CLI commands, so they all see the
same configuration, the same rule files and the same notion of "now". Loading the rate card, the
carrier profiles and the feed mappings here means a bad file stops the app at start, naming the
key at fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import Settings
from forwarder_insure.db.session import Database
from forwarder_insure.domain.carriers import CarrierProfiles, load_carrier_profiles
from forwarder_insure.domain.claim_rules import ClaimRules, load_claim_rules
from forwarder_insure.domain.clock import Clock
from forwarder_insure.domain.feeds import FeedMappings
from forwarder_insure.domain.rate_card import RateCard, load_rate_card
from forwarder_insure.services.credentials import KeyCache
from forwarder_insure.services.direct_uploads import UploadTickets
from forwarder_insure.services.feed_mappings import load_feed_mappings
from forwarder_insure.services.quote_tokens import QuoteSigner
from forwarder_insure.services.quoting import QuoteDesk
from forwarder_insure.services.underwriters import UnderwriterCache, loader
from forwarder_insure.services.webhook_addresses import (
    Resolver,
    WebhookAddresses,
    bind,
    system_resolver,
)
from forwarder_insure.storage import DocumentStore, open_store

EXTENSION_KEY = "forwarder_insure"


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
    rate_card: RateCard
    carriers: CarrierProfiles
    quote_signer: QuoteSigner
    underwriters: UnderwriterCache
    api_keys: KeyCache
    quotes: QuoteDesk
    documents: DocumentStore
    claim_rules: ClaimRules
    upload_tickets: UploadTickets
    #: Where webhooks may go: the host resolver (faked in tests) and FI_WEBHOOK_ALLOW_PRIVATE.
    webhook_addresses: WebhookAddresses
    #: Tracking providers' carrier codes and statuses in our terms (``config/feeds.toml``).
    feeds: FeedMappings

    @classmethod
    def build(
        cls,
        settings: Settings,
        database: Database,
        clock: Clock,
        resolver: Resolver | None = None,
    ) -> Runtime:
        card = load_rate_card(settings.rates_file)
        carriers = load_carrier_profiles(settings.carriers_file)
        feeds = load_feed_mappings(settings.feeds_file, known_carriers=carriers.names)
        signer = QuoteSigner(settings.quote_signing_keys)
        underwriters = UnderwriterCache(
            loader(database.sessions), settings.underwriter_cache_seconds
        )
        addresses = WebhookAddresses(
            resolver=resolver or system_resolver,
            allow_private=settings.webhook_allow_private,
            require_https=settings.is_production,
        )
        # Delivery jobs get the database only; this is how they find the same vetting.
        bind(database, addresses)
        return cls(
            settings=settings,
            database=database,
            clock=clock,
            rate_card=card,
            carriers=carriers,
            quote_signer=signer,
            underwriters=underwriters,
            api_keys=KeyCache(settings.api_key_cache_seconds, clock),
            quotes=QuoteDesk(card, carriers, signer, underwriters.current),
            documents=open_store(
                settings.storage_url,
                s3_endpoint_url=settings.s3_endpoint_url,
                max_bytes=settings.max_upload_bytes,
            ),
            claim_rules=load_claim_rules(settings.claims_file),
            upload_tickets=UploadTickets(settings.secret_key),
            webhook_addresses=addresses,
            feeds=feeds,
        )
