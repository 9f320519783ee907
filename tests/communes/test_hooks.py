"""The one way up from communes: hooks that the higher apps connect at start-up."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communes import hooks
from surveys import selectors
from targets import outbox


def test_the_recompute_hooks_lead_to_the_targets_outbox_and_the_checklist_to_surveys():
    # Connected by TargetsConfig.ready and SurveysConfig.ready when Django starts.
    assert hooks._hooks["recompute_later"] is outbox.recompute_later
    assert hooks._hooks["recompute_later_many"] is outbox.recompute_later_many
    assert hooks._hooks["recompute_after_surveys"] is outbox.recompute_after_surveys
    assert hooks._hooks["survey_figures"] is selectors.survey_figures
    assert hooks._hooks["survey_responses_from"] is selectors.responses_from


def test_a_hook_nobody_connected_fails_loudly(monkeypatch):
    monkeypatch.setattr(hooks, "_hooks", {})
    with pytest.raises(RuntimeError, match="not connected"):
        hooks.recompute_later(commune_id=7)


def test_an_unknown_hook_cannot_be_connected():
    with pytest.raises(ValueError):
        hooks.connect("anything", print)


def test_the_survey_figures_the_checklist_gets_from_surveys_have_every_field_it_reads(doi_ngo):
    # A provider, not a call back: asking only reads.
    with CaptureQueriesContext(connection) as queries:
        figures = hooks.survey_figures(commune=doi_ngo, year=2024)
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert isinstance(figures, hooks.SurveyFigures)
    assert (figures.responses, figures.satisfied, figures.rate, figures.state) == (
        0,
        0,
        None,
        "too_few",
    )
