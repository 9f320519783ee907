"""The nightly recompute of every commune's status: the project's one periodic schedule.

Declared here, once, as django-celery-beat rows so that admins see and edit it under
"Periodic tasks" (time, time zone, on/off) without a deployment; `make beat` runs it.
"""

from django.db import migrations

TASK_NAME = "Tính lại kết quả công nhận hằng đêm"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="1",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Ho_Chi_Minh",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "targets.tasks.recompute_all",
            "crontab": schedule,
            "args": "[]",
            "kwargs": "{}",
            "enabled": True,
            "description": (
                "01:30 (giờ Việt Nam) mỗi đêm: tính lại trạng thái công nhận của mọi xã "
                "cho mọi năm có quy tắc hoặc chỉ tiêu."
            ),
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0002_run_trigger_and_labels"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
