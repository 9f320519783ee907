"""The public progress page at /public/: no login, no personal data, cacheable."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communes.models import Commune, ProgrammeYear
from surveys.models import SurveyResponse
from targets import caching, services, views
from targets.models import CertificationStatus, Status, YearTarget
from tests.clock import today_is
from tests.conftest import DOI_NGO, LE_LOI
from tests.targets.dashboard_data import COMPUTED_AT, give_status, set_targets

pytestmark = pytest.mark.django_db

URL = "/public/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def statuses():
    set_targets()
    give_status(
        Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED, responses=100, satisfied=96
    )
    give_status(
        Commune.objects.get(code=LE_LOI), 2024, Status.CERTIFIED, responses=50, satisfied=45
    )
    give_status(
        Commune.objects.get(code="7450"),
        2024,
        Status.NOT_MET,
        [{"code": "satisfaction_below", "params": {"rate": 70, "threshold": 85}}],
        responses=10,
        satisfied=7,
    )


def test_anyone_sees_the_provinces_progress_without_logging_in(client, statuses):
    response = client.get(URL + "?year=2024")

    assert response.status_code == 200
    assert response.context["overall"].certified == 2
    html = response.content.decode()
    assert "Tiến độ xây dựng Chính quyền thân thiện năm 2024" in html
    assert "2<span" in html and "/209" in html
    assert 'data-chart="chart-share"' in html


def test_the_certified_communes_are_listed_by_district(client, statuses):
    html = client.get(URL + "?year=2024").content.decode()

    assert "Thị trấn Đồi Ngô" in html
    assert "Phường Lê Lợi" in html
    assert "Xã Đông Hưng" not in html  # not certified


def test_satisfaction_is_shown_by_district(client, statuses):
    table = client.get(URL + "?year=2024").context["district_table"]

    luc_nam = next(r for r in table.rows if r.code == "218")
    assert luc_nam.figures.satisfaction_rate == Decimal("93.6")  # (96 + 7) / 110


def test_the_public_page_holds_no_personal_data_and_no_internal_links(
    client, statuses, commune_staff
):
    SurveyResponse.objects.create(
        commune=Commune.objects.get(code=DOI_NGO),
        answered_on=COMPUTED_AT.date(),
        channel="kiosk",
        satisfied=True,
        answers={"Q1": 5},
    )
    html = client.get(URL + "?year=2024").content.decode()

    assert commune_staff.username not in html
    assert "/communes/" not in html and "/districts/" not in html
    assert "Chưa đạt" not in html.split("Các xã, phường, thị trấn đạt chuẩn")[1]
    assert "satisfaction_below" not in html


def test_the_figures_are_cached_until_the_statuses_are_next_computed(
    per_process_cache, client, statuses
):
    client.get(URL + "?year=2024")
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL + "?year=2024")
    # the programme years and when the statuses of each were last computed
    assert len(ctx.captured_queries) == 1

    give_status(
        Commune.objects.get(code="7453"),
        2024,
        Status.CERTIFIED,
        at=COMPUTED_AT.replace(day=2),
    )
    assert client.get(URL + "?year=2024").context["overall"].certified == 3


def test_the_public_page_is_in_english_too(client, statuses):
    client.cookies["django_language"] = "en"
    html = client.get(URL + "?year=2024").content.decode()
    assert "Friendly government progress, 2024" in html


def test_the_public_page_refuses_post(client):
    assert client.post(URL).status_code == 405


def test_todays_certified_communes_are_listed_under_their_former_district(
    client, reorganized_units
):
    from targets.models import YearTarget

    set_targets()
    YearTarget.objects.get_or_create(year=2026, defaults={"percent": 100})
    on = datetime.date(2026, 3, 1)
    luc_nam = Commune.objects.in_force(on=on).get(code=DOI_NGO)  # Xã Lục Nam since 1/7/2025
    give_status(luc_nam, 2026, Status.CERTIFIED, responses=100, satisfied=96)

    response = client.get(URL + "?year=2026")

    (group, communes) = response.context["public"].certified[0]
    assert group.name == "Huyện Lục Nam" and communes == [luc_nam]
    html = response.content.decode()
    assert "Huyện Lục Nam" in html and "Xã Lục Nam" in html


# --- Served from the cache, keyed to the last computation ------------------------------


def modules_pickled_in_the_cache() -> set[str]:
    """The modules of every class the cache (the test's per-process one, or Redis when
    CACHE_URL names it) holds an instance of."""
    import io
    import pickle

    seen: set[str] = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            seen.add(module)
            return super().find_class(module, name)

    if isinstance(getattr(cache, "_cache", None), dict):  # LocMemCache
        values = list(cache._cache.values())
    else:  # Redis: integers are stored as digits, everything else pickled
        client = cache._cache.get_client()
        values = [client.get(key) for key in client.keys("*")]
        values = [value for value in values if value is not None and not value.isdigit()]
    for value in values:
        Recorder(io.BytesIO(value)).load()
    return seen


@pytest.fixture
def per_process_cache(settings):
    """The default cache of ``make run``, each process its own (what CACHE_URL says
    otherwise): the page is rendered around its cached figures, never kept whole."""
    settings.SHARED_CACHE = False


def test_a_warm_public_page_is_served_from_the_cache_in_one_query(
    per_process_cache, client, statuses
):
    client.get(URL + "?year=2024")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(URL + "?year=2024").content.decode()
    assert len(ctx.captured_queries) == 1
    assert "Thị trấn Đồi Ngô" in html and "Phường Lê Lợi" in html


def test_the_cache_holds_rendered_html_and_plain_values_never_model_instances(client, statuses):
    client.get(URL + "?year=2024")
    client.get(URL + "?year=2023")
    modules = modules_pickled_in_the_cache()
    assert modules <= {"builtins", "datetime", "django.utils.safestring"}, modules


def test_a_recompute_shows_at_once_on_the_public_page(client, statuses):
    assert "Xã Tam Dị" not in client.get(URL + "?year=2024").content.decode()
    tam_di = Commune.objects.get(name="Xã Tam Dị", valid_from=None)
    give_status(tam_di, 2024, Status.CERTIFIED, at=COMPUTED_AT.replace(day=2))

    html = client.get(URL + "?year=2024").content.decode()

    assert "Xã Tam Dị" in html
    assert "3<span" in html and "/209" in html


def test_between_computations_the_public_page_shows_the_computed_figures(client, statuses):
    """What changes without a computation (a status row rewritten in place, as no code
    path does) is not shown: the page is the cached rendering of the last computation."""
    from targets.models import CertificationStatus

    client.get(URL + "?year=2024")
    CertificationStatus.objects.filter(year=2024, status=Status.CERTIFIED).update(
        status=Status.NOT_MET
    )
    assert "Thị trấn Đồi Ngô" in client.get(URL + "?year=2024").content.decode()


def test_a_recognition_decision_shows_at_once_on_the_public_page(client, statuses):
    """A decision does not recompute: it moves the dashboards' generation (targets.caching)."""
    from targets import caching

    client.get(URL + "?year=2024")
    before = caching.generation()
    caching.invalidate()
    assert caching.generation() != before
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL + "?year=2024")
    assert len(ctx.captured_queries) > 1  # rendered afresh


