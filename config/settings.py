"""Every setting of forwarder_insure, read from ``FI_*`` environment variables in one place.

Three config classes give the defaults: development (the embedded demo: SQLite and local files in
the instance folder), testing, and production, which refuses to start without a real secret key
and an explicit database. Nothing else in the code reads the environment.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_RATES_FILE = CONFIG_DIR / "rates" / "default.toml"
DEFAULT_CARRIERS_FILE = CONFIG_DIR / "carriers.toml"
DEFAULT_CLAIMS_FILE = CONFIG_DIR / "claims.toml"
DEFAULT_FEEDS_FILE = CONFIG_DIR / "feeds.toml"

#: The tracking providers whose webhooks we read (``forwarder_insure.domain.feeds.PROVIDERS``).
FEED_PROVIDERS = ("easypost", "aftership", "17track")

#: A secret key shorter than this is refused in production.
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one app instance."""

    env: str
    instance_path: Path
    database_url: str
    secret_key: str
    storage_url: str
    s3_endpoint_url: str | None
    rates_file: Path
    carriers_file: Path = DEFAULT_CARRIERS_FILE
    claims_file: Path = DEFAULT_CLAIMS_FILE
    #: Tracking providers' carrier codes and statuses mapped to ours (``FI_FEEDS_FILE``).
    feeds_file: Path = DEFAULT_FEEDS_FILE
    #: Webhook secrets per tracking provider, ``FI_FEED_SECRETS="easypost:s1,easypost:s2,
    #: aftership:s3,17track:s4"``: provider → its secrets, any one of which verifies a push (so a
    #: secret rotates by adding the new one, then dropping the old). A provider without one
    #: accepts no push.
    feed_secrets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Largest provider push ``POST /tracking/feeds/{provider}`` reads (``FI_FEED_MAX_BYTES``);
    #: a larger one is refused with 413 before its signature is checked.
    feed_max_bytes: int = 1024 * 1024
    #: How much of each push's body is kept for ops (``FI_FEED_PAYLOAD_KEEP_BYTES``); the rest is
    #: cut and the stored row marked truncated.
    feed_payload_keep_bytes: int = 64 * 1024
    #: How long stored pushes are kept (``FI_FEED_PAYLOAD_RETENTION_DAYS``); the job
    #: ``purge-feed-payloads`` deletes them after.
    feed_payload_retention: timedelta = timedelta(days=30)
    #: Keys that sign quote tokens, as (key id, secret); the first signs, all verify. Rotate by
    #: putting a new key first and dropping the old one after the quote lifetime has passed.
    quote_signing_keys: tuple[tuple[str, str], ...] = ()
    #: Where the public can reach us: printed on certificates as the verification address.
    public_url: str = "http://127.0.0.1:5000"
    #: How long a web worker trusts its cached copy of the underwriter registry.
    underwriter_cache_seconds: float = 30.0
    #: How long a web worker remembers a valid API key for requests that change nothing (reads,
    #: quotes); a revoked key may read this long, and never write.
    api_key_cache_seconds: float = 30.0
    #: Crontab overrides for scheduled jobs, from ``FI_SCHEDULE_<JOB_ID>`` (``tracking-sweep`` →
    #: ``FI_SCHEDULE_TRACKING_SWEEP="0 2 * * *"``); times are UTC.
    job_schedules: tuple[tuple[str, str], ...] = ()
    #: How long a console login lasts at most, however busy (``FI_CONSOLE_SESSION_LIFETIME_HOURS``).
    console_session_lifetime: timedelta = timedelta(hours=12)
    #: How long a console login survives without a request (``FI_CONSOLE_SESSION_IDLE_MINUTES``).
    console_session_idle: timedelta = timedelta(minutes=30)
    #: How long a stored Idempotency-Key answer is replayed (the draft asks for 24 h or more).
    idempotency_ttl: timedelta = timedelta(hours=24)
    #: How far ahead of its arrival a carrier event may be dated (``FI_TRACKING_MAX_FUTURE``, in
    #: hours, or with a unit: ``90m``, ``36h``, ``2d``); later ones are rejected one by one.
    tracking_max_future: timedelta = timedelta(days=1)
    #: Largest JSON request body; documents have their own, larger limit.
    max_json_bytes: int = 2 * 1024 * 1024
    #: Largest uploaded document.
    max_upload_bytes: int = 20 * 1024 * 1024
    #: SQL echo, for debugging only.
    sql_echo: bool = False
    #: FI_WEBHOOK_ALLOW_PRIVATE=1: webhooks may go to loopback and private addresses (development
    #: and tests only; refused with FI_ENV=production).
    webhook_allow_private: bool = False
    log_level: str = "INFO"
    #: Where rate-limit counters live: ``memory://`` (one process) or ``redis://host:6379/0``
    #: (shared by every worker and machine; what production uses).
    rate_limit_storage_url: str = "memory://"
    #: Prefix of every rate-limit counter, so deployments may share one Redis.
    rate_limit_key_prefix: str = "fi"
    #: Every request with an API key, per key, over all endpoints (generous: order-entry screens
    #: quote on every keystroke).
    rate_limit_api_key: str = "6000/minute"
    #: The public ``GET /api/v1/certificates/{number}``, per client address.
    rate_limit_certificates: str = "60/minute"
    #: Console login attempts (``POST /ops/login``) per client address: spraying many accounts.
    rate_limit_login_per_address: str = "20/minute;200/hour"
    #: Console login attempts per submitted e-mail address, from anywhere: one account from many
    #: addresses.
    rate_limit_login_per_account: str = "15/minute;60/hour"
    #: Reverse proxies in front of the app that append to ``X-Forwarded-For``; the client address
    #: of the per-address limits is the entry that many places from the end (0: the peer itself).
    rate_limit_proxy_hops: int = 0

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some values replaced (tests and the CLI use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, instance_path: Path | None = None
    ) -> Settings:
        """Resolve settings from ``FI_*`` variables over the defaults of ``FI_ENV``'s class."""
        env = dict(os.environ if environ is None else environ)
        name = env.get("FI_ENV", "development").strip().lower()
        try:
            config_class = CONFIG_CLASSES[name]
        except KeyError:
            raise SettingsError(
                f"FI_ENV={name!r} is not one of {', '.join(sorted(CONFIG_CLASSES))}"
            ) from None
        instance = Path(env.get("FI_INSTANCE_PATH") or instance_path or Path.cwd() / "instance")
        return config_class(instance.resolve()).resolve(env)


