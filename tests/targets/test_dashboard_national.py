"""The national dashboard: an administrator sees one row per province in force, each
opening that province's dashboard; the workbook likewise; and after a recompute run the
first reader finds every part already rendered."""

import datetime
from io import BytesIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from communes.models import (
    Commune,
    District,
    GoodPractice,
    Level,
    PracticeAdoption,
    Province,
    Role,
    SteeringCommittee,
)
from targets import dashboards, selectors, services, tasks
from targets.models import RecomputeRun, Status
from tests.conftest import DOI_NGO, LE_LOI, LUC_NAM
from tests.targets.dashboard_data import fill_communes, give_status, set_targets

pytestmark = pytest.mark.django_db

D2024 = datetime.date(2024, 3, 1)
D2026 = datetime.date(2026, 3, 1)


@pytest.fixture
def targets():
    set_targets()


@pytest.fixture
def second_province(targets):
    """Tỉnh Thử: one district of 12 communes, 4 of them certified in 2024."""
    province = Province.objects.create(code="99", name="Tỉnh Thử", kind="tỉnh")
    district = District.objects.create(
        code="999", name="Huyện Thử", kind="huyện", province=province
    )
    communes = [
        Commune.objects.create(
            code=f"9990{n:02d}", name=f"Xã Thử {n}", kind="xã", district=district
        )
        for n in range(12)
    ]
    fill_communes(communes, year=2024)
    return province


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def rows_of(response):
    return {row.code: row for row in response.context["district_table"].rows}


def test_an_administrator_sees_one_row_per_province_with_its_figures(
    client, admin_user, second_province
):
    for code in (DOI_NGO, LE_LOI):
        give_status(Commune.objects.get(code=code), 2024, Status.CERTIFIED)
    client.force_login(admin_user)

    response = client.get("/?year=2024")

    rows = rows_of(response)
    assert set(rows) == {"24", "99"}
    assert (rows["24"].figures.total, rows["24"].figures.certified) == (209, 2)
    assert (rows["99"].figures.total, rows["99"].figures.certified) == (12, 4)
    # 60% of 12 is 7.2: 8 communes are needed, 4 are still missing.
    assert rows["99"].figures.progress.gap == 4
    overall = response.context["overall"]
    assert (overall.total, overall.certified) == (221, 6)
    html = html_of(response)
    assert "Tổng quan toàn quốc năm 2024" in html
    assert "Tiến độ theo tỉnh" in html and "Toàn quốc" in html
    # The count of communes stays whole when a phone's narrow card wraps it ("/221").
    assert '<span class="fs-5 text-muted text-nowrap">/221</span>' in html
    # No district is listed on the national page: its rows are the provinces.
    assert 'href="/districts/' not in html
    assert 'href="/provinces/24/?year=2024"' in html
    assert 'href="/provinces/99/?year=2024"' in html


def test_the_countrys_statements_kept_by_the_process_read_todays_figures(second_province):
    """The national figures' statements are built once per process (friendlygov.prepared):
    their rows are read again on every call, so a new status counts at once."""
    before = selectors.national_figures(year=2024)
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED)

    after = selectors.national_figures(year=2024)

    assert after.overall.certified == before.overall.certified + 1
    rows = {row.code: row.figures.certified for row in after.districts}
    assert rows["24"] == 1 and rows["99"] == 4


def test_a_province_row_opens_its_districts_with_a_way_back(client, admin_user, second_province):
    client.force_login(admin_user)

    html = html_of(client.get("/provinces/24/?year=2024"))

    assert html.count('href="/districts/') >= 10
    assert "Huyện Thử" not in html  # another province's district
    assert 'href="/?year=2024">Toàn quốc</a>' in html
    # The district's page leads back through the province to the country.
    district = html_of(client.get(f"/districts/{LUC_NAM}/?year=2024"))
    assert 'href="/?year=2024">Toàn quốc</a>' in district
    assert 'href="/provinces/24/?year=2024"' in district


def test_the_provinces_page_shows_what_its_official_sees(
    client, admin_user, province_official, second_province
):
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED)
    client.force_login(province_official)
    official = client.get("/?year=2024").context
    client.force_login(admin_user)

    drilled = client.get("/provinces/24/?year=2024").context

    assert [r.code for r in drilled["district_table"].rows] == [
        r.code for r in official["district_table"].rows
    ]
    assert drilled["overall"] == official["overall"]


