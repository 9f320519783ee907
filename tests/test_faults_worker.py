"""A Celery worker killed in the middle of ``recompute_all``: no year is left half-written,
and the run is finished by the next worker.

The recompute writes each year in one transaction: its statuses (one upsert), then the
history of the statuses that changed (targets/services.py). To kill the worker at a
known point, the test holds a lock on the history table (as a long report or a backup
might): the worker commits 2023 (nothing changed there, so it has no history to add),
writes all of 2024's statuses, and waits to add their history, with all of it
uncommitted. Then it is killed with SIGKILL, no shutdown of any kind.

Runs in CI's PostgreSQL leg, with real worker processes on the test database and a
private Redis (tests/conftest_services.py); the shared Redis is never used, so no
message of a killed worker is left behind for other tests.
"""

import contextlib
import datetime
import os
import signal

import pytest
import redis
from django.db import connection, transaction
from django.db.models import F

from targets import services
from targets.models import CertificationStatus, RecomputeRun, Status, StatusChange, YearTarget
from targets.selectors import last_computation
from tests.conftest_services import (
    celery_worker,
    current_database_url,
    production_env,
    wait_until,
)

pytestmark = pytest.mark.services

YEARS = (2023, 2024, 2025)
COMMUNES = 209
# Yesterday's statuses: a time and a status the recompute never writes.
OLD = datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def yesterdays_statuses(postgresql_leg, real_units):
    """Every commune's statuses as a run of long ago left them: 2023 as the recompute
    finds it again, 2024 and 2025 different from what it will find."""
    for year, percent in zip(YEARS, (30, 60, 100), strict=True):
        YearTarget.objects.create(year=year, percent=percent)
    services.statuses_recompute()
    CertificationStatus.objects.update(computed_at=OLD)
    # Computed from other facts than today's: their fingerprint is not today's either.
    CertificationStatus.objects.filter(year__gt=2023).update(
        status=Status.NOT_MET, facts_hash="yesterday"
    )
    assert StatusChange.objects.count() == COMMUNES * len(YEARS)


@pytest.fixture
def worker_env(private_redis):
    return production_env(
        DATABASE_URL=current_database_url(), CELERY_BROKER_URL=private_redis.url(), CONN_MAX_AGE="0"
    )


@pytest.fixture
def redelivering_env(worker_env, tmp_path):
    """The worker settings with Redis' visibility timeout cut from an hour to 2 s.

    A message a worker took and never acknowledged (acks_late) goes back to the queue
    once it has been out that long; the next worker restores it when it starts and
    every second after. In production that is an hour later, or the nightly run first.
    """
    (tmp_path / "fg_redeliver_settings.py").write_text(
        "from friendlygov.settings import *  # noqa: F403\n"
        "CELERY_BROKER_TRANSPORT_OPTIONS = {\n"
        "    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405\n"
        '    "visibility_timeout": 2,\n'
        '    "unacked_restore_interval": 1,\n'
        "}\n"
    )
    return {
        **worker_env,
        "DJANGO_SETTINGS_MODULE": "fg_redeliver_settings",
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{worker_env['PYTHONPATH']}",
    }


def statuses_by_year() -> dict[int, str]:
    """Each year as a whole: "old" (yesterday's statuses and history), "new" (the run's
    statuses and the history of their changes), or "MIXED", which must never be seen."""
    found = {}
    for year in YEARS:
        rows = CertificationStatus.objects.filter(year=year)
        assert rows.count() == COMMUNES
        # As the pages show it: a run of every commune moves the year's time, not the
        # time of each status whose facts did not move.
        old_rows = (
            rows.annotate(at=last_computation(F("computed_at"), year=year)).filter(at=OLD).count()
        )
        history = StatusChange.objects.filter(year=year).count()
        changed = 0 if year == 2023 else COMMUNES  # NOT_MET -> what the rule says
        if old_rows == COMMUNES and history == COMMUNES:
            found[year] = "old"
        elif old_rows == 0 and history == COMMUNES + changed:
            found[year] = "new"
        else:
            found[year] = f"MIXED ({old_rows} old statuses, {history} history rows)"
    return found


