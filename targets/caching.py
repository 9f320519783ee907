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

import functools
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from friendlygov.cache import stamp_move

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


def public_provinces(*, year: int) -> tuple[tuple[int, str], int]:
    """((how many provinces have communes in force in ``year``, the name of the province
    when there is one), the generation), read with the generation in one round trip to
    the cache: they are kept with the generation they were read under, so that a change
    of units (which moves the generation) is seen at once, and read again only then."""
    from targets import selectors

    key = f"public-provinces:v3:{year}"
    provinces, now = current(key)
    if provinces is None:
        provinces = selectors.provinces_with_communes(year=year)
        store(key, provinces, now)
    return provinces, now


# --- The public page, whole --------------------------------------------------------------
# With a shared cache a citizen's warm /public/ is the whole rendered page, read with the
# stamp it was rendered under in one round trip to Redis and no query (targets.views).
# The stamp moves with everything the page's key is read from in the database: a
# recompute's statuses (at once and when its transaction commits), a status saved one by
# one, the programme years. The dashboards' generation (decisions, targets, units) is read
# with it. A page whose stamp moved is checked against the key read from the database,
# and used again if that did not move: a recompute in one province renders only its pages.
_PUBLIC_STAMP_KEY = "public:stamp"
# A stamp expires, so that a move lost while Redis was unreachable is made up for within
# this time: the pages are then checked against the database once each.
PUBLIC_STAMP_SECONDS = 300


def public_changed(**_signal_kwargs: object) -> None:
    """The statuses or the programme years changed: the cached public pages are checked
    against the database before they are served again. Moved now and again when the
    transaction commits, so that a page rendered from what was read before the commit is
    never served after it (a signal receiver: any arguments are accepted)."""
    stamp_move(_PUBLIC_STAMP_KEY, PUBLIC_STAMP_SECONDS)


def public_page(key: str) -> tuple[str | None, dict | None, tuple[int, int]]:
    """The rendered public page stored under ``key``: (its HTML if it was stored under the
    current stamp and generation, else None; what is stored under ``key``, current or not;
    the current (stamp, generation), made afresh when missing). One round trip to the cache
    when the page is current."""
    found = cache.get_many([_PUBLIC_STAMP_KEY, _GENERATION_KEY, key])
    stamp, now, entry = found.get(_PUBLIC_STAMP_KEY), found.get(_GENERATION_KEY), found.get(key)
    if not isinstance(entry, dict):
        entry = None
    if (
        entry is not None
        and stamp is not None
        and now is not None
        and entry["stamps"] == (stamp, now)
        and entry["day"] == _today()
    ):
        return entry["html"], entry, (stamp, now)
    stamp = _stamp(_PUBLIC_STAMP_KEY, found)
    if now is None:
        now = generation()
    return None, entry, (stamp, now)


def public_page_store(key: str, *, html: str, source: str, stamps: tuple[int, int]) -> None:
    """Keep the page ``html`` under ``key``, with ``source`` (what its key in the database
    was: the years, the year's last computation, ...) and the (stamp, generation) read
    before its data; a page is served without a query only under those stamps and on the
    day it was stored (which year a page without ``?year=`` shows depends on the day).
    Pages are rendered by requests and by the recompute's tasks after their commits; one
    rendered inside a transaction from writes it then rolls back would be served until
    the stamp next moves or expires (``PUBLIC_STAMP_SECONDS``)."""
    entry = {"stamps": stamps, "day": _today(), "source": source, "html": html}
    cache.set(key, entry, seconds())


