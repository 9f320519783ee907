"""The roll-up per commune and year, by month, that statuses and survey figures read stays exactly
the responses' own counts after every way responses are written or deleted: a kiosk or
paper answer, a deletion, the admin's deletes, an import (with rows already in, with a
replace), the undo of an import, a refused import. Runs on SQLite and, in the PostgreSQL
leg, through the importer's COPY and the JSON upsert."""

import datetime
from unittest import mock

import pytest
from django.contrib.admin.sites import site
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.test import RequestFactory

from surveys import rollup, selectors, services
from surveys.importing import ImportRefused, survey_file_import
from surveys.models import MONTHS, Channel, ImportBatch, SurveyResponse, SurveyYear
from targets.models import CertificationStatus
from targets.services import pending_recomputes_drain
from tests.surveys.conftest import all_answers

pytestmark = pytest.mark.django_db

HEADER = "commune_code,answered_on,satisfied,Q1,Q11"


def counted_from_the_responses() -> dict[tuple[int, int, int], tuple[int, int]]:
    """What the roll-up must say: a GROUP BY over the raw rows."""
    return {
        (c, y, m): (n, s)
        for c, y, m, n, s in SurveyResponse.objects.order_by()
        .annotate(y=ExtractYear("answered_on"), m=ExtractMonth("answered_on"))
        .values("commune_id", "y", "m")
        .annotate(n=Count("pk"), s=Count("pk", filter=Q(satisfied=True)))
        .values_list("commune_id", "y", "m", "n", "s")
    }


def rolled_up() -> dict[tuple[int, int, int], tuple[int, int]]:
    """The roll-up's months that hold responses; each year's counts are its months' sum,
    and no year is kept without a response."""
    months = {}
    for c, y, n, s, *by_month in SurveyYear.objects.values_list(
        "commune_id", "year", *rollup.COUNTED
    ):
        assert n > 0
        assert (n, s) == (sum(by_month[0::2]), sum(by_month[1::2]))
        for m in MONTHS:
            counts = by_month[2 * m - 2], by_month[2 * m - 1]
            if counts != (0, 0):
                months[(c, y, m)] = counts
    return months


def assert_exact():
    assert rolled_up() == counted_from_the_responses()


def answer(commune, questionnaire, day, *, overall=5, channel=Channel.KIOSK, token=None):
    return services.survey_response_create(
        commune=commune,
        questionnaire=questionnaire,
        answered_on=day,
        answers=all_answers(overall=overall),
        channel=channel,
        submission_token=token,
    )


def write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_kiosk_and_paper_answers_are_counted_in_their_commune_and_month(
    questionnaire, doi_ngo, le_loi, recompute
):
    answer(doi_ngo, questionnaire, datetime.date(2024, 3, 5))
    answer(doi_ngo, questionnaire, datetime.date(2024, 3, 28), overall=2)
    answer(doi_ngo, questionnaire, datetime.date(2024, 4, 1), channel=Channel.PAPER)
    answer(le_loi, questionnaire, datetime.date(2025, 1, 9), channel=Channel.PAPER)

    assert rolled_up() == {
        (doi_ngo.pk, 2024, 3): (2, 1),
        (doi_ngo.pk, 2024, 4): (1, 1),
        (le_loi.pk, 2025, 1): (1, 1),
    }
    assert_exact()
    figures = selectors.survey_figures(commune=doi_ngo, year=2024)
    assert (figures.responses, figures.satisfied) == (3, 2)


def test_a_double_tapped_kiosk_form_is_counted_once(questionnaire, doi_ngo, recompute):
    day = datetime.date(2024, 3, 5)
    assert answer(doi_ngo, questionnaire, day, token="tap-once") is not None
    assert answer(doi_ngo, questionnaire, day, token="tap-once") is None

    assert rolled_up() == {(doi_ngo.pk, 2024, 3): (1, 1)}
    assert_exact()


def test_deleting_a_mistaken_paper_entry_takes_it_out_of_its_month(
    questionnaire, doi_ngo, commune_staff, recompute
):
    kept = answer(doi_ngo, questionnaire, datetime.date(2024, 3, 5), channel=Channel.PAPER)
    mistaken = answer(doi_ngo, questionnaire, datetime.date(2024, 5, 5), channel=Channel.PAPER)
    services.survey_response_delete(response=mistaken, by=commune_staff)

    assert rolled_up() == {(doi_ngo.pk, 2024, 3): (1, 1)}  # May is gone, not left at zero
    assert_exact()
    assert kept.pk