def sessions(query: str, *, waiting: bool = False) -> int:
    """Other database sessions whose last statement starts so (and waits on a lock)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # see the activity of now
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND query LIKE %s "
            "AND (NOT %s OR wait_event_type = 'Lock')",
            [query + "%", waiting],
        )
        return cursor.fetchone()[0]


ADDING_HISTORY = 'INSERT INTO "targets_statuschange"'
WAITING_FOR_THE_YEAR = "SELECT pg_advisory_xact_lock"


@contextlib.contextmanager
def history_locked():
    """Hold a lock on the status history in this test's connection until the block ends:
    reading it goes on, adding to it waits."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{StatusChange._meta.db_table}" IN SHARE MODE')
        yield


def run_state(run) -> tuple[str, int, int]:
    run.refresh_from_db()
    return run.state, run.communes_done, run.communes_total


def recompute_in_the_background(broker, run):
    """Queue the full recompute ``run``, as the nightly schedule or "recompute now" does."""
    broker.send_task("targets.tasks.recompute_all", kwargs={"run_id": run.pk})


def wait_until_it_writes_2024(worker, run):
    worker.wait_for(
        lambda: sessions(ADDING_HISTORY, waiting=True) == 1, what="the worker to write 2024"
    )
    # 2023 was committed; 2024's statuses are written in its transaction, not committed.
    assert run_state(run) == (RecomputeRun.State.RUNNING, COMMUNES, COMMUNES * len(YEARS))
    assert statuses_by_year() == {2023: "new", 2024: "old", 2025: "old"}


def test_a_killed_worker_leaves_each_year_whole_and_the_next_worker_finishes_its_run(
    yesterdays_statuses, private_broker, worker_env, redelivering_env, private_redis, tmp_path
):
    run = services.recompute_run_create(trigger=RecomputeRun.Trigger.ADMIN)
    with celery_worker(worker_env, log_folder=tmp_path) as worker:
        with history_locked():
            recompute_in_the_background(private_broker, run)
            wait_until_it_writes_2024(worker, run)
            worker.kill()
        # The dead worker's database session ends with it: its 2024 writes roll back.
        wait_until(lambda: sessions(ADDING_HISTORY) == 0, timeout=30, what="its session to end")

    assert statuses_by_year() == {2023: "new", 2024: "old", 2025: "old"}
    assert run_state(run)[0] == RecomputeRun.State.RUNNING  # nobody was left to say more
    # Taken but never acknowledged (acks_late): the message is kept, not lost.
    assert redis.Redis.from_url(private_redis.url()).hlen("unacked") == 1

    with celery_worker(redelivering_env, log_folder=tmp_path) as worker:
        worker.wait_for(
            lambda: run_state(run)[0] == RecomputeRun.State.DONE, what="the run to be finished"
        )
    assert run_state(run) == (RecomputeRun.State.DONE, COMMUNES * 3, COMMUNES * 3)
    assert statuses_by_year() == {2023: "new", 2024: "new", 2025: "new"}


def test_a_killed_pool_process_is_replaced_and_the_worker_runs_the_task_again(
    yesterdays_statuses, private_broker, worker_env, tmp_path
):
    run = services.recompute_run_create(trigger=RecomputeRun.Trigger.ADMIN)
    with celery_worker(worker_env, log_folder=tmp_path) as worker:
        with history_locked():
            recompute_in_the_background(private_broker, run)
            wait_until_it_writes_2024(worker, run)
            [pool_process] = worker.pool_pids()
            os.kill(pool_process, signal.SIGKILL)  # as the kernel's out-of-memory killer does
            # acks_late + reject_on_worker_lost: the main process puts the message back
            # and a new pool process starts the run again. It redoes 2023, then waits for
            # 2024 until the dead process' session has ended.
            worker.wait_for(
                lambda: sessions(WAITING_FOR_THE_YEAR, waiting=True) == 1,
                what="the new pool process to reach 2024",
            )
            assert "WorkerLostError" in worker.output()
            assert statuses_by_year() == {2023: "new", 2024: "old", 2025: "old"}
        worker.wait_for(
            lambda: run_state(run)[0] == RecomputeRun.State.DONE, what="the run to be finished"
        )
    assert run_state(run) == (RecomputeRun.State.DONE, COMMUNES * 3, COMMUNES * 3)
    assert statuses_by_year() == {2023: "new", 2024: "new", 2025: "new"}
