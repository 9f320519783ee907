"""The survey file importer (CSV and XLSX), shared by the web page and the command."""

import datetime
import io
import tracemalloc
from collections import Counter
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

from communes.models import Commune
from surveys.importing import ImportRefused, survey_file_check, survey_file_import
from surveys.models import Channel, ImportBatch, SurveyResponse

HEADER = ["commune_code", "answered_on", "satisfied"]


@pytest.fixture(autouse=True)
def _english():
    """Messages as the command prints them by default: `row N: reason`."""
    with translation.override("en"):
        yield


def refused(path, by=None):
    """The errors that refused ``path``, after checking that nothing of it was written."""
    before = SurveyResponse.objects.count(), ImportBatch.objects.count()
    with pytest.raises(ImportRefused) as info:
        survey_file_import(path=path, filename=path.name, by=by)
    after = SurveyResponse.objects.count(), ImportBatch.objects.count()
    assert after == before, "nothing may be half-imported"
    return info.value.report.errors


@pytest.mark.django_db
def test_a_valid_csv_file_imports_every_row_with_its_answers(csv_file, questionnaire, recompute):
    path = csv_file(
        [
            [*HEADER, "Q1", "Q11"],
            ["7444", "2024-03-05", "1", "5", "4"],
            ["7444", "06/03/2024", "có", "4", "5"],
            ["7219", "2024-03-07", "không", "2", "2"],
            ["7219", "2024-03-08", "yes", "", ""],
            ["", "", "", "", ""],  # a blank line left at the end of a sheet is not a row
        ]
    )
    report = survey_file_import(path=path, filename="march.csv")
    assert report.rows == 4 and report.satisfied == 3
    responses = SurveyResponse.objects.order_by("answered_on")
    assert [(r.commune.code, r.answered_on.day, r.satisfied) for r in responses] == [
        ("7444", 5, True),
        ("7444", 6, True),
        ("7219", 7, False),
        ("7219", 8, True),
    ]
    assert responses[0].answers == {"Q1": 5, "Q11": 4}
    assert responses[3].answers == {}
    assert {r.channel for r in responses} == {Channel.IMPORT}
    assert {r.questionnaire_id for r in responses} == {questionnaire.pk}
    batch = ImportBatch.objects.get()
    assert batch.rows == 4 and batch.filename == "march.csv"
    assert set(responses.values_list("import_batch", flat=True)) == {batch.pk}


@pytest.mark.django_db
def test_an_xlsx_file_imports_the_same_columns_including_real_excel_dates(
    xlsx_file, questionnaire, recompute
):
    path = xlsx_file(
        [
            [*HEADER, "q2"],  # question codes in any case
            [7444, datetime.datetime(2024, 5, 2), 1, 5],
            ["07444", "2024-05-03", "0", 3.0],  # a GSO code with its leading zero
        ]
    )
    report = survey_file_import(path=path, filename=path.name)
    assert report.rows == 2
    assert sorted(SurveyResponse.objects.values_list("answered_on", "satisfied", "answers")) == [
        (datetime.date(2024, 5, 2), True, {"Q2": 5}),
        (datetime.date(2024, 5, 3), False, {"Q2": 3}),
    ]


@pytest.mark.django_db
def test_a_semicolon_separated_csv_from_a_comma_decimal_excel_is_read(csv_file, recompute):
    path = csv_file([HEADER, ["7444", "2024-01-02", "1"]], delimiter=";")
    assert survey_file_import(path=path, filename=path.name).rows == 1


@pytest.mark.django_db
def test_one_recompute_per_commune_and_year_not_per_row(csv_file, recompute):
    rows = [HEADER] + [["7444", f"2024-02-{d:02d}", "1"] for d in range(1, 21)]
    rows += [["7219", "2023-12-30", "1"], ["7219", "2024-01-02", "0"]]
    survey_file_import(path=csv_file(rows), filename="x.csv")
    doi_ngo, le_loi = (Commune.objects.get(code=c).pk for c in ("7444", "7219"))
    assert recompute.call_count == 3
    assert Counter(tuple(sorted(c.kwargs.items())) for c in recompute.call_args_list) == {
        (("commune_id", doi_ngo), ("year", 2024)): 1,
        # rows of two years: each of them, and no other year of that commune
        (("commune_id", le_loi), ("year", 2023)): 1,
        (("commune_id", le_loi), ("year", 2024)): 1,
    }


# --- Every bad row is named, and nothing is imported ---------------------------------------