class BaseConfig:
    """Defaults shared by every environment."""

    name = "base"
    api_key_cache_seconds = 30.0

    def __init__(self, instance_path: Path):
        self.instance_path = instance_path

    def default_database_url(self) -> str | None:
        return f"sqlite:///{self.instance_path / 'forwarder_insure.sqlite3'}"

    def default_storage_url(self) -> str:
        return (self.instance_path / "documents").as_uri()

    def default_secret_key(self) -> str | None:
        """A random key kept in the instance folder, so quote tokens survive restarts."""
        key_file = self.instance_path / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key

    def resolve(self, env: Mapping[str, str]) -> Settings:
        database_url = env.get("FI_DATABASE_URL") or self.default_database_url()
        secret_key = env.get("FI_SECRET_KEY") or self.default_secret_key()
        if not database_url:
            raise SettingsError(f"FI_DATABASE_URL must be set when FI_ENV={self.name}")
        if not secret_key or (
            self.name == "production" and len(secret_key) < MIN_SECRET_KEY_LENGTH
        ):
            raise SettingsError(
                f"FI_SECRET_KEY must be set to a random string of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters when FI_ENV={self.name}"
            )
        public_url = self.public_url(env.get("FI_PUBLIC_URL", "").strip())
        settings = Settings(
            env=self.name,
            instance_path=self.instance_path,
            database_url=_normalise_database_url(database_url),
            secret_key=secret_key,
            storage_url=env.get("FI_STORAGE_URL") or self.default_storage_url(),
            s3_endpoint_url=env.get("FI_S3_ENDPOINT_URL") or None,
            rates_file=Path(env.get("FI_RATES_FILE") or DEFAULT_RATES_FILE),
            carriers_file=Path(env.get("FI_CARRIERS_FILE") or DEFAULT_CARRIERS_FILE),
            claims_file=Path(env.get("FI_CLAIMS_FILE") or DEFAULT_CLAIMS_FILE),
            feeds_file=Path(env.get("FI_FEEDS_FILE") or DEFAULT_FEEDS_FILE),
            feed_secrets=_feed_secrets(env.get("FI_FEED_SECRETS")),
            quote_signing_keys=_signing_keys(env.get("FI_QUOTE_SIGNING_KEYS"), secret_key),
            public_url=public_url,
            api_key_cache_seconds=self.api_key_cache_seconds,
            job_schedules=tuple(
                sorted(
                    (key.removeprefix("FI_SCHEDULE_").lower().replace("_", "-"), value.strip())
                    for key, value in env.items()
                    if key.startswith("FI_SCHEDULE_") and value.strip()
                )
            ),
            rate_limit_proxy_hops=_proxy_hops(env.get("FI_RATE_LIMIT_PROXY_HOPS")),
        )
        settings = replace(settings, **_optional_overrides(env))
        if self.name == "production" and settings.webhook_allow_private:
            raise SettingsError(
                "FI_WEBHOOK_ALLOW_PRIVATE is for development and tests; it is refused when "
                "FI_ENV=production"
            )
        return settings

    def public_url(self, given: str) -> str:
        """Where the public reaches us (printed on every certificate); a local address by
        default outside production."""
        return (given or "http://127.0.0.1:5000").rstrip("/")


