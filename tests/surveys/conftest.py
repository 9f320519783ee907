"""Fixtures of the survey tests: the questionnaire, responses, files to import."""

import csv
from unittest import mock

import pytest
from django.core.cache import cache
from openpyxl import Workbook

from surveys.models import Channel, SurveyResponse
from surveys.rollup import months_rebuild
from surveys.selectors import active_questionnaire
from surveys.services import kiosk_link_ensure, questionnaire_create_default

QUESTION_CODES = [f"Q{n}" for n in range(1, 12)]


@pytest.fixture(autouse=True)
def _clean_cache():
    """The kiosk throttle counts in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def questionnaire(db):
    """The active questionnaire (version 1 as the data migration ships it)."""
    questionnaire_create_default()
    return active_questionnaire()


@pytest.fixture
def recompute():
    """The recomputes the survey code asks for (the recompute itself is targets'):
    recompute_later from the services, and the importer's recompute of its (commune, year)
    pairs in its transaction, seen here as one call per pair."""
    with (
        mock.patch("surveys.services.recompute_later") as from_services,
        mock.patch("surveys.importing.recompute_after_surveys") as from_importing,
    ):
        calls = mock.Mock()
        from_services.side_effect = lambda **kw: calls(**kw)

        def each(*, pairs, first=None, **_read_ahead):
            if first is not None:  # the importer's roll-up, written before the statuses
                first()
            for commune_id, year in pairs:
                calls(commune_id=commune_id, year=year)

        from_importing.side_effect = each
        yield calls


def all_answers(overall=5, others=4):
    answers = {code: others for code in QUESTION_CODES}
    answers["Q11"] = overall
    return answers


@pytest.fixture
def make_responses(questionnaire):
    """Add responses in bulk: make_responses(commune, date, satisfied=3, unsatisfied=1)."""

    def make(commune, day, *, satisfied=0, unsatisfied=0, channel=Channel.KIOSK, **fields):
        rows = [True] * satisfied + [False] * unsatisfied
        made = SurveyResponse.objects.bulk_create(
            SurveyResponse(
                commune=commune,
                questionnaire=questionnaire,
                answered_on=day,
                channel=channel,
                satisfied=ok,
                answers=all_answers(overall=5 if ok else 2, others=5 if ok else 2),
                **fields,
            )
            for ok in rows
        )
        months_rebuild(commune_ids=[commune.pk])  # what the services keep
        if rows:
            questionnaire.answered_now()
        return made

    return make


@pytest.fixture
def kiosk_link(doi_ngo):
    return kiosk_link_ensure(commune=doi_ngo)


@pytest.fixture
def csv_file(tmp_path):
    """Write rows (the first one the header) to a CSV file and return its path."""
    counter = {"n": 0}

    def write(rows, *, name=None, delimiter=","):
        counter["n"] += 1
        path = tmp_path / (name or f"file-{counter['n']}.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=delimiter).writerows(rows)
        return path

    return write


@pytest.fixture
def xlsx_file(tmp_path):
    counter = {"n": 0}

    def write(rows, *, name=None):
        counter["n"] += 1
        path = tmp_path / (name or f"file-{counter['n']}.xlsx")
        workbook = Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(row)
        workbook.save(path)
        return path

    return write