@pytest.mark.django_db
def test_an_unknown_commune_code_is_a_bad_row(csv_file):
    path = csv_file([HEADER, ["7444", "2024-01-02", "1"], ["99999", "2024-01-02", "1"]])
    errors = refused(path)
    assert errors == ["row 3: unknown commune code “99999”"]


@pytest.mark.django_db
def test_a_date_that_does_not_exist_is_a_bad_row(csv_file):
    path = csv_file([HEADER, ["7444", "31/02/2024", "1"], ["7444", "2024-02-30", "1"]])
    assert refused(path) == [
        "row 2: the date “31/02/2024” does not exist",
        "row 3: the date “2024-02-30” does not exist",
    ]


@pytest.mark.django_db
def test_a_date_in_another_format_or_in_the_future_is_a_bad_row(csv_file):
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    path = csv_file(
        [HEADER, ["7444", "March 3", "1"], ["7444", tomorrow.isoformat(), "1"], ["7444", "", "1"]]
    )
    errors = refused(path)
    assert errors[0] == "row 2: the date “March 3” is not YYYY-MM-DD or dd/mm/yyyy"
    assert errors[1].startswith("row 3: the date") and "future" in errors[1]
    assert errors[2] == "row 4: the date is missing"


@pytest.mark.django_db
def test_an_answer_outside_1_to_5_is_a_bad_row(csv_file, questionnaire):
    path = csv_file(
        [
            [*HEADER, "Q1", "Q2"],
            ["7444", "2024-01-02", "1", "6", "4"],
            ["7444", "2024-01-02", "1", "0", "4.5"],
        ]
    )
    assert refused(path) == [
        "row 2: Q1 must be a whole number from 1 to 5, not “6”",
        "row 3: Q1 must be a whole number from 1 to 5, not “0”; "
        "Q2 must be a whole number from 1 to 5, not “4.5”",
    ]


@pytest.mark.django_db
def test_a_satisfied_value_other_than_the_contract_is_a_bad_row(csv_file):
    path = csv_file([HEADER, ["7444", "2024-01-02", "maybe"], ["7444", "2024-01-02", ""]])
    errors = refused(path)
    assert errors[0] == "row 2: satisfied must be 1/0, có/không or yes/no, not “maybe”"
    assert errors[1].startswith("row 3: satisfied must be")


@pytest.mark.django_db
def test_satisfied_must_agree_with_the_overall_question(csv_file, questionnaire):
    path = csv_file([[*HEADER, "Q11"], ["7444", "2024-01-02", "1", "2"]])
    assert refused(path) == ["row 2: satisfied (1) contradicts the overall question Q11 = 2"]


@pytest.mark.django_db
def test_a_row_with_several_problems_names_them_all_on_one_line(csv_file):
    errors = refused(csv_file([HEADER, ["0", "2024-13-01", "2"]]))
    assert len(errors) == 1
    assert errors[0].startswith("row 2: unknown commune code “0”; the date “2024-13-01”")


@pytest.mark.django_db
def test_a_missing_column_rejects_the_file(csv_file):
    errors = refused(csv_file([["commune_code", "answered_on"], ["7444", "2024-01-02"]]))
    assert errors == [
        "Missing column(s): satisfied. Row 1 must hold the column names: "
        "commune_code, answered_on, satisfied."
    ]


@pytest.mark.django_db
def test_unknown_columns_are_reported_and_ignored(csv_file, recompute):
    path = csv_file([[*HEADER, "ghi chú"], ["7444", "2024-01-02", "1", "khách quen"]])
    report = survey_file_import(path=path, filename=path.name)
    assert report.ignored_columns == ["ghi chú"]
    assert SurveyResponse.objects.get().answers == {}


@pytest.mark.django_db
def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert refused(path) == ["The file is empty."]


@pytest.mark.django_db
def test_a_file_with_only_the_header_is_refused(csv_file):
    assert refused(csv_file([HEADER])) == ["The file has no data rows (only the column names)."]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),  # an image renamed .csv
        b"PK\x03\x04" + b"not really a zip" * 10,  # a broken zip named .xlsx
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(100),
    ],
    ids=["png", "broken-zip", "pdf"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused(tmp_path, content):
    path = tmp_path / "survey.xlsx"
    path.write_bytes(content)
    assert refused(path) == ["The file is not a CSV or Excel (.xlsx) spreadsheet."]


@pytest.mark.django_db
def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "hello")
    assert refused(path) == ["The file is not a CSV or Excel (.xlsx) spreadsheet."]


