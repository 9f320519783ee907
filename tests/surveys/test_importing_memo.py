"""The reader remembers the parts of a row it found good (a commune code, a date, a row's
satisfaction with its scores) and takes them again for the same texts, so that a national
file's repeated values are checked once. A file must read exactly as the full check of
every row reads it: the same rows, answers and counts, every bad row named the same way,
whether the memory is fresh or full."""

import datetime
from unittest import mock

import pytest
from django.utils import translation

from surveys import importing
from surveys.importing import survey_file_check, survey_file_import
from surveys.models import ImportBatch, SurveyResponse

pytestmark = pytest.mark.django_db

HEADER = ["commune_code", "answered_on", "satisfied", "Q1", "Q2", "Q11", "form_number"]
CODES = ["7444", "7450", "7219", "7201", "7204"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def full_check_only():
    """Every row through the full check, nothing taken from an earlier row: what the
    reader must say of any file."""
    return mock.patch.object(importing._Reader, "row", importing._Reader._check)


def nothing_remembered_beyond(n):
    return mock.patch.multiple(importing, _MEMO_MAX=n, _ROW_MEMO_MAX=n)


def preview(path):
    report = survey_file_check(path=path, filename=path.name)
    return {
        "errors": report.errors,
        "bad_rows": report.bad_rows,
        "rows": report.rows,
        "satisfied": report.satisfied,
        "per_commune": {pk: dict(years) for pk, years in report.per_commune.items()},
        "sample": report.sample,
        "days": (report.first_day, report.last_day),
    }


def imported(path):
    """The rows the import writes, then gone again (the same file may be imported once)."""
    survey_file_import(path=path, filename=path.name)
    rows = sorted(
        (r.commune.code, r.answered_on, r.satisfied, sorted(r.answers.items()), r.form_number or "")
        for r in SurveyResponse.objects.select_related("commune")
    )
    SurveyResponse.objects.all().delete()
    ImportBatch.objects.all().delete()
    return rows


def good_rows(n, *, first=0):
    """``n`` good rows repeating a few codes, days and answers, as a national file does."""
    rows = []
    for i in range(first, first + n):
        satisfied = i % 4 != 0
        scores = ["4", "5", "5"] if satisfied else ["2", str(1 + i % 3), "1"]
        day = f"2024-{1 + i % 3:02d}-{10 + i % 7}"
        rows.append([CODES[i % 5], day, "1" if satisfied else "0", *scores, ""])
    return rows


def mixed_file():
    rows = good_rows(40)
    rows[5][6] = "A-1"
    rows[9][6] = "A-2"
    rows += [
        ["7444", "2024-01-10", "1", "4", "7", "5", ""],  # a bad score among remembered ones
        ["7444", "2024-01-10", "1", "2", "2", "1", ""],  # disagrees with the overall question
        ["99999", "2024-01-10", "1", "4", "5", "5", ""],  # unknown commune
        ["7444", "2024-02-30", "1", "4", "5", "5", ""],  # no such day
        ["7444", "2024-01-10", "maybe", "4", "5", "5", ""],  # satisfied not in the contract
        [" 07444 ", "2024-01-10", "Có", " 4 ", "5", "5", ""],  # unusual but good spellings
        ["7444", "2024-01-10"],  # a short row: satisfied is missing
        ["", "", "", "", "", "", ""],  # blank: skipped
        ["7444", "03/04/2024", "1", "4", "5", "5", ""],  # day or month first?
        ["7444", "25/04/2024", "1", "4", "5", "5", ""],  # ...day first: this file says so
        ["7444", "2024-01-10", "1", "4", "5", "5", "A-1"],  # form number of row 7 again
        ["7444", "2024-01-10", "1", "4", "", "5", "B/7"],  # an empty score is no answer
    ]
    rows += good_rows(20, first=40)
    return [HEADER, *rows]


def test_a_file_reads_as_the_full_check_of_every_row_reads_it(csv_file, questionnaire):
    path = csv_file(mixed_file())
    with full_check_only():
        expected = preview(path)
    assert preview(path) == expected
    assert expected["bad_rows"] == 7 and expected["rows"] == 64  # the file is what it seems
    with nothing_remembered_beyond(0):
        assert preview(path) == expected


def test_the_rows_written_are_those_of_the_full_check(csv_file, questionnaire, recompute):
    rows = good_rows(40)
    rows[5][6] = "A-1"
    rows += [
        [" 07444 ", "2024-01-10", "Có", " 4 ", "5", "5", ""],
        ["7444", "03/04/2024", "1", "4", "5", "5", ""],
        ["7444", "25/04/2024", "1", "4", "5", "5", "A-2"],
        ["7444", "2024-01-10", "1", "4", "", "5", "B/7"],
        *good_rows(20, first=40),
    ]
    path = csv_file([HEADER, *rows])
    with full_check_only():
        expected = imported(path)
    assert imported(path) == expected
    assert len(expected) == 64
    assert ("7444", datetime.date(2024, 4, 3), True, [("Q1", 4), ("Q11", 5), ("Q2", 5)], "") in (
        expected
    )


def test_a_bad_score_among_remembered_rows_is_named_with_its_row_and_column(
    csv_file, questionnaire
):
    good = ["7444", "2024-03-05", "1", "4", "5", "5", ""]
    rows = [HEADER, *[good] * 30, ["7444", "2024-03-05", "1", "4", "9", "5", ""], *[good] * 5]
    report = survey_file_check(path=csv_file(rows), filename="x.csv")
    assert report.errors == ["row 32: Q2 must be a whole number from 1 to 5, not “9”"]
    assert report.rows == 35


def test_a_form_number_again_in_a_remembered_row_is_named_with_the_earlier_row(
    csv_file, questionnaire
):
    good = ["7444", "2024-03-05", "1", "4", "5", "5"]
    rows = [HEADER, [*good, "12"], [*good, "13"], [*good, ""], [*good, "12"]]
    report = survey_file_check(path=csv_file(rows), filename="x.csv")
    assert report.errors == ["row 5: form number 12 is already on row 2 (same commune, same year)"]


def test_with_its_memory_full_the_reader_still_checks_every_row(csv_file, questionnaire, recompute):
    rows = [HEADER, *good_rows(60), ["7444", "2024-01-10", "1", "4", "6", "5", ""]]
    with nothing_remembered_beyond(3):
        report = survey_file_check(path=csv_file(rows), filename="full.csv")
        assert report.errors == ["row 62: Q2 must be a whole number from 1 to 5, not “6”"]
        written = imported(csv_file([HEADER, *good_rows(60)]))
    with full_check_only():
        assert written == imported(csv_file([HEADER, *good_rows(60)], name="again.csv"))
    assert len(written) == 60


def test_a_workbook_of_numbers_reads_as_the_full_check_reads_it(xlsx_file, questionnaire):
    def numbers(row):
        code, day, satisfied, *scores, number = row
        day = datetime.date.fromisoformat(day) if day.startswith("20") else day
        return [int(code), day, int(satisfied), *(int(s) if s else None for s in scores), number]

    rows = [HEADER, *(numbers(row) for row in good_rows(30))]
    rows.append([7444, datetime.date(2024, 1, 10), 1, 4, 2.5, 5, None])  # not a whole score
    path = xlsx_file(rows)
    with full_check_only():
        expected = preview(path)
    assert preview(path) == expected
    assert expected["bad_rows"] == 1 and expected["rows"] == 30


def test_an_excel_true_is_no_score_whether_a_1_came_before_it_or_not(xlsx_file, questionnaire):
    day = datetime.date(2024, 1, 10)
    rows = [
        HEADER,
        [7444, day, 1, 1, 5, 5, None],
        [7444, day, 1, True, 5, 5, None],  # equal to 1 for Python, not a score
        [7444, day, 1, 2, False, 5, None],
        [7444, day, 1, 1, 0, 5, None],
    ]
    report = survey_file_check(path=xlsx_file(rows), filename="x.xlsx")
    assert report.errors == [
        "row 3: Q1 must be a whole number from 1 to 5, not “True”",
        "row 4: Q2 must be a whole number from 1 to 5, not “False”",
        "row 5: Q2 must be a whole number from 1 to 5, not “0”",
    ]