@functools.cache
def release() -> str:
    """A fingerprint of the code, templates, translations and static files this process
    serves (their content, read once): a page kept whole belongs to one release, so that
    a deployment never serves the previous release's pages, whose stylesheets and scripts
    may be gone."""
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR)
    folders = ("communes", "surveys", "targets", "friendlygov", "templates", "locale", "static")
    paths = sorted(
        path
        for folder in folders
        for path in (base / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    for path in paths:
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _today() -> str:
    return timezone.localdate().isoformat()


# --- The dashboard page, whole ----------------------------------------------------------
# With a shared cache a provincial official's or an administrator's warm dashboard is the
# whole rendered page, read in one round trip to Redis beside what it was rendered under,
# and no query (targets.views.home). A page is kept per user (the key holds a fingerprint
# of the user and scope it was rendered for: ``communes.auth.fingerprint``), address and
# language, and served only while none of these has moved since it was rendered: the
# public stamp (statuses, programme years: the page's last computation and years), the
# dashboards' generation (decisions, targets, units: its figures), the runs' stamp (the
# "recompute now" panel), the day, and the user's navigation counts (compared by value).
_RUNS_STAMP_KEY = "dashboard:runs-stamp"


def runs_changed(**_signal_kwargs: object) -> None:
    """A recompute run was queued, started, finished or removed: the dashboards kept whole
    show its panel afresh. Moved now and again when the transaction commits (a signal
    receiver too: any arguments are accepted)."""
    stamp_move(_RUNS_STAMP_KEY, PUBLIC_STAMP_SECONDS)


def _stamp(key: str, found: dict) -> int:
    """The stamp ``key`` as read in ``found``, or made afresh when missing: a new number,
    never a reset, so that a page kept under an expired stamp stays unused."""
    value = found.get(key)
    if value is None:
        cache.add(key, time.time_ns(), PUBLIC_STAMP_SECONDS)
        value = cache.get(key, time.time_ns())
    return value


def dashboard_page_keys(key: str, *, also: list[str]) -> list[str]:
    """What ``dashboard_page`` reads for the page ``key`` and the keys ``also``."""
    return [_PUBLIC_STAMP_KEY, _GENERATION_KEY, _RUNS_STAMP_KEY, key, *also]


def dashboard_page(
    key: str, *, also: list[str], found: dict | None = None
) -> tuple[dict | None, tuple, dict]:
    """The rendered dashboard stored under ``key``: (its entry if it was stored under the
    current stamps and generation on this day, else None; those stamps, to store a page
    rendered now under; what the cache answered for the keys ``also``, read in the same
    round trip: the user's navigation counts). ``found``: what the cache answered for
    ``dashboard_page_keys(key, also=also)`` in this request, when already read."""
    if found is None:
        found = cache.get_many(dashboard_page_keys(key, also=also))
    read = (found.get(_PUBLIC_STAMP_KEY), found.get(_GENERATION_KEY), found.get(_RUNS_STAMP_KEY))
    entry = found.get(key)
    if (
        isinstance(entry, dict)
        and None not in read
        and entry["stamps"] == read
        and entry["day"] == _today()
    ):
        return entry, read, found
    now = found.get(_GENERATION_KEY)
    stamps = (
        _stamp(_PUBLIC_STAMP_KEY, found),
        generation() if now is None else now,
        _stamp(_RUNS_STAMP_KEY, found),
    )
    return None, stamps, found


def dashboard_page_store(
    key: str, *, html: str, stamps: tuple, user: str, nav_counts: dict
) -> None:
    """Keep the dashboard ``html`` under ``key``, with the stamps read before its data
    (``dashboard_page``), the fingerprint of the user it was rendered for and the
    navigation counts it shows."""
    entry = {
        "stamps": stamps,
        "day": _today(),
        "user": user,
        "nav_counts": dict(nav_counts),
        "html": html,
    }
    cache.set(key, entry, seconds())


def recompute_run_keys(run_id) -> list[str]:
    """What ``recompute_run`` reads for the run ``run_id``."""
    return [_RUNS_STAMP_KEY, f"recompute-run:v1:{run_id}"]


def recompute_run(
    run_id: int, load: Callable[[], dict | None], found: dict | None = None
) -> dict | None:
    """What ``load()`` answers for the recompute run ``run_id`` (its state and progress,
    as the API shows them; None: no such run), kept in the shared cache under the runs'
    stamp, which every write of a run moves (``runs_changed``): the dashboards of every
    official poll it while a run is under way. Without a shared cache, ``load()``.
    ``found``: what the cache answered for ``recompute_run_keys(run_id)`` in this
    request, when already read (with the session)."""
    if not getattr(settings, "SHARED_CACHE", False):
        return load()
    key = recompute_run_keys(run_id)[1]
    if found is None:
        found = cache.get_many(recompute_run_keys(run_id))
    stamp, entry = found.get(_RUNS_STAMP_KEY), found.get(key)
    if stamp is not None and isinstance(entry, tuple) and entry[0] == stamp:
        return entry[1]
    stamp = _stamp(_RUNS_STAMP_KEY, found)
    value = load()
    if value is not None:
        cache.set(key, (stamp, value), PUBLIC_STAMP_SECONDS)
    return value