def test_the_admins_deletes_take_every_response_out(
    questionnaire, doi_ngo, le_loi, admin_user, recompute
):
    for day, overall in ((3, 5), (3, 1), (4, 4)):
        answer(doi_ngo, questionnaire, datetime.date(2024, day, 2), overall=overall)
    answer(le_loi, questionnaire, datetime.date(2024, 3, 2))
    request = RequestFactory().post("/")
    request.user = admin_user
    admin = site._registry[SurveyResponse]
    admin.delete_queryset(
        request, SurveyResponse.objects.filter(commune=doi_ngo, answered_on__month=3)
    )

    assert rolled_up() == {(doi_ngo.pk, 2024, 4): (1, 1), (le_loi.pk, 2024, 3): (1, 1)}
    assert_exact()


def test_an_import_adds_its_rows_and_undoing_it_takes_them_out(
    tmp_path, questionnaire, doi_ngo, admin_user, recompute
):
    answer(doi_ngo, questionnaire, datetime.date(2024, 3, 1))
    path = write(
        tmp_path,
        "a.csv",
        [
            "7444,2024-03-05,1,4,5",
            "7444,2024-03-06,0,2,2",
            "7444,2025-01-02,1,5,5",
            "7219,2024-12-31,1,4,4",
        ],
    )
    report = survey_file_import(path=path, filename=path.name)
    assert report.written == 4
    assert rolled_up()[(doi_ngo.pk, 2024, 3)] == (3, 2)
    assert_exact()

    request = RequestFactory().post("/")
    request.user = admin_user
    site._registry[ImportBatch].delete_model(request, report.batch)
    assert rolled_up() == {(doi_ngo.pk, 2024, 3): (1, 1)}
    assert_exact()


def test_rows_already_in_are_not_counted_twice(tmp_path, questionnaire, recompute):
    rows = ["7444,2024-03-05,1,4,5", "7444,2024-03-05,0,2,2", "7444,2024-04-01,1,5,5"]
    survey_file_import(path=write(tmp_path, "a.csv", rows[:2]), filename="a.csv")
    report = survey_file_import(path=write(tmp_path, "b.csv", rows), filename="b.csv")

    assert report.written == 1 and report.already_in == 2
    assert sum(n for n, _s in rolled_up().values()) == SurveyResponse.objects.count() == 3
    assert_exact()


def test_a_replacing_import_counts_the_corrected_rows_only(tmp_path, questionnaire, recompute):
    survey_file_import(
        path=write(tmp_path, "a.csv", ["7444,2024-03-05,1,4,5", "7444,2024-03-06,1,4,5"]),
        filename="a.csv",
    )
    corrected = write(tmp_path, "b.csv", ["7444,2024-03-05,1,4,5", "7444,2024-03-06,0,2,2"])
    report = survey_file_import(path=corrected, filename="b.csv", replace=True)

    assert report.replaced == 2 and report.written == 2
    assert list(rolled_up().values()) == [(2, 1)]
    assert_exact()


def test_a_refused_import_leaves_the_roll_up_as_it_was(tmp_path, questionnaire, doi_ngo, recompute):
    answer(doi_ngo, questionnaire, datetime.date(2024, 3, 1))
    before = rolled_up()
    path = write(tmp_path, "bad.csv", ["7444,2024-03-05,1,4,5"] * 5 + ["7444,2024-02-30,1,4,5"])
    with pytest.raises(ImportRefused):
        survey_file_import(path=path, filename=path.name)

    assert rolled_up() == before
    assert SurveyResponse.objects.count() == 1
    assert_exact()


def _fails(*args, **kwargs):
    raise RuntimeError("disk full")


@pytest.mark.parametrize(
    "patched",
    [
        # While its rows are staged, or while they are added (sent first by the recompute).
        mock.patch("surveys.rollup.months_staged", side_effect=_fails),
        mock.patch("surveys.rollup.bulk.bulk_add_staged", return_value=_fails),
    ],
    ids=["staging", "adding"],
)
def test_an_import_that_fails_while_rolling_up_writes_nothing(
    tmp_path, questionnaire, recompute, patched
):
    path = write(tmp_path, "a.csv", ["7444,2024-03-05,1,4,5"])
    with patched, pytest.raises(RuntimeError):
        survey_file_import(path=path, filename=path.name)

    assert not SurveyResponse.objects.exists() and not SurveyYear.objects.exists()
    assert not ImportBatch.objects.exists()


def test_counting_again_from_the_responses_gives_the_same_roll_up(
    tmp_path, questionnaire, doi_ngo, recompute
):
    answer(doi_ngo, questionnaire, datetime.date(2024, 3, 1), overall=1)
    survey_file_import(
        path=write(tmp_path, "a.csv", ["7444,2024-03-05,1,4,5", "7219,2025-06-06,0,1,1"]),
        filename="a.csv",
    )
    kept = rolled_up()
    rollup.months_rebuild()
    assert rolled_up() == kept
    SurveyYear.objects.all().delete()
    rollup.months_rebuild(commune_ids=[doi_ngo.pk])
    assert rolled_up() == {k: v for k, v in kept.items() if k[0] == doi_ngo.pk}


