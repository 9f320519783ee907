"""The import page: template, preview of every row, then confirm (or nothing happens)."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from surveys.models import Channel, ImportBatch, SurveyResponse

IMPORT = reverse("survey_import")
GOOD = b"commune_code,answered_on,satisfied,Q11\n7444,2024-03-05,1,5\n7444,06/03/2024,0,2\n"


def upload(client, content=GOOD, name="khao-sat.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content, "text/csv")})


def pending_files():
    folder = Path(settings.MEDIA_ROOT) / "survey-imports"
    return list(folder.glob("*.upload")) if folder.exists() else []


@pytest.fixture(autouse=True)
def _no_leftovers():
    for path in pending_files():
        path.unlink()


@pytest.mark.django_db
def test_the_import_page_explains_the_columns_and_offers_templates(
    client_for, commune_staff, questionnaire
):
    response = client_for(commune_staff).get(IMPORT)
    assert response.status_code == 200
    html = response.content.decode()
    for column in ("commune_code", "answered_on", "satisfied", "Q1", "Q11"):
        assert f"<code>{column}</code>" in html
    assert reverse("survey_import_template", args=["xlsx"]) in html
    assert "Thị trấn Đồi Ngô (7444)" in html  # what this user may import


@pytest.mark.django_db
def test_the_templates_hold_the_columns_the_importer_reads(
    client_for, commune_staff, questionnaire
):
    client = client_for(commune_staff)
    csv_template = client.get(reverse("survey_import_template", args=["csv"]))
    header = csv_template.content.decode("utf-8-sig").strip()
    assert header == "commune_code,answered_on,satisfied," + ",".join(f"Q{n}" for n in range(1, 12))
    xlsx = client.get(reverse("survey_import_template", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["commune_code", "answered_on", "satisfied"]
    assert sheet.max_row == 1  # no example row that could be imported by mistake


@pytest.mark.django_db
def test_a_good_file_is_previewed_then_imported_on_confirmation(
    client_for, commune_staff, questionnaire, recompute
):
    client = client_for(commune_staff)
    preview = upload(client)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Tệp hợp lệ: 2 phiếu (1 hài lòng) của 1 xã" in html
    assert not SurveyResponse.objects.exists()  # nothing before the confirmation
    upload_id = preview.context["upload_id"]
    assert len(pending_files()) == 1

    done = client.post(reverse("survey_import_confirm", args=[upload_id]))
    assert done.status_code == 302
    assert done["Location"] == reverse("commune_surveys", args=["7444"])
    assert (
        SurveyResponse.objects.filter(channel=Channel.IMPORT, entered_by=commune_staff).count() == 2
    )
    assert ImportBatch.objects.get().filename == "khao-sat.csv"
    assert pending_files() == []
    # The same confirmation again finds nothing to import.
    assert client.post(reverse("survey_import_confirm", args=[upload_id])).status_code == 404
    assert SurveyResponse.objects.count() == 2


@pytest.mark.django_db
def test_the_confirmation_counts_with_the_languages_thousands_separator(
    client_for, commune_staff, questionnaire, recompute
):
    client = client_for(commune_staff)
    rows = b"".join(b"7444,2024-03-%02d,1,5\n" % (1 + n % 28) for n in range(1200))
    preview = upload(client, b"commune_code,answered_on,satisfied,Q11\n" + rows)
    done = client.post(reverse("survey_import_confirm", args=[preview.context["upload_id"]]))
    assert done.status_code == 302
    shown = [str(m) for m in client.get(done["Location"]).context["messages"]]
    assert "Đã nhập 1.200 phiếu của 1 xã từ tệp khao-sat.csv." in shown


@pytest.mark.django_db
def test_an_excel_file_uploaded_on_the_page_is_previewed_then_imported(
    client_for, commune_staff, questionnaire, recompute
):
    # Found by tests/test_fuzz.py: the page kept the upload as "<id>.upload", which
    # openpyxl refused by its name, so every .xlsx was called "not a spreadsheet".
    from openpyxl import Workbook

    workbook = Workbook()
    for row in GOOD.decode().splitlines():
        workbook.active.append(row.split(","))
    content = io.BytesIO()
    workbook.save(content)
    client = client_for(commune_staff)

    preview = upload(client, content.getvalue(), name="khao-sat.xlsx")
    assert "Tệp hợp lệ: 2 phiếu (1 hài lòng) của 1 xã" in preview.content.decode()
    done = client.post(reverse("survey_import_confirm", args=[preview.context["upload_id"]]))

    assert done.status_code == 302
    assert SurveyResponse.objects.filter(channel=Channel.IMPORT).count() == 2


@pytest.mark.django_db
def test_a_file_with_bad_rows_lists_them_and_keeps_nothing(
    client_for, commune_staff, questionnaire
):
    content = GOOD + b"7444,31/02/2024,1,5\n7219,2024-03-05,1,5\n"
    response = upload(client_for(commune_staff), content)
    assert response.status_code == 422  # refused, the page lists why
    html = response.content.decode()
    assert "dòng 4: ngày “31/02/2024” không có thật" in html
    assert "dòng 5: xã 7219 (Phường Lê Lợi) ngoài phạm vi của bạn" in html
    assert response.context["upload_id"] is None
    assert "survey_import_confirm" not in html and "/confirm/" not in html
    assert pending_files() == []
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_a_file_imported_before_is_refused_at_the_preview(
    client_for, commune_staff, questionnaire, recompute
):
    client = client_for(commune_staff)
    client.post(reverse("survey_import_confirm", args=[upload(client).context["upload_id"]]))
    again = upload(client, name="same-again.csv")
    assert "đã được nhập" in again.content.decode()
    assert SurveyResponse.objects.count() == 2


@pytest.mark.django_db
def test_a_file_imported_between_preview_and_confirmation_is_refused(
    client_for, commune_staff, district_official, questionnaire, recompute
):
    staff = client_for(commune_staff)
    first = upload(staff).context["upload_id"]
    official = Client()
    official.force_login(district_official)
    second = upload(official).context["upload_id"]
    staff.post(reverse("survey_import_confirm", args=[first]))
    late = official.post(reverse("survey_import_confirm", args=[second]))
    assert late.status_code == 409
    assert "đã được nhập" in late.content.decode()
    assert SurveyResponse.objects.count() == 2


@pytest.mark.django_db
def test_not_a_spreadsheet_and_empty_uploads_are_refused(client_for, commune_staff):
    client = client_for(commune_staff)
    png = upload(client, b"\x89PNG\r\n\x1a\n" + bytes(64), name="anh.png")
    assert "Tệp không phải bảng tính CSV hoặc Excel (.xlsx)." in png.content.decode()
    empty = upload(client, b"", name="rong.csv")
    assert empty.status_code == 400 and empty.context["form"].errors
    assert pending_files() == []


@pytest.mark.django_db
@override_settings(SURVEY_IMPORT_MAX_BYTES=100)
def test_a_huge_upload_is_refused_before_it_is_kept(client_for, commune_staff):
    response = upload(client_for(commune_staff), GOOD * 10)
    assert response.status_code in (400, 422)
    assert "Tệp quá lớn" in response.content.decode()
    assert pending_files() == []


@pytest.mark.django_db
def test_one_user_cannot_confirm_anothers_upload(
    client_for, commune_staff, district_official, questionnaire
):
    upload_id = upload(client_for(commune_staff)).context["upload_id"]
    other = client_for(district_official)
    assert other.post(reverse("survey_import_confirm", args=[upload_id])).status_code == 404
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_provincial_officials_and_anonymous_visitors_cannot_import(
    client_for, province_official, client
):
    official = client_for(province_official)
    assert official.get(IMPORT).status_code == 403
    assert upload(official).status_code == 403
    assert official.get(reverse("survey_import_template", args=["csv"])).status_code == 403
    client.logout()
    assert client.get(IMPORT)["Location"].startswith("/accounts/login/")
    template = reverse("survey_import_template", args=["xlsx"])
    assert client.get(template)["Location"].startswith("/accounts/login/")
    assert client.post(reverse("survey_import_confirm", args=["x"]))["Location"].startswith(
        "/accounts/login/"
    )


@pytest.mark.django_db
def test_import_pages_refuse_wrong_methods(client_for, commune_staff):
    client = client_for(commune_staff)
    assert client.put(IMPORT).status_code == 405
    assert client.get(reverse("survey_import_confirm", args=["x"])).status_code == 405
    assert client.post(reverse("survey_import_template", args=["csv"])).status_code == 405
