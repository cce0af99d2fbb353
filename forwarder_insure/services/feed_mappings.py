"""Loads ``config/feeds.toml`` (or ``FI_FEEDS_FILE``) into the validated feed mappings.

The file is read here and handed to the pure :func:`forwarder_insure.domain.feeds.
parse_feed_mappings`, so a bad mapping stops the app at start naming the file, key and reason.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from forwarder_insure.domain.config_tables import load_toml
from forwarder_insure.domain.feeds import FeedMappings, parse_feed_mappings


def load_feed_mappings(path: Path, known_carriers: Collection[str] | None = None) -> FeedMappings:
    return parse_feed_mappings(load_toml(path), path.name, known_carriers)
