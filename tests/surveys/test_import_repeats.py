"""Audit finding 6 and the import contract: no answer is counted twice, whether the same
rows come again re-saved (CRLF), re-encoded (BOM, as .xlsx) or corrected; the preview says
which rows are already in, and the user imports only the new ones or replaces the earlier
file's rows. Also: the optional form_number column, and dates that could be read either way."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from surveys.importing import ImportRefused, survey_file_check, survey_file_import
from surveys.models import Channel, ImportBatch, SurveyResponse

pytestmark = pytest.mark.django_db

HEADER = "commune_code,answered_on,satisfied,Q1,Q11"
ROWS = [
    "7444,2024-03-05,1,5,5",
    "7444,2024-03-05,1,5,5",  # two citizens, the same answers: both count
    "7444,2024-03-06,0,2,2",
    "7450,2024-03-07,1,4,4",
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def write(tmp_path, name, rows, *, header=HEADER, newline="\n", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(newline.join([header, *rows, ""]).encode(encoding))
    return path


def imported(path, **kwargs):
    return survey_file_import(path=path, filename=path.name, **kwargs)


def counted():
    return SurveyResponse.objects.filter(channel=Channel.IMPORT).count()


@pytest.mark.parametrize(
    "again",
    [
        {"newline": "\r\n"},  # re-saved on Windows
        {"encoding": "utf-8-sig"},  # re-saved by Excel as "CSV UTF-8"
    ],
    ids=["crlf", "bom"],
)
def test_the_same_rows_saved_again_are_not_counted_twice(tmp_path, questionnaire, recompute, again):
    imported(write(tmp_path, "thang-3.csv", ROWS))
    copy = write(tmp_path, "thang-3-ban-sao.csv", ROWS, **again)
    report = survey_file_check(path=copy, filename=copy.name)
    assert report.ok and report.already_in == 4 and report.new_rows == 0
    with pytest.raises(ImportRefused, match="no new responses"):
        imported(copy)
    assert counted() == 4


def test_the_same_rows_as_a_workbook_are_not_counted_twice(
    tmp_path, questionnaire, recompute, xlsx_file
):
    imported(write(tmp_path, "thang-3.csv", ROWS))
    workbook = xlsx_file([HEADER.split(","), *(row.split(",") for row in ROWS)])
    assert survey_file_check(path=workbook, filename="x.xlsx").already_in == 4
    with pytest.raises(ImportRefused):
        imported(workbook)
    assert counted() == 4


def test_a_file_with_new_rows_imports_only_those(tmp_path, questionnaire, recompute):
    imported(write(tmp_path, "a.csv", ROWS[:2]))
    grown = write(tmp_path, "b.csv", ROWS)
    preview = survey_file_check(path=grown, filename=grown.name)
    assert (preview.already_in, preview.new_rows) == (2, 2)
    assert preview.already_in_rows == [2, 3]
    assert [e.filename for e in preview.earlier] == ["a.csv"]
    report = imported(grown)
    assert report.written == 2 and report.already_in == 2
    assert counted() == 4
    assert ImportBatch.objects.get(filename="b.csv").rows == 2


def test_identical_answers_are_matched_one_for_one(tmp_path, questionnaire, recompute):
    imported(write(tmp_path, "a.csv", ROWS[:1]))  # one of the two identical rows
    report = imported(write(tmp_path, "b.csv", ROWS[:2]))
    assert report.written == 1
    assert counted() == 2


def test_a_corrected_file_replaces_the_earlier_files_rows_when_asked(
    tmp_path, questionnaire, recompute
):
    imported(write(tmp_path, "goc.csv", ROWS))
    corrected = write(tmp_path, "da-sua.csv", [*ROWS[:2], "7444,2024-03-06,1,4,4", ROWS[3]])
    preview = survey_file_check(path=corrected, filename=corrected.name)
    assert preview.already_in == 3 and preview.new_rows == 1
    assert preview.replaceable == 4
    report = imported(corrected, replace=True)
    assert report.replaced == 4 and report.written == 4
    assert counted() == 4
    assert SurveyResponse.objects.filter(answered_on="2024-03-06").get().satisfied
    assert not ImportBatch.objects.filter(filename="goc.csv").exists()


def test_a_corrected_file_with_form_numbers_skips_each_form_already_in(
    tmp_path, questionnaire, recompute
):
    header = HEADER + ",form_number"
    imported(
        write(tmp_path, "a.csv", [f"{row},{n}" for n, row in enumerate(ROWS, 1)], header=header)
    )
    corrected = [f"{row},{n}" for n, row in enumerate(ROWS, 1)]
    corrected[2] = "7444,2024-03-06,1,4,4,3"  # form 3 typed again, corrected
    corrected.append("7444,2024-03-08,1,5,5,5")  # form 5 is new
    report = imported(write(tmp_path, "b.csv", corrected, header=header))
    assert report.already_in == 4 and report.written == 1
    assert counted() == 5
    assert set(SurveyResponse.objects.values_list("form_number", flat=True)) == {
        "1", "2", "3", "4", "5"
    }  # fmt: skip


def test_a_form_number_twice_in_one_file_is_a_bad_row(tmp_path, questionnaire):
    header = HEADER + ",form_number"
    path = write(
        tmp_path, "a.csv", ["7444,2024-03-05,1,5,5,12", "7444,2024-04-05,1,5,5,12"], header=header
    )
    report = survey_file_check(path=path, filename=path.name)
    assert report.errors == ["row 3: form number 12 is already on row 2 (same commune, same year)"]


def test_the_preview_names_the_rows_already_in_and_offers_both_choices(
    client_for, commune_staff, questionnaire, recompute, tmp_path
):
    imported(write(tmp_path, "a.csv", ROWS[:3]))
    client = client_for(commune_staff)
    data = ("\r\n".join([HEADER, *ROWS[:3], "7444,2024-03-09,1,5,5"]) + "\r\n").encode()
    response = client.post(
        reverse("survey_import"), {"file": SimpleUploadedFile("lai.csv", data, "text/csv")}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 phiếu của tệp đã có từ lần nhập trước; 1 phiếu mới." in html
    assert "Các dòng: 2, 3, 4" in html
    assert 'value="skip"' in html and 'value="replace"' in html
    done = client.post(
        reverse("survey_import_confirm", args=[response.context["upload_id"]]),
        {"repeats": "skip"},
    )
    assert done.status_code == 302
    assert counted() == 4


def test_the_command_skips_rows_already_in_and_replaces_with_a_flag(
    tmp_path, questionnaire, recompute
):
    imported(write(tmp_path, "goc.csv", ROWS))
    corrected = write(tmp_path, "da-sua.csv", [*ROWS[:3], "7450,2024-03-07,0,2,2"], newline="\r\n")
    out = io.StringIO()
    call_command("import_survey_responses", str(corrected), "--dry-run", stdout=out)
    assert "would import 1 responses" in out.getvalue()
    assert "3 rows already imported from goc.csv" in out.getvalue()
    out = io.StringIO()
    call_command("import_survey_responses", str(corrected), "--replace", stdout=out)
    assert "imported 4 responses" in out.getvalue() and "replaced 4" in out.getvalue()
    assert counted() == 4
    with pytest.raises(CommandError):
        call_command("import_survey_responses", str(corrected), stderr=io.StringIO())


# --- Day and month: the file's convention must be clear ---------------------------------


def test_dates_that_could_be_day_or_month_first_are_refused_when_nothing_tells(
    tmp_path, questionnaire
):
    path = write(tmp_path, "us.csv", ["7444,03/04/2024,1,5,5", "7444,05/06/2024,1,5,5"])
    report = survey_file_check(path=path, filename=path.name)
    assert len(report.errors) == 2
    assert report.errors[0].startswith("row 2: the date “03/04/2024” could be day/month")


def test_a_day_equal_to_its_month_does_not_make_the_order_clear(tmp_path, questionnaire):
    path = write(tmp_path, "us.csv", ["7444,05/05/2024,1,5,5", "7444,03/04/2024,1,5,5"])
    report = survey_file_check(path=path, filename=path.name)
    assert report.errors[0].startswith("row 3: the date “03/04/2024” could be day/month")


def test_a_us_style_date_is_named_as_such(tmp_path, questionnaire):
    path = write(tmp_path, "us.csv", ["7444,04/25/2024,1,5,5"])
    report = survey_file_check(path=path, filename=path.name)
    assert "month/day (US style)" in report.errors[0]


def test_a_day_over_12_elsewhere_in_the_file_makes_the_order_clear(
    tmp_path, questionnaire, recompute
):
    path = write(tmp_path, "vn.csv", ["7444,03/04/2024,1,5,5", "7444,25/04/2024,1,5,5"])
    imported(path)
    assert sorted(SurveyResponse.objects.values_list("answered_on", flat=True).distinct()) == [
        __import__("datetime").date(2024, 4, 3),
        __import__("datetime").date(2024, 4, 25),
    ]
