"""The province dashboard at /."""

import json
from datetime import date
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communes.models import (
    Commune,
    Criterion,
    District,
    Evidence,
    Level,
    Role,
    SteeringCommittee,
)
from targets.models import RecomputeRun, Status, YearTarget
from targets.selectors import dashboard_year
from tests.conftest import BAC_GIANG_CITY, DOI_NGO, LE_LOI, LUC_NAM
from tests.targets.dashboard_data import (
    criterion,
    fill_communes,
    give_status,
    grow_province,
    set_targets,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def targets():
    set_targets()


def html_of(response):
    assert response.status_code == 200
    return response.content.decode()


def test_the_province_dashboard_shows_certified_communes_against_the_years_target(
    client, province_official, targets
):
    for code in (DOI_NGO, LE_LOI):
        give_status(Commune.objects.get(code=code), 2024, Status.CERTIFIED)
    give_status(Commune.objects.get(code="7444"), 2023, Status.CERTIFIED)
    client.force_login(province_official)

    response = client.get("/?year=2024")

    overall = response.context["overall"]
    assert (overall.total, overall.certified) == (209, 2)
    # 60% of 209 is 125.4: 126 communes are needed, 124 are still missing.
    assert overall.progress.target_percent == 60
    assert overall.progress.gap == 124
    html = html_of(response)
    assert "Tổng quan toàn tỉnh năm 2024" in html
    assert "1,0%" in html  # 2/209, Vietnamese decimal comma
    assert "cần 126 xã đạt chuẩn" in html


def test_each_district_row_counts_committees_launches_certified_satisfaction_and_waiting_evidence(
    client, province_official, targets
):
    luc_nam = list(Commune.objects.filter(district__code=LUC_NAM).order_by("code"))
    give_status(luc_nam[0], 2024, Status.CERTIFIED, responses=50, satisfied=48)
    give_status(luc_nam[1], 2024, Status.IN_PROGRESS, responses=50, satisfied=40)
    SteeringCommittee.objects.create(
        level=Level.COMMUNE,
        commune=luc_nam[0],
        decision_number="1",
        established_on=date(2023, 2, 1),
    )
    # Established after the year: not counted for 2024.
    SteeringCommittee.objects.create(
        level=Level.COMMUNE,
        commune=luc_nam[1],
        decision_number="2",
        established_on=date(2025, 2, 1),
    )
    Commune.objects.filter(pk=luc_nam[0].pk).update(model_launched_on=date(2023, 4, 1))
    Evidence.objects.create(commune=luc_nam[1], criterion=criterion(), year=2024, state="submitted")
    Evidence.objects.create(commune=luc_nam[2], criterion=criterion(), year=2023, state="submitted")
    client.force_login(province_official)

    response = client.get("/?year=2024")

    row = next(r for r in response.context["dashboard"].districts if r.code == LUC_NAM)
    figures = row.figures
    assert (figures.total, figures.committees, figures.launched, figures.certified) == (25, 1, 1, 1)
    assert figures.progress.percent == 4  # 1/25
    assert figures.progress.gap == 14  # ceil(60% x 25) = 15 needed
    assert figures.satisfaction_rate == 88  # 88 satisfied of 100 responses
    assert figures.evidence_awaiting == 1  # the 2023 submission is another year's
    html = html_of(response)
    assert 'href="/districts/218/"' in html
    assert "88,0%" in html


def test_the_district_table_sorts_on_the_server_so_it_works_without_javascript(
    client, province_official, targets
):
    give_status(Commune.objects.filter(district__code=BAC_GIANG_CITY).first(), 2024, "CERTIFIED")
    client.force_login(province_official)

    by_percent = client.get("/?year=2024&sort=-percent").context["district_table"]
    assert by_percent.rows[0].code == BAC_GIANG_CITY
    assert by_percent.sort == "-percent"
    by_name = client.get("/?year=2024&sort=name").context["district_table"]
    assert [r.name for r in by_name.rows][:2] == ["Huyện Hiệp Hòa", "Huyện Lạng Giang"]
    html = html_of(client.get("/?year=2024&sort=name"))
    assert 'aria-sort="ascending"' in html
    assert "sort=-name" in html  # the header links to the other direction
    # An unknown column falls back to the district code order rather than failing.
    assert client.get("/?sort=password").context["district_table"].rows[0].code == "213"


def test_communes_missing_a_single_item_are_named_with_that_item(
    client, province_official, targets
):
    one = [{"code": "evidence_missing", "params": {"criterion": "CSVC-02"}}]
    two = one + [{"code": "too_few_responses", "params": {"responses": 3, "minimum": 30}}]
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.IN_PROGRESS, one)
    give_status(Commune.objects.get(code=LE_LOI), 2024, Status.NOT_MET, two)
    client.force_login(province_official)

    response = client.get("/?year=2024")

    closest = response.context["closest_table"].rows
    assert [s.commune.code for s in closest] == [DOI_NGO]
    assert response.context["closest_total"] == 1
    html = html_of(response)
    assert "Thị trấn Đồi Ngô" in html
    assert "CSVC-02" in html


