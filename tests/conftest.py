"""Shared personas and data for the whole suite.

Every test database holds the real 10 districts and 209 communes of the programme's
basis (loaded once per session, without the reorganizations of 2025, so that they stay
in force). Tests of units through time ask for ``reorganized_units``: the 1/1/2025 and
1/7/2025 periods and the lineage, loaded inside the test. Transactional tests flush the
database, so they ask for ``real_units``.
"""

import datetime
import os

import pytest
from django.contrib.auth import get_user_model

from communes.models import Commune, District, Province, Role, UserScope
from communes.services import units_load

pytest_plugins = ["tests.conftest_services"]  # private_postgres, private_redis, collected_static

IN_CI = any(
    os.environ.get(name, "").lower() in ("1", "true", "yes")
    for name in ("CI", "FRIENDLYGOV_REQUIRE_SERVICES")
)

LUC_NAM = "218"
DOI_NGO = "7444"
LE_LOI = "7219"
BAC_GIANG_CITY = "213"
# A day the personas' units are in force, before and after the reorganizations.
IN_2024 = datetime.date(2024, 6, 1)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test`` runs ``-n 2 --dist loadgroup``), the tests that
    start real servers, workers or a browser run one after another in one process: two
    Celery workers on one broker would take each other's tasks, and two browsers would
    starve a 2-core machine. The rest spreads over the processes."""
    for item in items:
        for marker in ("services", "browser"):
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.xdist_group(marker))
                break


def commune_on(day: datetime.date, code: str) -> Commune:
    """The commune of ``code`` in force on ``day`` (a code names different units in
    different periods)."""
    return Commune.objects.in_force(on=day).get(code=code)


def skip_or_fail(reason: str):
    """Skip a test that needs a missing service, except in CI, where that is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must provide it; skipping is not allowed there)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        units_load(reorganizations=False)
        _REORGANIZED.update(_reorganized_snapshot())


# What loading every period adds to the basis, per model of the units' app: rows to insert
# and rows to update, read once per session (see ``reorganized_units``).
_REORGANIZED: dict = {}


def _unit_tables() -> dict:
    from django.apps import apps

    return {
        model: {row["pk"]: row for row in _rows(model)}
        for model in apps.get_app_config("communes").get_models()
    }


def _rows(model) -> list[dict]:
    names = [field.attname for field in model._meta.concrete_fields]
    return [
        {"pk": values[0], **dict(zip(names, values[1:], strict=True))}
        for values in model._default_manager.values_list("pk", *names).order_by()
    ]


