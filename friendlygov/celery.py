"""The Celery app. It reads CELERY_* settings; without a broker tasks run in-process.

Periodic schedules are declared in one place, ``friendlygov/schedules.py`` (the nightly
recompute; the drain of recomputes that could not be queued, every 5 minutes), written
into django-celery-beat by ``manage.py write_schedules`` (``make migrate`` runs it) and
edited in the admin ("Periodic tasks"). Do not add a ``beat_schedule`` here: `make
beat` uses the database scheduler.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "friendlygov.settings")

app = Celery("friendlygov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