def test_a_provincial_official_opens_only_their_own_province(
    client, province_official, district_official, second_province
):
    client.force_login(province_official)
    assert client.get("/provinces/24/?year=2024").status_code == 200
    assert client.get("/provinces/99/?year=2024").status_code == 403
    assert client.get("/provinces/12345/?year=2024").status_code == 404
    # The official's own dashboard stays the province's, by district.
    assert 'href="/districts/' in html_of(client.get("/?year=2024"))

    client.force_login(district_official)
    assert client.get("/provinces/24/?year=2024").status_code == 403


def test_the_national_workbook_has_one_row_per_province(client, admin_user, second_province):
    client.force_login(admin_user)

    response = client.get("/?year=2024&format=xlsx")

    assert response.status_code == 200
    assert 'filename="tien-do-toan-quoc-2024.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert sheet["A1"].value == "Tiến độ theo tỉnh"
    names = [sheet.cell(row=r, column=2).value for r in range(5, sheet.max_row + 1)]
    assert names == ["Tỉnh Bắc Giang", "Tỉnh Thử", "Toàn quốc"]
    communes = [sheet.cell(row=r, column=3).value for r in range(5, sheet.max_row + 1)]
    assert communes == [209, 12, 221]


def test_a_provinces_workbook_lists_its_districts(client, admin_user, second_province):
    client.force_login(admin_user)

    response = client.get("/provinces/99/?year=2024&format=xlsx")

    assert 'filename="tien-do-tinh-99-2024.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    names = [sheet.cell(row=r, column=2).value for r in range(5, sheet.max_row + 1)]
    assert names == ["Huyện Thử", "Toàn tỉnh"]


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.usefixtures("rendered_around_the_cache")
def test_the_national_page_runs_as_many_queries_for_two_provinces_as_for_forty(
    client, admin_user, targets
):
    client.force_login(admin_user)
    fill_communes(Commune.objects.all()[:30], year=2024)
    small = (queries_of(client, "/?year=2024"), queries_of(client, "/?year=2024"))

    for n in range(40):
        province = Province.objects.create(code=f"9{n:02d}", name=f"Tỉnh Thử {n}", kind="tỉnh")
        district = District.objects.create(
            code=f"9{n:02d}1", name=f"Huyện Thử {n}", kind="huyện", province=province
        )
        fill_communes(
            Commune.objects.bulk_create(
                Commune(
                    code=f"9{n:02d}{c:03d}",
                    name=f"Xã Thử {n}-{c}",
                    search_name=f"xa thu {n}-{c}",
                    kind="xã",
                    district=district,
                    province=province,
                )
                for c in range(25)
            ),
            year=2024,
        )
    large = (queries_of(client, "/?year=2024"), queries_of(client, "/?year=2024"))

    assert len(rows_of(client.get("/?year=2024"))) == 41
    assert small == large
    assert large[1] < large[0]


# The national page rendered with nothing cached (what a recompute without the pre-render
# leaves): the session, the user and the scope, the programme years, the last computation,
# the years' reference dates and targets (read once for the figures and the chart), the
# figures by province (the provinces, the practices, the communes with their statuses,
# committees and adopters in one grouped query, the evidence awaiting review, the
# adoptions by practice, the money, the recognitions and the rule), the chart (the
# communes of each year, the certified of each year), the closest communes, the
# criteria's titles, the latest recompute run and the unread notifications.
NATIONAL_COLD_QUERIES = 21


@pytest.mark.usefixtures("rendered_around_the_cache")
def test_the_national_page_rendered_from_nothing_costs_a_fixed_number_of_queries(
    client, admin_user, province_official, second_province
):
    client.force_login(admin_user)
    client.get("/?year=2024")  # the session and what is cached with it
    cache.clear()
    national = queries_of(client, "/?year=2024")
    client.force_login(province_official)
    client.get("/?year=2024")
    cache.clear()
    province = queries_of(client, "/?year=2024")

    assert national == NATIONAL_COLD_QUERIES
    assert national <= province


def test_the_pre_render_reads_the_years_targets_once_for_every_view(second_province):
    with CaptureQueriesContext(connection) as ctx:
        rendered = dashboards.prerender(year=2024)

    assert rendered == 6  # the country and two provinces, in two languages
    targets = [q for q in ctx.captured_queries if 'FROM "targets_yeartarget"' in q["sql"]]
    assert len(targets) == 1