def test_each_language_is_cached_on_its_own(client, statuses):
    assert "Friendly government" not in client.get(URL + "?year=2024").content.decode()
    client.cookies["django_language"] = "en"
    html = client.get(URL + "?year=2024").content.decode()
    assert "Certified" in html and "Đạt chuẩn" not in html


# --- One province's page ----------------------------------------------------------------


@pytest.fixture
def other_province(db):
    """A second province, with one district and one certified commune."""
    from communes.models import District, Province

    province = Province.objects.create(code="901", name="Tỉnh Thử Nghiệm", kind="Tỉnh")
    district = District.objects.create(
        code="9001", name="Huyện Thử Nghiệm", kind="Huyện", province=province
    )
    commune = Commune.objects.create(
        code="900001", name="Xã Thử Nghiệm", kind="Xã", province=province, district=district
    )
    give_status(commune, 2024, Status.CERTIFIED)
    return province


def test_a_provinces_page_shows_only_its_own_communes(client, statuses, other_province):
    ours = client.get(URL + "?year=2024&province=24").content.decode()
    theirs = client.get(URL + "?year=2024&province=901").content.decode()

    assert "Thị trấn Đồi Ngô" in ours and "Xã Thử Nghiệm" not in ours
    assert "Xã Thử Nghiệm" in theirs and "Thị trấn Đồi Ngô" not in theirs
    assert "Tỉnh Thử Nghiệm" in theirs
    assert "1<span" in theirs and "/1" in theirs


