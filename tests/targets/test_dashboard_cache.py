"""The province dashboard's cache (targets.caching): rendered figures and tables, kept
until the province's statuses are next computed or what the recompute does not cover
changes."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communes.models import Commune, District, FacilityInvestment, Province
from communes.services import practice_adopt
from targets import selectors, services
from targets.models import CertificationStatus
from tests.conftest import LUC_NAM
from tests.targets.dashboard_data import fast_friday, give_status

pytestmark = pytest.mark.django_db

URL = "/?year=2023"


def certified_figure(client) -> int:
    return client.get(URL).context["overall"].certified


def queries_of(client, url=URL) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.usefixtures("rendered_around_the_cache")
def test_a_second_view_reads_the_rendered_figures_from_the_cache(client, province_official):
    give_status(Commune.objects.get(code="7444"), 2023, "CERTIFIED")
    client.force_login(province_official)
    with CaptureQueriesContext(connection) as first:
        rendered = client.get(URL).content.decode()
    with CaptureQueriesContext(connection) as again:
        cached = client.get(URL).content.decode()
    # The session, the user, the scope, the time of the last computation, the latest run,
    # the programme years, the navigation's counts.
    assert len(again) == 7 < len(first)
    assert _without_csrf(cached) == _without_csrf(rendered)


def test_a_recompute_shows_its_new_figures_at_once(client, province_official, make_ready):
    client.force_login(province_official)
    services.statuses_recompute(year=2023)
    assert certified_figure(client) == 0

    make_ready(Commune.objects.filter(code__in=["7444", "7219"]))
    services.statuses_recompute(year=2023)

    assert certified_figure(client) == 2


def test_one_communes_recompute_also_refreshes_the_page(client, province_official, make_ready):
    client.force_login(province_official)
    services.statuses_recompute(year=2023)
    doi_ngo = Commune.objects.get(code="7444")
    make_ready([doi_ngo])
    assert "Đồi Ngô" not in client.get(URL).content.decode()

    services.commune_recompute(commune_id=doi_ngo.pk, year=2023)

    assert certified_figure(client) == 1


def test_new_facility_investment_shows_without_a_recompute(client, province_official):
    give_status(Commune.objects.get(code="7444"), 2023, "CERTIFIED")
    client.force_login(province_official)
    assert "1.234.567.000" not in client.get(URL).content.decode()

    FacilityInvestment.objects.create(
        district=District.objects.get(code=LUC_NAM), year=2023, planned_vnd=1_234_567_000
    )

    assert "1.234.567.000" in client.get(URL).content.decode()


def test_a_practice_adoption_shows_without_a_recompute(client, province_official):
    client.force_login(province_official)
    practice = fast_friday()
    before = client.get(URL).context["dashboard"].practices[0].adopters
    html = client.get(URL).content.decode()

    practice_adopt(
        practice=practice,
        commune=Commune.objects.get(code="7444"),
        adopted_on=datetime.date(2023, 5, 1),
    )

    response = client.get(URL)
    assert response.content.decode() != html
    assert response.context["dashboard"].practices[0].adopters == before + 1


def test_each_scope_has_its_own_cached_page(client, province_official, admin_user):
    other = Province.objects.create(code="99", name="Tỉnh Thử", kind="tỉnh")
    district = District.objects.create(code="999", name="Huyện Thử", kind="huyện", province=other)
    Commune.objects.create(code="99999", name="Xã Thử", kind="xã", district=district)
    client.force_login(province_official)
    assert "Huyện Thử" not in client.get(URL).content.decode()

    client.force_login(admin_user)

    assert "Tỉnh Thử" in client.get(URL).content.decode()


def test_each_language_has_its_own_cached_page(client, province_official):
    client.force_login(province_official)
    assert "Tiến độ theo huyện" in client.get(URL).content.decode()

    client.cookies["django_language"] = "en"

    html = client.get(URL).content.decode()
    assert "Tiến độ theo huyện" not in html and "Progress by district" in html


@pytest.mark.usefixtures("rendered_around_the_cache")
def test_each_order_of_the_district_table_is_cached_apart(client, province_official):
    client.force_login(province_official)
    by_code = client.get(URL + "&sort=code").content.decode()
    by_name = client.get(URL + "&sort=-name").content.decode()
    assert by_code != by_name
    # An unknown column is the code order, and shares its cached rendering.
    assert queries_of(client, URL + "&sort=password") == 7


def test_a_province_is_stamped_by_its_own_communes_only(province_official):
    give_status(Commune.objects.get(code="7444"), 2023, "CERTIFIED")
    bac_giang = Province.objects.get(code="24")
    before = selectors.last_computed_at(year=2023, province_id=bac_giang.pk)

    other = Province.objects.create(code="99", name="Tỉnh Thử", kind="tỉnh")
    district = District.objects.create(code="999", name="Huyện Thử", kind="huyện", province=other)
    elsewhere = Commune.objects.create(code="99999", name="Xã Thử", kind="xã", district=district)
    give_status(elsewhere, 2023, at=timezone.now())

    assert selectors.last_computed_at(year=2023, province_id=bac_giang.pk) == before
    assert selectors.last_computed_at(year=2023) > before


def test_statuses_that_did_not_change_keep_their_rows_and_move_their_time(make_ready, doi_ngo):
    make_ready([doi_ngo])
    services.statuses_recompute(year=2023)
    first = CertificationStatus.objects.get(commune=doi_ngo, year=2023)

    services.statuses_recompute(year=2023)

    again = CertificationStatus.objects.get(commune=doi_ngo, year=2023)
    assert again.status == first.status and again.reasons == first.reasons
    assert again.changed_at == first.changed_at
    # Computed now all the same (on PostgreSQL the year's time moves, not the status's):
    # the dashboards' cache keys move with it.
    assert selectors.commune_status(commune=doi_ngo, year=2023).last_computed_at > (
        first.computed_at
    )
    assert selectors.last_computed_at(year=2023) > first.computed_at
