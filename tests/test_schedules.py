"""The periodic schedules: declared once (friendlygov/schedules.py), written by a command."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from friendlygov.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_writing_the_schedules_twice_leaves_one_row_each():
    call_command("write_schedules")
    call_command("write_schedules")

    names = list(PeriodicTask.objects.values_list("name", flat=True))
    for schedule in SCHEDULES:
        assert names.count(schedule.name) == 1


def test_a_time_an_admin_changed_is_kept_unless_reset():
    call_command("write_schedules")
    nightly = PeriodicTask.objects.get(task="targets.tasks.recompute_all")
    nightly.crontab = CrontabSchedule.objects.create(minute="0", hour="3", timezone="UTC")
    nightly.enabled = False
    nightly.save()

    call_command("write_schedules")
    nightly.refresh_from_db()
    assert (nightly.crontab.hour, nightly.enabled) == ("3", False)

    call_command("write_schedules", "--reset")
    nightly.refresh_from_db()
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("1", "30")
    assert not nightly.enabled  # switching a schedule off stays the admin's call
