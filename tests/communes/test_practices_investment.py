"""Facility investment (the district's page and the dashboards' sums) and the demo seed
of good practices and investment."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import override_settings
from django.urls import reverse

from communes import demo_practices
from communes.models import (
    Commune,
    District,
    FacilityInvestment,
    GoodPractice,
    PracticeAdoption,
    Role,
)
from targets.models import YearTarget
from targets.tables import investment_table
from tests.conftest import DOI_NGO, LE_LOI, LUC_NAM
from tests.targets.dashboard_data import set_targets

pytestmark = pytest.mark.django_db

URL = "/districts/218/investment/"


@pytest.fixture
def seeded():
    demo_practices.seed()


def test_the_seed_records_luc_nams_investment_as_the_district_reported_it(seeded):
    luc_nam = District.objects.get(code=LUC_NAM)
    rows = FacilityInvestment.objects.filter(district=luc_nam)
    district_level = rows.get(commune=None)
    assert district_level.planned_vnd == 6_500_000_000
    assert rows.get(commune__code=DOI_NGO).planned_vnd == 1_200_000_000
    others = rows.exclude(commune=None).exclude(commune__code=DOI_NGO)
    assert others.count() == 24
    assert others.aggregate(s=Sum("planned_vnd"))["s"] == 5_000_000_000


def test_the_seed_puts_fast_friday_on_record_from_le_loi_and_is_repeatable(seeded):
    practice = GoodPractice.objects.get(code="ngay-thu-6-nhanh")
    assert practice.origin.code == LE_LOI
    assert "1 đến 3 ngày" in practice.description
    assert PracticeAdoption.objects.filter(practice=practice, commune__code=LE_LOI).exists()
    counts = (PracticeAdoption.objects.count(), FacilityInvestment.objects.count())

    demo_practices.seed()

    assert (PracticeAdoption.objects.count(), FacilityInvestment.objects.count()) == counts
    assert GoodPractice.objects.count() == 3


def test_the_seed_gives_each_commune_of_2026_its_own_investment_repeatably(
    reorganized_units, client, make_user
):
    """2026 is evaluated on Tỉnh Bắc Ninh's 99 communes, which have no district: the demo
    has a row for each, and the 2026 dashboard sums them (it had no money at all)."""
    demo_practices.seed()
    communes_2026 = Commune.objects.in_force_in(2026)
    rows = FacilityInvestment.objects.filter(year=2026)
    assert rows.count() == communes_2026.count() == 99
    assert set(rows.values_list("commune_id", flat=True)) == set(
        communes_2026.values_list("pk", flat=True)
    )
    assert not rows.filter(district__isnull=False).exists()
    assert all(0 < row.spent_vnd < row.planned_vnd for row in rows)
    before = list(rows.order_by("pk").values_list("pk", "planned_vnd", "spent_vnd"))

    demo_practices.seed()

    assert list(rows.order_by("pk").values_list("pk", "planned_vnd", "spent_vnd")) == before
    set_targets()
    YearTarget.objects.update_or_create(year=2026, district=None, defaults={"percent": 100})
    client.force_login(make_user(Role.PROVINCE, "24", on=date(2026, 3, 1)))
    dashboard = client.get("/?year=2026").context["dashboard"]
    assert dashboard.year == 2026
    assert dashboard.overall.planned_vnd == rows.aggregate(s=Sum("planned_vnd"))["s"]


@override_settings(DEBUG=True)
def test_seed_demo_runs_the_practices_seeder():
    call_command("seed_demo")
    assert GoodPractice.objects.filter(code="ngay-thu-6-nhanh").exists()


def test_a_district_official_sees_the_districts_investment_every_year(
    client, district_official, seeded
):
    client.force_login(district_official)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "6.500.000.000" in html and "1.200.000.000" in html
    assert "12.700.000.000" in html  # the total of the district's rows
    by_year = {item["year"]: item["planned"] for item in response.context["by_year"]}
    assert by_year == {2023: 7_700_000_000, 2024: 5_000_000_000}
    units = [row.commune.name if row.commune else None for row in response.context["table"].rows]
    assert units[:2] == [None, "Thị trấn Đồi Ngô"]  # district level first, then by name


def test_the_dashboards_sum_investment_per_district_for_the_year(client, province_official, seeded):
    set_targets()
    client.force_login(province_official)

    dashboard = client.get("/?year=2024").context["dashboard"]

    luc_nam = next(r for r in dashboard.districts if r.code == LUC_NAM)
    assert luc_nam.figures.planned_vnd == 5_000_000_000
    assert (
        dashboard.overall.planned_vnd
        == FacilityInvestment.objects.filter(year=2024).aggregate(s=Sum("planned_vnd"))["s"]
    )
    html = client.get("/?year=2023").content.decode()
    assert "7.700.000.000" in html


def test_provincial_officials_and_admins_see_any_districts_investment(
    client, province_official, admin_user
):
    for user in (province_official, admin_user):
        client.force_login(user)
        assert client.get("/districts/213/investment/").status_code == 200


def test_officials_of_another_district_and_commune_staff_are_refused(
    client, other_district_official, commune_staff
):
    for user in (other_district_official, commune_staff):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_an_unknown_districts_investment_is_404(client, province_official):
    client.force_login(province_official)
    assert client.get("/districts/999/investment/").status_code == 404


def test_the_investment_page_needs_a_login_and_refuses_post(client, district_official):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(district_official)
    assert client.post(URL).status_code == 405


def test_the_investment_page_query_count_does_not_grow_with_rows(
    client, district_official, seeded, django_assert_max_num_queries
):
    client.force_login(district_official)
    # Guards the per-row N+1 on the commune of each investment row.
    with django_assert_max_num_queries(9):
        client.get(URL)
    FacilityInvestment.objects.bulk_create(
        FacilityInvestment(district_id=c.district_id, commune=c, year=2025, planned_vnd=1)
        for c in Commune.objects.filter(district__code=LUC_NAM)
    )
    with django_assert_max_num_queries(9):
        client.get(URL)


def test_a_district_that_reported_no_money_reads_not_reported_never_zero(
    client, province_official, district_official
):
    set_targets()
    FacilityInvestment.objects.create(
        district=District.objects.get(code=LUC_NAM), year=2024, planned_vnd=0, spent_vnd=0
    )
    client.force_login(province_official)

    dashboard = client.get("/?year=2024").context["dashboard"]
    table = investment_table(dashboard)
    cells = {row.code: table.cells_of(row, table.columns) for row in dashboard.districts}

    assert [c.value for c in cells[LUC_NAM][1:3]] == [0, 0]  # reported: nothing planned
    bac_giang = next(code for code in cells if code != LUC_NAM)
    assert [c.value for c in cells[bac_giang][1:]] == [None, None, None]
    assert str(cells[bac_giang][1].missing) == "chưa báo cáo"
    html = client.get("/?year=2024").content.decode()
    assert "chưa báo cáo" in html

    client.force_login(district_official)
    html = client.get("/districts/218/?year=2023").content.decode()
    assert "chưa báo cáo" in html
