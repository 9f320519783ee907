"""A district's dashboard at /districts/<code>/."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communes.models import Commune, District, Evidence, Role
from targets.models import Status, YearTarget
from tests.conftest import DOI_NGO, LUC_NAM
from tests.targets.dashboard_data import (
    criterion,
    fill_communes,
    give_status,
    grow_province,
    set_targets,
)

pytestmark = pytest.mark.django_db

URL = "/districts/218/"


@pytest.fixture
def luc_nam_statuses():
    set_targets()
    communes = {c.code: c for c in Commune.objects.filter(district__code=LUC_NAM)}
    give_status(
        communes[DOI_NGO],
        2024,
        Status.CERTIFIED,
        responses=100,
        satisfied=97,
        required=12,
        approved=12,
    )
    give_status(
        communes["7450"],
        2024,
        Status.NOT_MET,
        [{"code": "satisfaction_below", "params": {"rate": 80, "threshold": 85}}],
        responses=40,
        satisfied=32,
        required=12,
        approved=9,
    )
    give_status(
        communes["7453"],
        2024,
        Status.NOT_STARTED,
        [{"code": "no_committee", "params": {"year": 2024}}],
    )
    Evidence.objects.create(
        commune=communes["7450"], criterion=criterion(), year=2024, state="submitted"
    )
    return communes


def test_a_district_official_sees_the_figures_and_every_commune_of_the_district(
    client, district_official, luc_nam_statuses
):
    client.force_login(district_official)

    response = client.get(URL + "?year=2024")

    assert response.status_code == 200
    overall = response.context["overall"]
    assert (overall.total, overall.certified) == (25, 1)
    assert overall.progress.gap == 14  # ceil(60% x 25) - 1
    table = response.context["commune_table"]
    assert len(table.rows) == 25
    row = next(c for c in table.rows if c.code == "7450")
    assert (row.year_status, row.evidence_awaiting, row.year_approved) == ("NOT_MET", 1, 9)
    html = response.content.decode()
    assert "Huyện Lục Nam: tiến độ năm 2024" in html
    assert "97,0%" in html  # Đồi Ngô's satisfaction
    assert "9/12" in html  # evidence progress
    assert "satisfaction_below" in html or "hài lòng" in html  # the reason, in words
    assert 'href="/communes/7444/"' in html


def test_a_districts_own_target_overrides_the_provinces(
    client, district_official, luc_nam_statuses
):
    YearTarget.objects.create(year=2024, district=District.objects.get(code=LUC_NAM), percent=80)
    client.force_login(district_official)

    overall = client.get(URL + "?year=2024").context["overall"]

    assert overall.progress.target_percent == 80
    assert overall.progress.gap == 19  # 20 needed


def test_communes_filter_by_status_and_by_kind(client, district_official, luc_nam_statuses):
    client.force_login(district_official)

    certified = client.get(URL + "?year=2024&status=CERTIFIED").context["commune_table"].rows
    assert [c.code for c in certified] == [DOI_NGO]
    not_computed = client.get(URL + "?year=2024&status=NONE").context["commune_table"].rows
    assert len(not_computed) == 22
    towns = client.get(URL + "?year=2024&kind=thị trấn").context["commune_table"].rows
    assert {c.kind for c in towns} == {"thị trấn"}
    assert DOI_NGO in {c.code for c in towns}
    # A value outside the choices is ignored instead of emptying the table.
    assert len(client.get(URL + "?status=BOGUS").context["commune_table"].rows) == 25


def test_the_commune_table_sorts_by_a_column(client, district_official, luc_nam_statuses):
    client.force_login(district_official)

    rows = client.get(URL + "?year=2024&sort=-satisfaction").context["commune_table"].rows

    assert [c.code for c in rows[:2]] == [DOI_NGO, "7450"]  # 97% then 80%; no surveys last


def test_the_closest_communes_of_the_district_are_listed(
    client, district_official, luc_nam_statuses
):
    client.force_login(district_official)

    rows = client.get(URL + "?year=2024").context["closest_table"].rows

    assert {s.commune.code for s in rows} == {"7450", "7453"}


def test_provincial_officials_and_admins_see_any_district(client, province_official, admin_user):
    for user in (province_official, admin_user):
        client.force_login(user)
        assert client.get("/districts/213/").status_code == 200


def test_an_official_of_another_district_is_refused(client, other_district_official):
    client.force_login(other_district_official)
    assert client.get(URL).status_code == 403


def test_commune_staff_are_refused_their_districts_dashboard(client, commune_staff):
    client.force_login(commune_staff)
    assert client.get(URL).status_code == 403


def test_an_unknown_district_is_404(client, province_official):
    client.force_login(province_official)
    assert client.get("/districts/999/").status_code == 404


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_district_dashboard_refuses_post(client, district_official):
    client.force_login(district_official)
    assert client.post(URL).status_code == 405


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_district_dashboard_runs_the_same_queries_whatever_the_number_of_communes(
    client, district_official, django_assert_max_num_queries
):
    set_targets()
    fill_communes(Commune.objects.all())
    client.force_login(district_official)
    client.get(URL + "?year=2024")
    # Guards the per-commune N+1s of the commune table: status, awaiting evidence,
    # committee and adoptions are joined or subqueried in the one query of the table.
    # (+5 for units through time: programme years, reference dates, per-year totals)
    with django_assert_max_num_queries(31):  # + issue 14's recognition reads
        small = _queries(client, URL + "?year=2024")

    grow_province(2000, into_district=District.objects.get(code=LUC_NAM))
    assert Commune.objects.filter(district__code=LUC_NAM).count() > 900

    assert _queries(client, URL + "?year=2024") == small
    assert _queries(client, URL + "?year=2024&format=xlsx") == _queries(
        client, URL + "?year=2024&format=xlsx"
    )


def test_a_commune_launched_after_the_year_is_not_counted_as_launched(client, province_official):
    set_targets()
    Commune.objects.filter(code=DOI_NGO).update(model_launched_on=date(2025, 1, 2))
    Commune.objects.filter(code="7450").update(model_launched_on=date(2024, 12, 31))
    client.force_login(province_official)

    assert client.get(URL + "?year=2024").context["overall"].launched == 1
    assert client.get(URL + "?year=2025").context["overall"].launched == 2


@pytest.mark.parametrize("role,code", [(Role.DISTRICT, "213")])
def test_a_district_official_sees_the_dashboard_of_their_own_district(
    client, make_user, role, code
):
    client.force_login(make_user(role, code))
    assert client.get(f"/districts/{code}/").status_code == 200
