"""The shared cache (``WUYE_CACHE_URL``): Redis, and this process's memory while Redis is down.

What the site keeps in the cache is counting (failed identifications on the pay page): with Redis
down, each process counts in its own memory, as it does when no cache is configured, instead of every
page that counts answering an error. After a failure Redis is left alone for ``RETRY_SECONDS``, so a
Redis that does not answer costs one short timeout (``socket_connect_timeout``) per period, not one
per call.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


_down_until: dict[str, float] = {}  # per Redis location, shared by the threads of the process
_down_lock = threading.Lock()


class RedisCacheWithFallback(RedisCache):
    """Django's RedisCache; while Redis does not answer, a LocMemCache shared by the process."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        # Named by the location: every thread's instance (Django keeps one per thread) counts in the
        # same memory.
        self._fallback = LocMemCache(f"wuye-redis-fallback:{self._location}", params)

    def _redis_is_down(self) -> bool:
        return time.monotonic() < _down_until.get(self._location, 0.0)

    def _redis_went_down(self, error: Exception) -> None:
        with _down_lock:
            first = not self._redis_is_down()
            _down_until[self._location] = time.monotonic() + RETRY_SECONDS
        if first:
            logger.warning(
                "cache: Redis (WUYE_CACHE_URL) does not answer (%s); counting in this process's memory, "
                "trying Redis again in %d s",
                error,
                RETRY_SECONDS,
            )


def _guarded(name: str):
    on_redis = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        if self._redis_is_down():
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            return on_redis(self, *args, **kwargs)
        except REDIS_DOWN as error:
            self._redis_went_down(error)
            return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = on_redis.__doc__
    return method


# Every operation RedisCache implements; the rest of BaseCache (decr, get_or_set, incr_version, the
# async variants) is built on these.
for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(RedisCacheWithFallback, _name, _guarded(_name))
