"""The admin's list of survey responses at national scale: it neither counts nor scans the
whole table (tens of millions of rows) to show its first page and its filters."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Channel, ImportBatch, SurveyResponse

URL = reverse("admin:surveys_surveyresponse_changelist")


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def responses(make_responses, doi_ngo, le_loi):
    make_responses(doi_ngo, datetime.date(2023, 5, 2), satisfied=3, unsatisfied=1)
    make_responses(doi_ngo, datetime.date(2024, 3, 9), satisfied=2)
    make_responses(le_loi, datetime.date(2024, 11, 30), unsatisfied=2)


def _reads_of_the_survey_table(queries):
    table = SurveyResponse._meta.db_table
    return [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]


@pytest.mark.django_db
def test_the_unfiltered_list_counts_from_the_roll_up_and_reads_one_page(admin_client_, responses):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client_.get(URL)
    assert response.status_code == 200
    cl = response.context["cl"]
    assert cl.result_count == SurveyResponse.objects.count() == 8
    assert len(cl.result_list) == 8
    # One read of the table: the page's rows. No COUNT(*), no MIN/MAX or DISTINCT year.
    reads = _reads_of_the_survey_table(queries.captured_queries)
    assert len(reads) == 1, reads
    assert "COUNT(" not in reads[0]


@pytest.mark.django_db
def test_the_year_filter_offers_the_years_with_responses_and_filters_by_day(
    admin_client_, responses
):
    response = admin_client_.get(URL)
    spec = next(s for s in response.context["cl"].filter_specs if s.parameter_name == "year")
    assert [value for value, _label in spec.lookup_choices] == ["2024", "2023"]

    in_2024 = admin_client_.get(URL, {"year": "2024"}).context["cl"]
    assert in_2024.result_count == 4
    assert {r.answered_on.year for r in in_2024.result_list} == {2024}
    unsatisfied_2023 = admin_client_.get(URL, {"year": "2023", "satisfied__exact": "0"})
    assert unsatisfied_2023.context["cl"].result_count == 1


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["2024'; --", "99999999999", "٢٠٢٤", "0"])
def test_a_year_that_is_not_a_year_lists_nothing(admin_client_, responses, year):
    response = admin_client_.get(URL, {"year": year})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


@pytest.mark.django_db
def test_the_district_filter_lists_the_kiosk_and_imported_rows_of_its_communes(
    admin_client_, responses, doi_ngo
):
    """Read through the table's indexes (``of_communes``), never a join from the commune:
    a commune's imported rows are found by their file, its kiosk rows by the commune."""
    batch = ImportBatch.objects.create(sha256="1" * 64, filename="a.csv", rows=1)
    SurveyResponse.objects.create(
        commune=doi_ngo,
        answered_on=datetime.date(2024, 4, 1),
        channel=Channel.IMPORT,
        satisfied=True,
        import_batch=batch,
    )
    province = {"commune__province__id__exact": doi_ngo.province_id}

    with CaptureQueriesContext(connection) as queries:
        of_district = admin_client_.get(
            URL, {**province, "commune__district__id__exact": doi_ngo.district_id}
        )
    counts = [
        sql for sql in _reads_of_the_survey_table(queries.captured_queries) if "COUNT(" in sql
    ]
    elsewhere = admin_client_.get(URL, {**province, "commune__district__id__exact": 0})

    cl = of_district.context["cl"]
    assert cl.result_count == 7
    assert sorted(r.channel for r in cl.result_list) == ["import"] + ["kiosk"] * 6
    assert {r.commune for r in cl.result_list} == {doi_ngo}
    assert elsewhere.context["cl"].result_count == 0
    assert len(counts) == 1 and "JOIN" not in counts[0], counts