@pytest.mark.django_db
def test_an_old_xls_workbook_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert "save it again as .xlsx" in refused(path)[0]


@pytest.mark.django_db
def test_a_csv_not_in_utf8_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "cp1258.csv"
    path.write_bytes("commune_code,answered_on,satisfied\n7444,2024-01-02,có\n".encode("cp1258"))
    assert "UTF-8" in refused(path)[0]


@pytest.mark.django_db
@override_settings(SURVEY_IMPORT_MAX_BYTES=1024)
def test_a_file_too_big_is_refused_before_it_is_read(csv_file):
    rows = [HEADER] + [["7444", "2024-01-02", "1"]] * 100
    errors = refused(csv_file(rows))
    assert len(errors) == 1 and errors[0].startswith("The file is too big")


@pytest.mark.django_db
@override_settings(SURVEY_IMPORT_MAX_ROWS=50)
def test_a_file_with_too_many_rows_is_refused(csv_file):
    rows = [HEADER] + [["7444", "2024-01-02", "1"]] * 51
    assert refused(csv_file(rows)) == ["The file has too many rows: at most 50 rows per import."]


@pytest.mark.django_db
def test_one_bad_row_among_good_ones_imports_nothing(csv_file, recompute):
    rows = [HEADER] + [["7444", "2024-01-02", "1"]] * 30 + [["7444", "2024-01-02", "9"]]
    assert refused(csv_file(rows)) == ["row 32: satisfied must be 1/0, có/không or yes/no, not “9”"]
    assert not ImportBatch.objects.exists()
    recompute.assert_not_called()


@pytest.mark.django_db
def test_thousands_of_bad_rows_are_counted_but_only_the_first_ones_kept(csv_file):
    rows = [HEADER] + [["7444", "2024-01-02", "x"]] * 600
    with pytest.raises(ImportRefused) as info:
        survey_file_import(path=csv_file(rows), filename="x.csv")
    report = info.value.report
    assert report.bad_rows == 600
    assert len(report.errors) == 500 and report.errors_not_shown == 100


# --- The same file twice ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_file_imported_twice_is_counted_once(csv_file, recompute):
    path = csv_file([HEADER, ["7444", "2024-01-02", "1"]])
    survey_file_import(path=path, filename="first.csv")
    copy = path.with_name("renamed copy.csv")
    copy.write_bytes(path.read_bytes())
    with pytest.raises(ImportRefused) as info:
        survey_file_import(path=copy, filename=copy.name)
    assert SurveyResponse.objects.count() == 1
    message = info.value.report.errors[0]
    assert "already imported" in message and "first.csv" in message


@pytest.mark.django_db
def test_checking_a_file_writes_nothing(csv_file, recompute):
    report = survey_file_check(path=csv_file([HEADER, ["7444", "2024-01-02", "1"]]), filename="x")
    assert report.ok and report.rows == 1
    assert not SurveyResponse.objects.exists() and not ImportBatch.objects.exists()
    recompute.assert_not_called()


# --- Scope ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_commune_staff_may_import_only_their_own_communes_rows(csv_file, commune_staff):
    path = csv_file([HEADER, ["7444", "2024-01-02", "1"], ["7219", "2024-01-02", "1"]])
    assert refused(path, by=commune_staff) == [
        "row 3: commune 7219 (Phường Lê Lợi) is outside your scope"
    ]


@pytest.mark.django_db
def test_a_district_official_may_import_rows_of_the_districts_communes(
    csv_file, district_official, recompute
):
    luc_nam_codes = list(
        Commune.objects.filter(district__code="218").values_list("code", flat=True)[:3]
    )
    rows = [HEADER] + [[code, "2024-01-02", "1"] for code in luc_nam_codes]
    report = survey_file_import(path=csv_file(rows), filename="x.csv", by=district_official)
    assert report.rows == 3
    assert SurveyResponse.objects.filter(entered_by=district_official).count() == 3
    assert refused(csv_file([HEADER, ["7219", "2024-01-02", "1"]]), by=district_official)[
        0
    ].startswith("row 2: commune 7219")


# --- The command ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_imports_a_file_and_says_how_many_rows(csv_file, recompute):
    out = io.StringIO()
    path = csv_file([HEADER, ["7444", "2024-01-02", "1"], ["7219", "2024-01-03", "0"]])
    call_command("import_survey_responses", str(path), stdout=out)
    assert "imported 2 responses (1 satisfied) for 2 communes" in out.getvalue()
    assert SurveyResponse.objects.count() == 2


