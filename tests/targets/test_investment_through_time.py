"""Facility investment of both shapes of the hierarchy: a commune's row names its district
while there are districts, and none after 1/7/2025; a district-level row names no commune."""

import datetime
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from communes.models import District, FacilityInvestment, Role
from targets.exports import HEADER_ROW
from targets.models import YearTarget
from tests.conftest import commune_on

D2024 = datetime.date(2024, 6, 1)
D2026 = datetime.date(2026, 3, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def years(reorganized_units):
    for year, percent in ((2024, 60), (2026, 100)):
        YearTarget.objects.create(year=year, percent=percent)


def _totals(response, sheet_name):
    sheet = load_workbook(BytesIO(response.content))[sheet_name]
    labels = [c.value for c in sheet[HEADER_ROW]]
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1):
        if row[0].value == "Toàn tỉnh":
            return {labels[i]: cell.value for i, cell in enumerate(row)}
    raise AssertionError("no totals row")


def test_a_commune_of_today_has_investment_rows_without_a_district(client, years, make_user):
    xa_luc_nam = commune_on(D2026, "7444")
    row = FacilityInvestment(commune=xa_luc_nam, year=2026, planned_vnd=300_000_000)
    row.full_clean()
    row.save()
    assert row.district is None
    FacilityInvestment.objects.create(
        commune=commune_on(D2026, "7210"), year=2026, planned_vnd=200_000_000, spent_vnd=50_000_000
    )
    client.force_login(make_user(Role.PROVINCE, "24", on=D2026))

    dashboard = client.get("/?year=2026")
    assert (dashboard.context["overall"].planned_vnd, dashboard.context["overall"].spent_vnd) == (
        500_000_000,
        50_000_000,
    )
    totals = _totals(client.get("/?year=2026&format=xlsx"), "Kinh phí đầu tư cơ sở vật chất")
    assert (totals["Kế hoạch (đồng)"], totals["Đã chi (đồng)"]) == (500_000_000, 50_000_000)
    page = client.get("/communes/7444/?year=2026")
    assert [i.planned_vnd for i in page.context["investments"]] == [300_000_000]
    assert "300.000.000" in page.content.decode()


def test_a_commune_row_of_a_year_with_districts_takes_its_communes_district(
    client, years, make_user
):
    doi_ngo = commune_on(D2024, "7444")
    row = FacilityInvestment.objects.create(commune=doi_ngo, year=2024, planned_vnd=80_000_000)
    own = FacilityInvestment.objects.create(
        district=doi_ngo.district, year=2024, planned_vnd=20_000_000
    )
    assert row.district == doi_ngo.district
    client.force_login(make_user(Role.DISTRICT, "218"))

    page = client.get("/districts/218/investment/")
    assert set(page.context["table"].rows) == {row, own}
    dashboard = client.get("/districts/218/?year=2024")
    assert dashboard.context["overall"].planned_vnd == 100_000_000


def test_an_investment_row_must_name_a_unit_that_fits(years):
    doi_ngo, xa_luc_nam = commune_on(D2024, "7444"), commune_on(D2026, "7444")
    other_district = District.objects.in_force(on=D2024).get(code="213")
    with pytest.raises(ValidationError, match="không thuộc huyện đã chọn"):
        FacilityInvestment(commune=doi_ngo, district=other_district, year=2024).full_clean()
    with pytest.raises(ValidationError, match="không thuộc huyện nào"):
        FacilityInvestment(commune=xa_luc_nam, district=other_district, year=2026).full_clean()
    with pytest.raises(ValidationError, match="Hãy chọn xã"):
        FacilityInvestment(year=2026).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        FacilityInvestment.objects.create(year=2026, planned_vnd=1)


def test_an_administrator_records_investment_for_a_commune_of_today(client, years, admin_user):
    xa_luc_nam = commune_on(D2026, "7444")
    client.force_login(admin_user)
    response = client.post(
        "/admin/communes/facilityinvestment/add/",
        {"commune": xa_luc_nam.pk, "district": "", "year": 2026, "planned_vnd": 5, "spent_vnd": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = FacilityInvestment.objects.get()
    assert (row.commune, row.district) == (xa_luc_nam, None)
    listing = client.get("/admin/communes/facilityinvestment/")
    assert "Xã Lục Nam" in listing.content.decode()