def test_reasons_are_put_in_words_by_the_certification_engine_when_it_is_installed(
    client, province_official, targets
):
    from targets import tables

    criterion("CSVC-02")
    Criterion.objects.filter(code="CSVC-02").update(title="Băng rôn, khẩu hiệu")
    reason = {"code": "evidence_missing", "params": {"criterion": "CSVC-02"}}
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.IN_PROGRESS, [reason])
    client.force_login(province_official)

    def engine_message(reason, *, titles=None):
        return f"Thiếu minh chứng: {titles[reason['params']['criterion']]}"

    tables._engine_message.cache_clear()
    try:
        with mock.patch.object(tables, "_engine_message", return_value=engine_message):
            html = html_of(client.get("/?year=2024"))
    finally:
        tables._engine_message.cache_clear()
    assert "Còn thiếu: Thiếu minh chứng: Băng rôn, khẩu hiệu" in html


@pytest.mark.usefixtures("rendered_around_the_cache")
def test_the_chart_of_the_certified_share_by_year_comes_with_its_figures_as_a_table(
    client, province_official, targets
):
    give_status(Commune.objects.get(code=DOI_NGO), 2023, Status.CERTIFIED)
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED)
    give_status(Commune.objects.get(code=LE_LOI), 2024, Status.CERTIFIED)
    client.force_login(province_official)

    html = html_of(client.get("/?year=2024"))

    data = html.split('<script id="chart-share" type="application/json">')[1].split("</script>")[0]
    chart = json.loads(data)
    assert chart["labels"] == ["2023", "2024", "2025"]
    assert chart["datasets"][0]["data"] == [0.5, 1.0, 0]
    assert chart["datasets"][1]["data"] == [30.0, 60.0, 100.0]
    assert 'data-chart="chart-share"' in html
    assert "<details" in html and 'id="table-shares"' in html  # the same figures as a table
    table = client.get("/?year=2024").context["share_table"]
    assert [(s.year, s.certified, s.total) for s in table.rows][:2] == [
        (2023, 1, 209),
        (2024, 2, 209),
    ]
    assert "vendor/chartjs/chart.umd.min.js" in html  # from our static files, not a CDN
    assert "<script>" not in html  # no inline script (CSP)


def test_the_year_defaults_to_the_current_year_clamped_to_the_programme_years():
    for year, percent in ((2023, 30), (2024, 60), (2025, 100)):
        YearTarget.objects.create(year=year, percent=percent)
    with mock.patch("communes.selectors.timezone.localdate", return_value=date(2026, 3, 1)):
        assert dashboard_year(None) == 2025
        assert dashboard_year("2019") == 2025
        assert dashboard_year("abc") == 2025
        YearTarget.objects.create(year=2026, percent=100)  # any year with a target is one
        assert dashboard_year(None) == 2026
    with mock.patch("communes.selectors.timezone.localdate", return_value=date(2022, 3, 1)):
        assert dashboard_year("") == 2023
    assert dashboard_year("2024") == 2024


