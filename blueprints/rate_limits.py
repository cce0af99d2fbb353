"""Rate limits (Flask-Limiter): how often a client may knock, so nobody can enumerate
certificates, spray console passwords or flood the API.

* every request that presents an API key: ``FI_RATE_LIMIT_API_KEY`` per key, over all endpoints
  (generous, since order-entry screens quote on every keystroke);
* ``GET /api/v1/certificates/{number}`` (public): ``FI_RATE_LIMIT_CERTIFICATES`` per client
  address;
* ``POST /ops/login``: ``FI_RATE_LIMIT_LOGIN_PER_ADDRESS`` per client address and
  ``FI_RATE_LIMIT_LOGIN_PER_ACCOUNT`` per submitted e-mail address, from wherever it comes.

The probes (``/healthz``, ``/readyz``) are never limited. Counters live in
``FI_RATE_LIMIT_STORAGE_URL``: ``memory://`` counts per process, ``redis://…`` is shared by every
worker and machine. A refusal is 429 problem+json (``rate_limited``) with ``Retry-After``; on
the console, its own page at 429 with the same header.

Each app gets its own :class:`Limiter` (:func:`init_app`), so two apps in one process (tests)
count apart unless they share a Redis. A view opts in with the module-level :func:`limited`
decorator, which asks the current app's limiter at request time.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from limits.storage import MemoryStorage

from blueprints.problems import problem
from config.settings import Settings

EXTENSION_KEY = "forwarder_insure.rate_limits"
log = logging.getLogger(__name__)

#: Blueprints whose requests are never counted: the load balancer's probes.
UNLIMITED_BLUEPRINTS = frozenset({"health"})

#: How often the in-process counters drop the windows that have passed.
MEMORY_SWEEP_SECONDS = 5.0

CERTIFICATES = "certificates"
CONSOLE_LOGIN = "console_login"


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    return header[7:].strip() or None


def submitted_account() -> str:
    """The e-mail address a login form names, as the login reads it."""
    return "account:" + request.form.get("email", "")[:254].strip().lower()


class QuietMemoryStorage(MemoryStorage):
    """``memory://``: the counters of limits' memory storage, without its clean-up thread.

    limits starts a timer thread whenever the last one has finished (every 10 ms under load) to
    drop passed windows; a thread start costs more than a quote. A counter's own passed window
    is dropped when it is next read anyway, so here the others are swept on the request's own
    thread every few seconds instead.
    """

    STORAGE_SCHEME = ["fi-memory"]

    def __init__(self, uri: str | None = None, **options: Any):
        super().__init__(uri, **options)
        self.timer.cancel()
        self._next_sweep = time.monotonic() + MEMORY_SWEEP_SECONDS

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        self.get(key)  # drops this counter if its window has passed
        if time.monotonic() >= self._next_sweep:
            self._sweep()
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = time.time() + expiry
        return self.storage.get(key, 0)

    def _sweep(self) -> None:
        self._next_sweep = time.monotonic() + MEMORY_SWEEP_SECONDS
        now = time.time()
        for key, expires in list(self.expirations.items()):
            if expires <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


class RateLimits:
    """One app's limiter and the named limits its views opt into."""

    def __init__(self, app: Flask, settings: Settings):
        for name in (
            "rate_limit_api_key",
            "rate_limit_certificates",
            "rate_limit_login_per_address",
            "rate_limit_login_per_account",
        ):
            _check_limit(name, getattr(settings, name))
        self.proxy_hops = settings.rate_limit_proxy_hops
        self.key_prefix = settings.rate_limit_key_prefix
        self.api_key_limits = parse_many(settings.rate_limit_api_key)
        storage_url = settings.rate_limit_storage_url
        if storage_url.startswith("memory://"):
            storage_url = f"{QuietMemoryStorage.STORAGE_SCHEME[0]}://"
        self.limiter = Limiter(
            self.client_address,
            storage_uri=storage_url,
            key_prefix=settings.rate_limit_key_prefix,
            strategy="fixed-window",
            headers_enabled=False,
            # Counters are a guard, not a dependency: if Redis is away, serve and log.
            swallow_errors=True,
        )
        hooks = _app_hooks(app)
        self.limiter.init_app(app)
        # Flask-Limiter's own request hooks resolve default and application limits and write
        # rate-limit headers on every request, at a cost near a quote's own; there are no such
        # limits or headers here. The named limits are checked by the views that opt in
        # (:func:`limited`), and the per-key limit is one lean hook: one counter increment.
        for kind, before in hooks.items():
            getattr(app, kind)[None] = before
        app.before_request(self._count_api_key)
        self.checks: dict[str, Callable[[], None]] = {
            CERTIFICATES: self._check(
                CERTIFICATES, (settings.rate_limit_certificates, self.client_address)
            ),
            CONSOLE_LOGIN: self._check(
                CONSOLE_LOGIN,
                (settings.rate_limit_login_per_address, self.client_address),
                (settings.rate_limit_login_per_account, submitted_account),
                methods=["POST"],
            ),
        }
        if settings.is_production and settings.rate_limit_storage_url.startswith("memory:"):
            log.warning(
                "rate limits count per process (FI_RATE_LIMIT_STORAGE_URL=memory://); "
                "set a redis:// URL so every worker shares the counts"
            )

    def client_address(self) -> str:
        """The client's address: the peer, or with ``FI_RATE_LIMIT_PROXY_HOPS`` the entry of
        ``X-Forwarded-For`` that the nearest trusted proxy saw connect."""
        if self.proxy_hops:
            forwarded = [
                part.strip()
                for part in request.headers.get("X-Forwarded-For", "").split(",")
                if part.strip()
            ]
            if len(forwarded) >= self.proxy_hops:
                return "addr:" + forwarded[-self.proxy_hops]
        return "addr:" + (request.remote_addr or "unknown")

    def _check(
        self,
        name: str,
        *limits: tuple[str, Callable[[], str]],
        methods: list[str] | None = None,
    ) -> Callable[[], None]:
        """A callable that counts this request against ``limits`` (raising
        :class:`RateLimitExceeded` when one is spent); Flask-Limiter knows it by ``name``."""

        def check() -> None:
            return None

        check.__qualname__ = check.__name__ = f"limit_{name}"
        for value, key_func in limits:
            check = self.limiter.limit(value, key_func=key_func, methods=methods, scope=name)(check)
        return check

    def _count_api_key(self) -> Response | None:
        """Count a request that presents an API key against that key's allowance."""
        if request.blueprint in UNLIMITED_BLUEPRINTS:
            return None
        token = _bearer_token()
        if token is None:
            return None  # refused by the view's key check, or a public page: nothing to count
        identity = "key:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        strategy = self.limiter.limiter
        try:
            for item in self.api_key_limits:
                if not strategy.hit(item, self.key_prefix, identity, "api-key"):
                    reset = strategy.get_window_stats(item, self.key_prefix, identity, "api-key")
                    log.info("rate limit %s spent by API key %s", item, identity)
                    return refusal(max(1, math.ceil(reset.reset_time - time.time())))
        except Exception:
            log.exception("rate-limit storage failed; serving without the per-key limit")
        return None

    def retry_after(self) -> int:
        """Whole seconds until the spent limit of this request has room again (at least 1)."""
        spent = self.limiter.current_limit
        if spent is None:
            return 1
        try:
            return max(1, math.ceil(spent.reset_at - time.time()))
        except Exception:  # the storage went away between the refusal and now
            log.exception("could not read the rate-limit window")
            return 60


