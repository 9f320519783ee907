"""A signed-in request reads its session, its user and the user's scope from the shared
cache (communes.auth, SESSION_ENGINE cached_db), and every change to them is seen by the
very next request: a stale scope would show a user what they may no longer see."""

import io
import pickle

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communes import auth
from communes.models import District, Role, UserScope
from targets.models import RecomputeRun
from tests.conftest import LUC_NAM

PASSWORD = "pw-123456!"  # noqa: S105 (the make_user fixture's)


@pytest.fixture
def shared_cache(settings):
    """The settings of a deployment with CACHE_URL=redis://... (the test's cache is the
    process's own, which here is every process there is)."""
    settings.SHARED_CACHE = True
    settings.SESSION_ENGINE = "communes.sessions"


@pytest.fixture
def run(db):
    return RecomputeRun.objects.create()


def signed_in(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def run_url(run) -> str:
    return reverse("api_recompute_run", args=[run.pk])


def tables_read(queries) -> set[str]:
    return {
        table
        for query in queries
        for table in ("django_session", "auth_user", "communes_userscope")
        if f'"{table}"' in query["sql"]
    }


def test_a_warm_signed_in_request_reads_no_session_user_or_scope_from_the_database(
    shared_cache, province_official, run
):
    client = signed_in(province_official)
    assert client.get(run_url(run)).status_code == 200  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(run_url(run))
    assert response.status_code == 200
    assert tables_read(queries.captured_queries) == set()
    # The view's own row comes from the cache too, until a run is next written
    # (targets.caching.recompute_run): no query at all.
    assert len(queries.captured_queries) == 0


def test_the_cached_user_is_plain_values_not_a_pickled_model(shared_cache, province_official, run):
    client = signed_in(province_official)
    client.get(run_url(run))
    entry = cache.get(auth._entry_key(province_official.pk))
    assert entry is not None
    seen: set[str] = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            seen.add(module)
            return super().find_class(module, name)

    Recorder(io.BytesIO(pickle.dumps(entry))).load()
    assert seen <= {"builtins", "datetime"}, seen


def cache_round_trips(monkeypatch) -> list[str]:
    """The calls that read the cache from here on (each one round trip to Redis; the
    test's per-process cache answers ``get_many`` with ``get``s of its own, not counted)."""
    calls: list[str] = []
    inside = []
    backend = caches["default"]
    for name in ("get", "get_many", "has_key"):
        read = getattr(backend, name)

        def counted(*args, _read=read, _name=name, **kwargs):
            if not inside:
                calls.append(_name)
            inside.append(_name)
            try:
                return _read(*args, **kwargs)
            finally:
                inside.pop()

        monkeypatch.setattr(backend, name, counted)
    return calls


def test_a_warm_signed_in_request_reads_its_session_and_user_in_one_round_trip(
    shared_cache, province_official, run, monkeypatch
):
    client = signed_in(province_official)
    assert client.get(run_url(run)).status_code == 200  # this process learns the session's user
    calls = cache_round_trips(monkeypatch)

    assert client.get(run_url(run)).status_code == 200

    # The session, the user and the view's run (targets.caching.recompute_run) together.
    assert calls == ["get_many"]


def test_a_session_hint_naming_another_user_is_not_believed(
    shared_cache, province_official, district_official, run
):
    client = signed_in(district_official)
    assert client.get(run_url(run)).status_code == 403  # a district official may not
    other = signed_in(province_official)
    assert other.get(run_url(run)).status_code == 200  # the province official's entry is cached
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    auth._USERS_OF_SESSIONS[session_key] = province_official.pk  # a wrong guess

    assert client.get(run_url(run)).status_code == 403
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("district_detail", args=[LUC_NAM]))


def test_a_role_changed_by_an_admin_applies_to_the_next_request(
    shared_cache, province_official, run
):
    client = signed_in(province_official)
    assert client.get(run_url(run)).status_code == 200
    scope = UserScope.objects.get(user=province_official)
    scope.role, scope.province = Role.DISTRICT, None
    scope.district = District.objects.get(code=LUC_NAM, valid_from=None)
    scope.save()
    assert client.get(run_url(run)).status_code == 403
    # ... and the pages follow the new scope: the province dashboard sends them to theirs.
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("district_detail", args=[LUC_NAM]))


