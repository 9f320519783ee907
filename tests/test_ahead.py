"""Reads sent ahead on a second connection (``friendlygov.ahead``): on PostgreSQL, outside
a transaction, a read runs on the process's thread with a connection of its own, gives
its result or its error to the caller, and leaves no connection open; anywhere else it
runs in the caller's thread, as before. The national dashboard's parts are the same
either way."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import translation

from communes.models import Commune
from friendlygov import ahead
from targets import dashboards, selectors
from tests.conftest import skip_or_fail
from tests.targets.dashboard_data import fill_communes, set_targets


def _postgresql_only():
    if not settings.IS_POSTGRES:
        skip_or_fail("a second connection needs PostgreSQL; CI's PostgreSQL leg runs this")


def _connections_here(expected: int = 1) -> int:
    """The connections open to this test's database, this one included, once there are
    ``expected`` (a connection closed leaves PostgreSQL's list a moment later: waited for
    up to five seconds)."""
    deadline = time.monotonic() + 5
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            count = cursor.fetchone()[0]
        if count == expected or time.monotonic() > deadline:
            return count
        time.sleep(0.01)


@pytest.mark.django_db
def test_inside_a_transaction_the_read_is_the_callers_own():
    # Each such test runs in a transaction, whose rows a second connection would not see.
    def read():
        return Commune.objects.count()

    assert ahead.start(read) == [read]


@pytest.mark.django_db(transaction=True)
def test_switched_off_or_on_another_database_the_read_is_the_callers_own():
    def read():
        return 1

    with override_settings(READ_AHEAD=False):
        assert ahead.start(read) == [read]
    if not settings.IS_POSTGRES:  # SQLite: one writer, and no second core to win
        assert ahead.start(read) == [read]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_read_runs_on_its_own_thread_and_connection_and_keeps_it(real_units):
    _postgresql_only()
    seen = {}

    def read():
        seen["thread"] = threading.current_thread().name
        seen["language"] = translation.get_language()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            seen["backend"] = cursor.fetchone()[0]
        return Commune.objects.count()

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        mine = cursor.fetchone()[0]
    with translation.override("en"):
        (result,) = ahead.start(read)
    assert result is not read

    assert result() == Commune.objects.count() > 0  # committed rows: the same as here
    assert seen["thread"].startswith("read-ahead")
    assert seen["backend"] != mine
    assert seen["language"] == "en"  # the caller's, for anything worded
    # Kept for the next reads, as a request's connection is (CONN_MAX_AGE).
    first_backend = seen["backend"]
    (again,) = ahead.start(read)
    assert again() == Commune.objects.count()
    assert seen["backend"] == first_backend
    assert _connections_here(expected=2) == 2
    ahead.close()
    assert _connections_here() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_read_that_fails_on_the_thread_is_read_again_by_the_caller(real_units, caplog):
    """No second connection to be had (PostgreSQL's connections all taken, say): the page
    is read on one connection, as before, not refused."""
    _postgresql_only()
    from django.db import OperationalError

    def read():
        if threading.current_thread().name.startswith("read-ahead"):
            raise OperationalError("sorry, too many clients already")
        return Commune.objects.count()

    (result,) = ahead.start(read)
    assert result() == Commune.objects.count() > 0
    assert "read again" in caplog.text


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_error_reaches_the_caller_and_frees_the_thread(real_units):
    _postgresql_only()

    def broken():
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM communes_commune")

    failed, after = ahead.start(broken, lambda: Commune.objects.count())
    assert failed is not broken
    with pytest.raises(Exception, match="no_such_column"):
        failed()
    assert after() == Commune.objects.count()  # the reads after it are made all the same
    # The thread is free again, and its connection still serves.
    (again,) = ahead.start(lambda: Commune.objects.count())
    assert again() == Commune.objects.count()
    ahead.close()
    assert _connections_here() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_while_the_thread_reads_for_another_the_caller_reads_itself(real_units):
    _postgresql_only()
    release = threading.Event()
    (waiting,) = ahead.start(lambda: release.wait(10))
    try:

        def read():
            return threading.current_thread().name

        assert ahead.start(read) == [read]  # not queued behind another request's read
    finally:
        release.set()
    assert waiting() is True


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_forked_worker_makes_a_thread_of_its_own(real_units, monkeypatch):
    _postgresql_only()
    parent = ahead._executor()
    monkeypatch.setattr(ahead.os, "getpid", lambda: -1)  # as in a child after fork

    assert ahead._executor() is not parent
    (name,) = ahead.start(lambda: threading.current_thread().name)
    assert name().startswith("read-ahead")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_national_parts_are_the_same_read_ahead_or_not(real_units, monkeypatch):
    """The figures' evidence awaiting review, adoptions and investment, the closest
    communes and the chart's shares are read on the second connection, and the parts
    rendered are those one connection renders."""
    _postgresql_only()
    set_targets()
    communes = list(Commune.objects.order_by("code")[:30])
    fill_communes(communes, year=2024)
    threads: dict[str, list[str]] = {"closest": [], "parts": []}
    closest, national_part = selectors.closest_to_certification, selectors.national_part

    def closest_watched(**kwargs):
        threads["closest"].append(threading.current_thread().name)
        return closest(**kwargs)

    def part_watched(name, **kwargs):
        threads["parts"].append(f"{name} {threading.current_thread().name}")
        return national_part(name, **kwargs)

    monkeypatch.setattr(selectors, "closest_to_certification", closest_watched)
    monkeypatch.setattr(selectors, "national_part", part_watched)

    def parts():
        figures = dashboards.Figures(
            year=2024,
            scope=dashboards.NATIONAL,
            closest_limit=dashboards.NATIONAL_CLOSEST,
            years=selectors.dashboard_years(),
        )
        with CaptureQueriesContext(connection) as queries:
            rendered = dashboards.render_parts(dashboards._request(2024), figures)
        return rendered, len(queries)

    with override_settings(READ_AHEAD=False):
        alone, alone_queries = parts()
    # Alone, every part is read where ``national_figures`` reads it, on this thread.
    assert threads == {"closest": [threading.current_thread().name], "parts": []}
    ahead_parts, ahead_queries = parts()

    assert threads["closest"][1].startswith("read-ahead")
    assert [part.split()[0] for part in threads["parts"]] == ["awaiting", "adoptions", "money"]
    assert all(part.split()[1].startswith("read-ahead") for part in threads["parts"])
    assert ahead_parts == alone
    # The awaiting evidence, the adoptions, the investment, the closest communes and the
    # chart's two statements went on the other connection.
    assert ahead_queries == alone_queries - 6
    # Not empty parts: a commune one reason short, its evidence awaiting review, the
    # chart's year.
    assert communes[1].name in alone["closest"]
    assert "2024" in alone["chart"]
    ahead.close()
    assert _connections_here() == 1
