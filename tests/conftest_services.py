"""Fixtures of private servers and production-like processes (started by tooling/stack.py)
for the fault, backup and deployment tests.

The shared PostgreSQL (5432) and Redis (6379) serve the other engineers and CI: a test that
stops, restarts or freezes a server gets its own, started here on a free port in a
temporary folder and removed afterwards, whatever the test's outcome. Loaded by
tests/conftest.py (``pytest_plugins``).
"""

import urllib.error
import urllib.request

import pytest
from django.conf import settings

from tests.conftest import skip_or_fail

# The launcher itself lives in tooling/stack.py (make loadtest and make bench use it too);
# the tests import these names from here.
from tooling.stack import (  # noqa: F401
    ROOT,
    CeleryWorker,
    PrivatePostgres,
    PrivateRedis,
    Unavailable,
    celery_worker,
    free_port,
    gunicorn,
    manage,
    private_postgres_server,
    private_redis_server,
    production_env,
    static_settings,
    wait_until,
)


def only_in_the_postgresql_leg():
    """Skip unless the suite runs on PostgreSQL (CI's second leg, DATABASE_URL=postgres://).

    Such tests are marked ``services``: CI's SQLite leg deselects them and its PostgreSQL
    leg runs them, so in CI this never skips.
    """
    if not settings.IS_POSTGRES:
        skip_or_fail("runs when DATABASE_URL is PostgreSQL (CI's PostgreSQL leg)")


@pytest.fixture
def postgresql_leg():
    """Ask for it before ``private_postgres`` so that SQLite runs skip before any set-up."""
    only_in_the_postgresql_leg()


@pytest.fixture
def private_postgres():
    """A private PostgreSQL server, started; stopped and deleted after the test."""
    try:
        with private_postgres_server() as server:
            yield server
    except Unavailable as exc:
        skip_or_fail(str(exc))


# --- Redis -------------------------------------------------------------------------------


@pytest.fixture
def private_redis():
    """A private redis-server, started; killed and deleted after the test."""
    try:
        with private_redis_server() as server:
            yield server
    except Unavailable as exc:
        skip_or_fail(str(exc))


@pytest.fixture
def private_broker(private_redis, monkeypatch):
    """A Celery app configured like the portal's, publishing to the private Redis (what
    celery beat or a page would send, for a worker started by the test to take)."""
    from celery import Celery

    # Celery prefers these variables to its configuration (CI sets the first).
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    app = Celery("private-broker", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=private_redis.url(), task_always_eager=False)
    yield app
    app.close()


# --- The portal as production runs it ----------------------------------------------------


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """``collectstatic`` as ``make serve`` runs it (whitenoise's compressed manifest storage).

    Returns a settings module name (with its folder on ``PYTHONPATH``) that is the
    production settings with STATIC_ROOT pointing at the collected files, so that tests
    do not write into the checkout.
    """
    folder = tmp_path_factory.mktemp("production-static")
    env = production_env(**static_settings(folder))
    try:
        manage("collectstatic", "--noinput", env=env)
    except AssertionError as exc:
        pytest.fail(str(exc))
    return {
        "DJANGO_SETTINGS_MODULE": "fg_collected_settings",
        "PYTHONPATH": env["PYTHONPATH"],
        "STATIC_ROOT": folder / "static",
    }


def http_get(url: str, *, headers: dict | None = None, data: bytes | None = None, timeout=10):
    """GET (or POST, with ``data``) without following redirects: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    assert url.startswith("http://127.0.0.1:"), "tests only talk to servers they started"
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# --- Processes on the test database --------------------------------------------------------


def current_database_url() -> str:
    """The URL of the database the tests use now (pytest-django's ``test_`` database), for
    processes a test starts (gunicorn, a Celery worker); PostgreSQL only.

    Such a test must be transactional (``real_units``/``transactional_db``) so that the
    process sees what the test wrote.
    """
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'])}"