def test_a_scope_removed_by_an_admin_applies_to_the_next_request(
    shared_cache, province_official, run
):
    client = signed_in(province_official)
    assert client.get(run_url(run)).status_code == 200
    UserScope.objects.filter(user=province_official).delete()
    assert client.get(run_url(run)).status_code == 403


def test_a_deactivated_user_is_signed_out_at_the_next_request(shared_cache, province_official, run):
    client = signed_in(province_official)
    assert client.get(run_url(run)).status_code == 200
    province_official.is_active = False
    province_official.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_new_password_signs_out_the_users_other_sessions(shared_cache, province_official, run):
    elsewhere = signed_in(province_official)
    here = signed_in(province_official)
    assert elsewhere.get(run_url(run)).status_code == 200
    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-pw-2026!",
            "new_password2": "a-new-pw-2026!",
        },
    )
    assert response.status_code == 302
    # The session that changed it stays signed in; the other one is signed out.
    assert here.get(run_url(run)).status_code == 200
    response = elsewhere.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_password_set_by_an_admin_signs_the_user_out(shared_cache, province_official, run):
    client = signed_in(province_official)
    assert client.get(run_url(run)).status_code == 200
    user = get_user_model().objects.get(pk=province_official.pk)
    user.set_password("set-by-admin-2026!")
    user.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logging_out_ends_the_session_in_the_cache_too(shared_cache, province_official, run):
    client = signed_in(province_official)
    assert client.get(run_url(run)).status_code == 200
    stolen = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    replay = Client()
    replay.cookies["sessionid"] = stolen
    response = replay.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_entry_read_before_a_change_committed_is_not_served_after_it(
    shared_cache, province_official, run
):
    """A request that read the user's old row while an admin's change was being saved
    writes it to the cache after the change: the generation moved on, so it is unused."""
    generation_before = cache.get(auth._generation_key(province_official.pk))
    client = signed_in(province_official)
    assert client.get(run_url(run)).status_code == 200
    old_entry = cache.get(auth._entry_key(province_official.pk))
    scope = UserScope.objects.get(user=province_official)
    scope.role, scope.province = Role.DISTRICT, None
    scope.district = District.objects.get(code=LUC_NAM, valid_from=None)
    scope.save()
    # The slow request's write lands now, with the generation it had read.
    cache.set(auth._entry_key(province_official.pk), old_entry)
    assert client.get(run_url(run)).status_code == 403
    assert cache.get(auth._generation_key(province_official.pk)) != generation_before


def test_without_a_shared_cache_the_user_is_read_from_the_database(
    settings, province_official, run
):
    settings.SHARED_CACHE = False  # whatever CACHE_URL says
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = signed_in(province_official)
    client.get(run_url(run))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(run_url(run)).status_code == 200
    assert "auth_user" in tables_read(queries.captured_queries)
    assert cache.get(auth._entry_key(province_official.pk)) is None


# --- The navigation's counts ------------------------------------------------------------


def test_the_navigation_counts_are_cached_and_follow_each_evidence_move_and_notification(
    shared_cache, commune_staff, doi_ngo
):
    from communes import notifications
    from communes.models import Criterion, Evidence, EvidenceState, NotificationKind
    from communes.selectors import nav_counts

    item = Evidence.objects.create(
        commune=doi_ngo,
        criterion=Criterion.objects.get(code="CSVC-01"),
        year=2025,
        state=EvidenceState.SUBMITTED,
    )
    assert nav_counts(commune_staff) == {"unread": 0, "returned": 0, "waiting": 1}
    with CaptureQueriesContext(connection) as queries:
        assert nav_counts(commune_staff) == {"unread": 0, "returned": 0, "waiting": 1}
    assert queries.captured_queries == []

    item.state = EvidenceState.REJECTED
    item.save()
    assert nav_counts(commune_staff) == {"unread": 0, "returned": 1, "waiting": 0}

    notifications._create(
        [commune_staff], kind=NotificationKind.choices[0][0], params={}, url="/work/"
    )
    assert nav_counts(commune_staff)["unread"] == 1
    notifications.mark_read(user=commune_staff)
    assert nav_counts(commune_staff)["unread"] == 0
