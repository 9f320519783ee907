""" "Recompute now" on the province dashboard."""

from unittest import mock

import pytest
from django.urls import reverse

from targets import outbox
from targets.models import RecomputeRun

pytestmark = pytest.mark.django_db

URL = reverse("recompute_start")
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def engine(monkeypatch):
    """A stand-in for the certification engine's recompute_all_start."""
    started = mock.Mock(side_effect=lambda *, by: RecomputeRun.objects.create(state="queued"))
    monkeypatch.setattr(outbox, "recompute_all_start", started, raising=False)
    return started


def test_a_provincial_official_starts_a_recompute_and_gets_the_run_to_follow(
    client, province_official, engine
):
    client.force_login(province_official)

    response = client.post(URL, **JSON)

    assert response.status_code == 202
    run = RecomputeRun.objects.get()
    assert response.json()["run"] == run.pk
    engine.assert_called_once_with(by=province_official)


def test_without_javascript_the_recompute_redirects_to_the_dashboard_which_shows_progress(
    client, province_official, engine
):
    client.force_login(province_official)

    response = client.post(URL + "?year=2023", follow=True)

    assert response.redirect_chain[-1][0] == "/?year=2023"
    html = response.content.decode()
    assert "Đã bắt đầu tính lại" in html
    assert "Đang tính: 0/0 xã" in html
    assert "disabled" in html.split("Tính lại ngay")[0].rsplit("<button", 1)[1]


def test_the_progress_url_is_the_engines_endpoint_once_it_exists(client, province_official, engine):
    from targets import views

    client.force_login(province_official)
    with mock.patch.object(views, "reverse", wraps=views.reverse) as rev:
        rev.side_effect = lambda name, *a, **kw: (
            f"/api/v1/recompute/{kw['args'][0]}"
            if name == "api_recompute_run"
            else reverse(name, *a, **kw)
        )
        body = client.post(URL, **JSON).json()
    assert body["status_url"] == f"/api/v1/recompute/{body['run']}"


def test_without_the_engine_the_button_says_so_and_the_post_explains(
    client, province_official, monkeypatch
):
    monkeypatch.delattr(outbox, "recompute_all_start", raising=False)
    client.force_login(province_official)

    assert "chưa được cài đặt" in client.get("/").content.decode()
    response = client.post(URL, **JSON)
    assert response.status_code == 503
    assert "chưa được cài đặt" in response.json()["error"]
    response = client.post(URL, follow=True)
    assert "chưa được cài đặt" in response.content.decode()
    assert not RecomputeRun.objects.exists()


def test_admins_may_recompute(client, admin_user, engine):
    client.force_login(admin_user)
    assert client.post(URL, **JSON).status_code == 202


def test_district_officials_and_commune_staff_may_not_recompute(
    client, district_official, commune_staff, engine
):
    for user in (district_official, commune_staff):
        client.force_login(user)
        assert client.post(URL, **JSON).status_code == 403
    engine.assert_not_called()


def test_district_officials_do_not_see_the_recompute_button(client, district_official):
    client.force_login(district_official)
    assert "Tính lại ngay" not in client.get("/districts/218/").content.decode()


def test_anonymous_visitors_are_sent_to_login(client, engine):
    response = client.post(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    engine.assert_not_called()


def test_recompute_refuses_get(client, province_official):
    client.force_login(province_official)
    assert client.get(URL).status_code == 405
