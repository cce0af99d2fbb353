"""Rate limits counted in the machine's Redis: two app instances (two workers, two machines)
share one count, so adding workers does not multiply anyone's allowance.

Needs Redis at ``FI_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``): skipped with the
reason when it does not answer, failed when ``FI_TEST_REQUIRE_REDIS=1`` (as in CI). Each run
uses a key prefix of its own and deletes its keys afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from forwarder_insure.domain.access import Role
from tests.fixtures.app import build_app, issue_key

REDIS_URL = os.environ.get("FI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CERTIFICATE = "/api/v1/certificates/HMC-0000-0000-0000"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix unique to this test, its keys deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis not reachable at {REDIS_URL}: {type(error).__name__}"
        if os.environ.get("FI_TEST_REQUIRE_REDIS") == "1":
            pytest.fail(f"{reason} (and FI_TEST_REQUIRE_REDIS=1)", pytrace=False)
        pytest.skip(reason)
    prefix = f"fi-test-{secrets.token_hex(6)}"
    try:
        yield prefix
    finally:
        stale = list(client.scan_iter(match=f"*{prefix}*", count=500))
        if stale:
            client.delete(*stale)
        client.close()


@pytest.fixture
def two_workers(settings, clock, database, redis_prefix):
    """Two app instances over one Redis, as two gunicorn workers would be."""

    def make(**limits: object):
        shared = settings.with_overrides(
            rate_limit_storage_url=REDIS_URL, rate_limit_key_prefix=redis_prefix, **limits
        )
        return build_app(shared, clock, database), build_app(shared, clock, database)

    return make


def test_two_app_instances_share_the_certificate_count_through_redis(two_workers, redis_prefix):
    import redis

    one, two = (app.test_client() for app in two_workers(rate_limit_certificates="4/minute"))
    answers = [client.get(CERTIFICATE).status_code for client in (one, two, one, two)]
    assert answers == [404, 404, 404, 404]
    for client in (one, two):  # each worker alone saw two requests, yet both refuse now
        refused = client.get(CERTIFICATE)
        assert refused.status_code == 429
        assert refused.get_json()["code"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{redis_prefix}*")
    assert keys, "the counts are in Redis under this run's prefix"


def test_two_app_instances_share_an_api_keys_allowance_through_redis(two_workers):
    first, second = two_workers(rate_limit_api_key="3/minute")
    key = issue_key(first, Role.SELLER, "S-1001")
    headers = {"Authorization": f"Bearer {key}"}
    one, two = first.test_client(), second.test_client()
    assert [c.get("/api/v1/me", headers=headers).status_code for c in (one, two, one)] == [200] * 3
    assert two.get("/api/v1/me", headers=headers).status_code == 429
