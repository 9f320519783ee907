"""A recompute that could not be queued is not lost: the outbox behind recompute_later."""

from unittest import mock

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError as BrokerError

from targets import outbox, services, tasks
from targets.models import CertificationStatus, PendingRecompute, RecomputeRun, Status

pytestmark = pytest.mark.django_db


def broker_down():
    return mock.patch.object(tasks.recompute_commune, "delay", side_effect=BrokerError("down"))


def test_a_request_is_recorded_with_the_change_and_cleared_once_the_task_has_run(
    make_ready, doi_ngo, django_capture_on_commit_callbacks
):
    make_ready([doi_ngo])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox.recompute_later(commune_id=doi_ngo.pk, year=2023)
    assert PendingRecompute.objects.get(commune=doi_ngo).year == 2023

    for callback in callbacks:  # the commit: the task runs in-process
        callback()

    assert not PendingRecompute.objects.exists()
    assert CertificationStatus.objects.get(commune=doi_ngo, year=2023).status == Status.CERTIFIED


def test_with_the_broker_down_the_request_waits_and_the_drain_runs_it(
    make_ready, doi_ngo, django_capture_on_commit_callbacks
):
    make_ready([doi_ngo])
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        outbox.recompute_later(commune_id=doi_ngo.pk, year=2023)
    assert not CertificationStatus.objects.filter(commune=doi_ngo).exists()
    assert PendingRecompute.objects.filter(commune=doi_ngo).exists()

    assert tasks.recompute_pending.delay().get() == 1

    assert CertificationStatus.objects.get(commune=doi_ngo, year=2023).status == Status.CERTIFIED
    assert not PendingRecompute.objects.exists()


def test_requests_for_two_years_become_one_request_for_every_year(
    doi_ngo, django_capture_on_commit_callbacks
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        outbox.recompute_later(commune_id=doi_ngo.pk, year=2023)
        outbox.recompute_later(commune_id=doi_ngo.pk, year=2023)
        assert PendingRecompute.objects.get(commune=doi_ngo).year == 2023
        outbox.recompute_later(commune_id=doi_ngo.pk, year=2024)
    assert PendingRecompute.objects.get(commune=doi_ngo).year is None


def test_a_task_for_one_year_leaves_a_request_for_every_year_to_the_drain(
    make_ready, doi_ngo, django_capture_on_commit_callbacks
):
    make_ready([doi_ngo])
    PendingRecompute.objects.create(commune=doi_ngo, year=None, requested_at="2023-01-01T00:00Z")
    tasks.recompute_commune.delay(doi_ngo.pk, 2023)
    assert PendingRecompute.objects.filter(commune=doi_ngo).exists()
    tasks.recompute_commune.delay(doi_ngo.pk, None)
    assert not PendingRecompute.objects.exists()


def test_the_nightly_run_clears_every_request_made_before_it(
    make_ready, doi_ngo, le_loi, django_capture_on_commit_callbacks
):
    make_ready([doi_ngo, le_loi])
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        outbox.recompute_later(commune_id=doi_ngo.pk, year=2023)
        outbox.recompute_later(commune_id=le_loi.pk, year=None)
    run = services.recompute_run_create(trigger=RecomputeRun.Trigger.NIGHTLY)

    services.recompute_run_execute(run_id=run.pk)

    assert not PendingRecompute.objects.exists()
    assert CertificationStatus.objects.get(commune=le_loi, year=2023).status == Status.CERTIFIED


def test_the_drain_has_nothing_to_do_when_nothing_waits():
    assert services.pending_recomputes_drain() == 0


def test_the_drain_is_scheduled_every_five_minutes_and_editable_in_admin():
    call_command("write_schedules")
    task = PeriodicTask.objects.get(task="targets.tasks.recompute_pending")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (5, "minutes")