def test_an_import_recomputes_the_communes_and_years_it_touched(
    tmp_path, questionnaire, doi_ngo, le_loi, django_capture_on_commit_callbacks
):
    """End to end: the import recomputes, in its transaction, the communes of the file:
    they have their survey figures of the year the file touched, read from the roll-up,
    and no recompute is left pending."""
    rows = [
        f"7444,2024-03-{1 + n % 28:02d},{int(n % 10 != 0)},4,{5 if n % 10 else 2}"
        for n in range(40)
    ]
    rows.append("7219,2024-02-02,1,4,5")
    with django_capture_on_commit_callbacks(execute=False):
        survey_file_import(path=write(tmp_path, "a.csv", rows), filename="a.csv")
    assert pending_recomputes_drain() == 0

    statuses = {
        s.commune_id: (s.survey_responses, s.survey_satisfied)
        for s in CertificationStatus.objects.filter(year=2024)
    }
    assert statuses == {doi_ngo.pk: (40, 36), le_loi.pk: (1, 1)}


def test_many_years_at_once_go_through_copy_and_count_the_same(
    tmp_path, questionnaire, doi_ngo, admin_user, recompute, monkeypatch
):
    """A national import adds to thousands of (commune, year) rows at once: on PostgreSQL
    they are sent with COPY into a temporary table (``bulk.COPY_FROM`` rows and more),
    additions and, when undone, subtractions alike, and twice in one transaction."""
    from friendlygov import bulk

    monkeypatch.setattr(bulk, "COPY_FROM", 2)
    answer(doi_ngo, questionnaire, datetime.date(2024, 3, 1))
    rows = ["7444,2024-03-05,1,4,5", "7444,2025-06-06,0,2,2", "7219,2024-12-31,1,4,4"]
    first = survey_file_import(path=write(tmp_path, "a.csv", rows), filename="a.csv")
    second = survey_file_import(
        path=write(tmp_path, "b.csv", ["7219,2025-01-02,1,5,5", "7444,2024-07-07,1,5,5"]),
        filename="b.csv",
    )
    assert first.written == 3 and second.written == 2
    assert rolled_up()[(doi_ngo.pk, 2024, 3)] == (2, 2)
    assert_exact()

    request = RequestFactory().post("/")
    request.user = admin_user
    site._registry[ImportBatch].delete_model(request, first.batch)
    assert_exact()
    assert sum(n for n, _s in rolled_up().values()) == 3

    with transaction.atomic():  # the temporary table is dropped after each use
        rollup.months_add({(doi_ngo.pk, 2023, 5): [2, 1], (doi_ngo.pk, 2022, 5): [1, 0]})
        rollup.months_add({(doi_ngo.pk, 2023, 5): [1, 1], (doi_ngo.pk, 2022, 6): [1, 1]})
    assert rolled_up()[(doi_ngo.pk, 2023, 5)] == (3, 2)
    assert rolled_up()[(doi_ngo.pk, 2022, 6)] == (1, 1)


def test_a_year_is_read_with_its_months(questionnaire, doi_ngo, recompute):
    for day in (datetime.date(2024, 1, 31), datetime.date(2024, 12, 1)):
        answer(doi_ngo, questionnaire, day)
    answer(doi_ngo, questionnaire, datetime.date(2024, 12, 2), overall=1)

    months = selectors.monthly_figures(commune=doi_ngo, year=2024)
    assert [(m.responses, m.satisfied) for m in months] == [(1, 1), *[(0, 0)] * 10, (2, 1)]
    assert selectors.monthly_figures(commune=doi_ngo, year=2023) == [selectors.Figures()] * 12
    assert selectors.response_years(commune=doi_ngo) == [2024]


def test_counts_added_all_at_once_are_those_added_one_by_one():
    # The importer's (commune, year, month) counts, and the unsatisfied among them.
    responses = {(7, 2024, 1): 3, (7, 2024, 12): 2, (7, 2025, 6): 1, (9, 2024, 1): 4}
    unsatisfied = {(7, 2024, 12): 2, (9, 2024, 1): 1}
    one_by_one = rollup.Years()
    for (commune_id, year, month), n in responses.items():
        one_by_one.add(
            commune_id, year, month, n, n - unsatisfied.get((commune_id, year, month), 0)
        )
    at_once = rollup.Years()
    at_once.add_all(responses, unsatisfied)

    assert at_once == one_by_one
    assert at_once[(7, 2024)][:4] == [7, 2024, 5, 3]  # the year's responses and satisfied
