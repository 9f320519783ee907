"""A provincial official's or an administrator's dashboard kept whole in the shared cache
(targets.views.home, targets.caching.dashboard_page): a warm page costs no query, and is
never served to another user, nor to this user after a change of what they may see."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communes import auth
from communes.models import (
    Commune,
    Notification,
    NotificationKind,
    Province,
    Role,
    UserScope,
)
from communes.selectors import forget_nav_counts as notifications_written
from targets import services, views
from targets.models import RecomputeRun, Status
from tests.communes.test_signed_in_cache import cache_round_trips
from tests.conftest import DOI_NGO
from tests.targets.dashboard_data import COMPUTED_AT, give_status, set_targets

pytestmark = pytest.mark.django_db

PAGE = "/?year=2024"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def shared_cache(settings):
    """The settings of a deployment with CACHE_URL=redis://... (the test's cache is the
    process's own, which here is every process there is)."""
    settings.SHARED_CACHE = True
    settings.SESSION_ENGINE = "communes.sessions"


@pytest.fixture
def statuses():
    set_targets()
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED)


@pytest.fixture
def other_province(db):
    """A second province, with one commune."""
    province = Province.objects.create(code="901", name="Tỉnh Thử Nghiệm", kind="Tỉnh")
    Commune.objects.create(code="900001", name="Xã Thử Nghiệm", kind="Xã", province=province)
    return province


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html_of(client, url=PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def queries_of(client, url=PAGE) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_a_warm_dashboard_is_served_whole_without_a_query(province_official, statuses):
    client = signed_in(province_official)
    rendered = html_of(client)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(PAGE)
    assert ctx.captured_queries == []
    assert response.context is None  # not rendered
    cached = response.content.decode()
    assert TOKEN.sub("", cached) == TOKEN.sub("", rendered)
    for mark in (views._CSRF_MARK, views._NEXT_MARK, views._NOW_MARK):
        assert mark not in cached
    assert 'name="next" type="hidden" value="/?year=2024"' in cached
    assert response["Cache-Control"].count("private") == 1


def test_another_users_page_is_never_served(province_official, make_user, statuses):
    html_of(signed_in(province_official))
    html_of(signed_in(province_official))
    colleague = make_user(Role.PROVINCE, "24", username="tinh-colleague", first_name="Lan")

    html = html_of(signed_in(colleague))

    assert "tinh-colleague" in html or "Lan" in html
    assert "tinh-test" not in html


def test_an_official_of_another_province_sees_their_own(
    province_official, make_user, statuses, other_province
):
    html_of(signed_in(province_official))
    theirs = make_user(Role.PROVINCE, "901", username="tinh-901")

    html = html_of(signed_in(theirs))

    assert "Tỉnh Thử Nghiệm" in html and "Thị trấn Đồi Ngô" not in html


def test_a_change_of_scope_shows_at_once(province_official, statuses, other_province):
    client = signed_in(province_official)
    html_of(client)
    assert "Tỉnh Thử Nghiệm" not in html_of(client)

    UserScope.objects.filter(user=province_official).update(province=other_province)
    province_official.scope.refresh_from_db()
    province_official.scope.save()  # the save moves the user's cache entry

    assert "Tỉnh Thử Nghiệm" in html_of(client)


def test_a_change_of_role_shows_at_once(province_official, statuses):
    client = signed_in(province_official)
    html_of(client)
    html_of(client)
    scope = province_official.scope
    doi_ngo = Commune.objects.get(code=DOI_NGO)
    scope.role, scope.province, scope.commune = Role.COMMUNE, None, doi_ngo
    scope.save()

    response = client.get(PAGE)

    assert response.status_code == 302 and "/communes/" in response["Location"]


def test_a_deactivated_user_is_signed_out_at_once(province_official, statuses):
    client = signed_in(province_official)
    html_of(client)
    html_of(client)
    get_user_model().objects.filter(pk=province_official.pk).update(is_active=False)
    province_official.refresh_from_db()
    province_official.save()

    response = client.get(PAGE)

    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_messages_show_on_a_cached_dashboard(admin_user, statuses):
    client = signed_in(admin_user)
    html_of(client)
    html_of(client)

    response = client.post(reverse("recompute_start") + "?year=2024", follow=True)

    assert response.status_code == 200
    assert "Đã bắt đầu tính lại kết quả của tất cả các xã." in response.content.decode()
    # Shown once: the next page is the cached one again, without it.
    assert "Đã bắt đầu tính lại kết quả của tất cả các xã." not in html_of(client)


def test_a_recompute_shows_on_the_cached_page_at_once(province_official, statuses):
    client = signed_in(province_official)
    html_of(client)
    assert "15/12/2024" not in html_of(client)

    later = COMPUTED_AT.replace(day=15)
    give_status(Commune.objects.get(code="7450"), 2024, Status.CERTIFIED, at=later)

    assert queries_of(client) > 0
    assert "15/12/2024" in html_of(client)


def test_a_run_under_way_shows_in_the_panel_at_once(province_official, statuses):
    client = signed_in(province_official)
    html_of(client)
    assert "data-recompute-progress hidden" in html_of(client)

    run = RecomputeRun.objects.create(state=RecomputeRun.State.RUNNING, communes_total=10)
    assert "data-recompute-progress hidden" not in html_of(client)
    assert "Đang tính: 0/10 xã" in html_of(client)

    # Progress written as the recompute writes it, then done.
    runs = RecomputeRun.objects.filter(pk=run.pk)
    services._year_done(runs, 2024, 4, None)
    assert "Đang tính: 4/10 xã" in html_of(client)
    run.state = RecomputeRun.State.DONE
    run.save()
    assert "data-recompute-progress hidden" in html_of(client)


def test_the_navigation_counts_show_at_once(province_official, statuses):
    client = signed_in(province_official)
    html_of(client)
    html_of(client)

    # Written as communes.notifications writes them (its _create).
    Notification.objects.create(user=province_official, kind=NotificationKind.SUBMITTED)
    notifications_written()

    assert 'badge text-bg-warning">1</span>' in html_of(client)


def test_the_cached_pages_csrf_token_signs_the_user_out(province_official, statuses):
    client = Client(enforce_csrf_checks=True)
    client.force_login(province_official)
    html_of(client)
    html = html_of(client)  # from the cache
    token = TOKEN.search(html).group(1)

    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": token})

    assert response.status_code in (200, 302)  # signed out, not refused (403)
    response = client.get(PAGE)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_cached_pages_csrf_token_changes_the_language(province_official, statuses):
    client = Client(enforce_csrf_checks=True)
    client.force_login(province_official)
    html_of(client)
    token = TOKEN.search(html_of(client)).group(1)

    response = client.post(
        reverse("set_language"), {"language": "en", "next": PAGE, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    english = html_of(client)
    assert "Sign out" in english or "Log out" in english
    assert "Đăng xuất" not in english
    assert "Đăng xuất" not in html_of(client)  # the English page, cached apart


def test_a_reviewer_or_an_address_with_other_parameters_is_rendered(
    make_user, province_official, statuses
):
    client = signed_in(province_official)
    html_of(client, PAGE + "&q=x")
    assert queries_of(client, PAGE + "&q=x") > 0
    html_of(client, PAGE + "&sort=nonsense")
    assert queries_of(client, PAGE + "&sort=nonsense") > 0
    reviewer = signed_in(make_user(Role.PROVINCE_REVIEWER, "24"))
    html_of(reviewer)
    assert queries_of(reviewer) > 0


def test_an_administrators_national_dashboard_is_kept_whole(admin_user, statuses):
    client = signed_in(admin_user)
    html_of(client)
    assert queries_of(client) == 0


def test_a_warm_dashboard_is_one_round_trip_to_the_cache(province_official, statuses, monkeypatch):
    client = signed_in(province_official)
    html_of(client)  # this process learns the session's user, and keeps the page
    html_of(client)
    calls = cache_round_trips(monkeypatch)

    with CaptureQueriesContext(connection) as ctx:
        assert "Tổng quan toàn tỉnh năm 2024" in html_of(client)

    # The session, the user, the page and what it was kept under, in one MGET.
    assert calls == ["get_many"]
    assert ctx.captured_queries == []


def test_a_page_read_with_the_session_is_served_only_to_the_user_it_was_kept_for(
    province_official, make_user, statuses, other_province
):
    client = signed_in(province_official)
    html_of(client)
    html_of(client)
    # Another user signed in with a session key this process saw with the official.
    theirs = make_user(Role.PROVINCE, "901", username="tinh-901")
    other = signed_in(theirs)
    auth._USERS_OF_SESSIONS[other.session.session_key] = province_official.pk

    html = html_of(other)

    assert "Tỉnh Thử Nghiệm" in html and "Thị trấn Đồi Ngô" not in html
