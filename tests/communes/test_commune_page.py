"""A commune's overview page at /communes/<code>/."""

from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from communes.models import (
    CommitteeMember,
    Commune,
    Evidence,
    FacilityInvestment,
    Level,
    PracticeAdoption,
    SteeringCommittee,
)
from surveys.models import SurveyResponse
from surveys.rollup import months_rebuild
from targets.models import Status, StatusChange
from tests.conftest import DOI_NGO
from tests.targets.dashboard_data import TZ, criterion, fast_friday, give_status, set_targets

pytestmark = pytest.mark.django_db

URL = "/communes/7444/"


@pytest.fixture
def doi_ngo_story(doi_ngo):
    set_targets()
    Commune.objects.filter(pk=doi_ngo.pk).update(is_pilot=True, model_launched_on=date(2023, 3, 15))
    committee = SteeringCommittee.objects.create(
        level=Level.COMMUNE,
        commune=doi_ngo,
        decision_number="45/QĐ-UBND",
        established_on=date(2023, 2, 1),
    )
    CommitteeMember.objects.bulk_create(
        CommitteeMember(committee=committee, full_name=f"Người {n}", position="x", organisation="y")
        for n in range(7)
    )
    give_status(
        doi_ngo,
        2024,
        Status.IN_PROGRESS,
        [{"code": "evidence_missing", "params": {"criterion": "CSVC-02"}}],
        responses=3,
        satisfied=3,
        required=12,
        approved=9,
    )
    StatusChange.objects.create(
        commune=doi_ngo,
        year=2023,
        from_status="IN_PROGRESS",
        to_status="CERTIFIED",
        at=datetime(2023, 9, 5, tzinfo=TZ),
    )
    StatusChange.objects.create(
        commune=doi_ngo,
        year=2024,
        from_status="",
        to_status="IN_PROGRESS",
        at=datetime(2024, 2, 1, tzinfo=TZ),
    )
    Evidence.objects.create(commune=doi_ngo, criterion=criterion("A"), year=2024, state="approved")
    Evidence.objects.create(commune=doi_ngo, criterion=criterion("B"), year=2024, state="submitted")
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                commune=doi_ngo, answered_on=date(2024, 3, 4), channel="paper", satisfied=True
            ),
            SurveyResponse(
                commune=doi_ngo, answered_on=date(2024, 3, 9), channel="paper", satisfied=False
            ),
            SurveyResponse(
                commune=doi_ngo, answered_on=date(2024, 7, 1), channel="kiosk", satisfied=True
            ),
        ]
    )
    months_rebuild(commune_ids=[doi_ngo.pk])
    PracticeAdoption.objects.create(
        practice=fast_friday(),
        commune=doi_ngo,
        adopted_on=date(2023, 6, 2),
        note="Thứ Sáu hằng tuần",
    )
    FacilityInvestment.objects.create(
        district=doi_ngo.district,
        commune=doi_ngo,
        year=2023,
        planned_vnd=1_200_000_000,
        spent_vnd=1_200_000_000,
    )
    return doi_ngo


def test_commune_staff_see_their_communes_overview(client, commune_staff, doi_ngo_story):
    client.force_login(commune_staff)

    response = client.get(URL + "?year=2024")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Thị trấn Đồi Ngô" in html and "Thí điểm" in html
    assert "QĐ số 45/QĐ-UBND" in html and "7 thành viên" in html  # the committee
    assert "15/03/2023" in html  # the launch date, dd/mm/yyyy
    assert "9/12 tiêu chí bắt buộc đã được duyệt" in html  # the checklist state
    assert "Chờ duyệt: 1" in html
    assert "Đang thực hiện" in html and "CSVC-02" in html  # status with its reason
    assert "05/09/2023" in html  # the history
    assert "Ngày thứ 6 nhanh" in html and "Thứ Sáu hằng tuần" in html
    assert "1.200.000.000" in html  # investment, Vietnamese thousands separator


def test_the_survey_trend_counts_responses_and_satisfaction_month_by_month(
    client, commune_staff, doi_ngo_story
):
    client.force_login(commune_staff)

    trend = client.get(URL + "?year=2024").context["trend"]

    months = trend.months
    assert len(months) == 12
    march, july = months[2].figures, months[6].figures
    assert (march.responses, march.satisfied, march.rate) == (2, 1, 50)
    assert (july.responses, july.rate) == (1, 100)
    assert months[0].figures.rate is None
    html = client.get(URL + "?year=2024").content.decode()
    assert f'data-survey-trend="{trend.chart_id}"' in html


def test_a_commune_without_data_still_renders_with_explanations(client, leloi_staff):
    client.force_login(leloi_staff)

    html = client.get("/communes/7219/").content.decode()

    assert "Chưa có kết quả tính cho năm này." in html
    assert "chưa thành lập" in html


def test_district_and_provincial_officials_and_admins_see_the_commune(
    client, district_official, province_official, admin_user, doi_ngo_story
):
    for user in (district_official, province_official, admin_user):
        client.force_login(user)
        html = client.get(URL).content.decode()
        assert 'href="/districts/218/' in html  # they may drill up to the district


def test_commune_staff_get_no_link_to_the_district_they_cannot_open(client, commune_staff):
    client.force_login(commune_staff)
    assert 'href="/districts/218/' not in client.get(URL).content.decode()


def test_staff_of_another_commune_and_officials_of_another_district_are_refused(
    client, leloi_staff, other_district_official
):
    for user in (leloi_staff, other_district_official):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_an_unknown_commune_is_404(client, province_official):
    client.force_login(province_official)
    assert client.get("/communes/99999/").status_code == 404


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_commune_page_refuses_post(client, commune_staff):
    client.force_login(commune_staff)
    assert client.post(URL).status_code == 405


def test_the_commune_page_runs_a_fixed_number_of_queries(
    client, commune_staff, doi_ngo_story, django_assert_max_num_queries
):
    client.force_login(commune_staff)
    client.get(URL + "?year=2024")
    with CaptureQueriesContext(connection) as ctx:
        client.get(URL + "?year=2024")
    before = len(ctx.captured_queries)
    # More history, adoptions and investment rows must not add queries (no N+1 over the
    # timeline, the practices adopted or the investment rows).
    for year in (2021, 2022):
        StatusChange.objects.create(
            commune=doi_ngo_story,
            year=year,
            to_status="IN_PROGRESS",
            at=datetime(year, 1, 1, tzinfo=TZ),
        )
        FacilityInvestment.objects.create(
            district=doi_ngo_story.district, commune=doi_ngo_story, year=year
        )
    with django_assert_max_num_queries(before):
        client.get(URL + "?year=2024")
    # 16 before units through time; +4: the programme years, the lineage links both
    # ways, the predecessors' statuses and the navigation's current programme year; +1 for
    # the navigation's counts.
    assert before <= 22  # and issue 14's recognition


def test_the_commune_page_links_to_the_checklist_once_it_exists(client, commune_staff, doi_ngo):
    client.force_login(commune_staff)
    html = client.get(URL + "?year=2024").content.decode()
    try:
        url = reverse("checklist", args=[DOI_NGO, 2024])
    except NoReverseMatch:  # the checklist is another issue's page
        assert "Mở bộ tiêu chí" not in html
    else:
        assert f'href="{url}"' in html
