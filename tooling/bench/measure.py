"""The measurements of ``manage.py bench``: each figure of the portal beside a reference
measured in the same run (hand-written SQL, PostgreSQL's COPY, a trivial view).

Each ``measure_*`` returns rows of the table the command prints; none changes the
data for good (what a measurement writes is rolled back or deleted).
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from communes.models import Commune, Province, Role, UserScope
from targets.models import CertificationStatus, RecomputeRun
from tooling.bench import load, reference, scale

BENCH_YEAR = 2024
_PLAIN_STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"
REAL_PROVINCE = "24"  # Bắc Giang


@dataclass
class Row:
    """One line of the results: the portal's figure beside its reference."""

    number: str
    what: str
    portal: str
    reference: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None  # None: no goal (a figure shown for context)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:,.2f} s"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_time(action: Callable[[], object], *, runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        action()
    return statistics.median(timed(action) for _ in range(runs))


# --- Users -----------------------------------------------------------------------------


def bench_user(role: str):
    """The benchmark's provincial official of Bắc Giang, or its admin (who sees every
    commune of the country). No usable password: the benchmark logs them in itself."""
    User = get_user_model()
    username = {Role.ADMIN: "bench.admin", Role.PROVINCE: "bench.tinh"}[role]
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    province = (
        Province.objects.get(code=REAL_PROVINCE, valid_from=None) if role == Role.PROVINCE else None
    )
    UserScope.objects.update_or_create(user=user, defaults={"role": role, "province": province})
    return user


def _visible_communes(user) -> int:
    return Commune.objects.visible_to(user).count()


# --- 1 and 2: the province dashboard --------------------------------------------------------


