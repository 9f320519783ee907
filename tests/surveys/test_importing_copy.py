"""The importer writes in chunks (COPY on PostgreSQL, bulk_create elsewhere): every row
of a file larger than a chunk arrives with its answers, and a bad row after many good
ones still leaves nothing behind."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from communes.models import Commune
from surveys.importing import ImportRefused, survey_file_import
from surveys.models import ImportBatch, SurveyResponse

pytestmark = pytest.mark.django_db

HEADER = ["commune_code", "answered_on", "satisfied", "Q1", "Q11"]


def small_chunks():
    return mock.patch.multiple("surveys.importing", CHUNK_SIZE=7, COPY_CHUNKS=1)


def test_a_file_of_many_chunks_arrives_whole_with_its_answers(csv_file, questionnaire, recompute):
    codes = list(Commune.objects.order_by("-code").values_list("code", flat=True)[:30])
    rows = [HEADER] + [
        [codes[n % 30], f"2024-{1 + n % 12:02d}-15", "1" if n % 4 else "0",
         str(1 + n % 5), "5" if n % 4 else "2"]
        for n in range(100)
    ]  # fmt: skip
    with small_chunks():
        report = survey_file_import(path=csv_file(rows), filename="many.csv")

    assert report.rows == 100 and report.satisfied == 75
    assert SurveyResponse.objects.count() == 100
    batch = ImportBatch.objects.get()
    assert batch.rows == 100
    stored = sorted(
        (r.commune.code, r.answered_on.isoformat(), r.satisfied, r.answers["Q1"], r.answers["Q11"])
        for r in SurveyResponse.objects.select_related("commune")
    )
    expected = sorted(
        (code, day, satisfied == "1", int(q1), int(q11))
        for code, day, satisfied, q1, q11 in rows[1:]
    )
    assert stored == expected
    assert set(SurveyResponse.objects.values_list("channel", "import_batch", "questionnaire")) == {
        ("import", batch.pk, questionnaire.pk)
    }
    assert recompute.call_count == 30


def test_imported_rows_are_dated_when_they_were_recorded(csv_file, questionnaire, recompute):
    """The COPY leaves ``created_at`` to the database's default (PostgreSQL: the import's
    transaction's time); bulk_create gives it the time of the writing. Either way every
    row of the file carries one time, that of the import."""
    rows = [HEADER] + [["7444", f"2024-03-{1 + n:02d}", "1", "4", "5"] for n in range(20)]
    before = timezone.now()
    with small_chunks():
        survey_file_import(path=csv_file(rows), filename="dated.csv")
    after = timezone.now()

    times = set(SurveyResponse.objects.values_list("created_at", flat=True))
    assert len(times) == 1
    (recorded,) = times
    # PostgreSQL's is the time its transaction began: here the test's, a moment before.
    assert before - datetime.timedelta(seconds=5) <= recorded <= after
    assert ImportBatch.objects.get().imported_at - recorded < datetime.timedelta(seconds=5)


def test_a_bad_row_after_chunks_were_written_leaves_nothing(csv_file, questionnaire, recompute):
    rows = [HEADER] + [["7444", "2024-03-05", "1", "4", "5"]] * 60 + [["7444", "2024-02-30", "1"]]
    with small_chunks(), pytest.raises(ImportRefused) as refused:
        survey_file_import(path=csv_file(rows), filename="late.csv")

    assert refused.value.report.bad_rows == 1
    assert "62" in refused.value.report.errors[0]  # the row as the spreadsheet numbers it
    assert not SurveyResponse.objects.exists() and not ImportBatch.objects.exists()
    recompute.assert_not_called()


def test_rows_with_unusual_spellings_take_the_full_check_and_import(
    csv_file, questionnaire, recompute
):
    rows = [
        HEADER,
        [" 07444 ", "05/03/2024", "Có", " 4 ", "5"],  # padded, leading zero, dd/mm/yyyy, case
        ["7444", "2024-03-06", "YES", "", ""],
    ]
    report = survey_file_import(path=csv_file(rows), filename="spellings.csv")
    assert report.rows == 2 and report.satisfied == 2
    assert sorted(SurveyResponse.objects.values_list("answers", flat=True), key=len) == [
        {},
        {"Q1": 4, "Q11": 5},
    ]
