"""What one running app holds: its settings, its database and its clock.

Built once by ``create_app`` and shared by requests, jobs and CLI commands, so they all see the
same configuration and the same notion of "now".
"""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import Settings
from forwarder_insure.db.session import Database
from forwarder_insure.domain.clock import Clock

EXTENSION_KEY = "forwarder_insure"


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock
