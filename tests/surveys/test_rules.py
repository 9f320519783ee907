"""The survey test of the certification rule, once (surveys.rules)."""

from decimal import Decimal

import pytest

from surveys.rules import BELOW, MET, TOO_FEW, SurveyFigures, survey_outcome


@pytest.mark.parametrize(
    "responses, satisfied, outcome",
    [
        (473, 402, BELOW),  # 84.99%, shown as 85.0%: still below 85%
        (20, 17, MET),  # exactly 85%
        (473, 403, MET),  # 85.20%
        (29, 29, TOO_FEW),  # every one satisfied, but fewer than the minimum
        (0, 0, TOO_FEW),
    ],
)
def test_the_share_is_compared_exactly_after_the_minimum(responses, satisfied, outcome):
    minimum = 20 if responses == 20 else 30
    assert (
        survey_outcome(
            responses=responses,
            satisfied=satisfied,
            min_responses=minimum,
            threshold=Decimal("85"),
        )
        == outcome
    )


def test_zero_responses_never_meet_the_rule_even_with_a_minimum_of_zero():
    assert survey_outcome(responses=0, satisfied=0, min_responses=0, threshold=Decimal("0")) == (
        TOO_FEW
    )


def test_the_figures_show_a_rounded_share_but_judge_the_exact_one():
    figures = SurveyFigures(responses=473, satisfied=402, threshold=Decimal("85"), min_responses=30)

    assert figures.rate == Decimal("85.0")
    assert figures.state == BELOW
    assert not figures.meets_rule


def test_a_share_just_under_the_threshold_is_never_shown_as_reaching_it():
    from communes.numbers import percent_below

    assert percent_below(402, 473, Decimal("85")) == Decimal("84.99")
    assert percent_below(36, 50, Decimal("85")) == Decimal("72.0")  # far below: as usual