def _dashboard_client(user) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _get_ok(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return response


def measure_dashboard(*, runs: int) -> list[Row]:
    """1: the province dashboard rendered warm (median of ``runs``) as Bắc Giang's
    provincial official and as the admin, beside the raw SQL of its aggregates; the first
    render after a recompute (nothing cached); 2: the queries of each."""
    url = f"/?year={BENCH_YEAR}"
    # Each recompute rewrites the statuses; autovacuum tidies them soon after the
    # nightly run. Earlier runs of the benchmark may have left it no time to.
    scale.analyze(CertificationStatus)
    official, admin = bench_user(Role.PROVINCE), bench_user(Role.ADMIN)
    bac_giang = list(Province.objects.filter(code=REAL_PROVINCE).values_list("pk", flat=True))
    sizes = {}
    rows = []
    # Production renders with DEBUG off (no query log, no template debug information);
    # static URLs come from the source folders (no collectstatic manifest needed here).
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": _PLAIN_STATIC}}
    with override_settings(DEBUG=False, STORAGES=storages):
        for label, user, provinces in (
            ("provincial official", official, bac_giang),
            ("admin, whole country", admin, None),
        ):
            communes = _visible_communes(user)
            client = _dashboard_client(user)
            warm = median_time(lambda c=client: _get_ok(c, url), runs=runs, warmup=2)
            raw = median_time(
                lambda p=provinces: reference.dashboard(year=BENCH_YEAR, province_ids=p),
                runs=runs,
            )

            def cold(c=client):
                cache.clear()
                _get_ok(c, url)

            first = median_time(cold, runs=max(3, runs // 4))
            with CaptureQueriesContext(connection) as warm_queries:
                _get_ok(client, url)
            cache.clear()
            with CaptureQueriesContext(connection) as cold_queries:
                _get_ok(client, url)
            sizes[label] = (communes, len(warm_queries), len(cold_queries))
            is_goal = provinces is None
            rows.append(
                Row(
                    "1",
                    f"dashboard, {communes:,} communes ({label}), warm",
                    _ms(warm),
                    f"raw SQL {_ms(raw)}",
                    f"{warm / raw:.2f}x",
                    "<= 100 ms, <= 2x" if is_goal else "",
                    (warm <= 0.100 and warm <= 2 * raw) if is_goal else None,
                )
            )
            rows.append(
                Row(
                    "1",
                    f"  first render after a recompute (nothing cached), {communes:,}",
                    _ms(first),
                    f"raw SQL {_ms(raw)}",
                    f"{first / raw:.2f}x",
                )
            )
    (small, small_warm, small_cold), (large, large_warm, large_cold) = sizes.values()
    rows.append(
        Row(
            "2",
            f"SQL queries per dashboard, warm: {small:,} vs {large:,} communes",
            f"{small_warm} vs {large_warm}",
            goal="equal",
            met=small_warm == large_warm,
        )
    )
    rows.append(
        Row(
            "2",
            f"SQL queries per dashboard, nothing cached: {small:,} vs {large:,}",
            f"{small_cold} vs {large_cold}",
            goal="equal",
            met=small_cold == large_cold,
        )
    )
    return rows


# --- 5: HTTP under gunicorn ----------------------------------------------------------------


def _session_cookie(user, secret_key: str) -> str:
    """A session cookie of ``user`` that a server with ``secret_key`` accepts."""
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    with override_settings(SECRET_KEY=secret_key):
        session = engine.SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def measure_http(*, clients: int, seconds: float, workers: int) -> list[Row]:
    """5: the province dashboard (Bắc Giang's provincial official) under gunicorn with
    ``clients`` concurrent clients for ``seconds``, beside /healthz in the same server."""
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )
    if db.get("PASSWORD"):
        raise RuntimeError("measurement 5 supports a password-less DATABASE_URL only")
    secret_key = load.new_secret_key()
    env = load.production_env(secret_key=secret_key, database_url=database_url)
    load.collectstatic(env)
    official = bench_user(Role.PROVINCE)
    cookie = _session_cookie(official, secret_key)
    url = f"/?year={BENCH_YEAR}"
    with load.gunicorn(env, workers=workers) as port:
        # Warm both workers (imports, connections, caches) before measuring.
        load.hammer(port=port, path=url, cookie=cookie, clients=workers * 2, seconds=3)
        load.hammer(port=port, path="/healthz", clients=workers * 2, seconds=2)
        page = load.hammer(port=port, path=url, cookie=cookie, clients=clients, seconds=seconds)
        trivial = load.hammer(port=port, path="/healthz", clients=clients, seconds=seconds)
        # For context: the least a logged-in request costs here (the session, the user,
        # the scope and one row), which /healthz does not pay.
        run = RecomputeRun.objects.order_by("-pk").first()
        floor = None
        if run is not None:
            floor = load.hammer(
                port=port,
                path=f"/api/v1/recompute/{run.pk}",
                cookie=cookie,
                clients=clients,
                seconds=seconds,
            )
    ratio = page.per_second / trivial.per_second if trivial.per_second else 0.0
    context = []
    if floor is not None:
        context.append(
            Row(
                "5",
                "  a logged-in trivial view in the same server (/api/v1/recompute/<run>, JSON)",
                f"{floor.per_second:,.0f} req/s",
                f"/healthz {trivial.per_second:,.0f} req/s",
                f"{floor.per_second / trivial.per_second:.2f}x",
            )
        )
    return [
        Row(
            "5",
            f"HTTP, gunicorn {workers} workers, {clients} clients, {seconds:.0f} s: dashboard "
            f"(209 communes) req/s",
            f"{page.per_second:,.0f} req/s",
            f"/healthz {trivial.per_second:,.0f} req/s",
            f"{ratio:.2f}x",
            ">= 0.5x",
            ratio >= 0.5 and not page.errors,
        ),
        Row(
            "5",
            f"  p99 latency (p50); errors {page.errors} / {trivial.errors}",
            f"{page.percentile(0.99):,.0f} ms ({page.percentile(0.5):,.0f})",
            f"{trivial.percentile(0.99):,.0f} ms ({trivial.percentile(0.5):,.0f})",
        ),
        *context,
    ]
