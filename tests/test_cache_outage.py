"""Audit finding 4: with the production cache (CACHE_URL on Redis) and that Redis down,
pages serve from the database, answers and adoptions are saved: never a 500.

The Redis here is a port nothing listens on: the outage needs no server to stop. The
fault tests (tests/test_faults_redis_portal.py) stop a real one under gunicorn."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from communes.models import Commune, GoodPractice, PracticeAdoption
from surveys.models import SurveyResponse
from surveys.services import kiosk_link_ensure, questionnaire_create_default
from tests.conftest import DOI_NGO, LUC_NAM
from tests.conftest_services import free_port
from tests.surveys.conftest import all_answers
from tests.surveys.test_kiosk import aged_stamp

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_down(settings):
    """The cache on a Redis that does not answer. Set through pytest-django's ``settings``
    like the tests' own changes, so that all of them are undone in reverse order: an
    ``override_settings`` of its own, left before a test's ``settings`` change was undone,
    let that undoing bring the dead cache back for every later test of the process."""
    settings.CACHES = {
        "default": {
            "BACKEND": "friendlygov.cache.OptionalRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",
        }
    }


def test_the_settings_make_a_redis_cache_optional():
    env = {
        **os.environ,
        "CACHE_URL": "rediscache://127.0.0.1:6390/1",
        "DJANGO_SETTINGS_MODULE": "friendlygov.settings_test",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings as s; print(s.CACHES)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "friendlygov.cache.OptionalRedisCache" in done.stdout


@pytest.mark.django_db
def test_with_the_cache_down_dashboards_serve_from_the_database(
    redis_down, client_for, province_official, client
):
    province = client_for(province_official)
    for path in ("/", f"/districts/{LUC_NAM}/", f"/communes/{DOI_NGO}/", "/api/v1/progress"):
        assert province.get(path).status_code == 200, path
    assert client.get("/public/").status_code == 200


@pytest.mark.django_db
def test_with_the_cache_down_a_citizens_answer_is_saved_and_thanked(redis_down, client, settings):
    settings.SURVEY_KIOSK_MIN_SECONDS = 0
    questionnaire_create_default()
    link = kiosk_link_ensure(commune=Commune.objects.get(code=DOI_NGO))
    response = client.post(
        f"/s/{link.token}/", {**all_answers(overall=5), "stamp": aged_stamp(link)}
    )
    assert response.status_code == 302
    assert SurveyResponse.objects.count() == 1


@pytest.mark.django_db
def test_with_the_cache_down_a_practice_adoption_is_saved(
    redis_down, client_for, district_official
):
    practice = GoodPractice.objects.create(code="thu-6", name="Thứ Sáu nhanh", description="x")
    response = client_for(district_official).post(
        f"/practices/{practice.code}/adopt/",
        {"commune": Commune.objects.get(code=DOI_NGO).pk, "adopted_on": "05/01/2024"},
    )
    assert response.status_code == 302
    assert PracticeAdoption.objects.filter(practice=practice).exists()
