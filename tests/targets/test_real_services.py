"""The recompute on real services: a Celery worker process, the Redis broker, PostgreSQL.

These run in the PostgreSQL pass of CI (`.ci/run` sets DATABASE_URL and
CELERY_BROKER_URL). On SQLite with in-process tasks (`make test` on a newcomer's
machine, and CI's first pass) a worker process could not see the in-memory test
database, so they are skipped there; with PostgreSQL configured, an unreachable broker
or a worker that does not start is a skip for newcomers and a failure in CI.
"""

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from communes.models import Commune, Evidence, EvidenceState
from friendlygov.celery import app as celery_app
from targets import caching, outbox, services
from targets.models import CertificationStatus, RecomputeRun, Status, StatusChange
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90


@pytest.fixture
def postgres_and_broker():
    """Skip (or fail in CI, see the module's docstring) without the real services."""
    if not settings.IS_POSTGRES or not settings.CELERY_BROKER_URL:
        skip_or_fail(
            "needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://... "
            "(the PostgreSQL pass of .ci/run runs it)"
        )
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1)
    except Exception as exc:
        skip_or_fail(f"the Celery broker {settings.CELERY_BROKER_URL} is unreachable: {exc}")


def worker_database_url() -> str:
    """The URL of the database the tests use now (pytest-django's test_ database)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'])}"


class Worker:
    def __init__(self, process, log_path):
        self.process = process
        self.log_path = log_path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for(self, condition, what: str):
        """Poll ``condition`` until true; fail with the worker's output after the deadline."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited ({self.process.returncode}):\n{self.output()}")
            time.sleep(0.25)
        pytest.fail(
            f"timed out after {WAIT_SECONDS} s waiting for {what}; worker:\n{self.output()}"
        )

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: finish the current task, then exit
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def celery_worker(postgres_and_broker, real_units, monkeypatch, tmp_path):
    """A real `celery worker` process on the test database and the configured broker.

    Always stopped afterwards, test passed or not; its output is printed (pytest shows
    it for failing tests).
    """
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    celery_app.control.purge()  # messages other tests left behind
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "friendlygov.settings_test",
        "DATABASE_URL": worker_database_url(),
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "friendlygov",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, log_path)
    try:
        yield worker
    finally:
        worker.stop()
        print(f"--- celery worker output ---\n{worker.output()}")


def _run_state(run_id):
    return RecomputeRun.objects.get(pk=run_id).state


def test_a_real_worker_runs_the_recompute_the_dashboard_asks_for(
    celery_worker, make_ready, admin_user
):
    make_ready(Commune.objects.order_by("code")[:30])
    make_ready(Commune.objects.order_by("code")[30:40], states={"TC-HS": EvidenceState.REJECTED})

    run = outbox.recompute_all_start(by=admin_user, year=2023)
    assert run.state == RecomputeRun.State.QUEUED  # queued on the broker, not run here

    celery_worker.wait_for(lambda: _run_state(run.pk) in ("done", "failed"), "the run to end")
    run.refresh_from_db()
    assert run.state == "done", run.error
    assert (run.communes_done, run.communes_total) == (209, 209)
    counts = dict(
        CertificationStatus.objects.filter(year=2023)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    assert counts == {Status.CERTIFIED: 30, Status.NOT_MET: 10, Status.NOT_STARTED: 169}


def test_a_real_worker_recomputes_a_commune_after_its_evidence_is_reviewed(
    celery_worker, make_ready, doi_ngo
):
    make_ready([doi_ngo], states={"TC-HS": EvidenceState.SUBMITTED})
    services.statuses_recompute(year=2023, commune_ids=[doi_ngo.pk])
    assert doi_ngo.statuses.get(year=2023).status == Status.IN_PROGRESS

    # What a review does: change the evidence, ask for a recompute after the commit.
    Evidence.objects.filter(commune=doi_ngo).update(state=EvidenceState.APPROVED)
    outbox.recompute_later(commune_id=doi_ngo.pk, year=2023)

    celery_worker.wait_for(
        lambda: doi_ngo.statuses.get(year=2023).status == Status.CERTIFIED,
        "Đồi Ngô to be certified",
    )
    assert StatusChange.objects.filter(commune=doi_ngo).count() == 2


def test_two_recomputes_at_once_take_turns_and_record_each_change_once(
    postgres_and_broker, real_units, make_ready, monkeypatch
):
    make_ready(Commune.objects.order_by("code")[:20])
    evaluate = services.statuses_evaluate

    def slow_evaluate(**kwargs):
        verdicts = evaluate(**kwargs)
        time.sleep(0.5)  # hold the lock long enough for the other run to arrive
        return verdicts

    monkeypatch.setattr(services, "statuses_evaluate", slow_evaluate)
    start = threading.Barrier(2)
    errors = []

    def recompute():
        try:
            start.wait()
            services.statuses_recompute(year=2023)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=recompute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)

    assert errors == []
    assert CertificationStatus.objects.filter(year=2023).count() == 209
    # Without the lock both runs would see no previous status and record 418 changes.
    assert StatusChange.objects.filter(year=2023).count() == 209
    assert CertificationStatus.objects.filter(status=Status.CERTIFIED).count() == 20


def test_a_real_worker_builds_the_meeting_report_with_its_progress(
    celery_worker, make_ready, province_official
):
    from targets import reports
    from targets.models import ReportRun

    make_ready(Commune.objects.order_by("code")[:5])
    services.statuses_recompute(year=2024)

    run = reports.report_run_start(by=province_official, year=2024)
    assert run.state == ReportRun.State.QUEUED  # queued on the broker, not built here

    celery_worker.wait_for(
        lambda: ReportRun.objects.get(pk=run.pk).is_finished, "the report to be built"
    )
    run.refresh_from_db()
    assert run.state == ReportRun.State.DONE, run.error
    assert run.steps_done == run.steps_total > 3
    assert run.file.name.startswith("reports/2024/") and run.file.name.endswith(".pdf")


@pytest.fixture
def shared_cache(private_redis, monkeypatch, settings):
    """The cache of production: one Redis for the web processes and the workers (a
    private one here), set before ``celery_worker`` starts its process."""
    url = "rediscache://" + private_redis.url().removeprefix("redis://")
    monkeypatch.setenv("CACHE_URL", url)
    settings.CACHES = {
        "default": {
            "BACKEND": "friendlygov.cache.OptionalRedisCache",
            "LOCATION": private_redis.url(),
        }
    }
    return url


def test_a_real_workers_recompute_leaves_the_dashboard_rendered_for_the_first_reader(
    shared_cache, celery_worker, make_ready, province_official, client
):
    from django.test.utils import CaptureQueriesContext

    def queries(url="/?year=2023"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    make_ready(Commune.objects.order_by("code")[:30])
    client.force_login(province_official)
    queries()
    # What a view costs around the figures' cached parts: every view when the page is not
    # kept whole, and the first after any run when it is (with CACHE_URL on Redis a warm
    # page kept whole costs no query, and every write of a run forgets it).
    caching.runs_changed()
    around_the_parts = queries()

    run = outbox.recompute_all_start(by=province_official, year=2023)
    celery_worker.wait_for(lambda: _run_state(run.pk) in ("done", "failed"), "the run to end")

    assert _run_state(run.pk) == "done"
    # The worker rendered the new figures into the shared cache before the run was done:
    # the first reader renders none of them.
    assert queries() == around_the_parts
    assert '<div class="display-6">30<span class="fs-5 text-muted text-nowrap">/209' in (
        client.get("/?year=2023").content.decode()
    )