class DevelopmentConfig(BaseConfig):
    name = "development"


class TestingConfig(BaseConfig):
    name = "testing"
    # Tests revoke keys and expect the next request to see it.
    api_key_cache_seconds = 0.0

    def default_secret_key(self) -> str:
        return "testing-secret-key-not-for-production-use-0000"


class ProductionConfig(BaseConfig):
    """Production has no defaults for what must be chosen on purpose."""

    name = "production"

    def default_database_url(self) -> None:
        return None

    def default_secret_key(self) -> None:
        return None

    def public_url(self, given: str) -> str:
        """Required, and HTTPS unless it is a loopback address: certificates print it as the
        place to verify them, and a plain-HTTP answer can be forged on the way to the reader."""
        if not given:
            raise SettingsError(
                "FI_PUBLIC_URL must be set to the public HTTPS address when FI_ENV=production "
                "(certificates print it as their verification address)"
            )
        parts = urlsplit(given)
        if parts.scheme not in {"https", "http"} or not parts.hostname:
            raise SettingsError(f"FI_PUBLIC_URL={given!r} is not an http(s) URL")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise SettingsError(
                f"FI_PUBLIC_URL={given!r} must use https when FI_ENV=production "
                "(plain http is allowed only for a loopback address)"
            )
        return given.rstrip("/")


CONFIG_CLASSES: dict[str, type[BaseConfig]] = {
    c.name: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)
}

