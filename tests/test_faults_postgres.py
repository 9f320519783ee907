"""PostgreSQL restarted or briefly down: the portal recovers by itself, without a restart.

gunicorn serves the portal with production settings against a private PostgreSQL server
(tests/conftest_services.py), which the test restarts and stops; the shared server on
5432 is never touched.
"""

import time

import pytest

from tests.conftest_services import gunicorn, http_get, production_env

pytestmark = pytest.mark.services


@pytest.fixture
def portal_on_private_postgres(postgresql_leg, private_postgres):
    env = production_env(DATABASE_URL=private_postgres.createdb("fg_fault"))
    with gunicorn(env) as (base, log, process):
        yield base, log, process


def healthz(base):
    status, _, _ = http_get(f"{base}/healthz", timeout=10)
    return status


def test_the_portal_answers_again_at_once_after_postgresql_restarts(
    portal_on_private_postgres, private_postgres
):
    base, log, process = portal_on_private_postgres
    assert healthz(base) == 200  # the worker now holds a persistent connection

    private_postgres.restart()  # cuts that connection

    # CONN_HEALTH_CHECKS: the dead connection is noticed and replaced before the request
    # uses it, so not even the first request after the restart fails.
    assert healthz(base) == 200
    assert healthz(base) == 200
    assert process.poll() is None
    assert log.read_text().count("Booting worker") == 1, "the worker was restarted"


def test_while_postgresql_is_down_healthz_says_so_quickly_and_recovers_when_it_returns(
    portal_on_private_postgres, private_postgres
):
    base, log, process = portal_on_private_postgres
    assert healthz(base) == 200

    private_postgres.stop()
    started = time.monotonic()
    assert healthz(base) == 503
    assert time.monotonic() - started < 5, "a down database must not hang the page"

    private_postgres.start()
    assert healthz(base) == 200
    assert process.poll() is None
    assert log.read_text().count("Booting worker") == 1, "the worker was restarted"
