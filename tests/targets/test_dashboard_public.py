"""The public progress page at /public/: no login, no personal data, cacheable."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communes.models import Commune
from surveys.models import SurveyResponse
from targets.models import Status
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


def test_the_figures_are_cached_until_the_statuses_are_next_computed(client, statuses):
    client.get(URL + "?year=2024")
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL + "?year=2024")
    # when the statuses were last computed, and the programme years
    assert len(ctx.captured_queries) == 2

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
