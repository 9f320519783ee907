"""Formerly wrote the notification schedules (now friendlygov/schedules.py)."""

from django.db import migrations

# The schedules this migration wrote are now declared in friendlygov/schedules.py and
# written by `manage.py write_schedules` (make migrate runs it). The operation stays, as a
# no-op, so that databases which applied it keep a consistent history.


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("communes", "0004_notifications_and_preferences"),
        ("targets", "0005_index_last_computed"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
