"""Writes and shared reads of the surveys app, as other apps and pages use them."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string

from surveys import selectors, services
from surveys.models import Channel, SurveyResponse
from targets.models import CertificationRule
from tests.surveys.conftest import all_answers


@pytest.mark.django_db
def test_a_response_is_satisfied_when_the_overall_answer_is_4_or_5(
    questionnaire, doi_ngo, recompute
):
    for overall, satisfied in ((5, True), (4, True), (3, False), (1, False)):
        response = services.survey_response_create(
            commune=doi_ngo,
            questionnaire=questionnaire,
            answered_on=datetime.date(2024, 2, 1),
            answers=all_answers(overall=overall),
            channel=Channel.PAPER,
        )
        assert response.satisfied is satisfied
    assert recompute.call_count == 4


@pytest.mark.django_db
def test_a_response_needs_valid_answers_and_a_past_date(questionnaire, doi_ngo, recompute):
    def create(answers, day=datetime.date(2024, 2, 1)):
        return services.survey_response_create(
            commune=doi_ngo,
            questionnaire=questionnaire,
            answered_on=day,
            answers=answers,
            channel=Channel.PAPER,
        )

    for bad in ({"Q1": 4}, {**all_answers(), "Q1": 6}, {**all_answers(), "Q99": 3}):
        with pytest.raises(ValidationError):
            create(bad)
    with pytest.raises(ValidationError):
        create(all_answers(), day=datetime.date.today() + datetime.timedelta(days=3))
    assert not SurveyResponse.objects.exists()
    recompute.assert_not_called()


@pytest.mark.django_db
def test_deleting_through_the_service_checks_who_and_when(
    questionnaire, doi_ngo, commune_staff, leloi_staff, recompute
):
    response = services.survey_response_create(
        commune=doi_ngo,
        questionnaire=questionnaire,
        answered_on=datetime.date(2024, 2, 1),
        answers=all_answers(),
        channel=Channel.PAPER,
        by=commune_staff,
    )
    with pytest.raises(PermissionDenied):
        services.survey_response_delete(response=response, by=leloi_staff)
    services.survey_response_delete(response=response, by=commune_staff)
    assert not SurveyResponse.objects.exists()
    created, deleted = SurveyResponse.history.order_by("history_id")
    assert (created.history_type, created.history_user) == ("+", commune_staff)
    assert (deleted.history_type, deleted.history_user) == ("-", commune_staff)


@pytest.mark.django_db
def test_commune_trend_gives_twelve_months_totals_and_the_rule(doi_ngo, make_responses):
    make_responses(doi_ngo, datetime.date(2024, 1, 15), satisfied=20, unsatisfied=2)
    make_responses(doi_ngo, datetime.date(2024, 12, 31), satisfied=9, unsatisfied=1)
    make_responses(doi_ngo, datetime.date(2025, 1, 1), satisfied=50)
    trend = selectors.commune_trend(commune=doi_ngo, year=2024)
    assert [row.figures.responses for row in trend.months] == [22] + [0] * 10 + [10]
    assert (trend.total.responses, trend.total.satisfied, str(trend.total.rate)) == (32, 29, "90.6")
    assert trend.min_responses == 30 and trend.meets_rule
    assert trend.chart["rates"][0] == 90.9 and trend.chart["rates"][1] is None
    CertificationRule.objects.create(year=2024, satisfaction_threshold=95, min_responses=30)
    assert not selectors.commune_trend(commune=doi_ngo, year=2024).meets_rule


@pytest.mark.django_db
def test_commune_trend_takes_two_queries(doi_ngo, make_responses, django_assert_num_queries):
    make_responses(doi_ngo, datetime.date(2024, 1, 15), satisfied=5)
    with django_assert_num_queries(2):
        selectors.commune_trend(commune=doi_ngo, year=2024)


@pytest.mark.django_db
def test_the_trend_partial_renders_on_its_own_for_other_pages(doi_ngo, make_responses):
    make_responses(doi_ngo, datetime.date(2024, 3, 15), satisfied=3, unsatisfied=1)
    trend = selectors.commune_trend(commune=doi_ngo, year=2024)
    html = render_to_string("surveys/_commune_trend.html", {"trend": trend})
    assert 'data-survey-trend="survey-trend-7444-2024"' in html
    assert '<script id="survey-trend-7444-2024" type="application/json">' in html
    assert "năm 2024" in html and "75,0%" in html
    assert "js/survey_trend.js" in html and "chart.umd.min.js" in html


@pytest.mark.django_db
def test_question_shares_count_answers_of_4_and_5_per_question_and_element(
    questionnaire, doi_ngo, recompute
):
    def answer(**answers):
        services.survey_response_create(
            commune=doi_ngo,
            questionnaire=questionnaire,
            answered_on=datetime.date(2024, 5, 1),
            answers={"Q11": 5, **answers},
            channel=Channel.PAPER,
        )

    answer(Q1=5, Q2=3)
    answer(Q1=4)
    answer(Q1=2, Q2=4)
    shares = selectors.question_shares(
        commune=doi_ngo, start=datetime.date(2024, 1, 1), end=datetime.date(2024, 12, 31)
    )
    by_code = {q.code: q for q in shares.questions}
    assert (by_code["Q1"].answered, by_code["Q1"].positive, str(by_code["Q1"].share)) == (
        3,
        2,
        "66.7",
    )
    assert (by_code["Q2"].answered, by_code["Q2"].positive) == (2, 1)
    assert by_code["Q3"].answered == 0 and by_code["Q3"].share is None
    access = next(e for e in shares.elements if e.element == "access")
    assert (access.answered, access.positive, str(access.share)) == (5, 3, "60.0")
    assert shares.versions == [1]