def test_each_province_counts_the_committees_and_adopters_of_its_communes_in_force(
    client, admin_user, second_province
):
    communes = list(Commune.objects.filter(province=second_province).order_by("code"))
    # A second committee and a second practice: each commune counts once.
    SteeringCommittee.objects.create(
        level=Level.COMMUNE, commune=communes[0], decision_number="2", established_on=D2024
    )
    PracticeAdoption.objects.create(
        practice=GoodPractice.objects.create(code="khac", name="Khác", origin=communes[1]),
        commune=communes[0],
        adopted_on=D2024,
    )
    # After the year: not counted for 2024.
    luc_nam = Commune.objects.filter(district__code=LUC_NAM).order_by("code").first()
    SteeringCommittee.objects.create(
        level=Level.COMMUNE,
        commune=luc_nam,
        decision_number="3",
        established_on=datetime.date(2025, 2, 1),
    )
    PracticeAdoption.objects.create(
        practice=GoodPractice.objects.get(code="khac"),
        commune=luc_nam,
        adopted_on=datetime.date(2025, 2, 1),
    )
    # A commune that ended before 2024's reference date: none of its rows counts.
    Commune.objects.filter(pk=communes[1].pk).update(valid_to=datetime.date(2023, 6, 30))
    client.force_login(admin_user)

    rows = rows_of(client.get("/?year=2024"))

    # 12 communes, one ended; fill_communes gave each a committee and every other one
    # (0, 2, ...) a practice, and the ended one (1) none.
    figures = rows["99"].figures
    assert (figures.total, figures.committees, figures.adopters) == (11, 11, 6)
    assert (rows["24"].figures.committees, rows["24"].figures.adopters) == (0, 0)
    # The province's own page counts the same.
    province = client.get("/provinces/99/?year=2024").context["overall"]
    assert (province.total, province.committees, province.adopters) == (11, 11, 6)


def test_the_countrys_certified_share_by_year_reads_the_statuses_alone(
    client, admin_user, second_province
):
    give_status(Commune.objects.get(code=DOI_NGO, valid_from=None), 2023, Status.CERTIFIED)
    client.force_login(admin_user)
    client.get("/?year=2024")
    cache.clear()

    with CaptureQueriesContext(connection) as ctx:
        shares = client.get("/?year=2024").context["shares"]

    # Every commune is the country's: no join that would keep them all.
    certified_by_year = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "targets_certificationstatus"."year"')
        and "GROUP BY" in q["sql"]
    ]
    assert len(certified_by_year) == 1
    assert "communes_commune" not in certified_by_year[0]
    # Counted from the index on year and status, without reading the rows.
    assert "COUNT(*)" in certified_by_year[0]
    # A commune adopts a practice once: its adoptions are counted without DISTINCT.
    assert not [q for q in ctx.captured_queries if "COUNT(DISTINCT" in q["sql"]]
    assert {(s.year, s.certified) for s in shares} == {(2023, 1), (2024, 4), (2025, 0)}
    assert shares == selectors.share_by_year(communes=Commune.objects.all())


# --- Both shapes of the hierarchy -------------------------------------------------------


def test_each_year_lists_the_provinces_in_force_then(client, admin_user, years):
    services.statuses_recompute()
    client.force_login(admin_user)

    before = rows_of(client.get("/?year=2023"))
    after = rows_of(client.get("/?year=2026"))

    assert [(r.name, r.figures.total) for r in before.values()] == [("Tỉnh Bắc Giang", 209)]
    assert [(r.name, r.figures.total) for r in after.values()] == [("Tỉnh Bắc Ninh", 99)]
    assert before["24"].province.pk != after["24"].province.pk  # the code is reused


def test_a_province_without_districts_opens_on_its_communes_by_former_unit(
    client, admin_user, years
):
    services.statuses_recompute()
    client.force_login(admin_user)

    response = client.get("/provinces/24/?year=2026")

    html = html_of(response)
    assert "Tỉnh Bắc Ninh" in html
    assert 'href="/districts/' not in html  # no district level in 2026
    assert response.context["overall"].total == 99
    groups = {row.name for row in response.context["district_table"].rows}
    assert "Huyện Lục Nam" in groups
    # The same code in 2024 is Tỉnh Bắc Giang, with its districts.
    earlier = client.get("/provinces/24/?year=2024")
    assert earlier.context["overall"].total == 209
    assert html_of(earlier).count('href="/districts/') >= 10


def test_bac_ninhs_official_cannot_open_another_province_in_2026(
    client, make_user, years, second_province
):
    official = make_user(Role.PROVINCE, "24", username="tinh-bacninh-national", on=D2026)
    client.force_login(official)

    assert client.get("/provinces/24/?year=2026").status_code == 200
    assert client.get("/provinces/99/?year=2026").status_code == 403


# --- Pre-rendered by the recompute ------------------------------------------------------


