"""Audit findings 1 and 3: a survey file cannot take the server's memory, flood a page or
the terminal, or cause a server error; whatever it holds, the answer is a refusal that
quotes at most a few dozen characters of any cell."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from surveys.importing import survey_file_check
from surveys.models import SurveyResponse
from tests.hostile_files import xlsx_with_cell, zip_declaring, zip_expanding

pytestmark = pytest.mark.django_db

WORKBOOK_OTHERS = [
    ("[Content_Types].xml", "<Types/>"),
    ("xl/workbook.xml", "<workbook/>"),
]


def upload(client, data, name):
    return client.post(reverse("survey_import"), {"file": SimpleUploadedFile(name, data)})


def pending_files(settings):
    from pathlib import Path

    return list((Path(settings.MEDIA_ROOT) / "survey-imports").glob("*.upload"))


def test_a_workbook_cell_of_hundreds_of_kilobytes_is_refused_without_being_echoed(
    client_for, commune_staff, questionnaire, settings
):
    huge = "A" * 400_000
    response = upload(client_for(commune_staff), xlsx_with_cell(huge), "phieu.xlsx")
    assert response.status_code == 422
    assert len(response.content) < 50_000  # the page, not the cell
    assert "ô quá dài" in response.content.decode()
    assert not SurveyResponse.objects.exists() and pending_files(settings) == []


def test_a_long_cell_is_quoted_in_a_row_error_by_its_first_characters_only(csv_file, questionnaire):
    long_code = "7" + "X" * 100_000
    path = csv_file([["commune_code", "answered_on", "satisfied"], [long_code, "2024-03-05", "1"]])
    report = survey_file_check(path=path, filename="long.csv")
    assert len(report.errors) == 1
    assert report.errors[0].startswith(("row 2:", "dòng 2:"))
    assert len(report.errors[0]) < 150
    assert "X" * 40 not in report.errors[0].replace("X" * (40 - 1), "", 1)


def test_the_command_dry_run_on_a_huge_cell_writes_a_few_lines_not_the_cell(
    tmp_path, questionnaire
):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(xlsx_with_cell("A" * 400_000))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_survey_responses", str(path), "--dry-run", stderr=err)
    assert 0 < len(err.getvalue()) < 500
    assert "too long" in err.getvalue()


@override_settings(SURVEY_IMPORT_MAX_BYTES=100_000)  # scales the workbook limits down
def test_a_workbook_whose_sheet_expands_far_beyond_its_size_is_refused_before_reading(
    client_for, commune_staff, questionnaire, settings
):
    # 100 KB allowed, so at most 2 MB of XML per part; this part expands to 3 MB.
    bomb = zip_expanding("xl/worksheets/sheet1.xml", 3 << 20, others=WORKBOOK_OTHERS)
    assert len(bomb) < 100_000
    response = upload(client_for(commune_staff), bomb, "bomb.xlsx")
    assert response.status_code == 422
    assert "giải nén ra quá lớn" in response.content.decode()
    assert pending_files(settings) == []


def test_a_workbook_declaring_a_gigabyte_part_is_refused_by_its_directory(
    client_for, commune_staff, questionnaire, xlsx_file, settings
):
    path = xlsx_file([["commune_code", "answered_on", "satisfied"], ["7444", "2024-03-05", "1"]])
    liar = zip_declaring(path.read_bytes(), "xl/worksheets/sheet1.xml", 1 << 30)
    response = upload(client_for(commune_staff), liar, "liar.xlsx")
    assert response.status_code == 422
    assert "giải nén ra quá lớn" in response.content.decode()
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("score", ["²", "٣", "５", "3²"])
def test_a_score_in_digits_other_than_0_to_9_is_a_bad_row_not_a_server_error(
    client_for, commune_staff, questionnaire, settings, score
):
    data = f"commune_code,answered_on,satisfied,Q1\n7444,2024-03-05,1,{score}\n".encode()
    response = upload(client_for(commune_staff), data, "phieu.csv")
    assert response.status_code == 422
    assert f"dòng 2: Q1 phải là số nguyên từ 1 đến 5, không phải “{score}”" in (
        response.content.decode()
    )
    assert pending_files(settings) == []  # the upload is not left behind


def test_the_command_names_the_row_of_a_superscript_score_without_a_traceback(
    csv_file, questionnaire
):
    path = csv_file(
        [["commune_code", "answered_on", "satisfied", "Q1"], ["7444", "2024-03-05", "1", "²"]]
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_survey_responses", str(path), stderr=err)
    assert "row 2: Q1" in err.getvalue()
