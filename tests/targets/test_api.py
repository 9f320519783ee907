"""The JSON API: the shapes of DESIGN.md, scoped to the caller, errors as JSON."""

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Commune, EvidenceState
from targets import services
from targets.models import CertificationStatus, RecomputeRun, Status

pytestmark = pytest.mark.django_db

FIGURES = {"total", "certified", "percent", "target_percent", "gap"}


@pytest.fixture
def computed(make_ready, doi_ngo, le_loi):
    """Đồi Ngô certified in 2023; Lê Lợi waiting for a review; the rest not started."""
    make_ready([doi_ngo])
    make_ready([le_loi], states={"TC-HS": EvidenceState.SUBMITTED})
    services.statuses_recompute(year=2023)


def progress_url(year="2023"):
    return reverse("api_progress") + (f"?year={year}" if year is not None else "")


def commune_url(code="7444", year="2023"):
    return reverse("api_commune", args=[code]) + (f"?year={year}" if year is not None else "")


# --- /api/v1/progress -----------------------------------------------------------------


def test_progress_has_the_designed_shape_for_a_provincial_official(
    client_for, province_official, computed
):
    response = client_for(province_official).get(progress_url())
    assert response.status_code == 200
    body = response.json()
    # DESIGN.md's keys, and what units through time add (never renaming those).
    assert set(body) == {
        "year",
        "computed_at",
        "province",
        "districts",
        "period",
        "former_districts",
    }
    assert body["period"] == {"reference_date": "2023-01-01", "has_districts": True}
    assert body["year"] == 2023
    assert body["computed_at"].endswith("+07:00")
    assert body["province"] == {
        "total": 209,
        "certified": 1,
        "percent": 0.5,
        "target_percent": 30.0,
        "gap": 62,
    }
    assert len(body["districts"]) == 10
    assert all(set(d) == {"code", "name"} | FIGURES for d in body["districts"])
    lucnam = next(d for d in body["districts"] if d["code"] == "218")
    assert (lucnam["name"], lucnam["total"], lucnam["certified"], lucnam["gap"]) == (
        "Huyện Lục Nam",
        25,
        1,
        7,
    )


def test_a_district_official_sees_only_their_district_as_the_province(
    client_for, district_official, computed
):
    body = client_for(district_official).get(progress_url()).json()
    assert [d["code"] for d in body["districts"]] == ["218"]
    assert body["province"] == {
        "total": 25,
        "certified": 1,
        "percent": 4.0,
        "target_percent": 30.0,
        "gap": 7,
    }


def test_an_admin_sees_the_whole_province(client_for, admin_user, computed):
    body = client_for(admin_user).get(progress_url()).json()
    assert body["province"]["total"] == 209


def test_progress_is_refused_to_commune_staff(client_for, commune_staff):
    response = client_for(commune_staff).get(progress_url())
    assert response.status_code == 403
    assert "error" in response.json()


def test_progress_asks_anonymous_callers_to_log_in(client):
    response = client.get(progress_url())
    assert response.status_code == 401
    assert response.json()["error"]


def test_progress_refuses_other_methods(client_for, province_official):
    response = client_for(province_official).post(progress_url())
    assert response.status_code == 405
    assert response["Allow"] == "GET"


@pytest.mark.parametrize("year", ["abc", "", "1999", "2101", "2023.5"])
def test_a_bad_year_is_a_400_naming_the_field(client_for, province_official, year):
    response = client_for(province_official).get(progress_url(year))
    assert response.status_code == 400
    assert response.json()["field"] == "year"


def test_the_year_defaults_to_the_current_year_in_vietnam(client_for, province_official):
    body = client_for(province_official).get(progress_url(None)).json()
    assert body["year"] == timezone.localdate().year
    assert body["computed_at"] is None  # nothing computed for it in this test


# --- /api/v1/communes/<code> ----------------------------------------------------------


