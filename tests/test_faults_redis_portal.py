"""Redis stopped: the portal keeps serving pages and saving what people send, and the
recompute it could not queue is not lost: it runs once Redis is back. The private Redis
is both the broker and, as the README's production settings have it, the cache
(CACHE_URL): both are stopped.

gunicorn serves the portal with production settings on the test database and a private
Redis (tests/conftest_services.py), which the test stops; the shared Redis on 6379 is
never touched. A browser-like client (tooling/loadtest.py's Session) logs in, submits
evidence with a file, types a paper survey form and answers the kiosk. Then Redis
starts again and a real worker runs the drain that celery beat sends every 5 minutes.
"""

import io
import os

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from PIL import Image

from communes.models import Commune, Evidence, EvidenceState, Role
from surveys.models import Channel, SurveyResponse
from surveys.services import kiosk_link_ensure, questionnaire_create_default
from targets.models import CertificationStatus, PendingRecompute, YearTarget
from tests.conftest import DOI_NGO
from tests.conftest_services import (
    celery_worker,
    current_database_url,
    gunicorn,
    production_env,
)
from tooling import loadtest

pytestmark = pytest.mark.services

PASSWORD = "pw-123456!"
EVIDENCE = f"/communes/{DOI_NGO}/checklist/2025/CSVC-01/"
ENTRY = f"/communes/{DOI_NGO}/surveys/entry/"
# A change that could not be queued answers at once: the broker refuses the connection.
QUICK = 3.0


@pytest.fixture
def portal_data(postgresql_leg, default_criteria, make_user):
    questionnaire_create_default()
    for year, percent in ((2023, 30), (2024, 60), (2025, 100)):
        YearTarget.objects.create(year=year, percent=percent)
    # Production settings check passwords with PBKDF2, not the tests' quick MD5.
    hasher = PBKDF2PasswordHasher()
    for user in (
        make_user(Role.COMMUNE, DOI_NGO, username="xa-redis"),
        make_user(Role.PROVINCE, "24", username="tinh-redis"),
    ):
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])
    return kiosk_link_ensure(commune=Commune.objects.get(code=DOI_NGO))


@pytest.fixture
def env(private_redis, collected_static, tmp_path):
    """Production settings on the test database and the private Redis; the kiosk's
    minimum fill time off, so that the test need not wait 5 s like a citizen."""
    (tmp_path / "fg_redis_fault_settings.py").write_text(
        f"from {collected_static['DJANGO_SETTINGS_MODULE']} import *  # noqa: F403\n"
        "SURVEY_KIOSK_MIN_SECONDS = 0\n"
    )
    return production_env(
        DJANGO_SETTINGS_MODULE="fg_redis_fault_settings",
        PYTHONPATH=f"{tmp_path}{os.pathsep}{collected_static['PYTHONPATH']}",
        DATABASE_URL=current_database_url(),
        CELERY_BROKER_URL=private_redis.url(),
        CACHE_URL=private_redis.url(1).replace("redis://", "rediscache://"),
        CONN_MAX_AGE="0",
        MEDIA_ROOT=str(tmp_path / "media"),
    )


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 40)).save(out, format="PNG")
    return out.getvalue()


def answers(score: str) -> dict:
    return {f"Q{n}": score for n in range(1, 12)}


def test_with_redis_stopped_the_portal_serves_and_saves_and_the_recompute_waits_for_it(
    portal_data, env, private_broker, private_redis, tmp_path
):
    kiosk = f"/s/{portal_data.token}/"
    doi_ngo = Commune.objects.get(code=DOI_NGO)
    with gunicorn(env, workers=2) as (base, log, _process):
        staff = loadtest.Session(base)
        province = loadtest.Session(base)
        private_redis.stop()

        # Pages serve, logging in included.
        assert staff.login("xa-redis", PASSWORD).status == 302
        assert province.login("tinh-redis", PASSWORD).status == 302
        for session, path in [
            (province, "/"),
            (province, "/?year=2024"),
            (province, "/public/"),
            (province, "/districts/218/"),
            (staff, f"/communes/{DOI_NGO}/"),
            (staff, f"/communes/{DOI_NGO}/checklist/2025/"),
        ]:
            assert session.get(path).status == 200, path

        # Evidence with a photo, sent for review.
        version = loadtest.hidden_value(staff.get(EVIDENCE).text, "version")
        sent = staff.post(
            EVIDENCE,
            {"version": version, "note": "Băng rôn tại cổng", "action": "submit"},
            files=[("files", "bang-ron.png", png(), "image/png")],
        )
        assert (sent.status, sent.location) == (302, EVIDENCE)
        assert sent.seconds < QUICK

        # A paper survey form typed in.
        assert staff.get(ENTRY).status == 200
        typed = staff.post(ENTRY, {"answered_on": "05/03/2025", **answers("5")})
        assert typed.status == 302 and typed.seconds < QUICK

        # A citizen at the kiosk.
        citizen = loadtest.Session(base)
        stamp = loadtest.hidden_value(citizen.get(kiosk).text, "stamp")
        answered = citizen.post(kiosk, {**answers("4"), "stamp": stamp})
        assert (answered.status, answered.location) == (302, f"{kiosk}cam-on/")
        assert answered.seconds < QUICK
        assert citizen.get(answered.location).status == 200
        logged = log.read_text()
        assert "Could not queue the recompute of commune" in logged  # Redis was down
        assert "Internal Server Error" not in logged

    evidence = Evidence.objects.get(commune=doi_ngo, criterion__code="CSVC-01", year=2025)
    assert evidence.state == EvidenceState.SUBMITTED
    assert evidence.files.get().original_name == "bang-ron.png"
    assert sorted(SurveyResponse.objects.values_list("channel", flat=True)) == sorted(
        [Channel.PAPER, Channel.KIOSK]
    )
    # Nothing was recomputed, but the request to do it waits in the database.
    assert not CertificationStatus.objects.filter(commune=doi_ngo).exists()
    assert PendingRecompute.objects.filter(commune=doi_ngo).exists()

    private_redis.start()  # an empty Redis on the same port, as after a restart
    with celery_worker(env, log_folder=tmp_path) as worker:
        private_broker.send_task("targets.tasks.recompute_pending")  # what beat sends every 5 min
        worker.wait_for(
            lambda: not PendingRecompute.objects.exists(), what="the waiting recompute to run"
        )
    status = CertificationStatus.objects.get(commune=doi_ngo, year=2025)
    # The recompute saw what was saved while Redis was down: the paper form of 2025 and
    # the evidence waiting for review.
    assert status.survey_responses == 1
    assert {
        "code": "evidence_awaiting_review",
        "params": {"criterion": "CSVC-01"},
    } in status.reasons
