"""Formerly wrote the nightly recompute schedule (now friendlygov/schedules.py)."""

from django.db import migrations


# The schedule this migration wrote is now declared in friendlygov/schedules.py and written by
# `manage.py write_schedules` (make migrate runs it). The operation stays, as a no-op, so
# that databases which applied it keep a consistent history.


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0002_run_trigger_and_labels"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