def test_a_commune_has_the_designed_shape(client_for, commune_staff, computed):
    response = client_for(commune_staff).get(commune_url("7444"))
    assert response.status_code == 200
    assert response.json() == {
        "code": "7444",
        "name": "Thị trấn Đồi Ngô",
        "district": "218",
        "status": "CERTIFIED",
        "reasons": [],
        "survey": {"responses": 40, "satisfied": 36, "rate": 90.0},
        "evidence": {"required": 2, "approved": 2},
        "recognized": None,  # meets the criteria, no decision recognizes it yet
        # Added by units through time: the province and the period the unit is in force.
        "province": "24",
        "period": {"valid_from": None, "valid_to": None},
    }


def test_reasons_come_in_words_in_the_callers_language(client_for, leloi_staff, computed):
    client = client_for(leloi_staff)
    vietnamese = client.get(commune_url("7219")).json()
    english = client.get(commune_url("7219"), HTTP_ACCEPT_LANGUAGE="en").json()
    assert vietnamese["status"] == Status.IN_PROGRESS
    assert vietnamese["reasons"] == [
        {
            "code": "evidence_awaiting_review",
            "message": "Tiêu chí TC-HS (Băng rôn, khẩu hiệu): minh chứng đang chờ duyệt.",
        }
    ]
    assert english["reasons"][0]["message"] == (
        "Criterion TC-HS (Băng rôn, khẩu hiệu): evidence awaiting review."
    )


def test_a_year_not_computed_yet_is_evaluated_without_storing_it(
    client_for, district_official, make_ready, doi_ngo
):
    make_ready([doi_ngo], year=2024)
    body = client_for(district_official).get(commune_url("7444", "2024")).json()
    assert body["status"] == "CERTIFIED"
    assert not CertificationStatus.objects.filter(year=2024).exists()


@pytest.mark.parametrize(
    "persona, code, status",
    [
        ("commune_staff", "7219", 403),  # Đồi Ngô's staff asking for Lê Lợi
        ("district_official", "7219", 403),  # Lục Nam's official asking for Bắc Giang city
        ("other_district_official", "7444", 403),
        ("province_official", "0000", 404),
    ],
)
def test_a_commune_out_of_scope_is_refused_as_json(request, client_for, persona, code, status):
    response = client_for(request.getfixturevalue(persona)).get(commune_url(code))
    assert response.status_code == status
    assert "error" in response.json()


def test_a_district_official_sees_their_communes(client_for, district_official, computed):
    lucnam_commune = Commune.objects.filter(district__code="218").exclude(code="7444").first()
    body = client_for(district_official).get(commune_url(lucnam_commune.code)).json()
    assert body["status"] == "NOT_STARTED"
    assert body["survey"] == {"responses": 0, "satisfied": 0, "rate": None}


def test_a_commune_asks_anonymous_callers_to_log_in(client):
    assert client.get(commune_url()).status_code == 401


def test_a_commune_refuses_other_methods(client_for, commune_staff):
    assert client_for(commune_staff).delete(commune_url()).status_code == 405


def test_a_commune_with_a_bad_year_is_a_400(client_for, commune_staff):
    response = client_for(commune_staff).get(commune_url(year="next"))
    assert (response.status_code, response.json()["field"]) == (400, "year")


# --- /api/v1/recompute ----------------------------------------------------------------