#: Optional tuning variables and how each is parsed.
_OPTIONAL: dict[str, tuple[str, Callable[[str], Any]]] = {
    "FI_IDEMPOTENCY_TTL_HOURS": ("idempotency_ttl", lambda v: timedelta(hours=float(v))),
    "FI_CONSOLE_SESSION_LIFETIME_HOURS": (
        "console_session_lifetime",
        lambda v: timedelta(hours=float(v)),
    ),
    "FI_CONSOLE_SESSION_IDLE_MINUTES": (
        "console_session_idle",
        lambda v: timedelta(minutes=float(v)),
    ),
    "FI_TRACKING_MAX_FUTURE": ("tracking_max_future", lambda v: _duration(v, "h")),
    "FI_MAX_JSON_BYTES": ("max_json_bytes", int),
    "FI_FEED_MAX_BYTES": ("feed_max_bytes", int),
    "FI_FEED_PAYLOAD_KEEP_BYTES": ("feed_payload_keep_bytes", int),
    "FI_FEED_PAYLOAD_RETENTION_DAYS": (
        "feed_payload_retention",
        lambda v: timedelta(days=float(v)),
    ),
    "FI_MAX_UPLOAD_BYTES": ("max_upload_bytes", int),
    "FI_SQL_ECHO": ("sql_echo", lambda v: v.strip().lower() in {"1", "true", "yes", "on"}),
    "FI_WEBHOOK_ALLOW_PRIVATE": (
        "webhook_allow_private",
        lambda v: v.strip().lower() in {"1", "true", "yes", "on"},
    ),
    "FI_LOG_LEVEL": ("log_level", lambda v: v.strip().upper()),
    "FI_UNDERWRITER_CACHE_SECONDS": ("underwriter_cache_seconds", float),
    "FI_API_KEY_CACHE_SECONDS": ("api_key_cache_seconds", float),
    "FI_RATE_LIMIT_STORAGE_URL": ("rate_limit_storage_url", str.strip),
    "FI_RATE_LIMIT_KEY_PREFIX": ("rate_limit_key_prefix", str.strip),
    "FI_RATE_LIMIT_API_KEY": ("rate_limit_api_key", str.strip),
    "FI_RATE_LIMIT_CERTIFICATES": ("rate_limit_certificates", str.strip),
    "FI_RATE_LIMIT_LOGIN_PER_ADDRESS": ("rate_limit_login_per_address", str.strip),
    "FI_RATE_LIMIT_LOGIN_PER_ACCOUNT": ("rate_limit_login_per_account", str.strip),
}


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _proxy_hops(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return 0
    try:
        hops = int(raw)
    except ValueError:
        hops = -1
    if hops < 0:
        raise SettingsError(f"FI_RATE_LIMIT_PROXY_HOPS={raw!r} is invalid: a count of 0 or more")
    return hops


_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _duration(raw: str, default_unit: str) -> timedelta:
    """``"36"`` (in ``default_unit``), ``"90m"``, ``"36h"``, ``"2d"`` → a timedelta."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", raw.lower())
    if match is None:
        raise ValueError("expected a number with an optional unit s, m, h or d")
    return timedelta(**{_UNITS[match[2] or default_unit]: float(match[1])})


def _signing_keys(raw: str | None, secret_key: str) -> tuple[tuple[str, str], ...]:
    """``FI_QUOTE_SIGNING_KEYS="k2:secret2,k1:secret1"``; by default one key derived from the
    secret key, so a single-secret deployment needs nothing more."""
    if not raw:
        derived = hmac.new(secret_key.encode(), b"quote-signing-key", hashlib.sha256).hexdigest()
        return (("k0", derived),)
    keys = []
    for item in raw.split(","):
        kid, _, secret = item.strip().partition(":")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", kid) or len(secret) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                "FI_QUOTE_SIGNING_KEYS must be 'id:secret,...' with ids of letters, digits, '_' "
                f"or '-' and secrets of at least {MIN_SECRET_KEY_LENGTH} characters"
            )
        keys.append((kid, secret))
    if len({kid for kid, _ in keys}) != len(keys):
        raise SettingsError("FI_QUOTE_SIGNING_KEYS has a key id twice")
    return tuple(keys)


def _feed_secrets(raw: str | None) -> dict[str, tuple[str, ...]]:
    """``FI_FEED_SECRETS="easypost:s1,easypost:s2,aftership:s3,17track:s4"`` → provider → its
    secrets, in the order given. Each item is split at its first ``:`` only, so a secret may
    contain ``:`` (never ``,``, which separates items)."""
    secrets_by_provider: dict[str, list[str]] = {}
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        provider, colon, secret = item.strip().partition(":")
        if provider not in FEED_PROVIDERS:
            raise SettingsError(
                f"FI_FEED_SECRETS names {provider!r}, which is not a tracking provider (one of "
                f"{', '.join(FEED_PROVIDERS)}); write provider:secret"
            )
        if not colon or not secret:
            raise SettingsError(f"FI_FEED_SECRETS has no secret for {provider!r}")
        secrets_by_provider.setdefault(provider, []).append(secret)
    return {provider: tuple(found) for provider, found in secrets_by_provider.items()}


def _optional_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    known = {f.name for f in fields(Settings)}
    out: dict[str, Any] = {}
    for variable, (attribute, parse) in _OPTIONAL.items():
        assert attribute in known
        raw = env.get(variable)
        if raw is None or raw == "":
            continue
        try:
            value = parse(raw)
        except (ValueError, OverflowError) as exc:
            raise SettingsError(f"{variable}={raw!r} is invalid: {exc}") from None
        if (isinstance(value, int) and not isinstance(value, bool) and value <= 0) or (
            isinstance(value, timedelta) and value <= timedelta()
        ):
            raise SettingsError(f"{variable}={raw!r} is invalid: it must be positive")
        out[attribute] = value
    return out


def _normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` spellings and pin the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
