"""The Celery app. It reads CELERY_* settings; without a broker tasks run in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "friendlygov.settings")

app = Celery("friendlygov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
