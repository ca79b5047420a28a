"""``/healthz``: is this process able to serve? For load balancers and monitors.

Each part the site needs is checked on every call and reported with its state: the database (a
query), the cache (Redis answers a ping; a cache in the process's memory is always there), the broker
(Redis answers a ping, when ``WUYE_BROKER_URL`` is set) and the migrations (none of this code's is
unapplied). All good: 200; anything failing: 503, the failing part named. No login is needed, so the
answer holds no secret: no address, user name or error text (those go to the log), only the kind of
error.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK, FAILING, UNKNOWN, NOT_CONFIGURED = "ok", "failing", "unknown", "not configured"
TIMEOUT_SECONDS = 2  # a Redis that does not answer: a monitor learns it in seconds, not minutes


def _failing(part: str, error: Exception) -> dict[str, Any]:
    logger.warning("health: %s is failing: %s", part, error)
    return {"state": FAILING, "error": type(error).__name__}


def _redis_ping(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def database_state() -> dict[str, Any]:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure is the answer
        return _failing("the database", error)
    return {"state": OK, "vendor": connection.vendor}


def migrations_state(database: dict[str, Any]) -> dict[str, Any]:
    if database["state"] != OK:
        return {"state": UNKNOWN}
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except Exception as error:
        return _failing("the migration check", error)
    return {"state": FAILING if pending else OK, "pending": pending}


def cache_state() -> dict[str, Any]:
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return {"state": OK, "backend": "memory"}
    location = settings.CACHES["default"]["LOCATION"]
    try:
        for url in [location] if isinstance(location, str) else location:
            _redis_ping(url)
    except Exception as error:
        return {**_failing("the cache (WUYE_CACHE_URL)", error), "backend": "redis"}
    return {"state": OK, "backend": "redis"}


def broker_state() -> dict[str, Any]:
    url = settings.WUYE_BROKER_URL
    if not url:
        return {"state": NOT_CONFIGURED}
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            _redis_ping(url)
        else:
            from kombu import Connection

            with Connection(url, connect_timeout=TIMEOUT_SECONDS) as broker:
                broker.ensure_connection(max_retries=1)
    except Exception as error:
        return _failing("the broker (WUYE_BROKER_URL)", error)
    return {"state": OK}


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_state()
    checks = {
        "database": database,
        "cache": cache_state(),
        "broker": broker_state(),
        "migrations": migrations_state(database),
    }
    healthy = all(check["state"] in {OK, NOT_CONFIGURED} for check in checks.values())
    response = JsonResponse(
        {"status": OK if healthy else FAILING, "checks": checks}, status=200 if healthy else 503
    )
    add_never_cache_headers(response)
    return response