def _reorganized_snapshot() -> dict:
    """Load every period inside a transaction that is rolled back, and keep the
    difference: the rows ``units_load()`` inserted and those it changed."""
    from django.db import transaction

    before = _unit_tables()
    with transaction.atomic():
        result = units_load()
        after = _unit_tables()
        transaction.set_rollback(True)
    difference = {}
    for model, rows in after.items():
        old = before[model]
        added = [row for pk, row in rows.items() if pk not in old]
        changed = [row for pk, row in rows.items() if pk in old and old[pk] != row]
        if added or changed:
            difference[model] = (added, changed)
    assert not any(pk not in after[model] for model, rows in before.items() for pk in rows)
    return {"difference": difference, "result": result}


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in Vietnamese, the portal's default. A request in English (the
    LocaleMiddleware) or a task leaves its language active in the thread, and a test run
    after it in the same process would read English messages: which test ran before
    depends on how pytest-xdist spreads them, so the failure came and went."""
    from django.utils import translation

    translation.activate("vi")
    yield
    translation.activate("vi")


@pytest.fixture(autouse=True)
def read_ahead_connection_closed():
    """The read-ahead thread keeps its connection between reads (``friendlygov.ahead``):
    closed after each test, so that a test starts without it (one counts the connections
    open) and the test database can be dropped at the end."""
    yield
    from friendlygov import ahead

    ahead.close()


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the dashboards cache rendered figures, and a
    test must not see what another test's data rendered."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def real_units(transactional_db):
    """The real units again, for transactional tests (which start from an empty database)."""
    units_load(reorganizations=False)


@pytest.fixture
def reorganized_units(db):
    """Every period: Bắc Giang's 209 communes until 2024, its 192 from 1/1/2025, Tỉnh Bắc
    Ninh's 99 from 1/7/2025, and the lineage links between them.

    The same rows ``units_load()`` writes (tests/communes/test_units*.py run the loader
    itself), copied from what it wrote once at the start of the session: a bulk insert
    and a bulk update per table instead of the loader's 2,600 statements, which took 4 to
    5 s per test on PostgreSQL for the 139 tests that ask for this."""
    for model, (added, changed) in _REORGANIZED["difference"].items():
        manager = model._default_manager
        manager.bulk_create([_instance(model, row) for row in added])
        if changed:
            fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
            manager.bulk_update([_instance(model, row) for row in changed], fields)
    # Bulk writes send no signal: forget what the cache holds, as the loader's saves do.
    from django.core.cache import cache

    cache.clear()
    return _REORGANIZED["result"]


def _instance(model, row: dict):
    values = {key: value for key, value in row.items() if key != "pk"}
    return model(**values)


@pytest.fixture
def make_user(db):
    """Create a user with a role and, unless admin, the unit its scope is tied to."""
    User = get_user_model()
    counter = {"n": 0}

    def make(
        role: str,
        unit_code: str | None = None,
        username: str | None = None,
        on: datetime.date = IN_2024,
        **extra,
    ):
        counter["n"] += 1
        username = username or f"{role}-{unit_code or 'all'}-{counter['n']}"
        user = User.objects.create_user(username=username, password="pw-123456!", **extra)
        scope = {"role": role}
        if role == Role.PROVINCE:
            scope["province"] = Province.objects.in_force(on=on).get(code=unit_code or "24")
        elif role == Role.DISTRICT:
            scope["district"] = District.objects.in_force(on=on).get(code=unit_code)
        elif role == Role.COMMUNE:
            scope["commune"] = Commune.objects.in_force(on=on).get(code=unit_code)
        elif role == Role.PROVINCE_REVIEWER:
            scope["province"] = Province.objects.in_force(on=on).get(code=unit_code or "24")
        UserScope.objects.create(user=user, **scope)
        return user

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, username="admin-user", is_staff=True, is_superuser=True)


@pytest.fixture
def province_official(make_user):
    return make_user(Role.PROVINCE, "24", username="tinh-test")


@pytest.fixture
def district_official(make_user):
    """A district official of Lục Nam."""
    return make_user(Role.DISTRICT, LUC_NAM, username="huyen-lucnam-test")


@pytest.fixture
def other_district_official(make_user):
    """A district official of Bắc Giang city (not Lục Nam)."""
    return make_user(Role.DISTRICT, BAC_GIANG_CITY, username="huyen-bgcity-test")


@pytest.fixture
def commune_staff(make_user):
    """Commune staff of Đồi Ngô (Lục Nam)."""
    return make_user(Role.COMMUNE, DOI_NGO, username="xa-doingo-test")


@pytest.fixture
def leloi_staff(make_user):
    """Commune staff of Lê Lợi ward (Bắc Giang city)."""
    return make_user(Role.COMMUNE, LE_LOI, username="xa-leloi-test")


@pytest.fixture
def doi_ngo(db):
    return Commune.objects.in_force(on=IN_2024).get(code=DOI_NGO)


@pytest.fixture
def le_loi(db):
    return Commune.objects.in_force(on=IN_2024).get(code=LE_LOI)


@pytest.fixture
def luc_nam(db):
    return District.objects.in_force(on=IN_2024).get(code=LUC_NAM)


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user (or anonymous for None)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture
def default_criteria(real_units):
    """The shipped criteria again, for transactional tests (they start from a flushed database)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("communes.migrations.0003_default_criteria")
    migration.create_default_criteria(apps, None)
    # ... with their English, as the data migration fills it.
    english = importlib.import_module("communes.migrations.0008_criteria_practices_in_english")
    english.fill_languages(apps, None)


@pytest.fixture
def rendered_around_the_cache(settings):
    """The dashboards as they are served with the per-process cache (CACHE_URL unset),
    whatever CACHE_URL the suite runs with: rendered around their cached parts on every
    request, the session and the user read from the database. For the tests that count
    those queries or read the rendering's context; with a shared cache a warm dashboard is
    kept whole (tests/targets/test_dashboard_whole_page.py)."""
    settings.SHARED_CACHE = False
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
