"""The notification schedules, beside the recompute's (0003, 0004): the e-mail outbox
drain every 5 minutes and the weekly digest of what is overdue, Monday 07:30."""

from django.db import migrations

DRAIN_NAME = "Gửi thư thông báo còn chờ"
DIGEST_NAME = "Thư tổng hợp việc quá hạn hằng tuần"


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=DRAIN_NAME,
        defaults={
            "task": "communes.tasks.notifications_send",
            "interval": every_5_minutes,
            "args": "[]",
            "kwargs": "{}",
            "enabled": True,
            "description": "5 phút một lần: gửi các thư thông báo chưa gửi được (ví dụ khi Redis ngừng).",
        },
    )
    monday_morning, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="7",
        day_of_week="1",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Ho_Chi_Minh",
    )
    PeriodicTask.objects.update_or_create(
        name=DIGEST_NAME,
        defaults={
            "task": "communes.tasks.notifications_weekly_digest",
            "crontab": monday_morning,
            "args": "[]",
            "kwargs": "{}",
            "enabled": True,
            "description": "07:30 thứ Hai: gửi mỗi người bản tổng hợp việc quá hạn của mình.",
        },
    )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[DRAIN_NAME, DIGEST_NAME]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("communes", "0004_notifications_and_preferences"),
        ("targets", "0005_index_last_computed"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
