"""The cache is optional: a Redis cache that is down makes pages slower, never broken.

``CACHE_URL=rediscache://...`` selects ``OptionalRedisCache`` (settings.py). Every read
of a cache that does not answer is a miss, every write is dropped, and the pages compute
what they need from the database. After a failure the process leaves Redis alone for
``RETRY_AFTER_SECONDS``, so that a Redis that hangs costs one short timeout, not one per
cache call of every page. Counters (``incr``/``decr``) have no sensible value without a
store: they raise ``CacheUnavailable`` and their caller decides (the kiosk's throttle
lets citizens through, see surveys.kiosk).
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0
# A stopped Redis refuses at once; one that hangs is given this long.
SOCKET_TIMEOUT_SECONDS = 0.5


class CacheUnavailable(Exception):
    """The shared cache did not answer."""


def _errors():
    from redis.exceptions import RedisError

    return (RedisError, OSError)


class ReusedClient(RedisCacheClient):
    """Django's Redis client maker, keeping one ``redis.Redis`` per connection pool
    instead of building one for every cache call: redis-py builds a table of some 170
    response callbacks in each constructor, which cost a signed-in page (six cache calls)
    more than its round trips to Redis. A ``redis.Redis`` is safe to share between
    threads (it takes a connection from its pool for each command)."""

    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        found = self._clients.get(id(pool))
        if found is None or found[0] is not pool:
            found = self._clients[id(pool)] = (pool, self._client(connection_pool=pool))
        return found[1]


class OptionalRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", SOCKET_TIMEOUT_SECONDS)
        super().__init__(server, params)
        self._class = ReusedClient
        self._down_until = 0.0

    def _call(self, name, default, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return default
        try:
            return getattr(super(), name)(*args, **kwargs)
        except _errors() as exc:
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning("Cache unavailable (%s): serving without it", exc)
            return default

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._call("incr", missing, key, delta, version)
        if value is missing:
            raise CacheUnavailable
        return value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)


def count(key: str, *, timeout: int) -> int:
    """Add one to the counter ``key`` (created at 1, kept ``timeout`` seconds) and return
    it: the throttles' count of requests in their window. Raises ``CacheUnavailable``
    when a shared cache does not answer."""
    from django.core.cache import cache

    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


# --- Stamps: a number under a key that moves when what a cached entry was made from changes.
# An entry is stored with the stamp read before its data, and used only while the stamp
# still holds that number.


def stamp_move(key: str, timeout: float | None = None) -> None:
    """Give the stamp ``key`` a new number now, and again once the caller's transaction
    commits: what a reader made from the data before the commit is never kept under a
    number taken after it. ``timeout``: how long the stamp is kept (None: until evicted)."""
    from django.core.cache import cache
    from django.db import transaction

    def move():
        cache.set(key, time.time_ns(), timeout)

    move()
    transaction.on_commit(move)


def stamp_current(key: str, found: dict, timeout: float | None = None):
    """The stamp ``key`` as ``found`` (what a ``get_many`` answered) holds it, else made
    afresh: a new number, never a reset, so that an entry kept under an evicted stamp
    stays unused. None when the cache does not answer (store nothing then)."""
    from django.core.cache import cache

    value = found.get(key)
    if value is None:
        cache.add(key, time.time_ns(), timeout)
        value = cache.get(key)
    return value
