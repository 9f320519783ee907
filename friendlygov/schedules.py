"""Every periodic schedule of the portal, of every app, declared once, here.

``manage.py write_schedules`` (run by ``make migrate``, CI and the README's production
steps) writes them into django-celery-beat, where ``make beat`` (the database
scheduler) reads them and admins see them under "Periodic tasks". Writing is
idempotent: a schedule missing from the database is created; one already there keeps
the time and the on/off an admin may have set, and gets this file's task and
description (``--reset`` puts this file's time back as well).
"""

from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

TIME_ZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class Schedule:
    name: str  # what admins read under "Periodic tasks"; the key of the row
    task: str
    description: str
    crontab: dict | None = None  # minute, hour, ... in TIME_ZONE
    every_minutes: int | None = None


SCHEDULES = [
    # Every night at 01:30 Vietnam time: recompute every commune's status for every year
    # with a rule or a target (catches anything a queued recompute missed).
    Schedule(
        name="Tính lại kết quả công nhận hằng đêm",
        task="targets.tasks.recompute_all",
        crontab={"minute": "30", "hour": "1"},
        description=(
            "01:30 (giờ Việt Nam) mỗi đêm: tính lại trạng thái công nhận của mọi xã "
            "cho mọi năm có quy tắc hoặc chỉ tiêu."
        ),
    ),
    # Every 5 minutes: recompute the communes whose queued recompute could not be sent
    # (the broker was down), from the PendingRecompute outbox.
    Schedule(
        name="Tính lại các xã còn chờ (khi hàng đợi từng gián đoạn)",
        task="targets.tasks.recompute_pending",
        every_minutes=5,
        description=(
            "5 phút một lần: tính lại các xã có thay đổi mà việc tính lại chưa chạy "
            "được (ví dụ khi Redis ngừng)."
        ),
    ),
    # Every 5 minutes: send the notification e-mails that could not be queued (the
    # outbox of communes.notifications).
    Schedule(
        name="Gửi thư thông báo còn chờ",
        task="communes.tasks.notifications_send",
        every_minutes=5,
        description=(
            "5 phút một lần: gửi các thư thông báo chưa gửi được (ví dụ khi Redis ngừng)."
        ),
    ),
    # Mondays at 07:30 Vietnam time: each user's digest of what is overdue in their scope.
    Schedule(
        name="Thư tổng hợp việc quá hạn hằng tuần",
        task="communes.tasks.notifications_weekly_digest",
        crontab={"minute": "30", "hour": "7", "day_of_week": "1"},
        description="07:30 thứ Hai: gửi mỗi người bản tổng hợp việc quá hạn của mình.",
    ),
]


def _when(schedule: Schedule) -> dict:
    if schedule.crontab is not None:
        fields = {"day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
        fields.update(schedule.crontab)
        crontab, _ = CrontabSchedule.objects.get_or_create(timezone=TIME_ZONE, **fields)
        return {"crontab": crontab, "interval": None}
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=schedule.every_minutes, period=IntervalSchedule.MINUTES
    )
    return {"interval": interval, "crontab": None}


@transaction.atomic
def schedules_write(*, reset: bool = False) -> list[str]:
    """Write ``SCHEDULES`` into django-celery-beat; return the names of those created or
    changed. Safe to run at every deployment."""
    changed = []
    for schedule in SCHEDULES:
        task = PeriodicTask.objects.filter(name=schedule.name).first()
        new = task is None
        if task is None:
            task = PeriodicTask(name=schedule.name, enabled=True, args="[]", kwargs="{}")
        fields = {"task": schedule.task, "description": schedule.description}
        if new or reset:
            fields.update(_when(schedule))
        if not new and all(getattr(task, k) == v for k, v in fields.items()):
            continue
        for key, value in fields.items():
            setattr(task, key, value)
        task.save()
        changed.append(schedule.name)
    return changed