def test_the_last_computation_and_recompute_now_are_shown_to_provincial_officials(
    client, province_official, targets
):
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED)
    client.force_login(province_official)

    html = html_of(client.get("/?year=2024"))

    assert "02:00 01/12/2024" in html
    assert "Tính lại ngay" in html


def test_a_running_recompute_shows_its_progress_without_javascript(
    client, province_official, targets
):
    RecomputeRun.objects.create(state="running", communes_done=50, communes_total=209)
    client.force_login(province_official)

    html = html_of(client.get("/"))

    assert "Đang tính: 50/209 xã" in html


def test_the_dashboard_renders_in_english(client, province_official, targets):
    give_status(Commune.objects.get(code=DOI_NGO), 2024, Status.CERTIFIED)
    client.force_login(province_official)
    client.cookies["django_language"] = "en"

    html = html_of(client.get("/?year=2024"))

    assert "Province overview, 2024" in html
    assert "Progress by district" in html
    assert "0.5%" in html  # 1/209 with an English decimal point


def test_district_officials_are_sent_to_their_districts_dashboard(client, district_official):
    client.force_login(district_official)
    response = client.get("/?year=2023")
    assert response.status_code == 302
    assert response["Location"] == "/districts/218/?year=2023"


def test_commune_staff_are_sent_to_their_communes_page(client, commune_staff):
    client.force_login(commune_staff)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/communes/7444/"


def test_admins_see_the_province_dashboard_through_the_national_one(client, admin_user, targets):
    client.force_login(admin_user)
    assert 'href="/provinces/24/?year=' in html_of(client.get("/"))
    assert html_of(client.get("/provinces/24/")).count('href="/districts/') >= 10


def test_a_user_without_a_scope_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))
    assert client.get("/").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_dashboard_refuses_post(client, province_official):
    client.force_login(province_official)
    assert client.post("/").status_code == 405


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_dashboard_runs_the_same_queries_with_209_and_with_2000_communes(
    client, province_official, targets, django_assert_max_num_queries
):
    fill_communes(Commune.objects.all())
    client.force_login(province_official)
    client.get("/?year=2024")  # warm the session

    # Nothing cached (the first view after a recompute). Guards the per-district and
    # per-commune N+1s: figures are grouped queries and the closest-to-certification list
    # selects its communes and districts in one go (two read the recognition decisions).
    cache.clear()
    # Units through time add seven: the programme years, the year's reference date, the
    # chart's reference dates and per-year totals (each year counts its own units), and
    # whether the caller's province is still in force that year (its row and the date).
    with django_assert_max_num_queries(30):  # + issue 14's recognition reads
        small_cold = _count_queries(client, "/?year=2024")
    # Cached (targets.caching): the session, the user, the scope, the time of the last
    # computation, the latest recompute run, the programme years and the navigation's
    # counts; figures and tables come rendered.
    with django_assert_max_num_queries(7):
        small_warm = _count_queries(client, "/?year=2024")

    grow_province(2000)
    assert District.objects.count() == 20

    cache.clear()
    assert _count_queries(client, "/?year=2024") == small_cold
    assert _count_queries(client, "/?year=2024") == small_warm


def test_the_excel_export_runs_the_same_queries_with_209_and_with_2000_communes(
    client, province_official, targets
):
    fill_communes(Commune.objects.all())
    client.force_login(province_official)
    client.get("/?year=2024&format=xlsx")
    small = _count_queries(client, "/?year=2024&format=xlsx")
    grow_province(2000)
    assert _count_queries(client, "/?year=2024&format=xlsx") == small


@pytest.mark.parametrize("role", [Role.PROVINCE])
def test_a_provincial_official_of_the_province_sees_every_district(client, make_user, role):
    client.force_login(make_user(role, "24"))
    response = client.get("/")
    assert len(response.context["dashboard"].districts) == 10