def test_a_computation_in_one_province_renders_only_that_provinces_page_again(
    client, statuses, other_province
):
    client.get(URL + "?year=2024&province=24")
    client.get(URL + "?year=2024&province=901")
    tam_di = Commune.objects.get(name="Xã Tam Dị", valid_from=None)
    give_status(tam_di, 2024, Status.CERTIFIED, at=COMPUTED_AT.replace(day=2))

    with CaptureQueriesContext(connection) as theirs:
        client.get(URL + "?year=2024&province=901")
    with CaptureQueriesContext(connection) as ours:
        html = client.get(URL + "?year=2024&province=24").content.decode()

    # the years, the province, the year's reference date and the province's last computation
    assert len(theirs.captured_queries) == 4
    assert len(ours.captured_queries) > 4 and "Xã Tam Dị" in html


def test_an_unknown_province_is_not_found(client, statuses):
    assert client.get(URL + "?province=999").status_code == 404


# --- The national summary: several provinces --------------------------------------------


def test_with_several_provinces_the_page_is_a_summary_by_province(client, statuses, other_province):
    response = client.get(URL + "?year=2024")

    html = response.content.decode()
    assert response.context["national"] is True
    assert "Toàn quốc" in html
    rows = {row.code: row for row in response.context["district_table"].rows}
    assert set(rows) == {"24", "901"}
    assert rows["24"].figures.total == 209 and rows["24"].figures.certified == 2
    assert rows["901"].figures.total == 1 and rows["901"].figures.certified == 1
    assert response.context["overall"].certified == 3
    assert "3<span" in html and "/210" in html
    # Each row opens the province's own public page.
    assert 'href="/public/?year=2024&amp;province=24"' in html
    assert 'href="/public/?year=2024&amp;province=901"' in html


def test_the_national_summary_lists_no_district_and_no_commune(client, statuses, other_province):
    html = client.get(URL + "?year=2024").content.decode()
    single = client.get(URL + "?year=2024&province=24").content.decode()

    for name in ("Thị trấn Đồi Ngô", "Phường Lê Lợi", "Xã Thử Nghiệm", "Huyện Lục Nam"):
        assert name not in html
    assert "Huyện Thử Nghiệm" not in html
    assert "Chọn một tỉnh, thành phố trong bảng trên" in html
    # One row per province: the page does not grow with the communes (the province's own
    # page, with its 10 districts and 2 certified communes, is already longer).
    assert html.count("<tr") == 1 + 2 + 1 + html.split('id="table-public-provinces"')[0].count(
        "<tr"
    )
    assert len(html) < len(single)


def test_a_province_row_opens_the_provinces_public_page(client, statuses, other_province):
    html = client.get(URL + "?year=2024").content.decode()
    link = "/public/?year=2024&province=901"
    assert link.replace("&", "&amp;") in html

    theirs = client.get(link).content.decode()

    assert "Xã Thử Nghiệm" in theirs and "Tỉnh Thử Nghiệm" in theirs


def test_the_citizens_search_works_across_the_country(client, statuses, other_province):
    found = client.get(URL + "?year=2024&q=thu nghiem").context["found"]
    assert [c.name for c in found] == ["Xã Thử Nghiệm"]
    html = client.get(URL + "?year=2024&q=doi ngo").content.decode()
    assert "Thị trấn Đồi Ngô" in html and "Tỉnh Bắc Giang" in html  # the commune's province


def test_a_warm_national_summary_is_one_query_and_cached_as_html(
    per_process_cache, client, statuses, other_province
):
    client.get(URL + "?year=2024")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(URL + "?year=2024").content.decode()
    assert len(ctx.captured_queries) == 1
    assert 'href="/public/?year=2024&amp;province=901"' in html
    modules = modules_pickled_in_the_cache()
    assert modules <= {"builtins", "datetime", "django.utils.safestring"}, modules