def _run_recompute(year=None) -> RecomputeRun:
    """A recompute run as the dashboard's button queues it, executed by the task."""
    run = services.recompute_run_create(trigger=RecomputeRun.Trigger.DASHBOARD, year=year)
    tasks.recompute_all(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.mark.usefixtures("rendered_around_the_cache")
@pytest.mark.parametrize("language", ["vi", "en"])
def test_after_a_recompute_run_the_first_view_reads_every_figure_from_the_cache(
    client, admin_user, province_official, targets, language
):
    client.cookies["django_language"] = language
    for user, url in (
        (admin_user, "/?year=2024"),
        (province_official, "/?year=2024"),
        (admin_user, "/provinces/24/?year=2024"),
    ):
        client.force_login(user)
        queries_of(client, url)  # the cache holds the page as it was before the run
        warm = queries_of(client, url)

        run = _run_recompute(2024)

        assert run.state == RecomputeRun.State.DONE
        assert queries_of(client, url) == warm, url


def test_the_pre_rendered_page_shows_the_new_figures(client, province_official, make_ready):
    client.force_login(province_official)
    _run_recompute(2023)
    assert client.get("/?year=2023").context["overall"].certified == 0

    make_ready(Commune.objects.filter(code__in=[DOI_NGO, LE_LOI]))
    _run_recompute(2023)

    html = html_of(client.get("/?year=2023"))
    assert '<div class="display-6">2<span class="fs-5 text-muted text-nowrap">/209' in html


def test_the_run_is_done_only_after_the_dashboards_are_rendered(targets, monkeypatch):
    seen = []

    def prerender(*, year, **kwargs):
        run = RecomputeRun.objects.get()
        seen.append((year, run.state, run.percent))
        return 0

    monkeypatch.setattr(dashboards, "prerender", prerender)

    run = _run_recompute(2024)

    assert seen == [(2024, RecomputeRun.State.RUNNING, 0)]
    assert (run.state, run.percent) == (RecomputeRun.State.DONE, 100)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_after_a_recompute_run_a_citizens_first_public_page_comes_from_the_cache(
    client, second_province, language
):
    client.cookies["django_language"] = language
    for url in ("/public/?year=2024", "/public/?year=2024&province=24"):
        queries_of(client, url)  # the cache holds the page as it was before the run
        warm = queries_of(client, url)

        _run_recompute(2024)

        assert queries_of(client, url) == warm, url


def test_the_pre_rendered_public_page_shows_the_new_figures(client, targets, make_ready):
    _run_recompute(2023)
    html = client.get("/public/?year=2023").content.decode()
    assert "Thị trấn Đồi Ngô" not in html

    make_ready(Commune.objects.filter(code__in=[DOI_NGO, LE_LOI]))
    _run_recompute(2023)

    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/public/?year=2023").content.decode()
    # Rendered by the run, not by this citizen: with a shared cache (CACHE_URL on Redis)
    # the whole page, else its figures (the years and their last computations are read).
    assert len(ctx.captured_queries) == (0 if settings.SHARED_CACHE else 1)
    assert "Thị trấn Đồi Ngô" in html and "Phường Lê Lợi" in html


def test_one_communes_recompute_renders_its_provinces_public_page(client, second_province):
    url = "/public/?year=2024&province=24"
    queries_of(client, url)
    warm = queries_of(client, url)

    tasks.recompute_commune(Commune.objects.get(code=DOI_NGO, valid_from=None).pk, 2024)

    assert queries_of(client, url) == warm


def test_a_failing_public_pre_render_does_not_fail_the_run(targets, monkeypatch):
    from targets import views

    def broken(request):
        raise RuntimeError("template missing")

    monkeypatch.setattr(views, "public_progress", broken)

    assert _run_recompute(2024).state == RecomputeRun.State.DONE
    assert views.prerender_public(year=2024) == 0


def test_a_failing_pre_render_does_not_fail_the_run(targets, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(dashboards, "render_parts", broken)

    assert _run_recompute(2024).state == RecomputeRun.State.DONE


def test_todays_official_sees_a_recompute_of_the_years_before_the_merger_at_once(
    client, make_user, years, make_ready
):
    """Today's Tỉnh Bắc Ninh's official reads 2023 on Tỉnh Bắc Giang's communes (merged
    into it): a recompute of those communes shows on the next view, not when the cached
    page expires."""
    official = make_user(Role.PROVINCE, "24", username="tinh-bacninh-history", on=D2026)
    client.force_login(official)
    _run_recompute(2023)
    assert client.get("/?year=2023").context["overall"].certified == 0

    make_ready(Commune.objects.filter(code__in=[DOI_NGO, LE_LOI], valid_from=None))
    _run_recompute(2023)

    html = html_of(client.get("/?year=2023"))
    assert '<div class="display-6">2<span class="fs-5 text-muted text-nowrap">/209' in html