def init_app(app: Flask, settings: Settings) -> RateLimits:
    """Give ``app`` its limiter and its 429 answers."""
    limits = RateLimits(app, settings)
    app.extensions[EXTENSION_KEY] = limits
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    return limits


def limited(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Count each call of the decorated view against the app's limits called ``name``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            current_app.extensions[EXTENSION_KEY].checks[name]()
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _too_many_requests(error: RateLimitExceeded) -> Response:
    return refusal(current_app.extensions[EXTENSION_KEY].retry_after())


def refusal(seconds: int) -> Response:
    """429 with ``Retry-After``: problem+json, or on the console its own page."""
    headers = {"Retry-After": str(seconds)}
    detail = f"Too many requests; try again in {seconds} seconds."
    if request.blueprint == "console":
        page = render_template(
            "console/login.html" if request.endpoint == "console.login" else "console/error.html",
            error=detail,
            message=detail,
            status=429,
            next=request.values.get("next", ""),
        )
        return Response(page, status=429, mimetype="text/html", headers=headers)
    return problem(
        429, code="rate_limited", title="Too many requests", detail=detail, headers=headers
    )


def _app_hooks(app: Flask) -> dict[str, list[Any]]:
    """The app-wide request hooks as they are now."""
    kinds = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")
    return {kind: list(getattr(app, kind).get(None, [])) for kind in kinds}


def _check_limit(name: str, value: str) -> None:
    """A limit string Flask-Limiter cannot read stops the start, not the first request."""
    try:
        if not parse_many(value):
            raise ValueError("no limit given")
    except ValueError as error:
        raise ValueError(
            f"FI_{name.upper()}={value!r} is not a rate limit such as '60/minute': {error}"
        ) from None