def test_a_second_province_turns_the_page_into_the_summary_at_once(client, statuses):
    """The count of provinces is cached with the generation, which a unit's change moves."""
    assert "Thị trấn Đồi Ngô" in client.get(URL + "?year=2024").content.decode()
    from communes.models import Province

    province = Province.objects.create(code="902", name="Tỉnh Mới", kind="Tỉnh")
    Commune.objects.create(code="900002", name="Xã Mới", kind="Xã", province=province)

    response = client.get(URL + "?year=2024")
    assert response.context["national"] is True
    assert "Thị trấn Đồi Ngô" not in response.content.decode()


def test_the_national_summary_is_in_english_too(client, statuses, other_province):
    client.cookies["django_language"] = "en"
    html = client.get(URL + "?year=2024").content.decode()
    assert "Progress and satisfaction by province" in html
    assert "Whole country" in html and "Toàn quốc" not in html


# --- Kept whole with a shared cache -------------------------------------------------------
# With Redis, a citizen's page is kept as one rendered page: a warm page is served without
# a query, with this request's CSRF token, address and time, and every change it shows (a
# recompute, a decision, a target, the programme years) is seen by the next request.

PAGE = "/public/?year=2024"


@pytest.fixture
def shared_cache(settings):
    """The settings of a deployment with CACHE_URL=redis://... (the test's cache is the
    process's own, which here is every process there is)."""
    settings.SHARED_CACHE = True


