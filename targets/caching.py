"""The province dashboard's cache: its rendered figures and tables, keyed to the last
recompute.

Every figure of the dashboard is read from the computed statuses, so the time of the
last computation of a year (``last_computed_at``, one indexed query) tells whether
anything the page shows has moved: any recompute, of one commune or all, changes it,
in every process. What the recompute does not touch (facility investment, practice
adoptions, targets, unit names) bumps a generation number instead, through the signals
connected in ``TargetsConfig.ready``; with a cache shared by all processes (CACHE_URL
redis://...) that is immediate everywhere, with the per-process default the other
processes catch up within ``CACHE_SECONDS``.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils import translation

CACHE_SECONDS = 300
# With a cache that every process shares (Redis), a rendering stays until its key moves on
# (the key holds the last computation and the generation): a day and a bit, so that what
# the nightly recompute rendered is still there the next morning.
SHARED_CACHE_SECONDS = 26 * 3600
_GENERATION_KEY = "dashboards:generation"


def generation() -> int:
    """The current generation of the data the recompute does not cover."""
    value = cache.get(_GENERATION_KEY)
    if value is None:
        # A fresh number, never a reset to 1: an evicted counter must not bring back
        # fragments cached under an older one.
        value = time.time_ns()
        cache.add(_GENERATION_KEY, value, None)
        value = cache.get(_GENERATION_KEY, value)
    return value


def seconds() -> int:
    """How long a rendered dashboard is kept: until its key moves on with a shared cache;
    ``CACHE_SECONDS`` with the per-process default, which hears of the generation's moves
    in other processes only through this expiry."""
    backend = settings.CACHES["default"]["BACKEND"]
    return CACHE_SECONDS if backend.endswith("LocMemCache") else SHARED_CACHE_SECONDS


def invalidate(**_signal_kwargs) -> None:
    """Forget every cached dashboard (a signal receiver: any arguments are accepted)."""
    cache.set(_GENERATION_KEY, time.time_ns(), None)


def view_key(*, scope: str, year: int, computed_at, sort: str) -> str:
    """What one cached rendering depends on but the generation: whose scope, the year,
    the last computation, the table's order and the language. Read it with ``current``,
    which checks the generation the entry was stored under."""
    stamp = computed_at.isoformat() if computed_at else "never"
    return f"{scope}:{year}:{stamp}:{sort}:{translation.get_language()}"


def dashboard_key(
    *, scope: str, year: int, computed_at, sort: str, generation_: int | None = None
) -> str:
    """What one cached rendering of the province dashboard depends on: whose scope, the
    year, the last computation, the generation (``generation_`` when already read), the
    table's order and the language."""
    stamp = computed_at.isoformat() if computed_at else "never"
    current_ = generation() if generation_ is None else generation_
    return f"{scope}:{year}:{stamp}:{current_}:{sort}:{translation.get_language()}"


def current(key: str):
    """(the value stored under ``key`` by ``store`` if it was stored under the current
    generation, else None; the current generation), in one round trip to the cache: the
    generation and the entry are read together (one MGET), not one after the other."""
    found = cache.get_many([_GENERATION_KEY, key])
    now = found.get(_GENERATION_KEY)
    if now is None:
        now = generation()
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == now:
        return entry[1], now
    return None, now


def store(key: str, value, generation_: int) -> None:
    """Keep ``value`` under ``key`` with the generation read before its data
    (``current``): a change that moved the generation since makes it unused."""
    cache.set(key, (generation_, value), seconds())


def public_provinces(*, year: int) -> tuple[int, int]:
    """(how many provinces have communes in force in ``year``, the generation), read with
    the generation in one round trip to the cache: the count is kept with the generation
    it was read under, so that a change of units (which moves the generation) is seen at
    once, and counted again (two queries) only then."""
    from targets import selectors

    key = f"public-provinces:v2:{year}"
    count, now = current(key)
    if count is None:
        count = selectors.provinces_with_communes(year=year)
        store(key, count, now)
    return count, now
