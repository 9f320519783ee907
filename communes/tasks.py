"""Celery tasks of the communes app: the notification mails (thin adapters).

Their schedules (the outbox drain every 5 minutes, the weekly digest on Monday morning)
are declared with the other periodic schedules, in
``targets/migrations/0006_notification_schedules.py``.
"""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from communes import notifications

RETRY_POLICY = {
    "autoretry_for": (OperationalError, InterfaceError, SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
}


@shared_task(**RETRY_POLICY)
def notifications_send():
    """Mail the notifications waiting in the outbox, one message per user."""
    return notifications.pending_send()


@shared_task(**RETRY_POLICY)
def notifications_weekly_digest():
    """Write (and mail) each user's weekly digest of what is overdue."""
    told = notifications.digest_send()
    notifications.pending_send()
    return told