def html_of(client, url=PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def queries_of(client, url=PAGE) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_a_warm_public_page_is_served_without_a_query(shared_cache, client, statuses):
    html_of(client)
    with CaptureQueriesContext(connection) as ctx:
        html = html_of(client)
    assert ctx.captured_queries == []
    assert "Thị trấn Đồi Ngô" in html and "Phường Lê Lợi" in html


def test_the_whole_page_is_cached_as_plain_values(shared_cache, client, statuses):
    html_of(client)
    assert modules_pickled_in_the_cache() <= {"builtins", "datetime", "django.utils.safestring"}


def test_a_recompute_shows_on_the_cached_page_at_once(shared_cache, client, statuses):
    assert "Thị trấn Đồi Ngô" in html_of(client)
    html_of(client)  # warm

    # Đồi Ngô has no committee, evidence or survey in the test data: no longer certified.
    services.statuses_recompute(year=2024, commune_ids=[Commune.objects.get(code=DOI_NGO).pk])

    html = html_of(client)
    assert "Thị trấn Đồi Ngô" not in html
    assert "1<span" in html and "/209" in html


def test_a_status_saved_shows_on_the_cached_page_at_once(shared_cache, client, statuses):
    html_of(client)
    tam_di = Commune.objects.get(name="Xã Tam Dị", valid_from=None)
    give_status(tam_di, 2024, Status.CERTIFIED, at=COMPUTED_AT.replace(day=2))

    assert "Xã Tam Dị" in html_of(client)


def test_a_decision_or_a_target_shows_on_the_cached_page_at_once(shared_cache, client, statuses):
    html_of(client)
    YearTarget.objects.filter(year=2024, district=None).update(percent=45)
    caching.invalidate()  # what a decision does after its commit
    assert queries_of(client) > 1  # rendered again
    YearTarget.objects.update_or_create(year=2024, district=None, defaults={"percent": 70})

    html = html_of(client)
    assert 'display-6">70%' in html and 'display-6">60%' not in html


def test_a_new_programme_year_shows_in_the_year_selector_at_once(shared_cache, client, statuses):
    assert "?year=2027" not in html_of(client)
    ProgrammeYear.objects.create(year=2027, reference_date=datetime.date(2027, 1, 1))

    assert "?year=2027" in html_of(client)


def test_a_lost_stamp_falls_back_to_the_database(shared_cache, client, statuses):
    """Redis flushed or restarted: the page is checked against its key in the database
    (which a recompute moved) before it is served."""
    html_of(client)
    cache.delete(caching._PUBLIC_STAMP_KEY)
    # A change whose stamp was lost (Redis restarted between the two).
    give_status(
        Commune.objects.get(name="Xã Tam Dị", valid_from=None),
        2024,
        Status.CERTIFIED,
        at=COMPUTED_AT.replace(day=2),
    )
    cache.delete(caching._PUBLIC_STAMP_KEY)

    assert "Xã Tam Dị" in html_of(client)


def test_a_computation_in_another_province_does_not_render_the_page_again(
    shared_cache, client, statuses, other_province
):
    ours = "/public/?year=2024&province=24"
    html_of(client, ours)
    theirs = CertificationStatus.objects.get(commune__code="900001", year=2024)
    theirs.status, theirs.computed_at = Status.NOT_MET, COMPUTED_AT.replace(day=3)
    theirs.save()
    # Checked against the database (the years, the province, its reference date, its last
    # computation), not rendered; then served without a query again.
    assert queries_of(client, ours) == 4
    assert queries_of(client, ours) == 0


def test_each_request_gets_its_own_csrf_token_and_address(shared_cache, statuses):
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    html_of(Client())
    one, two = token.findall(html_of(Client())), token.findall(html_of(Client()))
    assert len(one) == 1 and len(two) == 1 and one != two

    url = "/public/?province=24&year=2024"
    html_of(Client(), url)
    html = html_of(Client(), url)
    assert 'name="next" type="hidden" value="/public/?province=24&amp;year=2024"' in html
    for mark in (views._CSRF_MARK, views._NEXT_MARK, views._NOW_MARK):
        assert mark not in html


def test_the_cached_pages_csrf_token_lets_a_citizen_change_the_language(shared_cache, statuses):
    citizen = Client(enforce_csrf_checks=True)
    html_of(citizen)
    html = html_of(citizen)  # from the cache
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    response = citizen.post(
        reverse("set_language"),
        {"language": "en", "next": PAGE, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302 and response["Location"] == PAGE
    assert "Friendly government progress, 2024" in html_of(citizen)


def test_languages_and_provinces_are_cached_apart(shared_cache, client, statuses, other_province):
    pages = {}
    for language in ("vi", "en"):
        client.cookies["django_language"] = language
        for url in (PAGE, "/public/?year=2024&province=24", "/public/?year=2024&province=901"):
            html_of(client, url)
            pages[language, url] = html_of(client, url)  # from the cache

    assert "Toàn quốc" in pages["vi", PAGE] and "Whole country" in pages["en", PAGE]
    assert "Whole country" not in pages["vi", PAGE]
    for language in ("vi", "en"):
        ours = pages[language, "/public/?year=2024&province=24"]
        theirs = pages[language, "/public/?year=2024&province=901"]
        assert "Thị trấn Đồi Ngô" in ours and "Xã Thử Nghiệm" not in ours
        assert "Xã Thử Nghiệm" in theirs and "Thị trấn Đồi Ngô" not in theirs
    assert "Certified" in pages["en", PAGE] and "Đạt chuẩn" not in pages["en", PAGE]


def test_a_page_without_a_year_follows_the_day(shared_cache, client, statuses):
    with today_is(datetime.date(2024, 12, 31)):
        assert "năm 2024" in html_of(client, "/public/")
        html_of(client, "/public/")
    with today_is(datetime.date(2025, 1, 1)):
        assert "năm 2025" in html_of(client, "/public/")


def test_a_search_or_a_signed_in_user_is_not_served_the_cached_page(
    shared_cache, client, statuses, province_official
):
    html_of(client)
    assert queries_of(client, PAGE + "&q=doi ngo") > 0
    client.force_login(province_official)
    html = html_of(client)
    assert "Đăng xuất" in html and "Đăng nhập" not in html


def test_the_prerendered_page_is_served_without_a_query(shared_cache, client, statuses):
    views.prerender_public(year=2024)
    assert queries_of(client) == 0


def test_a_new_release_does_not_serve_the_previous_releases_pages(
    shared_cache, client, statuses, monkeypatch
):
    html_of(client)
    assert queries_of(client) == 0
    assert client.get(PAGE).context is None  # served whole
    monkeypatch.setattr(caching, "release", lambda: "the-next-release")

    assert client.get(PAGE).context is not None  # rendered by this release's templates
    assert client.get(PAGE).context is None