def test_a_provincial_official_starts_a_recompute_and_polls_it(
    client_for, province_official, checklist, django_capture_on_commit_callbacks
):
    client = client_for(province_official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api_recompute_start"), {"year": "2023"})
    assert response.status_code == 202
    run = RecomputeRun.objects.get()
    assert response["Location"] == reverse("api_recompute_run", args=[run.pk])
    assert run.requested_by == province_official

    body = client.get(response["Location"]).json()
    assert body["state"] == "done"
    assert (body["communes_done"], body["communes_total"], body["percent"]) == (209, 209, 100)
    assert body["finished"] is True
    assert {"id", "year", "queued_at", "started_at", "finished_at", "url"} <= set(body)


def test_a_queued_run_shows_no_progress_yet(client_for, admin_user):
    run = RecomputeRun.objects.create(year=2024)
    body = client_for(admin_user).get(reverse("api_recompute_run", args=[run.pk])).json()
    assert (body["state"], body["percent"], body["finished"]) == ("queued", 0, False)


@pytest.mark.parametrize("persona", ["district_official", "commune_staff"])
def test_recompute_is_for_provincial_officials_and_admins_only(request, client_for, persona):
    run = RecomputeRun.objects.create()
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("api_recompute_run", args=[run.pk])).status_code == 403
    assert client.post(reverse("api_recompute_start")).status_code == 403
    assert RecomputeRun.objects.count() == 1


def test_recompute_asks_anonymous_callers_to_log_in(client):
    run = RecomputeRun.objects.create()
    assert client.get(reverse("api_recompute_run", args=[run.pk])).status_code == 401
    assert client.post(reverse("api_recompute_start")).status_code == 401


def test_recompute_endpoints_refuse_other_methods(client_for, province_official):
    client = client_for(province_official)
    run = RecomputeRun.objects.create()
    assert client.get(reverse("api_recompute_start")).status_code == 405
    assert client.post(reverse("api_recompute_run", args=[run.pk])).status_code == 405


def test_an_unknown_run_is_a_404(client_for, province_official):
    response = client_for(province_official).get(reverse("api_recompute_run", args=[999]))
    assert response.status_code == 404


def test_a_polled_run_shows_each_write_at_once_when_kept_in_the_shared_cache(
    settings, client_for, province_official, district_official, checklist, django_assert_num_queries
):
    settings.SHARED_CACHE = True
    settings.SESSION_ENGINE = "communes.sessions"
    run = RecomputeRun.objects.create(year=2023)
    url = reverse("api_recompute_run", args=[run.pk])
    client = client_for(province_official)
    assert client.get(url).json()["state"] == "queued"
    with django_assert_num_queries(0):  # the session, the user and the run: all cached
        assert client.get(url).json()["state"] == "queued"

    services._year_done(RecomputeRun.objects.filter(pk=run.pk), 2023, 5, None)
    assert client.get(url).json()["communes_done"] == 5
    services.recompute_run_execute(run_id=run.pk)
    body = client.get(url).json()
    assert (body["state"], body["communes_done"], body["finished"]) == ("done", 209, True)
    # Cached for whoever may read it, and still refused to anyone else.
    assert client_for(district_official).get(url).status_code == 403


def test_starting_a_recompute_with_a_bad_year_is_a_400(client_for, province_official):
    response = client_for(province_official).post(reverse("api_recompute_start"), {"year": "x"})
    assert (response.status_code, response.json()["field"]) == (400, "year")
    assert not RecomputeRun.objects.exists()


def test_progress_takes_a_fixed_number_of_queries(
    client_for, province_official, computed, django_assert_max_num_queries
):
    # Guards against a query per district (or per commune) creeping into the figures
    # (two of them read the recognition decisions and whether the target counts them).
    # Guards against a query per district (or per commune) creeping into the figures.
    # (+2 since units through time: the programme years and the year's reference date.)
    # (+1: the provinces merged into the province, read once and then from the cache.)
    client = client_for(province_official)
    with django_assert_max_num_queries(12):
        assert client.get(progress_url()).status_code == 200


def test_a_commune_takes_a_fixed_number_of_queries(
    client_for, leloi_staff, computed, django_assert_max_num_queries
):
    # Guards against a query per reason (criterion titles are read in one go).
    # (+1 since units through time: the programme years.)
    client = client_for(leloi_staff)
    with django_assert_max_num_queries(10):
        assert client.get(commune_url("7219")).status_code == 200
