"""Run by tests/surveys/test_kiosk_crowd.py in a process of its own, on a SQLite file:
CROWD citizens answer the kiosk at the same moment, ANSWERS each; prints one JSON line
with the status codes seen and what the database holds."""

import datetime
import json
import os
import re
import sys
import threading
from collections import Counter

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "friendlygov.settings_test")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from communes.models import Commune  # noqa: E402
from surveys.models import SurveyResponse  # noqa: E402
from surveys.services import kiosk_link_ensure, questionnaire_create_default  # noqa: E402
from targets.models import PendingRecompute  # noqa: E402

CROWD, ANSWERS = int(sys.argv[1]), int(sys.argv[2])
settings.ALLOWED_HOSTS = ["testserver"]
settings.SURVEY_KIOSK_MIN_SECONDS = 0
settings.SURVEY_KIOSK_MAX_PER_MINUTE = 10**6
settings.CELERY_TASK_EAGER_PROPAGATES = False  # as in production: a task's error is logged

call_command("migrate", verbosity=0)
call_command("load_units", verbosity=0)
questionnaire = questionnaire_create_default()
# Codes are reused across periods: the desk is today's Xã Lục Nam (7444).
today = datetime.date.today()
link = kiosk_link_ensure(commune=Commune.objects.in_force(on=today).get(code="7444"))
codes = [q.code for q in questionnaire.questions.all()]
url = f"/s/{link.token}/"
connection.close()

statuses = Counter()
start = threading.Barrier(CROWD)


def citizen():
    client = Client(raise_request_exception=False)
    forms = [
        re.search(r'name="stamp" value="([^"]+)"', client.get(url).content.decode()).group(1)
        for _ in range(ANSWERS)
    ]
    start.wait()
    for stamp in forms:
        response = client.post(url, {**dict.fromkeys(codes, "5"), "stamp": stamp})
        statuses[response.status_code] += 1
    connection.close()


threads = [threading.Thread(target=citizen) for _ in range(CROWD)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
print(
    json.dumps(
        {
            "statuses": dict(statuses),
            "saved": SurveyResponse.objects.count(),
            "pending": list(PendingRecompute.objects.values_list("commune__code", flat=True)),
            "journal": journal,
        }
    )
)