@pytest.mark.django_db
def test_the_command_fails_naming_every_bad_row_and_imports_nothing(csv_file):
    err = io.StringIO()
    path = csv_file([HEADER, ["7444", "31/02/2024", "1"], ["123456", "2024-01-02", "1"]])
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_survey_responses", str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        "row 2: the date “31/02/2024” does not exist",
        "row 3: unknown commune code “123456”",
    ]
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_the_command_exits_non_zero_on_a_bad_file(csv_file):
    """As operators run it from a shell: a refused file is a non-zero exit status."""
    from surveys.management.commands.import_survey_responses import Command

    path = csv_file([["nothing", "useful"], ["1", "2"]])
    err = io.StringIO()
    # run_from_argv closes the connections when it ends; the test database must stay open.
    with (
        mock.patch("django.core.management.base.connections.close_all"),
        mock.patch("sys.stderr", err),
        pytest.raises(SystemExit) as exit_,
    ):
        Command().run_from_argv(["manage.py", "import_survey_responses", str(path)])
    assert exit_.value.code == 1
    assert "Missing column(s): commune_code, answered_on, satisfied" in err.getvalue()


@pytest.mark.django_db
def test_the_command_dry_run_checks_and_writes_nothing(csv_file, recompute):
    out = io.StringIO()
    path = csv_file([HEADER, ["7444", "2024-01-02", "1"]])
    call_command("import_survey_responses", str(path), "--dry-run", stdout=out)
    assert "would import 1 responses" in out.getvalue()
    assert not SurveyResponse.objects.exists() and not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_the_command_speaks_vietnamese_when_asked(csv_file):
    err = io.StringIO()
    path = csv_file([HEADER, ["99999", "2024-01-02", "1"]])
    with pytest.raises(CommandError):
        call_command("import_survey_responses", str(path), "--language", "vi", stderr=err)
    assert err.getvalue().strip() == "dòng 2: mã xã “99999” không có trong danh mục"


def test_the_command_refuses_a_path_that_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_survey_responses", str(tmp_path / "nope.csv"))


# --- Bounded memory -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_big_file_imports_in_bounded_memory(csv_file, recompute):
    """Python's peak allocation stays far below what holding the rows would take.

    10,000 rows held as unsaved responses take about 15 MB; the importer, streaming and
    inserting in chunks, must stay under a third of that.

    (100,000 rows: `manage.py bench_survey_import`, figures in the report of issue 4.)
    """
    codes = list(Commune.objects.values_list("code", flat=True))
    rows = [[*HEADER, *[f"Q{n}" for n in range(1, 12)]]]
    rows += [[codes[n % len(codes)], "2024-06-01", "1", *"45454545454"] for n in range(10_000)]
    path = csv_file(rows)
    tracemalloc.start()
    try:
        # Chunks of 1,000 rows (on PostgreSQL the COPY holds COPY_CHUNKS chunks, sorted).
        with mock.patch.multiple("surveys.importing", CHUNK_SIZE=1000, COPY_CHUNKS=1):
            report = survey_file_import(path=path, filename=path.name)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rows == 10_000
    assert SurveyResponse.objects.count() == 10_000
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# --- A reused code names the unit in force on the row's date ---------------------------------


@pytest.mark.django_db
def test_a_reused_code_is_imported_for_the_unit_in_force_on_the_answer_date(
    csv_file, recompute, reorganized_units
):
    path = csv_file(
        [
            HEADER,
            ["7210", "2024-05-02", "1"],
            ["7210", "2025-08-01", "1"],
            ["7210", "2025-08-04", "0"],
        ]
    )
    survey_file_import(path=path, filename="phieu.csv")
    by_unit = Counter(SurveyResponse.objects.values_list("commune__name", flat=True))
    assert by_unit == {"Phường Hoàng Văn Thụ": 1, "Phường Bắc Giang": 2}


@pytest.mark.django_db
def test_a_code_with_no_unit_in_force_on_the_date_is_a_bad_row(csv_file, reorganized_units):
    # Lê Lợi (7219) merged into Trần Phú on 1/1/2025.
    path = csv_file([HEADER, ["7219", "2024-12-30", "1"], ["7219", "2025-02-03", "1"]])
    errors = refused(path)
    assert len(errors) == 1 and errors[0].startswith("row 3:")
