"""Redis stopped or hung: queuing a task gives up within about a second, never hangs a page.

The tasks are queued with the portal's own Celery settings (friendlygov/settings.py,
CELERY_*) to a private redis-server (tests/conftest_services.py) that the tests stop,
freeze and start again; the shared Redis on 6379 is never touched.
"""

import threading
import time

import pytest
import redis
from celery import Celery
from kombu.exceptions import OperationalError

pytestmark = pytest.mark.services

TASK = "targets.tasks.recompute_commune"


@pytest.fixture
def queue(private_redis, monkeypatch):
    """A Celery app configured like the portal's, but publishing to the private Redis."""
    # Celery prefers these variables to its configuration: in CI's PostgreSQL leg they
    # point at the shared Redis.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    app = Celery("fault-tests", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=private_redis.url(), task_always_eager=False)
    yield app
    app.close()


def queued(private_redis) -> int:
    """How many task messages wait in the private Redis (Celery's default queue)."""
    return redis.Redis.from_url(private_redis.url()).llen("celery")


def timed_send(app):
    """Queue one task; return (seconds taken, the OperationalError raised or None).

    The publish runs in a thread so that a regression that blocks forever fails the test
    after 10 s instead of hanging the suite.
    """
    outcome = {}

    def send():
        try:
            app.send_task(TASK, args=[1, 2023])
            outcome["error"] = None
        except OperationalError as exc:
            outcome["error"] = exc

    started = time.monotonic()
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert "error" in outcome, "queuing a task blocked for more than 10 s"
    return time.monotonic() - started, outcome["error"]


def test_queuing_gives_up_at_once_when_redis_is_stopped(queue, private_redis):
    assert timed_send(queue)[1] is None  # a pooled connection now exists

    private_redis.stop()
    seconds, error = timed_send(queue)

    assert error is not None, "the caller must learn that nothing was queued"
    assert seconds < 1.5  # measured: a few milliseconds (connection refused)


def test_queuing_gives_up_within_about_a_second_when_redis_hangs(queue, private_redis):
    assert timed_send(queue)[1] is None

    private_redis.pause()  # accepts connections, never answers
    seconds, error = timed_send(queue)

    assert error is not None
    # Measured 1.0 s (the socket timeout). Before the timeouts were set it blocked for
    # good; the margin is for a loaded two-core CI machine.
    assert seconds < 2.5


def test_queuing_works_again_as_soon_as_redis_is_back(queue, private_redis):
    assert timed_send(queue)[1] is None
    private_redis.stop()
    assert timed_send(queue)[1] is not None

    private_redis.start()  # an empty Redis on the same port, as after a restart

    seconds, error = timed_send(queue)
    assert error is None, error
    assert seconds < 1.5
    assert queued(private_redis) == 1
