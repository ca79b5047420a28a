"""Counting in the cache: how often something happened per key, in a window that opens at the first count.

The limits of the public endpoints count here (the pay page's failed identifications, the notify
endpoint's refused requests). With ``WUYE_CACHE_URL`` every web process shares the counts; without it
each process keeps its own, in memory.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def counter_key(*parts: object) -> str:
    """A cache key of ``parts``: the first names the counter; the others (a client address, ids) are
    hashed, so what a client sends never becomes part of a key as such."""
    name, *rest = parts
    digest = hashlib.sha256("\0".join(str(part) for part in rest).encode()).hexdigest()[:24]
    return f"wuye:count:{name}:{digest}"


def counter_add(key: str, *, window_seconds: int) -> None:
    """Count one more. The window opens at the first count and is not extended by later ones."""
    # add() starts the window at the first count; incr() keeps the key's expiry (locmem, Redis).
    cache.add(key, 0, window_seconds)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window_seconds)


def counter_value(key: str) -> int:
    return cache.get(key, 0)


def counter_reset(key: str) -> None:
    cache.delete(key)
